/**
 * Imported first by index.ts: turns on Node's module compile cache (node:module enableCompileCache, Node >= 22.8) so
 * that every module loaded after it (the provider SDKs, zod, the program's own files as ts-node hands them over) is
 * compiled by V8 from a cached code cache instead of from scratch on the next `pulumi preview`/`up` or `npm run plan`.
 * The same one-liner tsc and ESLint run at start-up. The cache lives in `$NODE_COMPILE_CACHE`, else
 * `<os tmpdir>/node-compile-cache`; entries are keyed by file name and content hash, so a changed file is compiled
 * afresh; NODE_DISABLE_COMPILE_CACHE=1 turns it off. It never throws: a cache that cannot be written is skipped, and a
 * Node.js without the function (older than the engines floor) just runs without it.
 */
import { enableCompileCache } from "node:module";

enableCompileCache?.();
