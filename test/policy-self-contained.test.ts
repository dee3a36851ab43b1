/**
 * The policy pack is publishable on its own (`pulumi policy publish` ships the policy/ folder only): nothing under
 * policy/ imports a file outside it, every package it imports is declared in policy/package.json at the version the
 * project pins, and the vocabulary it shares with the program (label keys, chart keys, markers) is written once.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import * as labels from "../policy/shared/labels";

const ROOT = resolve(__dirname, "..");
const POLICY = join(ROOT, "policy");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === "node_modules") return [];
    return statSync(path).isDirectory() ? tsFiles(path) : entry.endsWith(".ts") ? [path] : [];
  });
}

/** Module specifiers of import/export-from statements and require calls. */
function specifiers(source: string): string[] {
  const found = [...source.matchAll(/\b(?:import|export)\b[^"'`;]*?\bfrom\s*["']([^"']+)["']/g), ...source.matchAll(/\b(?:import|require)\s*\(\s*["']([^"']+)["']\s*\)/g), ...source.matchAll(/^\s*import\s*["']([^"']+)["']/gm)];
  return found.map((m) => m[1]);
}

const packageJson = (dir: string) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
const packageOf = (spec: string) => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);

describe("the policy pack as a self-contained folder", () => {
  const files = tsFiles(POLICY);

  it("imports no file outside policy/", () => {
    expect(files.length).toBeGreaterThan(10);
    const escaping = files.flatMap((file) =>
      specifiers(readFileSync(file, "utf8"))
        .filter((s) => s.startsWith("."))
        .filter((s) => relative(POLICY, resolve(file, "..", s)).startsWith(".."))
        .map((s) => `${relative(ROOT, file)} imports ${s}`),
    );
    expect(escaping).toEqual([]);
  });

  it("declares every package it imports, at the version the project pins", () => {
    const declared = packageJson(POLICY).dependencies ?? {};
    const imported = new Set(files.flatMap((file) => specifiers(readFileSync(file, "utf8")).filter((s) => !s.startsWith(".") && !s.startsWith("node:")).map(packageOf)));
    expect([...imported].filter((p) => !(p in declared))).toEqual([]);
    const root = packageJson(ROOT);
    const pinned = { ...root.dependencies, ...root.devDependencies };
    // cmd/run-policy-pack compiles with the TypeScript and ts-node it finds beside @pulumi/pulumi (else a vendored 3.8.3).
    expect(Object.keys(declared).sort()).toEqual(["@pulumi/policy", "@pulumi/pulumi", "ts-node", "typescript"]);
    for (const [name, version] of Object.entries(declared)) expect(version, name).toBe(pinned[name]);
  });

  it("has its own strict tsconfig for cmd/run-policy-pack, with a lib that knows ES2022 (Object.hasOwn)", () => {
    const tsconfig = JSON.parse(readFileSync(join(POLICY, "tsconfig.json"), "utf8")) as { compilerOptions: Record<string, unknown> };
    expect(tsconfig.compilerOptions).toMatchObject({ strict: true, target: "ES2022", lib: ["ES2022"] });
  });

  it("spells each shared label or annotation key once, in policy/shared/labels.ts", () => {
    const keys = Object.values(labels)
      .flatMap((v) => (typeof v === "string" ? [v] : Array.isArray(v) ? v : typeof v === "object" && v !== null ? Object.values(v) : []))
      .filter((v): v is string => typeof v === "string" && /[-/.]/.test(v))
      // The ownership label values are the project's own name, written wherever it names itself.
      .filter((v) => !Object.values(labels.OWNERSHIP_LABELS).includes(v));
    expect(keys).toEqual(expect.arrayContaining(["velero.io/exclude-from-backup", "backup-this-pvc", "cust-", "app.kubernetes.io/part-of"]));
    const sources = [...tsFiles(join(ROOT, "components")), ...tsFiles(join(ROOT, "scripts")), ...tsFiles(POLICY), join(ROOT, "index.ts")].filter((f) => f !== join(POLICY, "shared", "labels.ts"));
    const repeated = sources.flatMap((file) => {
      const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
      return keys.filter((key) => ['"', "'", "`"].some((q) => text.includes(`${q}${key}${q}`))).map((key) => `${relative(ROOT, file)}: ${key}`);
    });
    expect(repeated).toEqual([]);
    expect(readFileSync(join(ROOT, "components", "labels.ts"), "utf8")).toContain('export * from "../policy/shared/labels";');
  });
});
