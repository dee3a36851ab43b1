/**
 * `pulumi preview`/`up` must not type-check (tsc does that in CI): Pulumi.yaml names a runtime tsconfig whose own
 * compilerOptions carry `noCheck` (what @pulumi/pulumi's cmd/run reads, see scripts/lib/pulumi-runtime.cjs) and which
 * transpiles with swc, while the main tsconfig stays strict.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./harness";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const { runtimeOptions } = require("../scripts/lib/pulumi-runtime.cjs") as { runtimeOptions: (root?: string) => Record<string, any> };
// The function cmd/run itself calls (run.js:283).
const { loadTypeScriptCompilerOptions } = require("@pulumi/pulumi/tsutils") as { loadTypeScriptCompilerOptions: (path: string) => Record<string, unknown> };

describe("the Pulumi runtime path does not type-check", () => {
  it("Pulumi.yaml names tsconfig.runtime.json in runtime.options, with TypeScript on, and caps V8's young generation", () => {
    expect(runtimeOptions()).toMatchObject({ typescript: true, tsconfig: "tsconfig.runtime.json", nodeargs: "--max-semi-space-size=8" });
  });

  it("the runtime tsconfig's own compilerOptions (not inherited) have noCheck, and it extends the strict one", () => {
    const path = join(ROOT, runtimeOptions().tsconfig);
    expect(loadTypeScriptCompilerOptions(path).noCheck).toBe(true);
    const raw = readFileSync(path, "utf8");
    expect(raw).toMatch(/"extends":\s*"\.\/tsconfig\.json"/);
    expect(raw).toMatch(/"ts-node":\s*\{\s*"swc":\s*true\s*\}/);
  });

  it("tsc stays strict: the main tsconfig neither skips checks nor loosens strict", () => {
    const main = loadTypeScriptCompilerOptions(join(ROOT, "tsconfig.json"));
    expect(main.noCheck).toBeUndefined();
    expect(main.strict).toBe(true);
  });

  it("a file with a type error loads under the runtime's registration, with swc and no type check", () => {
    const dir = mkdtempSync(join(tmpdir(), "runtime-tsconfig-"));
    const file = join(dir, "type-error.ts");
    writeFileSync(file, 'const n: number = "not a number";\nconsole.log(`loaded ${n}`);\n');
    const result = spawnSync(process.execPath, [join(ROOT, "scripts", "lib", "pulumi-runtime.cjs"), "--require", file], { cwd: ROOT, encoding: "utf8", env: { ...process.env, PULUMI_NODEJS_TRANSPILE_ONLY: "" } });
    expect(result.stderr).toBe("");
    const [loaded, mode] = result.stdout.trim().split("\n");
    expect(loaded).toBe("loaded not a number");
    expect(JSON.parse(mode)).toEqual({ typescript: true, tsconfig: join(ROOT, "tsconfig.runtime.json"), transpileOnly: true, swc: true, typeCheck: false });
    expect(result.status).toBe(0);
  });
  it("evaluating the dev stack that way loads exactly the packages it uses (no unused provider SDK, no policy pack, restore or plan-output code) and fills the compile cache", () => {
    // The compile cache goes to <os tmpdir>/node-compile-cache (components/compile-cache.ts): a fresh TMPDIR, no
    // NODE_COMPILE_CACHE from outside, so only the program's own call can fill it.
    const tmp = mkdtempSync(join(tmpdir(), "runtime-cache-"));
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
    delete env.NODE_COMPILE_CACHE;
    delete env.NODE_DISABLE_COMPILE_CACHE;
    const result = spawnSync(process.execPath, [join(ROOT, "scripts", "lib", "pulumi-runtime.cjs"), "--stack", "dev"], { cwd: ROOT, encoding: "utf8", env });
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

  it("index.ts turns the compile cache on before anything else it imports", () => {
    const firstImport = /^import\s[^;]*;/m.exec(readFileSync(join(ROOT, "index.ts"), "utf8"))?.[0];
    expect(firstImport).toBe('import "./components/compile-cache";');
  });
});
