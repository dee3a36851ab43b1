import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..");
const read = (file: string) => readFileSync(join(ROOT, file), "utf8");

/** The rows of the README table under "How stacks reference each other": the output names in its first column. */
function documentedOutputs(readme: string): string[] {
  const section = readme.slice(readme.indexOf("### How stacks reference each other"), readme.indexOf("## The backup flows"));
  return section
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .flatMap((line) => [...line.split("|")[1].matchAll(/`([A-Za-z0-9]+)`/g)].map((m) => m[1]));
}

describe("README", () => {
  it("documents every output index.ts exports, and no other", () => {
    const exported = [...read("index.ts").matchAll(/^export const (\w+)/gm)].map((m) => m[1]).sort();
    expect(documentedOutputs(read("README.md")).sort()).toEqual(exported);
  });

  it("cites no file outside the repository", () => {
    expect(read("README.md")).not.toMatch(/\.\.\/shared|SPEC\.md|CONTRACTS\.md/);
  });
});

describe("pr.yml", () => {
  it("lints like .ci/run", () => {
    expect(read(".ci/run")).toContain("\nnpx eslint .\n");
    expect(read(".github/workflows/pr.yml")).toContain("\n        run: npx eslint .\n");
  });
});
