/**
 * Refuses, in one line, a Node.js older than package.json's `engines.node` (exit 2), before anything that needs it is
 * loaded: each command imports this module first (CommonJS requires run in source order). With Node 20,
 * @kubernetes/client-node's undici 8 (engines >= 22.19) dies with a stack trace while loading. Only node: builtins here.
 */
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";

/** The lowest version a `>=X.Y[.Z]` range accepts, as [major, minor, patch]. */
export function minimumOf(range: string): [number, number, number] {
  const m = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range.trim());
  if (!m) throw new Error(`package.json engines.node '${range}' is not of the form '>=X.Y.Z'`);
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

/** The refusal for `version` (e.g. `20.20.2`) under `range` (e.g. `>=22.19`), or undefined when it satisfies it. */
export function nodeVersionProblem(command: string, version: string, range: string, execPath: string): string | undefined {
  const have = version.replace(/^v/, "").split(".").map((n) => Number.parseInt(n, 10));
  const need = minimumOf(range);
  for (let i = 0; i < 3; i++) {
    if ((have[i] ?? 0) > need[i]) return undefined;
    if ((have[i] ?? 0) < need[i]) {
      return `error: npm run ${command} needs Node.js ${range.replace(/\s+/g, "")} (package.json engines), this is Node.js ${version.replace(/^v/, "")} (${execPath}); use the project's own Node: export PATH="$PWD/node_modules/.bin:$PATH"`;
    }
  }
  return undefined;
}

/** `engines.node` of the project's package.json. */
export function enginesNode(): string {
  return (JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as { engines: { node: string } }).engines.node;
}

const command = basename(process.argv[1] ?? "command", ".ts");
const problem = nodeVersionProblem(command, process.versions.node, enginesNode(), process.execPath);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(2);
}
