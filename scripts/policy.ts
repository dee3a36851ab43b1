/**
 * npm run policy -- <dir>
 * Runs every policy of the pack over <dir>/resources.json (CONTRACTS.md). Exit 1 on a mandatory violation, 2 when the
 * file is missing or malformed.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

function main(): number {
  const dir = process.argv[2];
  if (!dir) {
    console.error("usage: npm run policy -- <dir>   (a folder holding resources.json, e.g. out/dev)");
    return 2;
  }
  const file = join(dir, "resources.json");
  if (!existsSync(file)) {
    console.error(`error: ${file} does not exist; run 'npm run plan -- --stack <name> --out ${dir}' first`);
    return 2;
  }
  let resources: unknown;
  try {
    resources = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    console.error(`error: ${file} is not valid JSON: ${(err as Error).message}`);
    return 2;
  }
  if (!Array.isArray(resources)) {
    console.error(`error: ${file} must hold a JSON array of resources`);
    return 2;
  }
  console.log("no policies yet");
  return 0;
}

process.exit(main());
