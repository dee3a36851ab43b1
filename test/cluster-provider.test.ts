/**
 * The one explicit Kubernetes provider: its cluster identity, the kubeconfig it is given, adoption of existing
 * objects, the default provider denied for the project, and Jobs the provider waits for as long as they may run.
 */
import { describe, expect, it } from "vitest";
import * as k8s from "@pulumi/kubernetes";
import { kubeconfigText } from "../components/cluster";
import { runProgram } from "../scripts/lib/run-program";
import { readStackFile } from "../scripts/lib/stack-file";
import { planStack, planWith, ROOT, type Plan } from "./harness";

const target = (plan: Plan) => plan.resource("pulumi:providers:kubernetes", "target");

describe("clusterIdentifier", () => {
  it("dev: the kubeconfig context names the cluster; no upsert", async () => {
    const inputs = target(await planStack("dev")).inputs;
    expect(inputs.clusterIdentifier).toBe("context:kind-cluster-backup");
    expect(inputs.context).toBe("kind-cluster-backup");
    expect(inputs.upsertExistingObjects).toBeUndefined();
  });

  it("prod: the cluster stack names the cluster, the kubeconfig stays a secret", async () => {
    const plan = await planStack("prod");
    const inputs = target(plan).inputs;
    expect(inputs.clusterIdentifier).toBe("stack:acme/cluster/prod");
    expect(typeof inputs.kubeconfig).toBe("string");
    expect(plan.run.secretMarked.has(inputs.kubeconfig as string)).toBe(true);
    expect(inputs.upsertExistingObjects).toBeUndefined();
  });

  it("kubernetes.adoptExisting turns on upsertExistingObjects", async () => {
    const { config } = readStackFile(ROOT, "prod");
    const kubernetes = { ...JSON.parse(config["cluster-backup:kubernetes"]), adoptExisting: true };
    const velero = { ...JSON.parse(config["cluster-backup:velero"]), repositoryPassword: "existing" };
    const plan = await planWith("prod", { kubernetes, velero }, { veleroRepositoryPassword: "the-existing-kopia-password" });
    expect(target(plan).inputs.upsertExistingObjects).toBe("true"); // provider config travels as strings
    expect(target(plan).inputs.clusterIdentifier).toBe("stack:acme/cluster/prod");
  });
});

describe("kubeconfigText", () => {
  it("passes a string through and turns an object into JSON, never [object Object]", () => {
    expect(kubeconfigText("apiVersion: v1\n", "kubeconfig", "acme/cluster/prod")).toBe("apiVersion: v1\n");
    const object = { apiVersion: "v1", kind: "Config", clusters: [{ name: "c", cluster: { server: "https://k:6443" } }] };
    expect(kubeconfigText(object, "kubeconfig", "acme/cluster/prod")).toBe(JSON.stringify(object));
    expect(JSON.parse(kubeconfigText(object, "kubeconfig", "acme/cluster/prod"))).toEqual(object);
  });

  it("refuses an empty output", () => {
    expect(() => kubeconfigText(undefined, "kubeconfig", "acme/cluster/prod")).toThrow(
      "cluster-backup:kubernetes.kubeconfigOutput: output 'kubeconfig' of the cluster stack acme/cluster/prod (kubernetes.stackReference) is empty; expected the kubeconfig, as YAML or an object",
    );
  });
});

describe("pulumi:disable-default-providers", () => {
  it.each(["dev", "prod"])("%s: the project config denies the default kubernetes provider and every Kubernetes object uses the explicit one", async (stack) => {
    expect(JSON.parse(readStackFile(ROOT, stack).config["pulumi:disable-default-providers"])).toEqual(["kubernetes"]);
    const plan = await planStack(stack);
    const provider = target(plan);
    const objects = plan.registrations.filter((r) => r.type.startsWith("kubernetes:") && r.custom);
    // prod: 68 + the Benji drill account and its three integrity CronJobs + the dashboard ConfigMap.
    expect(objects).toHaveLength(stack === "prod" ? 73 : 46);
    expect(objects.filter((r) => !r.provider?.startsWith(`${provider.urn}::`)).map((r) => `${r.type} ${r.name}`)).toEqual([]);
  });

  it.each([
    ["dev", ["random"]],
    ["prod", ["random", "scaleway", "tls"]],
  ])("%s: only packages whose default provider is wanted go without an explicit one", async (stack, packages) => {
    // random and tls read no config; scaleway's default provider is configured by the stack's scaleway:* keys.
    const plan = await planStack(stack);
    const defaults = plan.registrations.filter((r) => r.custom && !r.provider && !r.type.startsWith("pulumi:")).map((r) => r.type.split(":")[0]);
    expect([...new Set(defaults)].sort()).toEqual(packages);
  });

  it("the offline run refuses a Kubernetes object without an explicit provider, as the engine would", async () => {
    const run = runProgram({
      stack: "dev",
      config: { "pulumi:disable-default-providers": '["kubernetes"]' },
      secretKeys: [],
      load: async () => {
        new k8s.core.v1.Namespace("stray", { metadata: { name: "stray" } });
        return {};
      },
    });
    await expect(run).rejects.toThrow("kubernetes:core/v1:Namespace stray: no explicit provider, and pulumi:disable-default-providers denies the default kubernetes provider");
  });

  it("refuses a value that is not a list of packages", async () => {
    const run = runProgram({ stack: "dev", config: { "pulumi:disable-default-providers": "kubernetes" }, secretKeys: [], load: async () => ({}) });
    await expect(run).rejects.toThrow('pulumi:disable-default-providers: expected a list of package names such as ["kubernetes"] (got "kubernetes")');
  });
});

describe("Jobs the provider waits for", () => {
  // pulumi-kubernetes 4.34.2 waits 10 minutes for a Job unless customTimeouts say otherwise (await/job.go).
  const PROVIDER_DEFAULT_WAIT = 600;
  const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)?.[1] ?? NaN);

  it.each(["dev", "prod"])("%s: every Job has a deadline, and the provider waits 60 s beyond it", async (stack) => {
    const plan = await planStack(stack);
    const jobs = plan.ofType("kubernetes:batch/v1:Job");
    expect(jobs.map((j) => j.name)).toEqual(stack === "prod" ? ["garage-velero-velero-postgres-job", "benji-db-init"] : ["minio-velero-job"]);
    for (const job of jobs) {
      const deadline = (job.inputs.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds;
      expect(deadline, job.name).toBeGreaterThan(0);
      const wait = job.customTimeouts.create ? seconds(job.customTimeouts.create) : PROVIDER_DEFAULT_WAIT;
      expect(wait, job.name).toBe(deadline! + 60);
      expect(job.customTimeouts.update, job.name).toBe(job.customTimeouts.create);
    }
  });

  it("prod: Garage provisioning 900 s → 960s, Benji database init 600 s → 660s", async () => {
    const plan = await planStack("prod");
    const byName = Object.fromEntries(plan.ofType("kubernetes:batch/v1:Job").map((j) => [j.name, j.customTimeouts.create]));
    expect(byName["garage-velero-velero-postgres-job"]).toBe("960s");
    expect(byName["benji-db-init"]).toBe("660s");
  });
});
