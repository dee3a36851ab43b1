/**
 * The logic of `npm run plan` (scripts/plan.ts is its process wrapper): evaluates index.ts with the stack's config
 * under the SDK's mocks and writes resources.json, manifests/ and summary.md (docs/plan-contract.md). Returns the exit
 * code: 0 when the stack evaluates, 1 on a configuration or program error, 2 on a usage error (see the usage text).
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { knownStacks, readStackFile, StackFileError } from "./stack-file";
import { runProgram, type ProgramRun } from "./run-program";
import { buildPlanFiles } from "./plan-output";
import { ConfigError } from "../../components/config";
import { policyReport } from "./policy-runner";
import { parseCommandLine, UsageError, type CommandLine, userDirectory, userPath } from "./cli-args";
import { outDirProblem, PLAN_MARKER, planMarkerContent } from "./plan-out-dir";
import type { CommandIo } from "./command-io";

const ROOT = resolve(__dirname, "..", "..");
const SYNOPSIS = "usage: npm run plan -- --stack <name> [--out <dir>]";

/** One evaluation of the program for a stack's config (what the plan then writes out). */
export interface PlanEvaluation {
  stack: string;
  config: Record<string, string>;
  secretKeys: string[];
  secretValues: string[];
}

/** Evaluates index.ts in this process (the command's own way; tests pass one sharing evaluations). */
export function evaluateIndex(e: PlanEvaluation): Promise<ProgramRun> {
  return runProgram({ ...e, load: async () => require(join(ROOT, "index.ts")) });
}

/** Where Pulumi.<stack>.yaml files are read from (the project root unless PLAN_STACK_DIR says otherwise). */
function stackDir(env: NodeJS.ProcessEnv): string {
  return resolve(env.PLAN_STACK_DIR ?? ROOT);
}

function usageText(env: NodeJS.ProcessEnv): string {
  return `${SYNOPSIS}

Evaluates index.ts with Pulumi.<name>.yaml under the Pulumi SDK's mocks (no cluster, no Pulumi CLI) and writes
resources.json, manifests/, summary.md, coverage.md, coverage.json and RESTORE.md into the --out folder, replacing it.

  --stack, -s NAME  the stack: Pulumi.<NAME>.yaml (known: ${knownStacks(stackDir(env)).join(", ") || "none"})
  --out DIR         output folder (default out/<stack> in the project), relative to the directory you run from.
                    Replaced only when new, empty or written by an earlier plan (it holds ${PLAN_MARKER}); never
                    the project, the current directory or a folder containing them.
  --help, -h        this text

exit codes: 0 plan written · 1 configuration or program error, or a mandatory policy violation ·
  2 bad arguments, an --out folder it does not replace, or a Node.js older than package.json's engines`;
}

function parsePlanArgs(argv: readonly string[], env: NodeJS.ProcessEnv): { stack: string; out: string } | undefined {
  let line: CommandLine;
  try {
    line = parseCommandLine(argv, { stack: { type: "string", short: "s" }, out: { type: "string" } });
  } catch (err) {
    throw err instanceof UsageError ? new UsageError(`${err.message}; ${SYNOPSIS}`) : err;
  }
  if (line.help) return undefined;
  const stack = line.values.stack as string | undefined;
  if (!stack) throw new UsageError(`missing --stack; ${SYNOPSIS}`);
  const out = line.values.out !== undefined ? userPath("plan", line.values.out as string, env) : join(ROOT, "out", stack);
  const problem = outDirProblem(out, { "the project": ROOT, "the current directory": userDirectory("plan", env) });
  if (problem) throw new UsageError(problem);
  return { stack, out };
}

/** Writes all files into a fresh sibling folder, then swaps it in: the folder is replaced, never half-written. */
function writeAtomically(outDir: string, files: Map<string, string>): void {
  mkdirSync(dirname(outDir), { recursive: true });
  const staging = mkdtempSync(`${outDir}.tmp-`);
  for (const [path, content] of files) {
    mkdirSync(dirname(join(staging, path)), { recursive: true });
    writeFileSync(join(staging, path), content);
  }
  rmSync(outDir, { recursive: true, force: true });
  renameSync(staging, outDir);
}

async function plan(argv: readonly string[], io: CommandIo, evaluate: (e: PlanEvaluation) => Promise<ProgramRun>): Promise<number> {
  const args = parsePlanArgs(argv, io.env);
  if (!args) {
    io.stdout(`${usageText(io.env)}\n`);
    return 0;
  }
  const { stack, out } = args;
  const { config, secretKeys, secretValues } = readStackFile(stackDir(io.env), stack, ROOT);
  const run = await evaluate({ stack, config, secretKeys, secretValues });
  const policy = policyReport(run);
  const files = buildPlanFiles(stack, run, policy.summary).files;
  files.set(PLAN_MARKER, planMarkerContent(stack));
  writeAtomically(out, files);
  for (const line of policy.lines) io.stdout(`${line}\n`);
  io.stdout(`plan of stack '${stack}': ${run.registrations.length} resources → ${out}\n`);
  return policy.mandatoryViolations > 0 ? 1 : 0;
}

/** Runs `npm run plan` with these arguments; returns the exit code. */
export async function planCommand(argv: readonly string[], io: CommandIo, evaluate: (e: PlanEvaluation) => Promise<ProgramRun> = evaluateIndex): Promise<number> {
  try {
    return await plan(argv, io, evaluate);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`${err.message}\n`);
      return 2;
    }
    if (err instanceof ConfigError) for (const line of err.problems) io.stderr(`${line}\n`);
    else if (err instanceof StackFileError) io.stderr(`${err.message}\n`);
    else io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
