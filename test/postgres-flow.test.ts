import * as k8s from "@pulumi/kubernetes";
import { beforeAll, describe, expect, it } from "vitest";
import { parseStackConfig } from "../components/config";
import { PostgresBackup } from "../components/postgres/postgres-backup";
import { configProblems, planProgram, planStack, planWith, rawConfig, type Plan } from "./harness";
import { PG_ANNOTATIONS } from "./lib/expected";

const FRAGMENT = {
  metadata: { annotations: PG_ANNOTATIONS },
  spec: { containers: [{ name: "postgres", volumeMounts: [{ name: "backups", mountPath: "/backups" }] }], volumes: [{ name: "backups", emptyDir: { sizeLimit: "20Gi" } }] },
};

/** A foreign Deployment's database container, with non-default hook settings. */
const PANEL_DB = {
  workload: { kind: "Deployment" as const, name: "panel-db", namespace: "panel", container: "db" },
  dumpVolumeSizeLimit: "5Gi",
  hookTimeout: "10m",
  postHookTimeout: "1m",
};

describe("postgres-backup flow, prod: server-side-apply patch of the foreign StatefulSet", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("prod");
  });

  it("registers one StatefulSetPatch carrying only the hook fields", () => {
    const patches = plan.registrations.filter((r) => r.type.endsWith("Patch"));
    expect(patches.map((r) => `${r.type} ${r.name}`)).toEqual(["kubernetes:apps/v1:StatefulSetPatch postgres-patch"]);
    expect(patches[0].inputs).toEqual({
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "postgres", namespace: "postgres", annotations: { "pulumi.com/patchForce": "true" } },
      spec: { template: FRAGMENT },
    });
  });

  it("sets no ownership labels, field manager or any other field on the foreign object", () => {
    const patch = plan.resource("kubernetes:apps/v1:StatefulSetPatch", "postgres-patch").inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(Object.keys(patch.metadata).sort()).toEqual(["annotations", "name", "namespace"]);
    expect(Object.keys(patch.metadata.annotations)).toEqual(["pulumi.com/patchForce"]);
    expect(Object.keys(patch.spec)).toEqual(["template"]);
    expect(Object.keys(patch.spec.template.spec).sort()).toEqual(["containers", "volumes"]);
    expect(Object.keys(patch.spec.template.spec.containers[0]).sort()).toEqual(["name", "volumeMounts"]);
  });

  it("uses the explicit provider and lives under the PostgresBackup component", () => {
    const patch = plan.resource("kubernetes:apps/v1:StatefulSetPatch", "postgres-patch");
    const component = plan.resource("cluster-backup:postgres:PostgresBackup", "postgres");
    expect(patch.parent).toBe(component.urn);
    expect(patch.provider).toMatch(/::pulumi:providers:kubernetes::target::/);
  });

  it("applies no StatefulSet of its own and no demo in prod", () => {
    expect(plan.ofType("kubernetes:apps/v1:StatefulSet").map((r) => r.name)).toEqual([]);
    expect(plan.objects().filter((o) => o.metadata?.namespace === "postgres" || o.metadata?.name === "postgres").map((o) => o.kind)).toEqual(["StatefulSet"]); // the patch only
    expect(plan.ofType("cluster-backup:demo:Demo")).toEqual([]);
  });

  it("exports the fragment for review", () => {
    expect(plan.exports.podTemplatePatch).toEqual({ spec: { template: FRAGMENT } });
  });
});

describe("postgres-backup flow, dev: the demo StatefulSet owned by the program is the target", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("dev");
  });

  it("registers no patch", () => {
    expect(plan.registrations.filter((r) => r.type.endsWith("Patch"))).toEqual([]);
  });

  it("the demo StatefulSet named by flows.postgres.workload has the hooks in its own pod template", () => {
    const sts = plan.object("StatefulSet", "postgres", "postgres");
    expect(sts.spec.template.metadata.annotations).toEqual(PG_ANNOTATIONS);
    expect(sts.spec.template.spec.volumes).toEqual([{ name: "backups", emptyDir: { sizeLimit: "20Gi" } }]);
    expect(sts.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(["postgres"]);
    expect(sts.spec.template.spec.containers[0].volumeMounts).toEqual([
      { name: "data", mountPath: "/var/lib/postgresql/data" },
      { name: "backups", mountPath: "/backups" },
    ]);
    expect(sts.metadata.annotations).toBeUndefined(); // hooks on the StatefulSet object itself would do nothing
  });

  it("still exports the fragment (for an owner elsewhere)", () => {
    expect(plan.exports.podTemplatePatch).toEqual({ spec: { template: FRAGMENT } });
  });
});

describe("postgres-backup flow without patch and without demo", () => {
  it("applies nothing and only exports podTemplatePatch", async () => {
    const plan = await planWith("dev", { demo: { enabled: false } });
    expect(plan.registrations.filter((r) => r.type.endsWith("Patch"))).toEqual([]);
    expect(plan.objects("StatefulSet")).toEqual([]);
    const component = plan.resource("cluster-backup:postgres:PostgresBackup", "postgres");
    expect(plan.registrations.filter((r) => r.parent === component.urn)).toEqual([]);
    expect(plan.exports.podTemplatePatch).toEqual({ spec: { template: FRAGMENT } });
  });

  it("a foreign Deployment is patched with a DeploymentPatch of the same shape", async () => {
    const plan = await planProgram("prod", () => {
      new PostgresBackup("panel-db", { ...PANEL_DB, patchWorkload: true }, { provider: new k8s.Provider("target", { context: "kind-test" }) });
    });
    const patch = plan.resource("kubernetes:apps/v1:DeploymentPatch", "panel-db-patch");
    expect(patch.inputs.kind).toBe("Deployment");
    expect(patch.inputs.metadata).toEqual({ name: "panel-db", namespace: "panel", annotations: { "pulumi.com/patchForce": "true" } });
    const template = (patch.inputs.spec as { template: typeof FRAGMENT }).template;
    expect(template.spec).toEqual({ containers: [{ name: "db", volumeMounts: [{ name: "backups", mountPath: "/backups" }] }], volumes: [{ name: "backups", emptyDir: { sizeLimit: "5Gi" } }] });
    expect(template.metadata.annotations).toEqual({
      ...PG_ANNOTATIONS,
      "pre.hook.backup.velero.io/container": "db",
      "pre.hook.backup.velero.io/timeout": "10m",
      "post.hook.backup.velero.io/container": "db",
      "post.hook.backup.velero.io/timeout": "1m",
    });
    expect(patch.provider).toMatch(/::pulumi:providers:kubernetes::target::/);
  });

  it("refuses to patch without an explicit provider (the ambient kubeconfig may point at another cluster)", async () => {
    await expect(planProgram("prod", () => void new PostgresBackup("panel-db", { ...PANEL_DB, patchWorkload: true }))).rejects.toThrow(
      "PostgresBackup: pass the target cluster's Kubernetes provider as opts.provider",
    );
    const exportOnly = await planProgram("prod", () => void new PostgresBackup("panel-db", PANEL_DB));
    expect(exportOnly.registrations.map((r) => r.type)).toEqual(["cluster-backup:postgres:PostgresBackup"]);
  });
});

describe("postgres-backup config rules", () => {
  const base = {
    environment: "dev",
    kubernetes: { context: "kind-cluster-backup" },
    storage: { minio: { deploy: true } },
    velero: { locations: { default: { backend: "minio", bucket: "velero", prefix: "tenants", default: true }, postgres: { backend: "minio", bucket: "velero", prefix: "postgres" } } },
  };
  function problems(overrides: Record<string, unknown>): string[] {
    return configProblems(rawConfig({ ...base, ...overrides }), [], "dev");
  }

  it("the dev stack shape is valid", () => {
    expect(problems({ flows: { postgres: { enabled: true } }, demo: { enabled: true } })).toEqual([]);
  });

  it("refuses a patch of the demo's own StatefulSet", () => {
    expect(problems({ flows: { postgres: { enabled: true, patchWorkload: true } }, demo: { enabled: true } })).toEqual([
      "cluster-backup:flows.postgres.patchWorkload: the demo Postgres (demo.enabled) is owned by this program and carries the dump hooks in its own pod template; a Patch of the same StatefulSet would fight over the same fields; expected false while demo.enabled is true (got true)",
    ]);
  });

  it("refuses a Deployment workload with the demo", () => {
    expect(problems({ flows: { postgres: { enabled: true, workload: { kind: "Deployment" } } }, demo: { enabled: true } })).toEqual([
      "cluster-backup:flows.postgres.workload.kind: the demo Postgres (demo.enabled) is a StatefulSet; expected 'StatefulSet' while demo.enabled is true (got \"Deployment\")",
    ]);
  });

  it("refuses the demo in prod", () => {
    const raw = rawConfig({ ...base, environment: "prod", demo: { enabled: true } });
    expect(() => parseStackConfig(raw, new Set(), "prod")).toThrow(
      "cluster-backup:demo.enabled: the demo creates tenant namespace 'cust-demo' and a Postgres StatefulSet owned by this program, beside the real ones; expected false in prod (got true)",
    );
  });

  it("refuses a system flow that would back up the Postgres namespace too", () => {
    expect(problems({ flows: { postgres: { enabled: true, workload: { namespace: "db" } }, system: { enabled: true, ttl: "168h" } }, velero: { locations: { ...base.velero.locations, system: { backend: "minio", bucket: "velero", prefix: "system" } } } })).toEqual([
      "cluster-backup:flows.system.excludedNamespaces: does not exclude 'db' (flows.postgres.workload.namespace): system-daily would run the dump hooks a second time and copy the live PGDATA file by file; add 'db' (got [\"cust-*\",\"garage\",\"postgres\",\"backup-system\",\"zrepl\",\"minio\",\"kube-node-lease\",\"kube-public\"])",
    ]);
    expect(problems({ flows: { postgres: { enabled: true, workload: { namespace: "db-main" } }, system: { enabled: true, ttl: "168h", excludedNamespaces: ["db-*", "cust-*", "backup-system", "minio"] } }, velero: { locations: { ...base.velero.locations, system: { backend: "minio", bucket: "velero", prefix: "system" } } } })).toEqual([]);
  });

  it("refuses a dump volume size that is not a byte quantity", () => {
    expect(problems({ flows: { postgres: { enabled: true, dumpVolumeSizeLimit: "500m" } } })).toEqual([
      "cluster-backup:flows.postgres.dumpVolumeSizeLimit: 'm' is milli (thousandths of a byte); expected a size with a unit such as '20Gi' or '500Mi' (Ki, Mi, Gi, Ti, Pi, Ei or k, M, G, T, P, E) (got \"500m\")",
    ]);
  });

  it("refuses a hook timeout that is not a Go duration", () => {
    expect(problems({ flows: { postgres: { enabled: true, hookTimeout: "30 min" } } })).toEqual([
      "cluster-backup:flows.postgres.hookTimeout: expected a positive Go duration such as '30m', '4h' or '1h30m' (got \"30 min\")",
    ]);
  });
});
