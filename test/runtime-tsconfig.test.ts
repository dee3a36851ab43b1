/**
 * `pulumi preview`/`up` must not type-check (tsc does that in CI): Pulumi.yaml names a runtime tsconfig whose own
 * compilerOptions carry `noCheck` (what @pulumi/pulumi's cmd/run reads, see scripts/lib/pulumi-runtime.cjs) and which
 * transpiles with swc, while the main tsconfig stays strict.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./harness";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const { runtimeOptions, nodeArgs } = require("../scripts/lib/pulumi-runtime.cjs") as { runtimeOptions: (root?: string) => Record<string, any>; nodeArgs: (root?: string) => string[] };
const TRANSPILER = "./runtime/swc-transpile-cache.cjs";
// The function cmd/run itself calls (run.js:283).
const { loadTypeScriptCompilerOptions } = require("@pulumi/pulumi/tsutils") as { loadTypeScriptCompilerOptions: (path: string) => Record<string, unknown> };

describe("the Pulumi runtime path does not type-check", () => {
  it("Pulumi.yaml names tsconfig.runtime.json in runtime.options, with TypeScript on, caps V8's young generation and preloads the compile cache", () => {
    expect(runtimeOptions()).toMatchObject({ typescript: true, tsconfig: "tsconfig.runtime.json", nodeargs: "--max-semi-space-size=8 --require ./runtime/compile-cache.cjs" });
    expect(nodeArgs()).toEqual(["--max-semi-space-size=8", "--require", "./runtime/compile-cache.cjs"]);
  });

  it("nodeargs are split at whitespace as shlex splits them; quoting, escapes and comments are refused, not split differently", () => {
    const root = mkdtempSync(join(tmpdir(), "nodeargs-"));
    const project = (nodeargs: string) => writeFileSync(join(root, "Pulumi.yaml"), `name: x\nruntime:\n  name: nodejs\n  options:\n    nodeargs: ${JSON.stringify(nodeargs)}\n`);
    project("  --a=1\t--b  ./c.cjs ");
    expect(nodeArgs(root)).toEqual(["--a=1", "--b", "./c.cjs"]);
    project("--require './my file.cjs'");
    expect(() => nodeArgs(root)).toThrow(`Pulumi.yaml runtime.options.nodeargs: quotes, backslashes and '#' are not split here as shlex would (got "--require './my file.cjs'")`);
    writeFileSync(join(root, "Pulumi.yaml"), "name: x\nruntime:\n  name: nodejs\n  options:\n    nodeargs: 8\n");
    expect(() => nodeArgs(root)).toThrow("Pulumi.yaml runtime.options.nodeargs must be a string (got 8)");
  });

  it("node runs the program in the project root, where the preload's relative path resolves: main is a file there", () => {
    // pulumi pkg/engine/project.go getPwdMain: the working directory is main's directory when main is a file.
    const main = String(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8").match(/^main:\s*(\S+)$/m)?.[1]);
    expect(main).toBe("index.ts");
    expect(statSync(join(ROOT, main)).isFile()).toBe(true);
    expect(statSync(join(ROOT, "runtime", "compile-cache.cjs")).isFile()).toBe(true);
  });

  it("npm run plan, policy and restore start node with Pulumi.yaml's nodeargs, then ts-node's registration", () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    for (const name of ["plan", "policy", "restore"]) {
      expect(scripts[name], name).toBe(["node", ...nodeArgs(), "--require", "ts-node/register", `scripts/${name}.ts`].join(" "));
    }
  });

  it("the runtime tsconfig's own compilerOptions (not inherited) have noCheck, and it extends the strict one", () => {
    const path = join(ROOT, runtimeOptions().tsconfig);
    expect(loadTypeScriptCompilerOptions(path).noCheck).toBe(true);
    const raw = readFileSync(path, "utf8");
    expect(raw).toMatch(/"extends":\s*"\.\/tsconfig\.json"/);
    expect(JSON.parse(raw.replace(/^\s*\/\/.*$/gm, ""))["ts-node"]).toEqual({ transpileOnly: true, transpiler: TRANSPILER });
  });

  it("tsc stays strict: the main tsconfig neither skips checks nor loosens strict; ts-node (the npm scripts) only transpiles, as the runtime does", () => {
    const main = loadTypeScriptCompilerOptions(join(ROOT, "tsconfig.json"));
    expect(main.noCheck).toBeUndefined();
    expect(main.strict).toBe(true);
    expect(JSON.parse(readFileSync(join(ROOT, "tsconfig.json"), "utf8"))["ts-node"]).toEqual({ transpileOnly: true, transpiler: TRANSPILER });
  });

  it("a file with a type error loads under the runtime's registration, with the cached swc transpiler and no type check", () => {
    const dir = mkdtempSync(join(tmpdir(), "runtime-tsconfig-"));
    const file = join(dir, "type-error.ts");
    writeFileSync(file, 'const n: number = "not a number";\nconsole.log(`loaded ${n}`);\n');
    // Started with Pulumi.yaml's nodeargs, as the language host does (the compile cache preloaded).
    const result = spawnSync(process.execPath, [...nodeArgs(), join(ROOT, "scripts", "lib", "pulumi-runtime.cjs"), "--require", file], { cwd: ROOT, encoding: "utf8", env: { ...process.env, PULUMI_NODEJS_TRANSPILE_ONLY: "" } });
    expect(result.stderr).toBe("");
    const [loaded, mode] = result.stdout.trim().split("\n");
    expect(loaded).toBe("loaded not a number");
    expect(JSON.parse(mode)).toEqual({ typescript: true, tsconfig: join(ROOT, "tsconfig.runtime.json"), transpileOnly: true, transpiler: TRANSPILER, typeCheck: false });
    expect(result.status).toBe(0);
  });
  it("evaluating the dev stack that way loads exactly the packages it uses (no unused provider SDK, no policy pack, restore or plan-output code) and fills the compile cache", () => {
    // Started with Pulumi.yaml's nodeargs, as the language host does. The compile cache goes to
    // <os tmpdir>/node-compile-cache (runtime/compile-cache.cjs): a fresh TMPDIR, no NODE_COMPILE_CACHE from outside,
    // so only the preload's call can fill it.
    const tmp = mkdtempSync(join(tmpdir(), "runtime-cache-"));
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
    delete env.NODE_COMPILE_CACHE;
    delete env.NODE_DISABLE_COMPILE_CACHE;
    const result = spawnSync(process.execPath, [...nodeArgs(), join(ROOT, "scripts", "lib", "pulumi-runtime.cjs"), "--stack", "dev"], { cwd: ROOT, encoding: "utf8", env });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const [count, loaded, programLoaded] = result.stdout.trim().split("\n");
    expect(count).toBe("dev: 63 resources");
    const modules = loaded.replace(/^loaded: /, "").split(" ");
    const unwanted = modules.filter((m) => /^(@pulumi\/aws|@pulumiverse\/scaleway|@pulumi\/policy|@kubernetes\/client-node|kubernetes-models|policy\/(index|policies)\.ts|scripts\/lib\/(restore\/|policy-runner|plan-output|coverage|runbook))/.test(m));
    expect(unwanted).toEqual([]);
    // Beyond the bare @pulumi/pulumi import and the ts-node registration (yaml is loaded by the helper itself, to read
    // Pulumi.yaml, before that point): exactly these packages and, outside components/, these files.
    const added = programLoaded.replace(/^program loaded: /, "").split(" ");
    expect(added.filter((m) => !m.endsWith(".ts"))).toEqual(["@pulumi/kubernetes", "@pulumi/random", "@pulumi/tls", "cron-parser", "glob", "luxon", "path-scurry", "zod"]);
    expect(added.filter((m) => m.endsWith(".ts") && !m.startsWith("components/"))).toEqual([
      "index.ts",
      "policy/rules/admission.ts",
      "policy/rules/context.ts",
      "policy/rules/k8s.ts",
      "policy/shared/go-duration.ts",
      "policy/shared/labels.ts",
      "policy/shared/redaction.ts",
      "policy/shared/velero-chart.ts",
      "policy/shared/velero-versions.ts",
    ]);
    expect(added).toContain("components/storage/minio.ts");
    const cacheDir = join(tmp, "node-compile-cache");
    const entries = readdirSync(cacheDir, { recursive: true });
    expect(entries.length).toBeGreaterThan(100);
  });
});
