/**
 * The architecture's guards: no import cycle anywhere, config flows one way (only the config layer and the one
 * mapping module, components/stack-args.ts, read the stack config), and loading the config loads no module that
 * creates resources.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cycles, importGraph, ROOT } from "./lib/import-graph";

const graph = importGraph();

/** Modules that parse and validate the stack config. */
const CONFIG_LAYER = /^components\/(config[-a-z]*\.ts|guards\/[^/]+\.ts|key-material\.ts|image-pins\.ts)$/;
/** The one module mapping the stack config to component args. */
const MAPPING = "components/stack-args.ts";
/** The stack config's modules: its type (config.ts, config-schema.ts) and its rules. */
const CONFIG_MODULES = ["components/config.ts", "components/config-schema.ts", "components/config-rules.ts", "components/config-namespaces.ts"];
/** Source of a module that creates resources: a component, a Kubernetes object, or the Kubernetes SDK at run time. */
const CREATES_RESOURCES = /extends pulumi\.ComponentResource|new k8s\.|^import \* as k8s from "@pulumi\/kubernetes"/m;

function reachableFrom(start: string): Set<string> {
  const seen = new Set<string>();
  const todo = [start];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    todo.push(...(graph.get(file) ?? []));
  }
  return seen;
}

describe("import graph", () => {
  it("reads value, type-only and re-export imports (so the checks below cannot pass on an empty graph)", () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get("index.ts")).toContain(MAPPING);
    expect(graph.get(MAPPING)).toContain("components/config.ts"); // import type
    expect(graph.get("components/velero/schedules.ts")).toContain("components/velero/schedule-specs.ts"); // export *
  });

  it("finds a cycle when there is one", () => {
    const looped = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["a.ts"]],
      ["e.ts", ["e.ts"]],
    ]);
    expect(cycles(looped)).toEqual([["a.ts", "b.ts", "c.ts"], ["e.ts"]]);
    expect(cycles(new Map([["a.ts", ["b.ts"]], ["b.ts", []]]))).toEqual([]);
  });

  it("has no cycle in index.ts, components/, policy/ and scripts/", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("no component imports the stack config: only the config layer and components/stack-args.ts do", () => {
    const offenders = [...graph]
      .filter(([file]) => file.startsWith("components/") && !CONFIG_LAYER.test(file) && file !== MAPPING)
      .flatMap(([file, targets]) => targets.filter((t) => CONFIG_MODULES.includes(t)).map((t) => `${file} -> ${t}`));
    expect(offenders).toEqual([]);
  });

  it("loading the config loads no module that creates resources", () => {
    const loaded = [...reachableFrom("components/config.ts")];
    expect(loaded).toContain("components/config-rules.ts");
    expect(loaded.filter((file) => CREATES_RESOURCES.test(readFileSync(join(ROOT, file), "utf8")))).toEqual([]);
  });

  it("components/flows is pure: nothing it loads creates resources, uses the Pulumi SDK or reads the stack config", () => {
    const flows = [...graph.keys()].filter((file) => file.startsWith("components/flows/"));
    expect(flows).toEqual(expect.arrayContaining(["components/flows/inventory.ts", "components/flows/types.ts", "components/flows/velero.ts"]));
    const loaded = [...new Set(flows.flatMap((file) => [...reachableFrom(file)]))];
    expect(loaded).toContain("components/monitoring/stale.ts");
    const usesPulumi = /^import (?!type )[^;]*from "@pulumi\//m;
    const impure = loaded.filter((file) => CONFIG_MODULES.includes(file) || CREATES_RESOURCES.test(readFileSync(join(ROOT, file), "utf8")) || usesPulumi.test(readFileSync(join(ROOT, file), "utf8")));
    expect(impure).toEqual([]);
  });

  it("names the provider SDKs by the modules it uses, never by their package index (tsc would check every service's declarations)", () => {
    // @pulumi/aws's index re-exports about 2,700 declaration files and @pulumiverse/scaleway's about 540: naming either
    // in a type doubled `tsc --noEmit` (13 s against about 7 s, README Speed).
    const whole = /(from\s+|import\(\s*|require\(\s*)"(@pulumi\/aws|@pulumiverse\/scaleway)"/;
    const sources = [...importGraph(["index.ts", "components", "policy", "scripts", "test"]).keys()];
    expect(sources.length).toBeGreaterThan(200);
    const typed = sources.filter((file) => {
      const text = readFileSync(join(ROOT, file), "utf8");
      // The one run-time require of each package index (loaded lazily) is typed by a narrower interface next to it.
      return text.split("\n").some((line) => whole.test(line) && !/^\s*(return require|const scaleway: \{)/.test(line));
    });
    expect(typed).toEqual([]);
    expect(readFileSync(join(ROOT, "components/storage/aws.ts"), "utf8")).toMatch(/^import type \* as s3 from "@pulumi\/aws\/s3";$/m);
  });
});
