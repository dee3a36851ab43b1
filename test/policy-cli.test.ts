/**
 * `npm run policy -- <dir>` (docs/plan-contract.md) on hand-written resources.json files: one line per violation
 * `<enforcement> <policy-name> <urn>: <message>`, exit 1 on a mandatory violation, 0 when clean, 2 on a missing or
 * malformed file. In-process (scripts/lib/policy-command.ts); test/integration/commands.test.ts runs the command as a
 * process.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { policy as runPolicy } from "./lib/commands";
import { allFixtureResources, COMPONENT, FIXTURES } from "./policy-fixtures";

const work = mkdtempSync(join(tmpdir(), "policy-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function dirWith(name: string, content: string | undefined): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  if (content !== undefined) writeFileSync(join(dir, "resources.json"), content);
  return dir;
}

function policy(...args: string[]): { status: number | null; lines: string[]; stderr: string } {
  const result = runPolicy(args);
  return { status: result.code, lines: result.stdout.split("\n").filter((l) => l !== ""), stderr: result.stderr };
}

/** The plan's entry shape: the fixtures plus the fields resources.json always has. */
function toJson(resources: ReturnType<typeof allFixtureResources>): string {
  return JSON.stringify(resources.map((r) => ({ urn: r.urn, type: r.type, name: r.name, custom: r.custom, parent: r.parent ?? null, inputs: r.inputs, protect: r.protect, dependsOn: [] })), null, 2);
}

/** images-digest (advisory, prod-only) trips on the shared fixtures; test/policy-images-digest.test.ts covers it. */
const genericConfig = join(work, "generic.json");
writeFileSync(genericConfig, JSON.stringify({ "images-digest": "disabled" }));

const expectedLines = FIXTURES.flatMap((f) => f.expected.map((e) => `mandatory ${f.policy} ${e.urn}: ${e.message}`));

describe("npm run policy -- <dir>", () => {
  it("prints one line per violation of every rule and exits 1; components are not judged", () => {
    const dir = dirWith("violations", toJson([...allFixtureResources(), COMPONENT]));
    const result = policy(dir, "--config", genericConfig);
    expect(result.status).toBe(1);
    expect([...result.lines].sort()).toEqual([...expectedLines].sort());
    expect(result.lines.some((l) => l.includes(COMPONENT.urn))).toBe(false);
  });

  it("prints nothing and exits 0 when only passing objects are present", () => {
    const failing = new Set(FIXTURES.flatMap((f) => f.fail.map((r) => r.urn)));
    const dir = dirWith("clean", toJson(allFixtureResources().filter((r) => !failing.has(r.urn))));
    const result = policy(dir, "--config", genericConfig);
    expect(result.lines).toEqual([]);
    expect(result.status).toBe(0);
  });

  it("reads a policy config (--config) and exits 0 when every violation is advisory", () => {
    const dir = dirWith("advisory", toJson(allFixtureResources()));
    const config = join(work, "advisory.json");
    writeFileSync(config, JSON.stringify({ ...Object.fromEntries(FIXTURES.map((f) => [f.policy, "advisory"])), "images-digest": "disabled" }));
    const result = policy(dir, "--config", config);
    expect(result.status).toBe(0);
    expect([...result.lines].sort()).toEqual(expectedLines.map((l) => l.replace(/^mandatory /, "advisory ")).sort());
  });

  it("exits 2 with a clear message when resources.json is missing, malformed or of the wrong shape", () => {
    const missing = dirWith("missing", undefined);
    const missingRun = policy(missing);
    expect(missingRun).toMatchObject({ status: 2, lines: [] });
    expect(missingRun.stderr).toContain(`error: ${join(missing, "resources.json")} does not exist; run 'npm run plan -- --stack <name> --out ${missing}' first`);

    const broken = dirWith("broken", "[{");
    const brokenRun = policy(broken);
    expect(brokenRun.status).toBe(2);
    expect(brokenRun.stderr).toContain(`error: ${join(broken, "resources.json")} is not valid JSON:`);

    const object = dirWith("object", "{}");
    const objectRun = policy(object);
    expect(objectRun.status).toBe(2);
    expect(objectRun.stderr).toContain(`error: ${join(object, "resources.json")} must hold a JSON array of resources`);

    const noUrn = dirWith("no-urn", JSON.stringify([{ type: "kubernetes:core/v1:Namespace", name: "x", custom: true, inputs: {} }]));
    const noUrnRun = policy(noUrn);
    expect(noUrnRun.status).toBe(2);
    expect(noUrnRun.stderr).toContain(`error: ${join(noUrn, "resources.json")}[0].urn must be a non-empty string (got nothing)`);
  });

  it("exits 2 on a policy config naming no policy of the pack", () => {
    const dir = dirWith("bad-config", "[]");
    const config = join(work, "bad-config.json");
    writeFileSync(config, JSON.stringify({ "tenant-labels": "advisory" }));
    const result = policy(dir, "--config", config);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`error: ${config}: 'tenant-labels' is no policy of the pack; expected one of: tenant-namespace-labels, tenant-label-only-on-tenant-namespaces,`);
  });
});
