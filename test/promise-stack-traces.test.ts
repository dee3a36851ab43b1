/**
 * components/promise-stack-traces.ts: the trace @pulumi/pulumi's `debuggablePromise` takes for every promise is
 * formatted as V8 does by default, without the source-mapped formatter; real errors, `Error.captureStackTrace` and the
 * resources' source positions still get the mapped .ts positions. The runtime checks run in a child process set up as
 * `pulumi preview` does (test/fixtures/stack-traces/probe.cjs).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { planProgram, ROOT, UNFORMATTED_PROMISE_TRACE } from "./harness";

const FIXTURE = join(ROOT, "test", "fixtures", "stack-traces");
const COMPONENT = join(FIXTURE, "probe-component.ts");
const SDK_DEBUGGABLE = join(ROOT, "node_modules", "@pulumi", "pulumi", "runtime", "debuggable.js");

/** The 1-based line of probe-component.ts marked `// probe:<name>`. */
function markedLine(name: string): number {
  const index = readFileSync(COMPONENT, "utf8").split("\n").findIndex((line) => line.endsWith(`// probe:${name}`));
  if (index < 0) throw new Error(`probe-component.ts has no line marked probe:${name}`);
  return index + 1;
}

interface ProbeOutput {
  sourceMapSupport: string[];
  wrapped: boolean;
  sameWrapperAfterReload: boolean;
  promiseTrace: string;
  promiseTraceMappedCalls: number;
  errorTrace: string;
  errorTraceMappedCalls: number;
  capturedTrace: string;
  capturedTraceMappedCalls: number;
  registered: { type: string; uri: string; line: number }[];
}

function probe(...args: string[]): ProbeOutput {
  const result = spawnSync(process.execPath, [join(FIXTURE, "probe.cjs"), ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, PULUMI_NODEJS_TRANSPILE_ONLY: "" } });
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as ProbeOutput;
}

/** The line of the trace's frame in probe-component.ts, e.g. 25 of `at Object.fail (/…/probe-component.ts:25:9)`. */
function componentLine(trace: string, fn: string): number {
  const frame = trace.split("\n").find((line) => line.startsWith(`    at Object.${fn} (${COMPONENT}:`));
  if (!frame) throw new Error(`no frame of ${fn} in probe-component.ts in:\n${trace}`);
  return Number(/:(\d+):\d+\)$/.exec(frame)?.[1]);
}

describe("under the Pulumi runtime's source-mapped formatter (cmd/run: source-map-support, ts-node)", () => {
  let out: ProbeOutput;
  let without: ProbeOutput;
  beforeAll(() => {
    out = probe();
    without = probe("--without");
  });

  it("the emulation installs source-map-support as @pulumi/pulumi's cmd/run does for every program", () => {
    const cmdRun = require.resolve("@pulumi/pulumi/cmd/run/index.js");
    expect(readFileSync(cmdRun, "utf8")).toContain('require("source-map-support/register");');
    expect(out.sourceMapSupport).toEqual([require.resolve("source-map-support/register", { paths: [dirname(cmdRun)] })]);
  });

  it("a debuggablePromise trace is formatted without the mapped formatter, as V8 does by default", () => {
    expect(without.wrapped).toBe(false);
    expect(without.promiseTraceMappedCalls).toBe(1);
    expect(out.wrapped).toBe(true);
    expect(out.promiseTraceMappedCalls).toBe(0);
    const lines = out.promiseTrace.split("\n");
    expect(lines[0]).toBe("Error");
    // @pulumi/pulumi 3.270.0 runtime/debuggable.js:253, unmapped (the SDK's source map would say debuggable.ts).
    expect(lines[1]).toBe(`    at debuggablePromise (${SDK_DEBUGGABLE}:253:75)`);
    expect(lines).toHaveLength(11); // the message and Error.stackTraceLimit (10) frames
    // Unmapped: swc's line, not the source line the mapped formatter reports.
    expect(componentLine(without.promiseTrace, "trackedPromise")).toBe(markedLine("promise"));
    expect(componentLine(out.promiseTrace, "trackedPromise")).not.toBe(markedLine("promise"));
  });

  it("an error thrown in a TypeScript component file still shows its .ts position, through the mapped formatter", () => {
    expect(out.errorTraceMappedCalls).toBe(1);
    expect(out.errorTrace.split("\n")[0]).toBe("Error: probe failure");
    expect(out.errorTrace.split("\n")[1]).toBe(`    at Object.fail (${COMPONENT}:${markedLine("throw")}:9)`);
    expect(out.errorTrace).toBe(without.errorTrace);
  });

  it("Error.captureStackTrace still goes through the mapped formatter", () => {
    expect(out.capturedTraceMappedCalls).toBe(1);
    expect(componentLine(out.capturedTrace, "captured")).toBe(markedLine("capture"));
    expect(out.capturedTrace).toBe(without.capturedTrace);
  });

  it("the engine receives the resource's source position in the .ts file", () => {
    const expected = [{ type: "test:probe:Probe", uri: pathToFileURL(COMPONENT).toString(), line: markedLine("resource") }];
    expect(out.registered).toEqual(expected);
    expect(without.registered).toEqual(expected);
  });

  it("loading the module again does not wrap the formatter twice", () => {
    expect(out.sameWrapperAfterReload).toBe(true);
  });
});

/** Installs `format` (undefined: none, as in plain node) as Error.prepareStackTrace. */
function setFormatter(format: unknown): void {
  (Error as { prepareStackTrace?: unknown }).prepareStackTrace = format;
}

describe("formatPromiseTracesPlainly", () => {
  const saved = Error.prepareStackTrace;
  let traces: typeof import("../components/promise-stack-traces.ts");
  beforeAll(async () => {
    traces = await import("../components/promise-stack-traces.ts");
    Error.prepareStackTrace = saved;
  });
  afterAll(() => {
    Error.prepareStackTrace = saved;
  });

  it("leaves plain node alone: with no formatter installed it installs none", () => {
    setFormatter(undefined);
    expect(traces.formatPromiseTracesPlainly()).toBe(false);
    expect(Error.prepareStackTrace).toBeUndefined();
    Error.prepareStackTrace = saved;
  });

  it("formats exactly as V8's default", () => {
    // The same error from the same frames, once with V8's own formatting and once with its callsites.
    const [v8, raw] = [undefined, (_e: Error, callsites: NodeJS.CallSite[]) => callsites].map((format) => {
      setFormatter(format);
      const err = new TypeError("bad value");
      return { err, stack: err.stack as unknown };
    });
    Error.prepareStackTrace = saved;
    expect(v8.stack).toMatch(/^TypeError: bad value\n {4}at /);
    expect(traces.plainStackTrace(raw.err, raw.stack as NodeJS.CallSite[])).toBe(v8.stack);
  });

  it("recognizes only the SDK's debuggablePromise frame", () => {
    const site = (fn: string | null, file: string | undefined) => ({ getFunctionName: () => fn, getFileName: () => file }) as unknown as NodeJS.CallSite;
    expect(traces.isDebuggablePromiseTrace([site("debuggablePromise", SDK_DEBUGGABLE)])).toBe(true);
    expect(traces.isDebuggablePromiseTrace([site("debuggablePromise", "C:\\app\\node_modules\\@pulumi\\pulumi\\runtime\\debuggable.js")])).toBe(true);
    expect(traces.isDebuggablePromiseTrace([site("debuggablePromise", join(ROOT, "debuggable.js"))])).toBe(false);
    expect(traces.isDebuggablePromiseTrace([site("leakedPromises", SDK_DEBUGGABLE)])).toBe(false);
    expect(traces.isDebuggablePromiseTrace([site("fail", COMPONENT), site("debuggablePromise", SDK_DEBUGGABLE)])).toBe(false);
    expect(traces.isDebuggablePromiseTrace([site(null, undefined)])).toBe(false);
    expect(traces.isDebuggablePromiseTrace([])).toBe(false);
  });
});

describe("the tests' evaluations (test/harness.ts)", () => {
  it("track the SDK's promises without a trace, as the SDK's modules call the tracker; errors keep theirs, and promises tracked outside an evaluation too", async () => {
    // The SDK's modules call it as `debuggable_1.debuggablePromise(...)` (runtime/resource.js, output.js): through the
    // exports object, as here. @internal in the SDK's typings, present in runtime/debuggable.js.
    const debuggable = (await import("@pulumi/pulumi/runtime/debuggable.js")).default as unknown as { debuggablePromise: <T>(p: Promise<T>, ctx: string) => Promise<T> };
    const traceOf = (p: Promise<number>) => (p as unknown as { _debugStackTrace: string })._debugStackTrace;
    const probe = () => {
      const tracked = Promise.resolve(1);
      void debuggable.debuggablePromise(tracked, "probe");
      return { promiseTrace: traceOf(tracked), errorTrace: new Error("probe").stack };
    };
    const plan = await planProgram("dev", probe);
    expect(plan.exports.promiseTrace).toBe(UNFORMATTED_PROMISE_TRACE);
    expect(plan.exports.errorTrace).toMatch(/^Error: probe\n {4}at .*promise-stack-traces\.test\.ts:\d+:\d+/);
    // Another test file of the same worker loads the harness afresh, the SDK not: its evaluations too.
    vi.resetModules();
    const again = (await import("./harness.ts")) as typeof import("./harness");
    expect(again.planProgram).not.toBe(planProgram);
    expect((await again.planProgram("dev", probe)).exports.promiseTrace).toBe(UNFORMATTED_PROMISE_TRACE);
    const outside = Promise.resolve(1);
    void debuggable.debuggablePromise(outside, "probe");
    expect(traceOf(outside)).toMatch(/^Error:? ?\n {4}at debuggablePromise \(.*debuggable\.js:\d+:\d+\)\n/);
  });
});

it("index.ts loads it first, before @pulumi/pulumi", () => {
  const imports = readFileSync(join(ROOT, "index.ts"), "utf8").match(/^import\s[^;]*;/gm);
  expect(imports?.slice(0, 2)).toEqual(['import "./components/promise-stack-traces";', 'import * as pulumi from "@pulumi/pulumi";']);
});
