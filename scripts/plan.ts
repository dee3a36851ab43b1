/**
 * npm run plan -- --stack <name> [--out <dir>]
 * Evaluates index.ts with the stack's config under the SDK's mocks and writes resources.json, manifests/ and
 * summary.md (docs/plan-contract.md). Exit 0 when the stack evaluates, 1 on a configuration or program error, 2 on a usage
 * error (see USAGE).
 */
import "./lib/node-check";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { knownStacks, readStackFile, StackFileError } from "./lib/stack-file";
import { runProgram } from "./lib/run-program";
import { buildPlanFiles } from "./lib/plan-output";
import { ConfigError } from "../components/config";
import { policyReport } from "./lib/policy-runner";
import { parseCommandLine, UsageError, type CommandLine, userDirectory, userPath } from "./lib/cli-args";
import { outDirProblem, PLAN_MARKER, planMarkerContent } from "./lib/plan-out-dir";

const ROOT = resolve(__dirname, "..");
/** Where Pulumi.<stack>.yaml files are read from (the project root unless PLAN_STACK_DIR says otherwise). */
const STACK_DIR = resolve(process.env.PLAN_STACK_DIR ?? ROOT);
const SYNOPSIS = "usage: npm run plan -- --stack <name> [--out <dir>]";

function usageText(): string {
  return `${SYNOPSIS}

Evaluates index.ts with Pulumi.<name>.yaml under the Pulumi SDK's mocks (no cluster, no Pulumi CLI) and writes
resources.json, manifests/, summary.md, coverage.md, coverage.json and RESTORE.md into the --out folder, replacing it.

  --stack, -s NAME  the stack: Pulumi.<NAME>.yaml (known: ${knownStacks(STACK_DIR).join(", ") || "none"})
  --out DIR         output folder (default out/<stack> in the project), relative to the directory you run from.
                    Replaced only when new, empty or written by an earlier plan (it holds ${PLAN_MARKER}); never
                    the project, the current directory or a folder containing them.
  --help, -h        this text

exit codes: 0 plan written · 1 configuration or program error, or a mandatory policy violation ·
  2 bad arguments, an --out folder it does not replace, or a Node.js older than package.json's engines`;
}

function parsePlanArgs(argv: string[]): { stack: string; out: string } | undefined {
  let line: CommandLine;
  try {
    line = parseCommandLine(argv, { stack: { type: "string", short: "s" }, out: { type: "string" } });
  } catch (err) {
    throw err instanceof UsageError ? new UsageError(`${err.message}; ${SYNOPSIS}`) : err;
  }
  if (line.help) return undefined;
  const stack = line.values.stack as string | undefined;
  if (!stack) throw new UsageError(`missing --stack; ${SYNOPSIS}`);
  const out = line.values.out !== undefined ? userPath("plan", line.values.out as string) : join(ROOT, "out", stack);
  const problem = outDirProblem(out, { "the project": ROOT, "the current directory": userDirectory("plan") });
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

async function main(): Promise<number> {
  const args = parsePlanArgs(process.argv.slice(2));
  if (!args) {
    console.log(usageText());
    return 0;
  }
  const { stack, out } = args;
  const { config, secretKeys, secretValues } = readStackFile(STACK_DIR, stack, ROOT);
  const run = await runProgram({ stack, config, secretKeys, secretValues, load: async () => require(join(ROOT, "index.ts")) });
  const policy = policyReport(run);
  const plan = buildPlanFiles(stack, run, policy.summary);
  plan.files.set(PLAN_MARKER, planMarkerContent(stack));
  writeAtomically(out, plan.files);
  for (const line of policy.lines) console.log(line);
  console.log(`plan of stack '${stack}': ${run.registrations.length} resources → ${out}`);
  return policy.mandatoryViolations > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(err.message);
      process.exit(2);
    }
    if (err instanceof ConfigError) for (const line of err.problems) console.error(line);
    else if (err instanceof StackFileError) console.error(err.message);
    else console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
