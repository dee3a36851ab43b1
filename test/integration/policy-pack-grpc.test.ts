/**
 * The policy pack as the Pulumi CLI runs it: started through @pulumi/pulumi's own `cmd/run-policy-pack` entry point in
 * its directory (which type-checks it with ts-node and policy/tsconfig.json), then driven over gRPC with the analyzer
 * stubs that ship in @pulumi/pulumi/proto — GetAnalyzerInfo, Configure, Analyze (resource policies: inputs) and
 * AnalyzeStack (stack policies: outputs) — with every rule's violating and passing fixtures.
 * (a) the pack in place (policy/, dependencies resolved from the repository's node_modules);
 * (b) the pack copied alone into an empty temporary folder and installed there from its own package.json and lock
 *     file (`npm install`, registry needed), as `pulumi policy publish` ships it.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policies } from "../../policy/policies";
import { RULES } from "../../policy/rules/index";
import type { PolicyResource } from "../../policy/rules/types";
import { startFakeEngine, type FakeEngine } from "../lib/fake-engine";
import { PolicyPackHost, type AnalyzedResource, type Diagnostic } from "../lib/policy-pack-host";
import { FIXTURES, PACK_CONFIG } from "../policy-fixtures";

const ROOT = join(__dirname, "..", "..");
const STACK_POLICIES = new Set(policies.filter((p) => "validateStack" in p).map((p) => p.name));

function wire(r: PolicyResource): AnalyzedResource {
  return { type: r.type, urn: r.urn, name: r.name, properties: r.inputs as Record<string, unknown>, protect: r.protect, parent: r.parent };
}

const only = (found: Diagnostic[], policy: string) => found.filter((d) => d.policy === policy).map(({ urn, message }) => ({ urn, message }));
/** @pulumi/policy 1.21.0 server.js makeReportViolationFun: the CLI shows the policy's description, a newline, the message. */
const asReported = (policy: string, message: string) => `${RULES.find((r) => r.name === policy)!.description}\n${message}`;
const byUrnAndMessage = (a: { urn: string; message: string }, b: { urn: string; message: string }) => (a.urn + a.message < b.urn + b.message ? -1 : 1);

function packTests(label: string, packDir: () => string, timeouts: { setup: number }) {
  describe(label, () => {
    let engine: FakeEngine;
    let pack: PolicyPackHost;

    beforeAll(async () => {
      engine = await startFakeEngine();
      pack = await PolicyPackHost.start(packDir(), engine.address);
      // The CLI's --policy-pack-config: a resource policy sees one resource, so the fixtures' Ceph RBD class is named here.
      await pack.configure(PACK_CONFIG);
    }, timeouts.setup);

    afterAll(async () => {
      await pack?.stop();
      await engine?.close();
    });

    it("serves GetAnalyzerInfo: the pack's name and every rule at its enforcement level (all mandatory but images-digest)", async () => {
      const info = await pack.info();
      expect(info.name).toBe("cluster-backup");
      expect(info.policies.map((p) => p.name).sort()).toEqual(RULES.map((r) => r.name).sort());
      expect(info.policies.filter((p) => p.enforcementLevel !== "mandatory").map((p) => [p.name, p.enforcementLevel])).toEqual([["images-digest", "advisory"]]);
    });

    for (const fixture of FIXTURES) {
      const stackPolicy = STACK_POLICIES.has(fixture.policy);
      it(`${fixture.policy}: ${stackPolicy ? "AnalyzeStack" : "Analyze"} flags every bad case with the exact message and passes the good ones`, async () => {
        let found: { urn: string; message: string }[];
        if (stackPolicy) {
          found = only(await pack.analyzeStack([...fixture.pass, ...fixture.fail].map(wire)), fixture.policy);
          expect(only(await pack.analyzeStack(fixture.pass.map(wire)), fixture.policy)).toEqual([]);
        } else {
          found = [];
          for (const r of fixture.fail) found.push(...only(await pack.analyze(wire(r)), fixture.policy));
          for (const r of fixture.pass) expect(only(await pack.analyze(wire(r)), fixture.policy), r.urn).toEqual([]);
        }
        expect(found.sort(byUrnAndMessage)).toEqual(fixture.expected.map(({ urn, message }) => ({ urn, message: asReported(fixture.policy, message) })).sort(byUrnAndMessage));
      });
    }

    it("a resource policy does not run in AnalyzeStack (outputs), nor a stack policy in Analyze", async () => {
      const schedules = FIXTURES.find((f) => f.policy === "schedule-ttl")!;
      expect(only(await pack.analyzeStack(schedules.fail.map(wire)), "schedule-ttl")).toEqual([]);
      const vsc = FIXTURES.find((f) => f.policy === "vsc-velero-label")!;
      for (const r of vsc.fail) expect(only(await pack.analyze(wire(r)), "vsc-velero-label")).toEqual([]);
    });

    it("reports violations as mandatory and logs no error to the engine", async () => {
      const tenant = FIXTURES.find((f) => f.policy === "tenant-namespace-labels")!.fail[0];
      const found = await pack.analyze(wire(tenant));
      expect(found.map((d) => [d.policy, d.enforcementLevel])).toEqual([["tenant-namespace-labels", "mandatory"]]);
      expect(engine.logs.filter((l) => l.severity === "error")).toEqual([]);
      expect(pack.stderr()).not.toMatch(/error/i);
    });
  });
}

packTests("(a) the policy pack in place, started by cmd/run-policy-pack in policy/", () => join(ROOT, "policy"), { setup: 60_000 });

// (b) needs the npm registry (or a warm npm cache) and takes 20-60 s: it installs the pack's own dependencies.
describe("(b) the policy pack copied alone into an empty folder", () => {
  const dir = mkdtempSync(join(tmpdir(), "cluster-backup-policy-"));
  let installed = false;

  beforeAll(() => {
    cpSync(join(ROOT, "policy"), dir, { recursive: true, filter: (src) => !src.split(/[\\/]/).includes("node_modules") });
    const npm = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: dir, encoding: "utf8", env: process.env });
    if (npm.status !== 0) throw new Error(`npm install in the copied pack failed (${npm.status}):\n${npm.stderr}`);
    installed = true;
  }, 90_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("installs from its own package.json: @pulumi/policy, @pulumi/pulumi, TypeScript and ts-node at the project's versions", () => {
    expect(installed).toBe(true);
    // @pulumi/policy publishes its version as "v1.21.0".
    const version = (pkg: string) => (require(join(dir, "node_modules", pkg, "package.json")) as { version: string }).version.replace(/^v/, "");
    const root = require(join(ROOT, "package.json")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const pinned = { ...root.dependencies, ...root.devDependencies };
    for (const pkg of ["@pulumi/policy", "@pulumi/pulumi", "typescript", "ts-node"]) expect(version(pkg), pkg).toBe(pinned[pkg]);
  });

  packTests("started by its own cmd/run-policy-pack", () => dir, { setup: 60_000 });
});
