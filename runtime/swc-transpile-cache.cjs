/**
 * ts-node's transpiler for this project (the `"ts-node": {"transpiler": ...}` of tsconfig.json and
 * tsconfig.runtime.json): ts-node's own swc transpiler (ts-node 10.9.2 dist/transpilers/swc.js, what `"swc": true`
 * selects), with its output kept on disk. ts-node transpiles every TypeScript file afresh in each process (its cache is
 * in memory); with this, a file whose text, name and compiler options are unchanged since an earlier run is read back
 * instead, and @swc/core's native binary is not even loaded when every file is a hit. Together with the compile cache
 * (runtime/compile-cache.cjs), a second `pulumi preview` or `npm run plan` starts from cached work.
 *
 * - Key: SHA-256 of the ts-node and @swc/core versions, the compiler options, module emit kind and transpiler options
 *   ts-node passes (dist/index.js createTranspileOnlyGetOutputFunction), the file name and its text: everything the
 *   swc transpiler's output depends on.
 * - Place: `node_modules/.cache/cluster-backup-swc/` of the project (npm ci empties it; the transpiler option
 *   `cacheDir`, `"transpiler": [path, {"cacheDir": ...}]`, names another), created owner-only (0700);
 *   an entry is written to a temporary file and renamed into place, so a reader sees all of it or nothing. Not the
 *   shared temporary directory: code read from there would be code another local user could plant.
 * - Size: an entry not read for 30 days is removed by the next run that transpiles a file afresh (a hit refreshes
 *   the entry's modification time), so old versions of edited files do not pile up.
 * - Failure: any cache error (unreadable, not writable, a corrupt entry) falls back to transpiling; it never fails
 *   the run. CLUSTER_BACKUP_TRANSPILE_CACHE=0 turns the cache off.
 */
"use strict";

const { createHash } = require("node:crypto");
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

const CACHE_DIR = join(__dirname, "..", "node_modules", ".cache", "cluster-backup-swc");
/** Entries not used for this long are removed (a run that transpiles anything afresh prunes once). */
const UNUSED_FOR_MS = 30 * 24 * 3600 * 1000;

/** Removes entries (and leftover partial writes) whose modification time, refreshed on every hit, is older than UNUSED_FOR_MS. */
function prune(cacheDir, now) {
  let names;
  try {
    names = readdirSync(cacheDir);
  } catch {
    return;
  }
  for (const name of names) {
    const file = join(cacheDir, name);
    try {
      if (now - statSync(file).mtimeMs > UNUSED_FOR_MS) rmSync(file, { force: true });
    } catch {
      // removed by another run meanwhile
    }
  }
}

/** Marks an entry as used now (kept from pruning); a cache that cannot be written is still read. */
function touch(file) {
  try {
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    // read-only cache
  }
}

/** Versions of what produces the output, read from package.json files (loading @swc/core would load its binary). */
function producerVersions(resolve) {
  const version = (pkg) => JSON.parse(readFileSync(resolve(`${pkg}/package.json`), "utf8")).version;
  return `ts-node ${version("ts-node")}, @swc/core ${version("@swc/core")}`;
}

/**
 * ts-node's transpiler factory contract (ts-node 10.9.2 dist/index.js initializeTranspilerFactory): `create(options)`
 * returns `{ transpile(input, { fileName }) }` giving `{ outputText, sourceMapText }`; `options` carries the service's
 * compiler options, the emit kind and the transpiler options of the tsconfig.
 */
function create(createOptions) {
  const swcTranspiler = require("ts-node/transpilers/swc");
  let delegate;
  const transpileAfresh = (input, options) => (delegate ??= swcTranspiler.create(createOptions)).transpile(input, options);
  if (process.env.CLUSTER_BACKUP_TRANSPILE_CACHE === "0") return { transpile: transpileAfresh };

  const { service, transpilerConfigLocalResolveHelper, cacheDir = CACHE_DIR, ...transpilerOptions } = createOptions;
  let context;
  try {
    // transpilerOptions: the emit kind and what the tsconfig gives the transpiler besides cacheDir (e.g. `swc`).
    context = JSON.stringify([producerVersions(transpilerConfigLocalResolveHelper), service.config.options, transpilerOptions]);
  } catch {
    return { transpile: transpileAfresh };
  }
  let writable = true;
  let pruned = false;
  return {
    transpile(input, options) {
      const key = createHash("sha256").update(context).update("\0").update(options.fileName).update("\0").update(input).digest("hex");
      const file = join(cacheDir, `${key}.json`);
      try {
        const cached = JSON.parse(readFileSync(file, "utf8"));
        if (typeof cached.outputText === "string" && typeof cached.sourceMapText === "string") {
          touch(file);
          return cached;
        }
      } catch {
        // not cached yet, or unreadable: transpiled below
      }
      const result = transpileAfresh(input, options);
      if (writable) {
        try {
          mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
          const partial = `${file}.${process.pid}.tmp`;
          writeFileSync(partial, JSON.stringify({ outputText: result.outputText, sourceMapText: result.sourceMapText }), { mode: 0o600 });
          renameSync(partial, file);
        } catch {
          writable = false;
        }
        if (writable && !pruned) {
          pruned = true;
          prune(cacheDir, Date.now());
        }
      }
      return result;
    },
  };
}

module.exports = { create };
