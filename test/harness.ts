/**
 * Runs the real program (index.ts) under the SDK's mocks for a stack file or a literal config, and answers questions
 * about what it registered. Every run gets a fresh module registry so stacks do not leak into each other. Runs of the
 * program (planStack, planWith, planConfig) are evaluated once per configuration and version of the sources and
 * shared across test files (test/lib/plan-cache.ts); planProgram always runs.
 */
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { vi } from "vitest";
import { ConfigError, parseStackConfig } from "../components/config";
import { runProgram, type ProgramRun, type Registration } from "../scripts/lib/run-program";
import { readStackFile } from "../scripts/lib/stack-file";
import { manifestsOf } from "../scripts/lib/plan-output";
import type { PlanEvaluation } from "../scripts/lib/plan-command";
import { cachedRun } from "./lib/plan-cache";

export const ROOT = resolve(__dirname, "..");

export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What one run of the program registered. */
export class Plan {
  constructor(readonly run: ProgramRun) {}

  get registrations(): Registration[] {
    return this.run.registrations;
  }

  /** Resources of a type token, e.g. `kubernetes:velero.io/v1:Schedule`. */
  ofType(type: string): Registration[] {
    return this.registrations.filter((r) => r.type === type);
  }

  /** The one resource of that type and Pulumi name; throws when absent. */
  resource(type: string, name: string): Registration {
    const found = this.registrations.find((r) => r.type === type && r.name === name);
    if (!found) throw new Error(`no ${type} named ${name}; have: ${this.ofType(type).map((r) => r.name).join(", ") || "none"}`);
    return found;
  }

  /** Kubernetes objects the program applies, as sent. */
  objects(kind?: string): Obj[] {
    return manifestsOf(this.registrations)
      .map((m) => m.object as Obj)
      .filter((o) => kind === undefined || o.kind === kind);
  }

  /** The Kubernetes object of that kind and `metadata.name` (and namespace when given); throws when absent. */
  object(kind: string, name: string, namespace?: string): Obj {
    const found = this.objects(kind).filter((o) => o.metadata?.name === name && (namespace === undefined || o.metadata?.namespace === namespace));
    if (found.length !== 1) throw new Error(`expected one ${kind} ${namespace ?? "*"}/${name}, found ${found.length}; have: ${this.objects(kind).map((o) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name}`).join(", ")}`);
    return found[0];
  }

  /** The registration behind a Kubernetes object. */
  registrationOf(kind: string, name: string, namespace?: string): Registration {
    const m = manifestsOf(this.registrations).find((x) => x.object.kind === kind && (x.object.metadata as Obj)?.name === name && (namespace === undefined || (x.object.metadata as Obj)?.namespace === namespace));
    if (!m) throw new Error(`no ${kind} ${name}`);
    return m.registration;
  }

  get exports(): Obj {
    return this.run.exports as Obj;
  }
}

/** What an evaluation of the tests keeps as the trace of each promise @pulumi/pulumi's `debuggablePromise` tracks. */
export const UNFORMATTED_PROMISE_TRACE = "Error (no trace: a promise the SDK tracks in an evaluation of the tests, test/harness.ts)";

/** The SDK's promise tracker (@internal, not in its typings); the SDK's modules call it through this exports object. */
const debuggable = createRequire(__filename)("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise: <T>(p: Promise<T>, ctx: string) => Promise<T> };
/** The evaluations under way in this worker (they may overlap), shared by every copy of this module it loads. */
interface Untraced {
  evaluations: number;
}
const UNTRACED = Symbol.for("cluster-backup.test-harness.untraced-promises");

/**
 * While an evaluation is under way, `debuggablePromise` (@pulumi/pulumi 3.270.0 runtime/debuggable.js:247) captures
 * no stack trace for the promise it tracks, and keeps {@link UNFORMATTED_PROMISE_TRACE} as its trace: it takes one
 * (`new Error().stack`) for each of the thousands of promises of an evaluation, about a quarter of its CPU, and prints
 * it only for a promise still pending when the process exits. Errors and everything else keep their traces. The SDK
 * is loaded once per worker while each test file loads this module afresh: the first copy installs the tracker, the
 * others count their evaluations in its state.
 */
function untracedPromises(): Untraced {
  const installed = debuggable.debuggablePromise as typeof debuggable.debuggablePromise & { [UNTRACED]?: Untraced };
  const existing = installed[UNTRACED];
  if (existing) return existing;
  const state: Untraced = { evaluations: 0 };
  const untraced = <T>(p: Promise<T>, ctx: string): Promise<T> => {
    if (state.evaluations === 0) return installed(p, ctx);
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return installed(p, ctx);
    } finally {
      Error.stackTraceLimit = limit;
      (p as Promise<T> & { _debugStackTrace?: string })._debugStackTrace = UNFORMATTED_PROMISE_TRACE;
    }
  };
  Object.defineProperty(untraced, UNTRACED, { value: state });
  debuggable.debuggablePromise = untraced;
  return state;
}

/**
 * Runs `evaluate` with stack traces of at most 10 frames (V8's default depth) formatted as V8 does, without the test
 * runner's source maps, and the SDK's tracked promises without traces ({@link untracedPromises}). The SDK
 * formats a stack trace of unlimited depth for every resource (its source position) and one for every promise it
 * tracks; mapping all those frames through source maps cost a third of an evaluation. The mocks ignore source
 * positions: nothing in a ProgramRun holds them.
 */
async function withPlainStackTraces<T>(evaluate: () => Promise<T>): Promise<T> {
  const untraced = untracedPromises();
  const mapped = Error.prepareStackTrace;
  Error.prepareStackTrace = (err, frames) => [String(err), ...frames.slice(0, 10).map((f) => `    at ${f}`)].join("\n");
  untraced.evaluations += 1;
  try {
    return await evaluate();
  } finally {
    untraced.evaluations -= 1;
    Error.prepareStackTrace = mapped;
  }
}

/** One evaluation of index.ts in a fresh module registry. */
function evaluateIndex(options: Omit<Parameters<typeof runProgram>[0], "load">): Promise<ProgramRun> {
  vi.resetModules();
  return withPlainStackTraces(() => runProgram({ ...options, load: () => import("../index.ts") }));
}

async function run(stack: string, config: Record<string, string>, secretKeys: string[]): Promise<Plan> {
  return new Plan(await cachedRun(stack, config, secretKeys, () => evaluateIndex({ stack, config, secretKeys })));
}

/**
 * Evaluates the program for `npm run plan` run in-process (scripts/lib/plan-command.ts): shared through the plan cache
 * like {@link planStack}, or evaluated afresh with `fresh`.
 */
export function evaluateForPlan(e: PlanEvaluation, fresh = false): Promise<ProgramRun> {
  const evaluate = () => evaluateIndex(e);
  return fresh ? evaluate() : cachedRun(e.stack, e.config, e.secretKeys, evaluate, e.secretValues);
}

/** Runs the program with a stack file of this repository. */
export async function planStack(stack: string): Promise<Plan> {
  const { config, secretKeys } = readStackFile(ROOT, stack);
  return run(stack, config, secretKeys);
}

/** Structured config `{environment: "dev", flows: {...}}` → the raw map Pulumi hands a program. */
export function rawConfig(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [`cluster-backup:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
}

/**
 * Runs the program with a stack file whose `cluster-backup:` keys are replaced (shallowly, per key) by `overrides`.
 * `secrets` are extra secret keys (`{benjiCephKey: "..."}`).
 */
export async function planWith(stack: string, overrides: Record<string, unknown>, secrets: Record<string, string> = {}): Promise<Plan> {
  const base = readStackFile(ROOT, stack);
  const config = { ...base.config, ...rawConfig(overrides), ...rawConfig(secrets) };
  return run(stack, config, [...base.secretKeys, ...Object.keys(rawConfig(secrets))]);
}

/** Runs the program with only the given config (no stack file). */
export async function planConfig(stack: string, config: Record<string, unknown>, secrets: Record<string, string> = {}): Promise<Plan> {
  return run(stack, { ...rawConfig(config), ...rawConfig(secrets) }, Object.keys(rawConfig(secrets)));
}

/**
 * Runs an arbitrary function under the mocks (for component tests with literal args). Its return value is treated
 * like the program's exports.
 */
export async function planProgram(stack: string, program: () => Record<string, unknown> | void, config: Record<string, unknown> = {}): Promise<Plan> {
  vi.resetModules();
  return new Plan(await withPlainStackTraces(() => runProgram({ stack, config: rawConfig(config), secretKeys: [], load: async () => program() ?? {} })));
}

/**
 * The problems parseStackConfig reports for a raw config (`cluster-backup:` keys, see {@link rawConfig}), or [] when
 * it accepts it. `secretKeys` are full keys (`cluster-backup:benjiCephKey`).
 */
export function configProblems(config: Record<string, string>, secretKeys: Iterable<string>, stack: string): string[] {
  try {
    parseStackConfig(config, new Set(secretKeys), stack);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

/** {@link configProblems} of a stack file of this repository whose keys are replaced (shallowly, per key) by `overrides`. */
export function stackConfigProblems(stack: string, overrides: Record<string, unknown>): string[] {
  const { config, secretKeys } = readStackFile(ROOT, stack);
  return configProblems({ ...config, ...rawConfig(overrides) }, secretKeys, stack);
}
