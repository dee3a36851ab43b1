/**
 * The program as the Pulumi CLI runs it: index.ts through @pulumi/pulumi's own `cmd/run` entry point with the runtime
 * options and tsconfig Pulumi.yaml names (ts-node type-checks unless that tsconfig says noCheck), the stack config the
 * way the language host passes it, against the fake engine and resource monitor of test/lib. A program that would not
 * compile or run under the CLI fails here; what it registers must be what `npm run plan` registers under the mocks.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policyReport } from "../../scripts/lib/policy-runner";
import { readStackFile } from "../../scripts/lib/stack-file";
import { planStack, ROOT, type Plan } from "../harness";
import { startFakeEngine, type FakeEngine } from "../lib/fake-engine";
import { PolicyPackHost, type Diagnostic } from "../lib/policy-pack-host";
import { readProjectFile, runThroughCli, type CliRun } from "../lib/program-host";

const STACKS = ["dev", "prod"] as const;

describe("the program under Pulumi's cmd/run (pulumi preview), per stack", () => {
  const runs = new Map<string, CliRun>();
  const plans = new Map<string, Plan>();
  let engine: FakeEngine;
  let pack: PolicyPackHost;

  beforeAll(async () => {
    engine = await startFakeEngine();
    // Both stacks and the policy pack at once: each type-checks in its own process.
    await Promise.all([
      ...STACKS.map(async (stack) => {
        const { config, secretKeys } = readStackFile(ROOT, stack);
        runs.set(stack, await runThroughCli({ root: ROOT, stack, config, secretKeys }));
      }),
      PolicyPackHost.start(join(ROOT, "policy"), engine.address).then((p) => (pack = p)),
    ]);
    for (const stack of STACKS) plans.set(stack, await planStack(stack));
  }, 400_000);

  afterAll(async () => {
    await pack?.stop();
    await engine?.close();
  });

  it("reads the runtime options from Pulumi.yaml (TypeScript, the tsconfig it names)", () => {
    const project = readProjectFile(ROOT);
    expect(project.name).toBe("cluster-backup");
    expect(project.main).toBe("index.ts");
    expect(project.options.typescript).toBe(true);
  });

  for (const stack of STACKS) {
    describe(stack, () => {
      it("completes: exit 0, no error logged to the engine, no invoke", () => {
        const run = runs.get(stack)!;
        const errors = run.logs.filter((l) => l.severity === "error").map((l) => l.message);
        expect({ exitCode: run.exitCode, errors, invokes: run.invokes }, run.stderr).toEqual({ exitCode: 0, errors: [], invokes: [] });
      });

      it("registers the stack resource, then exactly what `npm run plan` registers (same URNs, kinds, order of types)", () => {
        const run = runs.get(stack)!;
        const [root, ...rest] = run.registrations;
        expect(root).toMatchObject({ type: "pulumi:pulumi:Stack", name: `cluster-backup-${stack}`, urn: `urn:pulumi:${stack}::cluster-backup::pulumi:pulumi:Stack::cluster-backup-${stack}` });
        const plan = plans.get(stack)!.registrations;
        expect(rest.map((r) => r.urn).sort()).toEqual(plan.map((r) => r.urn).sort());
        expect(rest.length).toBe(plan.length);
        const types = (list: { type: string }[]) => Object.entries(list.reduce<Record<string, number>>((n, r) => ({ ...n, [r.type]: (n[r.type] ?? 0) + 1 }), {})).sort();
        expect(types(rest)).toEqual(types(plan));
      });

      it("passes the policy pack as `pulumi preview --policy-pack policy` would run it: Analyze per registration, then AnalyzeStack", async () => {
        const run = runs.get(stack)!;
        const found: Diagnostic[] = [];
        const registered = run.registrations.filter((r) => r.kind === "register");
        for (const r of registered) found.push(...(await pack.analyze({ type: r.type, urn: r.urn, name: r.name, properties: r.inputs, protect: r.protect, parent: r.parent })));
        // Outputs: a custom resource's are its inputs plus what the provider computes; a component's what it registered.
        const outputs = registered.map((r) => ({ type: r.type, urn: r.urn, name: r.name, properties: r.custom ? r.inputs : (run.componentOutputs.get(r.urn) ?? {}), protect: r.protect, parent: r.parent }));
        found.push(...(await pack.analyzeStack(outputs)));
        expect(registered.length).toBe(run.registrations.length - (stack === "prod" ? 1 : 0));
        // What the offline runner reports for the same stack, and nothing mandatory (prod: the advisory images-digest
        // lines of its tag-only image waivers).
        expect(found.filter((d) => d.enforcementLevel === "mandatory")).toEqual([]);
        const offline = policyReport(plans.get(stack)!.run).lines.map((line) => line.split(": ")[0]);
        expect(found.map((d) => `${d.enforcementLevel} ${d.policy} ${d.urn}`).sort()).toEqual(offline.sort());
        expect(offline).toHaveLength(stack === "prod" ? 13 : 0);
      });

      it("sends the same inputs for every Kubernetes object as the plan", () => {
        const run = runs.get(stack)!;
        const plan = new Map(plans.get(stack)!.registrations.map((r) => [r.urn, r]));
        const k8s = run.registrations.filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm"));
        expect(k8s).toHaveLength(stack === "prod" ? 73 : 46);
        for (const r of k8s) expect(JSON.parse(JSON.stringify(r.inputs)), r.urn).toEqual(JSON.parse(JSON.stringify(plan.get(r.urn)!.inputs)));
      });
    });
  }

  it("dev and prod differ as their configs say (prod reads the cluster stack's kubeconfig)", () => {
    const reads = (stack: string) => runs.get(stack)!.registrations.filter((r) => r.kind === "read").map((r) => r.type);
    expect(reads("prod")).toEqual(["pulumi:pulumi:StackReference"]);
    expect(reads("dev")).toEqual([]);
    expect(runs.get("prod")!.registrations.length).toBeGreaterThan(runs.get("dev")!.registrations.length);
  });
});
