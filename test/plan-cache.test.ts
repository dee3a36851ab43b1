/**
 * The plan cache's key (test/lib/plan-cache.ts) covers every file an evaluation depends on: a file it missed would let
 * the tests read runs of an older program.
 */
import { relative } from "node:path";
import { describe, expect, it } from "vitest";
import { cacheSources, runKey } from "./lib/plan-cache";
import { importGraph, ROOT } from "./lib/import-graph";

describe("the plan cache key", () => {
  const covered = new Set(cacheSources().map((f) => relative(ROOT, f)));

  it("covers every project file index.ts and the mock runner import, as TypeScript resolves them", () => {
    const graph = importGraph(["index.ts", "components", "policy", "scripts"]);
    const reachable = new Set<string>();
    const visit = (file: string) => {
      if (reachable.has(file)) return;
      reachable.add(file);
      for (const next of graph.get(file) ?? []) visit(next);
    };
    visit("index.ts");
    visit("scripts/lib/run-program.ts");
    expect(reachable.size).toBeGreaterThan(50);
    expect([...reachable].filter((f) => !covered.has(f))).toEqual([]);
    // Non-TypeScript files the components read at run time.
    expect(covered).toContain("components/drills/restore-drill.sh");
    expect(covered).toContain("package-lock.json");
  });

  it("leaves out what the program does not import, so editing it keeps the recorded runs", () => {
    for (const file of ["scripts/lib/coverage.ts", "scripts/lib/runbook.ts", "scripts/lib/plan-command.ts", "scripts/lib/restore/run.ts", "policy/index.ts", "test/plan-cli.test.ts"]) {
      expect(covered.has(file), file).toBe(false);
    }
  });

  it("tells configurations apart by stack, config, secret keys and secret values, not by their order", () => {
    const key = runKey("dev", { "cluster-backup:a": "1", "cluster-backup:b": "2" }, ["cluster-backup:b"]);
    expect(runKey("dev", { "cluster-backup:b": "2", "cluster-backup:a": "1" }, ["cluster-backup:b", "cluster-backup:b"])).toBe(key);
    expect(runKey("prod", { "cluster-backup:a": "1", "cluster-backup:b": "2" }, ["cluster-backup:b"])).not.toBe(key);
    expect(runKey("dev", { "cluster-backup:a": "1", "cluster-backup:b": "3" }, ["cluster-backup:b"])).not.toBe(key);
    expect(runKey("dev", { "cluster-backup:a": "1", "cluster-backup:b": "2" }, [])).not.toBe(key);
    expect(runKey("dev", { "cluster-backup:a": "1", "cluster-backup:b": "2" }, ["cluster-backup:b"], ["2"])).not.toBe(key);
  });
});
