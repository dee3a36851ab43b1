/**
 * The logic of `npm run policy -- <dir> [--config <policy-config.json>]` (scripts/policy.ts is its process wrapper):
 * runs every policy of the pack over <dir>/resources.json (docs/plan-contract.md) and prints one line per violation,
 * `<enforcement> <policy-name> <urn>: <message>`. Returns 1 on a mandatory violation, 2 on a usage error or when the
 * file (or the policy config, same form as `pulumi preview --policy-pack-config`) is missing or malformed.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseCommandLine, UsageError, userPath } from "./cli-args";
import { PolicyInputError, policyConfigFromJson, resourcesFromJson, runPolicies } from "./policy-runner";
import type { CommandIo } from "./command-io";

const USAGE = "usage: npm run policy -- <dir> [--config <policy-config.json>]   (<dir> holds resources.json, e.g. out/dev)";

const HELP = `${USAGE}

Runs every policy of the pack (policy/) over <dir>/resources.json, as written by npm run plan, and prints one line
per violation: <enforcement> <policy-name> <urn>: <message>. Paths are relative to the directory you run from.

  --config FILE   policy config, the form of pulumi preview --policy-pack-config: policy name → enforcement level
                  (advisory, mandatory, disabled) or an object of settings
  --help, -h      this text

exit codes: 0 no mandatory violation · 1 a mandatory violation · 2 bad arguments, a missing or malformed
  resources.json or policy config, or a Node.js older than package.json's engines`;

function readJson(file: string, what: string): unknown {
  if (!existsSync(file)) throw new PolicyInputError(`${file} does not exist; ${what}`);
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new PolicyInputError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

function policy(argv: readonly string[], io: CommandIo): number {
  let line;
  try {
    line = parseCommandLine(argv, { config: { type: "string" } }, 1);
  } catch (err) {
    throw err instanceof UsageError ? new PolicyInputError(`${err.message}; ${USAGE}`) : err;
  }
  if (line.help) {
    io.stdout(`${HELP}\n`);
    return 0;
  }
  const [given] = line.positionals;
  if (given === undefined) throw new PolicyInputError(USAGE);
  const dir = userPath("policy", given, io.env);
  const configFile = line.values.config !== undefined ? userPath("policy", line.values.config as string, io.env) : undefined;
  const file = join(dir, "resources.json");
  const resources = resourcesFromJson(readJson(file, `run 'npm run plan -- --stack <name> --out ${given}' first`), file);
  const config = configFile ? policyConfigFromJson(readJson(configFile, "expected a policy config file"), configFile) : {};
  const report = runPolicies(resources, config);
  for (const violation of report.lines) io.stdout(`${violation}\n`);
  io.stderr(`policy: ${resources.length} resources, ${report.lines.length} violation(s), ${report.mandatoryViolations} mandatory\n`);
  return report.mandatoryViolations > 0 ? 1 : 0;
}

/** Runs `npm run policy` with these arguments; returns the exit code. Errors other than bad input are thrown. */
export function policyCommand(argv: readonly string[], io: CommandIo): number {
  try {
    return policy(argv, io);
  } catch (err) {
    if (err instanceof PolicyInputError) {
      io.stderr(`error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
