/**
 * Loads TypeScript exactly as the Pulumi CLI's Node.js runtime does for this project, from the Pulumi.yaml runtime
 * options, so `npm run bench` and test/runtime-tsconfig.test.ts measure and check the path `pulumi preview` takes.
 *
 * pulumi-language-nodejs (sdk/nodejs/cmd/pulumi-language-nodejs/main.go, parseOptions and Run) turns
 * `runtime.options.typescript` into PULUMI_NODEJS_TYPESCRIPT=true and `runtime.options.tsconfig` into
 * PULUMI_NODEJS_TSCONFIG_PATH; @pulumi/pulumi 3.270.0 cmd/run/index.js:30 requires `source-map-support/register` (the
 * SDK's own dependency, for every program), then cmd/run/run.js
 *   - :241-242 takes that path (default tsconfig.json, relative to the program directory),
 *   - :280-299 reads the file's own compilerOptions with tsutils.loadTypeScriptCompilerOptions (no `extends`) and sets
 *     ts-node's transpileOnly from PULUMI_NODEJS_TRANSPILE_ONLY when set, else from compilerOptions.noCheck (unset:
 *     ts-node type-checks),
 *   - :300-310 builds the ts-node options (project = that file, so its "ts-node" block applies),
 *   - :319 loads the typescript module for its version check,
 *   - :348-361 (package.json `type` is not `module`, so not the ESM branch) registers ts-node with target ES2020,
 *     module/moduleResolution nodenext and sourceMap, overridden by the file's compilerOptions.
 *
 * CLI: node scripts/lib/pulumi-runtime.cjs --stack <name>   evaluates index.ts under the SDK's mocks (as `npm run
 *      plan` does, without writing files) and prints the resource count, what it loaded (packages, project files),
 *      and what the program added to the ts-node registration and the bare `@pulumi/pulumi` import (without this helper's
 *      own scripts/ files);
 *      node scripts/lib/pulumi-runtime.cjs --require <file>  only loads the file.
 */
const { existsSync, readFileSync } = require("node:fs");
const { dirname, join, resolve } = require("node:path");

const ROOT = resolve(__dirname, "..", "..");

/** The `runtime.options` of Pulumi.yaml. */
function runtimeOptions(root = ROOT) {
  const { parse } = require("yaml");
  const project = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8"));
  return (project.runtime && project.runtime.options) || {};
}

/**
 * `runtime.options.nodeargs` as the arguments node receives: pulumi-language-nodejs splits the option with
 * github.com/google/shlex (main.go execRuntime, `shlex.Split(opts.nodeargs)`), which for words without quotes,
 * backslashes or `#` is a split at whitespace; an option using those is refused here rather than split differently.
 */
function nodeArgs(root = ROOT) {
  const value = runtimeOptions(root).nodeargs ?? "";
  if (typeof value !== "string") throw new Error(`Pulumi.yaml runtime.options.nodeargs must be a string (got ${JSON.stringify(value)})`);
  if (/["'\\#]/.test(value)) throw new Error(`Pulumi.yaml runtime.options.nodeargs: quotes, backslashes and '#' are not split here as shlex would (got ${JSON.stringify(value)})`);
  return value.split(/\s+/).filter(Boolean);
}

/** Installs source-map-support and registers ts-node as cmd/run does; returns what it decided. */
function registerLikePulumi(root = ROOT) {
  const options = runtimeOptions(root);
  // cmd/run/index.js:30, before anything else of the program's: the formatter ts-node's own then wraps.
  require(require.resolve("source-map-support/register", { paths: [dirname(require.resolve("@pulumi/pulumi/cmd/run"))] }));
  if (options.typescript === false) return { typescript: false };
  const tsConfigPath = join(root, options.tsconfig || "tsconfig.json");
  if (!existsSync(tsConfigPath)) throw new Error(`tsconfig path was set to ${tsConfigPath} but the file was not found`);
  const tsutils = require("@pulumi/pulumi/tsutils");
  const compilerOptions = tsutils.loadTypeScriptCompilerOptions(tsConfigPath);
  const env = process.env.PULUMI_NODEJS_TRANSPILE_ONLY;
  const transpileOnly = env ? env === "true" : compilerOptions.noCheck;
  const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
  require(typescriptRequire);
  const service = require(tsnodeRequire).register({
    compiler: typescriptRequire,
    transpileOnly,
    project: tsConfigPath,
    skipProject: false,
    compilerOptions: { target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true", ...compilerOptions },
  });
  const transpiler = service.options.transpiler ?? (service.options.swc ? "swc" : "typescript");
  return { typescript: true, tsconfig: tsConfigPath, transpileOnly, transpiler, typeCheck: !service.options.transpileOnly && !service.options.swc };
}

/** The files of the module tree a loaded module pulled in (itself and what it required first), e.g. the SDK's index. */
function modulesUnder(file) {
  const seen = new Set();
  const todo = [require.cache[file]];
  while (todo.length > 0) {
    const mod = todo.pop();
    if (!mod || seen.has(mod.filename)) continue;
    seen.add(mod.filename);
    todo.push(...mod.children);
  }
  return [...seen];
}

/** Packages (`@scope/name`) and project files (relative paths) among `files` (default: all loaded so far), sorted. */
function loadedModules(files = Object.keys(require.cache)) {
  const found = new Set();
  for (const file of files) {
    const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (inPackage) found.add(inPackage[1]);
    else if (file.startsWith(ROOT)) found.add(file.slice(ROOT.length + 1));
  }
  return [...found].sort();
}

module.exports = { runtimeOptions, nodeArgs, registerLikePulumi };

if (require.main === module) {
  const [flag, value, ...rest] = process.argv.slice(2);
  if (!["--require", "--stack"].includes(flag) || !value || rest.length > 0) {
    console.error("usage: node scripts/lib/pulumi-runtime.cjs --stack <name> | --require <file>");
    process.exit(2);
  }
  const mode = registerLikePulumi();
  if (flag === "--require") {
    require(resolve(value));
    console.log(JSON.stringify(mode));
  } else if (flag === "--stack") {
    const runtimeLoaded = new Set(loadedModules());
    const { readStackFile } = require("./stack-file.ts");
    const { runProgram } = require("./run-program.ts");
    const { config, secretKeys, secretValues } = readStackFile(ROOT, value);
    runProgram({ stack: value, config, secretKeys, secretValues, load: async () => require(join(ROOT, "index.ts")) }).then(
      (run) => {
        console.log(`${value}: ${run.registrations.length} resources`);
        const loaded = loadedModules();
        console.log(`loaded: ${loaded.join(" ")}`);
        const sdk = new Set(loadedModules(modulesUnder(require.resolve("@pulumi/pulumi"))));
        // @swc/core is the runtime's transpiler, loaded when a file is not in the transpile cache yet (runtime/swc-transpile-cache.cjs).
        console.log(`program loaded: ${loaded.filter((m) => !runtimeLoaded.has(m) && !sdk.has(m) && !m.startsWith("scripts/") && !m.startsWith("@swc/")).join(" ")}`);
      },
      (err) => {
        console.error(err instanceof Error ? err.message : String(err));
        process.exit(1);
      },
    );
  }
}
