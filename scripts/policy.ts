/**
 * npm run policy -- <dir> [--config <policy-config.json>]
 * Runs every policy of the pack over <dir>/resources.json (CONTRACTS.md) and prints one line per violation:
 * `<enforcement> <policy-name> <urn>: <message>`. Exit 1 on a mandatory violation, 2 when the file (or the policy
 * config, same form as `pulumi preview --policy-pack-config`) is missing or malformed.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PolicyInputError, policyConfigFromJson, resourcesFromJson, runPolicies } from "./lib/policy-runner";

const USAGE = "usage: npm run policy -- <dir> [--config <policy-config.json>]   (<dir> holds resources.json, e.g. out/dev)";

function readJson(file: string, what: string): unknown {
  if (!existsSync(file)) throw new PolicyInputError(`${file} does not exist; ${what}`);
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new PolicyInputError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

function main(argv: string[]): number {
  let dir: string | undefined;
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--config") configFile = argv[++i];
    else if (arg.startsWith("--config=")) configFile = arg.slice("--config=".length);
    else if (arg.startsWith("-") || dir !== undefined) throw new PolicyInputError(`unexpected argument '${arg}'; ${USAGE}`);
    else dir = arg;
  }
  if (!dir) throw new PolicyInputError(USAGE);
  if (configFile === "") throw new PolicyInputError(`--config needs a file; ${USAGE}`);
  const file = join(dir, "resources.json");
  const resources = resourcesFromJson(readJson(file, `run 'npm run plan -- --stack <name> --out ${dir}' first`), file);
  const config = configFile ? policyConfigFromJson(readJson(configFile, "expected a policy config file"), configFile) : {};
  const report = runPolicies(resources, config);
  for (const line of report.lines) console.log(line);
  console.error(`policy: ${resources.length} resources, ${report.lines.length} violation(s), ${report.mandatoryViolations} mandatory`);
  return report.mandatoryViolations > 0 ? 1 : 0;
}

try {
  process.exit(main(process.argv.slice(2)));
} catch (err) {
  if (err instanceof PolicyInputError) {
    console.error(`error: ${err.message}`);
    process.exit(2);
  }
  throw err;
}
