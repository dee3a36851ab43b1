/**
 * Preloaded by node itself (`--require ./runtime/compile-cache.cjs`) before anything else runs: in Pulumi.yaml's
 * `runtime.options.nodeargs` for `pulumi preview`/`up`, and in package.json's plan, policy and restore scripts. It
 * turns on Node's module compile cache (node:module enableCompileCache, Node >= 22.8), so every module loaded after it
 * (TypeScript and ts-node, the Pulumi SDK and providers, zod, the program's own files as ts-node hands them over) is
 * compiled by V8 from a cached code cache instead of from scratch on the next run. The same one-liner tsc and ESLint
 * run at start-up. The cache lives in `$NODE_COMPILE_CACHE`, else `<os tmpdir>/node-compile-cache`; entries are keyed
 * by file name and content hash, so a changed file is compiled afresh; NODE_DISABLE_COMPILE_CACHE=1 turns it off. It
 * never throws: a cache that cannot be written is skipped, and a Node.js without the function just runs without it.
 *
 * A relative path: node resolves it from its working directory, which for the program is the project root (the
 * engine takes the directory of `main` as the working directory, pulumi pkg/engine/project.go getPwdMain; the
 * language host is started there, sdk/go/common/resource/plugin/plugin.go newPlugin `cmd.Dir = pwd`, and starts
 * node without changing it, sdk/nodejs/cmd/pulumi-language-nodejs/main.go execRuntime), and for an npm script the
 * package's directory.
 */
"use strict";

require("node:module").enableCompileCache?.();
