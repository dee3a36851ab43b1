/**
 * runtime/swc-transpile-cache.cjs, the ts-node transpiler the runtime and the npm scripts use: through ts-node's own
 * service (as `pulumi preview` and `npm run plan` reach it), its output equals ts-node's swc transpiler's, hit or
 * miss; what changes the output gets a new entry; a hit does not load @swc/core; a corrupt entry or an unwritable
 * cache never fails a run; the cache is owner-only and prunes entries unused for 30 days.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./harness";

const TRANSPILER = join(ROOT, "runtime", "swc-transpile-cache.cjs");
const SOURCE = 'import { join } from "node:path";\nconst n: number = 1;\nexport const p: string = join("a", String(n));\n';

interface Service {
  compile(code: string, fileName: string): string;
}
const tsNode = require("ts-node") as { create(options: object): Service };

/** A ts-node service as the runtime registers one (transpile only), with the cached transpiler or ts-node's plain swc one. */
function service(cacheDir: string | undefined, compilerOptions: object = {}): Service {
  // ts-node/transpilers/swc is what `"swc": true` selects (ts-node 10.9.2 dist/index.js).
  const transpiler = cacheDir === undefined ? "ts-node/transpilers/swc" : [TRANSPILER, { cacheDir }];
  return tsNode.create({ project: join(ROOT, "tsconfig.json"), transpileOnly: true, compilerOptions, transpiler });
}

const freshDir = () => join(mkdtempSync(join(tmpdir(), "transpile-cache-")), "cache");
const entries = (dir: string) => readdirSync(dir).sort();
const FILE = join(ROOT, "components", "probe.ts");

describe("the cached swc transpiler", () => {
  it("gives exactly ts-node's swc output, first transpiled and then read back, with one entry per file", () => {
    const plain = service(undefined).compile(SOURCE, FILE);
    const dir = freshDir();
    expect(service(dir).compile(SOURCE, FILE)).toBe(plain);
    expect(entries(dir)).toHaveLength(1);
    expect(entries(dir)[0]).toMatch(/^[0-9a-f]{64}\.json$/);
    expect(service(dir).compile(SOURCE, FILE)).toBe(plain);
    expect(entries(dir)).toHaveLength(1);
  });

  it("a changed text, another file name or other compiler options are transpiled afresh, each into an entry of its own", () => {
    const dir = freshDir();
    service(dir).compile(SOURCE, FILE);
    const changed = SOURCE.replace("1", "2");
    expect(service(dir).compile(changed, FILE)).toBe(service(undefined).compile(changed, FILE));
    expect(entries(dir)).toHaveLength(2);
    service(dir).compile(SOURCE, join(ROOT, "components", "other.ts"));
    expect(entries(dir)).toHaveLength(3);
    // A class field stays one in ES2022 (tsconfig.json's target) and becomes a constructor assignment in ES2017.
    const field = "export class A { x = 1; }\n";
    const es2017 = service(dir, { target: "ES2017" }).compile(field, FILE);
    expect(es2017).toBe(service(undefined, { target: "ES2017" }).compile(field, FILE));
    expect(service(dir).compile(field, FILE)).not.toBe(es2017);
    expect(entries(dir)).toHaveLength(5);
  });

  it("a hit does not load @swc/core; a miss does", () => {
    const dir = freshDir();
    service(dir).compile(SOURCE, FILE);
    const probe = (source: string) => {
      const script = `const ts = require("ts-node");
        const s = ts.create({ project: ${JSON.stringify(join(ROOT, "tsconfig.json"))}, transpileOnly: true, transpiler: [${JSON.stringify(TRANSPILER)}, { cacheDir: ${JSON.stringify(dir)} }] });
        s.compile(${JSON.stringify(source)}, ${JSON.stringify(FILE)});
        console.log(Object.keys(require.cache).some((f) => f.includes("/@swc/core")));`;
      const r = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" });
      expect(r.stderr).toBe("");
      return r.stdout.trim();
    };
    expect(probe(SOURCE)).toBe("false");
    expect(probe(`${SOURCE}// changed\n`)).toBe("true");
  });

  it("a corrupt entry is transpiled again and replaced", () => {
    const dir = freshDir();
    const plain = service(dir).compile(SOURCE, FILE);
    const [entry] = entries(dir);
    for (const garbage of ["not json", '{"outputText": 1}', ""]) {
      writeFileSync(join(dir, entry), garbage);
      expect(service(dir).compile(SOURCE, FILE)).toBe(plain);
      expect(Object.keys(JSON.parse(readFileSync(join(dir, entry), "utf8")))).toEqual(["outputText", "sourceMapText"]);
    }
  });

  it("a cache that cannot be created or written still transpiles, and a read-only one is still read", () => {
    const blocked = mkdtempSync(join(tmpdir(), "transpile-cache-"));
    writeFileSync(join(blocked, "file"), "");
    const plain = service(undefined).compile(SOURCE, FILE);
    expect(service(join(blocked, "file", "cache")).compile(SOURCE, FILE)).toBe(plain);

    const dir = freshDir();
    service(dir).compile(SOURCE, FILE);
    chmodSync(dir, 0o500);
    try {
      expect(service(dir).compile(SOURCE, FILE)).toBe(plain);
      expect(service(dir).compile(`${SOURCE}// new\n`, FILE)).toBe(service(undefined).compile(`${SOURCE}// new\n`, FILE));
    } finally {
      chmodSync(dir, 0o700);
    }
  });

  it("is owner-only: the directory 0700, entries 0600", () => {
    const dir = freshDir();
    service(dir).compile(SOURCE, FILE);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, entries(dir)[0])).mode & 0o777).toBe(0o600);
  });

  it("a run that transpiles afresh removes entries unused for 30 days; a hit keeps an entry fresh", () => {
    const dir = freshDir();
    service(dir).compile(SOURCE, FILE);
    const [used] = entries(dir);
    service(dir).compile("export const stale = 1;\n", FILE);
    const stale = entries(dir).find((e) => e !== used)!;
    const old = new Date(Date.now() - 31 * 24 * 3600 * 1000);
    const recent = new Date(Date.now() - 29 * 24 * 3600 * 1000);
    utimesSync(join(dir, used), old, old);
    utimesSync(join(dir, stale), old, old);
    writeFileSync(join(dir, "leftover.tmp"), "");
    utimesSync(join(dir, "leftover.tmp"), old, old);
    writeFileSync(join(dir, "young.tmp"), "");
    utimesSync(join(dir, "young.tmp"), recent, recent);
    const s = service(dir);
    s.compile(SOURCE, FILE); // a hit: refreshes `used`
    s.compile("export const fresh = 1;\n", FILE); // a miss: prunes
    expect(entries(dir)).toHaveLength(3);
    expect(entries(dir)).toContain(used);
    expect(entries(dir)).toContain("young.tmp");
    expect(entries(dir)).not.toContain(stale);
  });

  it("CLUSTER_BACKUP_TRANSPILE_CACHE=0 turns it off: nothing written", () => {
    const dir = freshDir();
    const script = `require("ts-node").create({ project: ${JSON.stringify(join(ROOT, "tsconfig.json"))}, transpileOnly: true, transpiler: [${JSON.stringify(TRANSPILER)}, { cacheDir: ${JSON.stringify(dir)} }] }).compile(${JSON.stringify(SOURCE)}, ${JSON.stringify(FILE)}); console.log("ok");`;
    const r = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8", env: { ...process.env, CLUSTER_BACKUP_TRANSPILE_CACHE: "0" } });
    expect(r.stdout.trim()).toBe("ok");
    expect(() => readdirSync(dir)).toThrow(/ENOENT/);
  });
});
