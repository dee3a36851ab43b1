/**
 * Runs a Pulumi TypeScript program the way the Pulumi CLI's nodejs language host does, against the fake engine and
 * resource monitor of test/lib: `node [nodeargs] <@pulumi/pulumi/cmd/run> --monitor <addr> --engine <addr>
 * --organization <org> --project <name> --root-directory <dir> --stack <stack> --pwd <dir> [--dry-run] --parallel <n>
 * <main>`, with the stack's config in PULUMI_CONFIG (keys `<namespace>:config:<name>`, values strings) and
 * PULUMI_CONFIG_SECRET_KEYS, and the Pulumi.yaml runtime options `typescript` (default true) and `tsconfig` as
 * PULUMI_NODEJS_TYPESCRIPT / PULUMI_NODEJS_TSCONFIG_PATH, `nodeargs` before the entry point
 * (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go: constructArguments, constructConfig, execRuntime;
 * @pulumi/pulumi 3.270.0 cmd/run/index.js and run.js read them).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parse } from "yaml";
import { startFakeEngine, type LogLine } from "./fake-engine";
const { nodeArgs } = require("../../scripts/lib/pulumi-runtime.cjs") as { nodeArgs: (root: string) => string[] };
import { startFakeMonitor, type MonitorRegistration } from "./fake-monitor";

/** What Pulumi.yaml says about running the program. */
export interface ProjectFile {
  readonly name: string;
  readonly main: string;
  readonly options: { readonly typescript: boolean; readonly tsconfig?: string; readonly nodeargs?: string };
  /** Project-level config (`config:` of Pulumi.yaml): key → default or value, as the engine adds it. */
  readonly config: Record<string, unknown>;
}

export function readProjectFile(root: string): ProjectFile {
  const doc = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as {
    name: string;
    main?: string;
    runtime: string | { name: string; options?: Record<string, unknown> };
    config?: Record<string, unknown>;
  };
  const options = typeof doc.runtime === "string" ? {} : (doc.runtime.options ?? {});
  const config: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(doc.config ?? {})) {
    const full = key.includes(":") ? key : `${doc.name}:${key}`;
    const value = spec !== null && typeof spec === "object" && !Array.isArray(spec) ? ((spec as Record<string, unknown>).value ?? (spec as Record<string, unknown>).default) : spec;
    if (value !== undefined) config[full] = value;
  }
  return {
    name: doc.name,
    main: doc.main ?? ".",
    options: {
      typescript: options.typescript === undefined ? true : options.typescript === true || options.typescript === "true",
      tsconfig: typeof options.tsconfig === "string" ? options.tsconfig : undefined,
      nodeargs: typeof options.nodeargs === "string" ? options.nodeargs : undefined,
    },
    config,
  };
}

export interface CliRunOptions {
  readonly root: string;
  readonly stack: string;
  /** Stack config as the CLI hands it to the language host: `<namespace>:<key>` → string (structured values as JSON). */
  readonly config: Record<string, string>;
  readonly secretKeys: readonly string[];
  /** `pulumi preview` (true) or `pulumi up` (false). */
  readonly dryRun?: boolean;
  readonly organization?: string;
  /** Extra environment (e.g. PULUMI_NODEJS_TRANSPILE_ONLY for a benchmark); PULUMI_* of the caller are not inherited. */
  readonly env?: Record<string, string>;
}

export interface CliRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly registrations: MonitorRegistration[];
  readonly componentOutputs: Map<string, Record<string, unknown>>;
  readonly invokes: string[];
  readonly logs: LogLine[];
  readonly project: ProjectFile;
}

/** `a:b` → `a:config:b`, the form the language host puts in PULUMI_CONFIG. */
function configVarKey(key: string): string {
  const at = key.indexOf(":");
  return `${key.slice(0, at)}:config:${key.slice(at + 1)}`;
}

export async function runThroughCli(options: CliRunOptions): Promise<CliRun> {
  const project = readProjectFile(options.root);
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(project.config)) config[configVarKey(key)] = typeof value === "string" ? value : JSON.stringify(value);
  for (const [key, value] of Object.entries(options.config)) config[configVarKey(key)] = value;

  const engine = await startFakeEngine();
  const monitor = await startFakeMonitor(project.name, options.stack);
  try {
    const entry = createRequire(join(options.root, "package.json")).resolve("@pulumi/pulumi/cmd/run");
    const args = [
      ...nodeArgs(options.root),
      entry,
      "--monitor", monitor.address,
      "--engine", engine.address,
      "--organization", options.organization ?? "organization",
      "--project", project.name,
      "--root-directory", options.root,
      "--stack", options.stack,
      "--pwd", options.root,
      ...(options.dryRun === false ? [] : ["--dry-run"]),
      "--parallel", "16",
      project.main,
    ];
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PULUMI_")));
    const env: Record<string, string | undefined> = {
      ...inherited,
      PULUMI_CONFIG: JSON.stringify(config),
      PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(options.secretKeys),
      ...(project.options.typescript ? { PULUMI_NODEJS_TYPESCRIPT: "true" } : {}),
      ...(project.options.tsconfig ? { PULUMI_NODEJS_TSCONFIG_PATH: project.options.tsconfig } : {}),
      ...options.env,
    };
    const child = spawn(process.execPath, args, { cwd: options.root, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code) => resolve(code));
    });
    return { exitCode, stdout, stderr, registrations: monitor.registrations, componentOutputs: monitor.outputs, invokes: monitor.invokes, logs: engine.logs, project };
  } finally {
    await monitor.close();
    await engine.close();
  }
}
