/**
 * Each stack configuration is evaluated once per version of the sources, whichever test file asks first; the others
 * read the recorded run from disk. The key is a hash of everything a run depends on: the program's sources (every file
 * of components/, which the components also read at run time, and every project file index.ts and the mock runner
 * import, transitively; the lock file; this harness) and the run's stack, config and secret keys. Files the program
 * does not import (the plan writer, coverage, runbook, restore CLI, the policy pack's entry, the tests) are not part of
 * it, so editing them keeps the recorded runs.
 * A configuration being evaluated by one worker is waited for by the others (a lock file beside the entry), so
 * parallel test files do not evaluate it twice. Failed runs are not recorded. PLAN_CACHE=off turns the cache off.
 *
 * Entries are v8-serialized (structured clone: Sets, undefined members and key order survive); every read returns
 * fresh objects, so a test may mutate what it gets.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { deserialize, serialize } from "node:v8";
import type { ProgramRun } from "../../scripts/lib/run-program";

const ROOT = join(__dirname, "..", "..");
const CACHE_ROOT = join(ROOT, "node_modules", ".cache", "cluster-backup-plans");
/** Files a run depends on besides the program's imports (directories are walked, node_modules skipped). */
const SOURCES = ["components", "package-lock.json", "test/harness.ts", "test/lib/plan-cache.ts"];
/** Where the program's imports start: the program and what runs it under the mocks. */
const ENTRIES = ["index.ts", "scripts/lib/run-program.ts"];
/** Relative module specifiers of import/export-from, `import "x"`, `import("x")` and `require("x")`. */
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g;
const WAIT_MS = 120_000;

let sourcesHashMemo: string | undefined;

function walk(path: string, into: string[]): void {
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) if (entry !== "node_modules") walk(join(path, entry), into);
  } else into.push(path);
}

function resolveImport(from: string, specifier: string): string | undefined {
  const base = join(dirname(from), specifier);
  return [base, `${base}.ts`, join(base, "index.ts")].find((f) => existsSync(f) && statSync(f).isFile());
}

/** Every file the key covers (absolute paths, sorted). */
export function cacheSources(): string[] {
  const files = new Set<string>();
  for (const source of SOURCES) {
    const found: string[] = [];
    walk(join(ROOT, source), found);
    found.forEach((f) => files.add(f));
  }
  const components = join(ROOT, "components");
  const queue = [...ENTRIES.map((e) => join(ROOT, e)), ...[...files].filter((f) => f.startsWith(components) && f.endsWith(".ts"))];
  for (const f of ENTRIES) files.add(join(ROOT, f));
  while (queue.length > 0) {
    const file = queue.pop()!;
    for (const [, specifier] of readFileSync(file, "utf8").matchAll(RELATIVE_IMPORT)) {
      const target = resolveImport(file, specifier);
      if (target && !files.has(target)) {
        files.add(target);
        if (target.endsWith(".ts")) queue.push(target);
      }
    }
  }
  return [...files].sort();
}

/** sha256 over the path and content of every file of {@link cacheSources}. */
export function sourcesHash(): string {
  if (sourcesHashMemo) return sourcesHashMemo;
  const files = cacheSources();
  const hash = createHash("sha256");
  for (const file of files) hash.update(relative(ROOT, file)).update("\0").update(readFileSync(file)).update("\0");
  return (sourcesHashMemo = hash.digest("hex").slice(0, 16));
}

/** The cache key of one run (`secretValues`: the stack file's exact secret strings, when the run is given them). */
export function runKey(stack: string, config: Record<string, string>, secretKeys: string[], secretValues?: string[]): string {
  const canonical = JSON.stringify([stack, Object.entries(config).sort(([a], [b]) => a.localeCompare(b)), [...new Set(secretKeys)].sort(), ...(secretValues ? [[...secretValues].sort()] : [])]);
  return createHash("sha256").update(canonical).digest("hex").slice(0, 24);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Entries of older sources are of no further use. */
function dropStaleEntries(current: string): void {
  if (!existsSync(CACHE_ROOT)) return;
  for (const dir of readdirSync(CACHE_ROOT)) if (dir !== current) rmSync(join(CACHE_ROOT, dir), { recursive: true, force: true });
}

/** The recorded run of this configuration, evaluating it with `evaluate` when no worker has yet. */
export async function cachedRun(stack: string, config: Record<string, string>, secretKeys: string[], evaluate: () => Promise<ProgramRun>, secretValues?: string[]): Promise<ProgramRun> {
  if (process.env.PLAN_CACHE === "off") return evaluate();
  const hash = sourcesHash();
  const dir = join(CACHE_ROOT, hash);
  const entry = join(dir, `${runKey(stack, config, secretKeys, secretValues)}.v8`);
  const lock = `${entry}.lock`;
  if (!existsSync(dir)) {
    dropStaleEntries(hash);
    mkdirSync(dir, { recursive: true });
  }
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    if (existsSync(entry)) return deserialize(readFileSync(entry)) as ProgramRun;
    let fd: number | undefined;
    try {
      fd = openSync(lock, "wx");
    } catch {
      // Another worker evaluates it: wait, unless it died or takes far too long.
      const holder = Number(readFileSafe(lock));
      if ((holder && !alive(holder)) || Date.now() > deadline) rmSync(lock, { force: true });
      else await sleep(50);
      continue;
    }
    try {
      writeSync(fd, String(process.pid));
      closeSync(fd);
      const bytes = serialize(await evaluate());
      const staging = `${entry}.${process.pid}.tmp`;
      writeFileSync(staging, bytes);
      renameSync(staging, entry);
      return deserialize(bytes) as ProgramRun;
    } finally {
      rmSync(lock, { force: true });
    }
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
