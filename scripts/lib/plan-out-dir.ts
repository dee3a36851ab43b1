/**
 * Which folders `npm run plan -- --out <dir>` may replace: the plan swaps the whole folder, so only a new or empty
 * one, or one an earlier plan wrote (it holds {@link PLAN_MARKER}), and never the project, the user's directory or a
 * folder containing either (`--out .`, `--out ..`, `--out /`).
 */
import { existsSync, lstatSync, readdirSync, realpathSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";

/** The file every plan output holds: the mark of a folder the next plan may replace. */
export const PLAN_MARKER = ".cluster-backup-plan";

/** What a plan writes at the top of its folder; a folder of these alone (and resources.json, summary.md) is a plan written before the marker existed. */
const PLAN_ENTRIES = new Set([PLAN_MARKER, "resources.json", "summary.md", "manifests", "coverage.md", "coverage.json", "RESTORE.md"]);

export function planMarkerContent(stack: string): string {
  return `Written by 'npm run plan -- --stack ${stack}'. The next plan replaces this folder as a whole.\n`;
}

/** The path with symbolic links of its existing part resolved. */
function realPath(path: string): string {
  const absolute = resolve(path);
  if (existsSync(absolute)) return realpathSync(absolute);
  const parent = dirname(absolute);
  return parent === absolute ? absolute : join(realPath(parent), absolute.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
}

function isSameOrInside(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : `${outer}${sep}`);
}

/** Folders the plan must never replace, with how to name them, e.g. `{"the project": "/src/cluster-backup"}`. */
type ProtectedDirs = Readonly<Record<string, string>>;

/** Why `out` (absolute) must not be replaced, or undefined when it may. */
export function outDirProblem(out: string, protectedDirs: ProtectedDirs): string | undefined {
  const real = realPath(out);
  for (const [what, dir] of Object.entries(protectedDirs)) {
    if (isSameOrInside(realPath(dir), real)) {
      return `--out '${out}' is or contains ${what} (${dir}); the plan replaces its --out folder as a whole: give a folder of its own such as out/<stack>`;
    }
  }
  if (!existsSync(out)) return undefined;
  const stat = lstatSync(out);
  if (stat.isSymbolicLink()) return `--out '${out}' is a symbolic link; give the folder itself`;
  if (!stat.isDirectory()) return `--out '${out}' is a file, not a folder`;
  const entries = readdirSync(out);
  const earlierPlan = entries.includes(PLAN_MARKER) || (entries.includes("resources.json") && entries.includes("summary.md") && entries.every((e) => PLAN_ENTRIES.has(e)));
  if (entries.length > 0 && !earlierPlan) {
    return `--out '${out}' is not empty and holds no earlier plan (no ${PLAN_MARKER} in it); the plan replaces its --out folder as a whole: give a new or empty folder, or the folder of an earlier plan`;
  }
  return undefined;
}
