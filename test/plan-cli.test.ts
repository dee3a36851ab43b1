/**
 * `npm run plan` (docs/plan-contract.md) through scripts/lib/plan-command.ts in-process; test/integration/commands.test.ts
 * runs the command as a process.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./harness";
import { plan } from "./lib/commands";

function filesOf(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else out.set(rel, readFileSync(join(dir, rel), "utf8"));
    }
  };
  walk("");
  return out;
}

function stackDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "plan-stacks-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

describe("npm run plan (docs/plan-contract.md)", () => {
  const tmp = mkdtempSync(join(tmpdir(), "plan-cli-"));
  let first: Map<string, string>;

  beforeAll(async () => {
    const a = await plan(["--stack", "prod", "--out", join(tmp, "a")]);
    expect(a.stderr).toBe("");
    expect(a.code).toBe(0);
    first = filesOf(join(tmp, "a"));
  });

  it("writes resources.json, manifests/ and summary.md", () => {
    expect(first.has("resources.json")).toBe(true);
    expect(first.has("summary.md")).toBe(true);
    const resources = JSON.parse(first.get("resources.json")!) as Record<string, unknown>[];
    expect(resources.length).toBeGreaterThan(0);
    for (const r of resources) {
      expect(Object.keys(r).slice(0, 8)).toEqual(["urn", "type", "name", "custom", "parent", "inputs", "protect", "dependsOn"]);
      expect(String(r.urn)).toMatch(/^urn:pulumi:prod::cluster-backup::/);
    }
    expect(first.get("summary.md")).toMatch(/^# Plan of stack `prod`\n/);
    expect(first.get("summary.md")).toContain("## Resources per component");
    expect(first.get("velero-values.yaml")).toMatch(/^# Values of the Helm chart velero 12\.1\.0 .*\nbackupsEnabled: true\n/);
  });

  it("is byte-identical on a second run (evaluated afresh), and replaces the folder", async () => {
    writeFileSync(join(tmp, "a", "stale.txt"), "left over");
    const again = await plan(["--stack", "prod", "--out", join(tmp, "a")], {}, { fresh: true });
    expect(again.code).toBe(0);
    expect(filesOf(join(tmp, "a"))).toEqual(first);
  });

  it("defaults --out to out/<stack>", async () => {
    const result = await plan(["--stack", "dev"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`→ ${join(ROOT, "out", "dev")}`);
  });

  it("refuses an unknown stack, writing nothing", async () => {
    const result = await plan(["--stack", "staging", "--out", join(tmp, "none")]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe("unknown stack 'staging': there is no Pulumi.staging.yaml (known stacks: dev, prod)");
    expect(existsSync(join(tmp, "none"))).toBe(false);
  });

  it("refuses a missing --stack", async () => {
    const result = await plan([]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe("missing --stack; usage: npm run plan -- --stack <name> [--out <dir>]");
  });

  it("refuses malformed YAML", async () => {
    const dir = stackDir({ "Pulumi.bad.yaml": "config:\n  cluster-backup:environment: [dev\n" });
    const result = await plan(["--stack", "bad", "--out", join(tmp, "bad")], { PLAN_STACK_DIR: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Pulumi\.bad\.yaml is not valid YAML: /);
    expect(existsSync(join(tmp, "bad"))).toBe(false);
  });

  it("prints one line per config problem and leaves an existing folder untouched", async () => {
    const dir = stackDir({
      "Pulumi.typo.yaml": [
        "config:",
        "  cluster-backup:environment: dev",
        "  cluster-backup:kubernetes: {context: kind}",
        "  cluster-backup:flows:",
        "    tenant: {enabled: false}",
        "    system: {schedule: '0 5 * * 8', ttl: -1h}",
        "",
      ].join("\n"),
    });
    const result = await plan(["--stack", "typo", "--out", join(tmp, "a")], { PLAN_STACK_DIR: dir });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      "cluster-backup:flows.system.schedule: not a valid cron expression (Constraint error, got value 8 expected range 0-7) (got \"0 5 * * 8\")",
      "cluster-backup:flows.system.ttl: expected a Go duration with units h, m, s such as '720h0m0s' (30 days) or '168h' (7 days) (got \"-1h\")",
      "cluster-backup:flows.tenant: unknown key; expected one of: tenants, system, garageMetaCeph, garageDataZfs, postgres, benji, zrepl",
    ]);
    expect(filesOf(join(tmp, "a"))).toEqual(first);
  });
});
