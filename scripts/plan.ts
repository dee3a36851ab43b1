/**
 * npm run plan -- --stack <name> [--out <dir>]
 * Evaluates index.ts with the stack's config under the SDK's mocks and writes resources.json, manifests/ and
 * summary.md (CONTRACTS.md). Exit 0 when the stack evaluates, 1 on a configuration or program error.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { readStackFile, StackFileError } from "./lib/stack-file";
import { runProgram } from "./lib/run-program";
import { buildPlanFiles } from "./lib/plan-output";
import { ConfigError } from "../components/config";
import { policyReport } from "./lib/policy-runner";

const ROOT = resolve(__dirname, "..");
/** Where Pulumi.<stack>.yaml files are read from (the project root unless PLAN_STACK_DIR says otherwise). */
const STACK_DIR = resolve(process.env.PLAN_STACK_DIR ?? ROOT);

function parseArgs(argv: string[]): { stack: string; out: string } {
  let stack: string | undefined;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--stack" || arg === "-s") stack = argv[++i];
    else if (arg.startsWith("--stack=")) stack = arg.slice("--stack=".length);
    else if (arg === "--out") out = argv[++i];
    else if (arg.startsWith("--out=")) out = arg.slice("--out=".length);
    else throw new StackFileError(`unknown argument '${arg}'; usage: npm run plan -- --stack <name> [--out <dir>]`);
  }
  if (!stack) throw new StackFileError("missing --stack; usage: npm run plan -- --stack <name> [--out <dir>]");
  return { stack, out: resolve(out ?? join(ROOT, "out", stack)) };
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
  const { stack, out } = parseArgs(process.argv.slice(2));
  const { config, secretKeys, secretValues } = readStackFile(STACK_DIR, stack, ROOT);
  const run = await runProgram({ stack, config, secretKeys, secretValues, load: async () => require(join(ROOT, "index.ts")) });
  const policy = policyReport(run);
  const plan = buildPlanFiles(stack, run, policy.summary);
  writeAtomically(out, plan.files);
  for (const line of policy.lines) console.log(line);
  console.log(`plan of stack '${stack}': ${run.registrations.length} resources → ${out}`);
  return policy.mandatoryViolations > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) for (const line of err.problems) console.error(line);
    else if (err instanceof StackFileError) console.error(err.message);
    else console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
