/**
 * The Velero Schedules (docs/design.md §1, §2(a), §3.4.6): the pure builder on the prod stack config, then the whole program
 * under mocks for prod and dev.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parseStackConfig, type StackConfig } from "../components/config";
import { buildScheduleSpecs, canonicalTtl, systemExcludedNamespaces, veleroCron } from "../components/velero/schedules";
import { readStackFile } from "../scripts/lib/stack-file";
import { planStack, planWith, ROOT, type Obj, type Plan } from "./harness";
import { validateObject, veleroCrdsAvailable, VELERO_CRDS_DIR } from "./lib/conformance";

function stackConfig(stack: string, overrides: Record<string, unknown> = {}): StackConfig {
  const { config, secretKeys } = readStackFile(ROOT, stack);
  const raw = { ...config, ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [`cluster-backup:${k}`, typeof v === "string" ? v : JSON.stringify(v)])) };
  return parseStackConfig(raw, new Set(secretKeys), stack);
}

const LABELS = { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "cluster-backup" };
const schedule = (name: string, flow: string, spec: Obj) => ({
  apiVersion: "velero.io/v1",
  kind: "Schedule",
  metadata: { name, namespace: "backup-system", labels: { ...LABELS, "cluster-backup.io/flow": flow } },
  spec,
});

/** The five Schedules of the prod stack, exactly as docs/design.md §3.4.6 lists them (cron with CRON_TZ). */
const PROD_SCHEDULES = [
  schedule("tenants-daily", "tenants", {
    schedule: "CRON_TZ=UTC 0 1 * * *",
    useOwnerReferencesInBackup: false,
    template: {
      includedNamespaces: ["cust-*"],
      storageLocation: "default",
      ttl: "720h0m0s",
      defaultVolumesToFsBackup: true,
      snapshotVolumes: false,
      metadata: { labels: { "cluster-backup.io/flow": "tenants" } },
    },
  }),
  schedule("system-daily", "system", {
    schedule: "CRON_TZ=UTC 0 5 * * *",
    useOwnerReferencesInBackup: false,
    template: {
      includedNamespaces: ["*"],
      excludedNamespaces: ["cust-*", "garage", "postgres", "backup-system", "zrepl", "minio", "kube-node-lease", "kube-public"],
      includeClusterResources: true,
      storageLocation: "system",
      ttl: "720h0m0s",
      defaultVolumesToFsBackup: true,
      snapshotVolumes: false,
      metadata: { labels: { "cluster-backup.io/flow": "system" } },
    },
  }),
  schedule("garage-meta-ceph", "garage-meta-ceph", {
    schedule: "CRON_TZ=UTC 0 3 * * *",
    useOwnerReferencesInBackup: false,
    template: {
      includedNamespaces: ["garage"],
      labelSelector: { matchLabels: { "backup-this-pvc": "true" } },
      snapshotVolumes: true,
      snapshotMoveData: true,
      defaultVolumesToFsBackup: false,
      storageLocation: "garage-backups",
      csiSnapshotTimeout: "10m",
      ttl: "720h0m0s",
      metadata: { labels: { "cluster-backup.io/flow": "garage-meta-ceph" } },
    },
  }),
  schedule("garage-data-zfs", "garage-data-zfs", {
    schedule: "CRON_TZ=UTC 0 3 * * *",
    useOwnerReferencesInBackup: false,
    template: {
      includedNamespaces: ["garage"],
      labelSelector: { matchLabels: { "backup-strategy": "zfs-local" } },
      snapshotVolumes: true,
      snapshotMoveData: false,
      defaultVolumesToFsBackup: false,
      storageLocation: "garage-backups",
      ttl: "168h0m0s",
      metadata: { labels: { "cluster-backup.io/flow": "garage-data-zfs" } },
    },
  }),
  schedule("postgres-backup", "postgres", {
    schedule: "CRON_TZ=UTC 0 4 * * *",
    useOwnerReferencesInBackup: false,
    template: {
      includedNamespaces: ["postgres"],
      storageLocation: "postgres",
      ttl: "720h0m0s",
      snapshotVolumes: false,
      defaultVolumesToFsBackup: false,
      metadata: { labels: { "cluster-backup.io/flow": "postgres" } },
    },
  }),
];

describe("buildScheduleSpecs (pure)", () => {
  it("builds the five prod Schedules of docs/design.md §3.4.6", () => {
    const specs = buildScheduleSpecs(stackConfig("prod"));
    expect(specs.map((s) => [s.name, s.flow, s.configPath, s.namespace])).toEqual([
      ["tenants-daily", "tenants", "flows.tenants", "backup-system"],
      ["system-daily", "system", "flows.system", "backup-system"],
      ["garage-meta-ceph", "garage-meta-ceph", "flows.garageMetaCeph", "backup-system"],
      ["garage-data-zfs", "garage-data-zfs", "flows.garageDataZfs", "backup-system"],
      ["postgres-backup", "postgres", "flows.postgres", "backup-system"],
    ]);
    expect(specs.map((s) => s.spec)).toEqual(PROD_SCHEDULES.map((s) => s.spec));
  });

  it("only for enabled flows (dev: tenants, system, postgres; ttl normalised to 168h0m0s)", () => {
    const specs = buildScheduleSpecs(stackConfig("dev"));
    expect(specs.map((s) => [s.name, s.spec.template.ttl, s.spec.template.storageLocation])).toEqual([
      ["tenants-daily", "168h0m0s", "default"],
      ["system-daily", "168h0m0s", "system"],
      ["postgres-backup", "720h0m0s", "postgres"],
    ]);
  });

  it("prefixes every cron with the configured zone, UTC included", () => {
    expect(veleroCron("0 1 * * *", "UTC")).toBe("CRON_TZ=UTC 0 1 * * *");
    const specs = buildScheduleSpecs(stackConfig("prod", { timeZone: "Europe/Paris" }));
    expect(specs.map((s) => s.spec.schedule)).toEqual([
      "CRON_TZ=Europe/Paris 0 1 * * *",
      "CRON_TZ=Europe/Paris 0 5 * * *",
      "CRON_TZ=Europe/Paris 0 3 * * *",
      "CRON_TZ=Europe/Paris 0 3 * * *",
      "CRON_TZ=Europe/Paris 0 4 * * *",
    ]);
  });

  it("writes ttls in Go's canonical form", () => {
    expect(["168h", "720h0m0s", "36h30m", "90m"].map(canonicalTtl)).toEqual(["168h0m0s", "720h0m0s", "36h30m0s", "1h30m0s"]);
  });

  it("system-daily leaves out the configured Velero, zrepl and MinIO namespaces when they are renamed", () => {
    const cfg = stackConfig("prod", {
      velero: { ...stackConfig("prod").velero, namespace: "velero" },
      flows: { ...stackConfig("prod").flows, zrepl: { ...stackConfig("prod").flows.zrepl, namespace: "zrepl-system" } },
    });
    expect(systemExcludedNamespaces(cfg)).toEqual(["cust-*", "garage", "postgres", "velero", "zrepl-system", "minio", "kube-node-lease", "kube-public"]);
    expect(buildScheduleSpecs(cfg).every((s) => s.namespace === "velero")).toBe(true);
  });

  it("tenants follow the configured glob, never a label selector", () => {
    const prod = stackConfig("prod");
    const cfg = stackConfig("prod", { flows: { ...prod.flows, tenants: { ...prod.flows.tenants, namespaceGlob: "cust-[0-9]*" } } });
    const tenants = buildScheduleSpecs(cfg)[0].spec.template as Obj;
    expect(tenants.includedNamespaces).toEqual(["cust-[0-9]*"]);
    expect(tenants.labelSelector).toBeUndefined();
    expect(tenants.orLabelSelectors).toBeUndefined();
  });
});

describe("Velero in the prod program", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("prod");
  });

  it("applies exactly the five Schedules", () => {
    expect(plan.objects("Schedule")).toHaveLength(5);
    for (const expected of PROD_SCHEDULES) expect(plan.object("Schedule", expected.metadata.name, "backup-system")).toEqual(expected);
  });

  it.skipIf(!veleroCrdsAvailable())(`every Schedule is valid against the velero.io CRD (${VELERO_CRDS_DIR})`, async () => {
    for (const object of plan.objects("Schedule")) expect(await validateObject(object)).toEqual([]);
  });

  it("no Schedule selects by tenant or backup label, none skips, pauses or owns its backups", () => {
    for (const s of plan.objects("Schedule")) {
      const t = s.spec.template;
      expect(JSON.stringify(t.labelSelector ?? {})).not.toMatch(/"(tenant|backup)"/);
      expect(t.orLabelSelectors).toBeUndefined();
      expect(s.spec.skipImmediately).toBeUndefined();
      expect(s.spec.paused).toBeUndefined();
      expect(s.spec.useOwnerReferencesInBackup).toBe(false);
      expect(t.defaultVolumesToRestic).toBeUndefined();
    }
    expect(plan.object("Schedule", "tenants-daily").spec.template.labelSelector).toBeUndefined();
  });

  it("Schedules wait for the chart and the snapshot classes", () => {
    const chart = plan.resource("kubernetes:helm.sh/v4:Chart", "velero");
    // A dependency on a component is a dependency on each of its children.
    const classes = plan.ofType("kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshotClass").map((r) => r.urn);
    expect(classes).toHaveLength(2);
    for (const s of plan.ofType("kubernetes:velero.io/v1:Schedule")) expect([...s.dependsOn].sort()).toEqual([chart.urn, ...classes].sort());
  });

  it("creates the labelled VolumeSnapshotClasses for Ceph RBD and ZFS", () => {
    expect(plan.objects("VolumeSnapshotClass").map((c) => [c.metadata.name, c.driver, c.deletionPolicy, c.metadata.labels["velero.io/csi-volumesnapshot-class"]]).sort()).toEqual([
      ["velero-ceph-rbd", "rook-ceph.rbd.csi.ceph.com", "Delete", "true"],
      ["velero-zfs", "zfs.csi.openebs.io", "Retain", "true"],
    ]);
  });

  it("turns EnableCSI on, renders the four used locations, and protects the kopia password", () => {
    const values = (plan.resource("kubernetes:helm.sh/v4:Chart", "velero").inputs as Obj).values;
    expect(values.configuration.features).toBe("EnableCSI");
    expect(values.configuration.backupStorageLocation.map((b: Obj) => [b.name, b.bucket, b.credential.name])).toEqual([
      ["default", "acme-k8s-prod-velero", "velero-cred-scaleway"],
      ["system", "acme-k8s-prod-velero", "velero-cred-scaleway"],
      ["garage-backups", "acme-k8s-prod-velero", "velero-cred-scaleway"],
      ["postgres", "velero-postgres", "velero-cred-garage"],
    ]);
    const repo = plan.registrationOf("Secret", "velero-repo-credentials", "backup-system");
    expect([repo.protect, repo.retainOnDelete]).toEqual([true, true]);
    const chart = plan.resource("kubernetes:helm.sh/v4:Chart", "velero");
    expect(chart.dependsOn).toContain(repo.urn);
    expect(plan.registrations.indexOf(repo)).toBeLessThan(plan.registrations.indexOf(chart));
    const garageJob = plan.registrations.find((r) => r.type === "kubernetes:batch/v1:Job" && (r.inputs as Obj).metadata.namespace === "garage");
    expect(chart.dependsOn).toContain(garageJob!.urn);
  });

  it("exports the locations, the schedule names and the kopia password as a secret", () => {
    expect(plan.exports.schedules).toEqual(["tenants-daily", "system-daily", "garage-meta-ceph", "garage-data-zfs", "postgres-backup"]);
    expect(plan.exports.backupStorageLocations.postgres).toEqual({ backend: "garage", bucket: "velero-postgres", prefix: "postgres", endpoint: "http://garage.garage.svc.cluster.local:3900", region: "garage" });
    expect(plan.exports.backupStorageLocations.default).toEqual({ backend: "scaleway", bucket: "acme-k8s-prod-velero", prefix: "tenants", endpoint: "https://s3.fr-par.scw.cloud", region: "fr-par" });
    expect(plan.exports.kopiaRepositoryPassword).toHaveLength(48);
    expect(plan.run.secretMarked.has(plan.exports.kopiaRepositoryPassword)).toBe(true);
  });

  it("runs the opt-out safety net every 15 minutes", () => {
    const cron = plan.object("CronJob", "tenant-backup-optout", "backup-system");
    expect([cron.spec.schedule, cron.spec.timeZone, cron.spec.concurrencyPolicy]).toEqual(["*/15 * * * *", "UTC", "Forbid"]);
  });
});

describe("Velero in the dev program", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("dev");
  });

  it("has no CSI: no EnableCSI, no snapshot classes; MinIO credentials; Schedules wait for the chart only", () => {
    const chart = plan.resource("kubernetes:helm.sh/v4:Chart", "velero");
    const values = (chart.inputs as Obj).values;
    expect("features" in values.configuration).toBe(false);
    expect("extraArgs" in values.configuration).toBe(false);
    expect(values.credentials).toEqual({ useSecret: true, existingSecret: "velero-cred-minio" });
    expect(plan.objects("VolumeSnapshotClass")).toEqual([]);
    expect(plan.objects("Schedule").map((s) => s.metadata.name).sort()).toEqual(["postgres-backup", "system-daily", "tenants-daily"]);
    for (const s of plan.ofType("kubernetes:velero.io/v1:Schedule")) expect(s.dependsOn).toEqual([chart.urn]);
  });

  it("does not protect the kopia password", () => {
    expect(plan.resource("random:index/randomPassword:RandomPassword", "velero-repo-password").protect).toBe(false);
  });
});

describe("Velero program variants", () => {
  it("no opt-out CronJob when optOutSync is off; no tenants Schedule when the flow is off", async () => {
    const dev = readStackFile(ROOT, "dev").config;
    const flows = JSON.parse(dev["cluster-backup:flows"]);
    const off = await planWith("dev", { flows: { ...flows, tenants: { ...flows.tenants, optOutSync: false } } });
    expect(off.objects("CronJob").map((c) => c.metadata.name)).not.toContain("tenant-backup-optout");
    expect(off.objects("Schedule").map((s) => s.metadata.name)).toContain("tenants-daily");
    const noTenants = await planWith("dev", { flows: { ...flows, tenants: { enabled: false } } });
    expect(noTenants.objects("Schedule").map((s) => s.metadata.name).sort()).toEqual(["postgres-backup", "system-daily"]);
    expect(noTenants.objects("CronJob").map((c) => c.metadata.name)).not.toContain("tenant-backup-optout");
  });

  it("the opt-out CronJob defaults off only when admission runs in Deny mode (docs/design.md §3.4.7)", async () => {
    const dev = readStackFile(ROOT, "dev").config;
    const flows = JSON.parse(dev["cluster-backup:flows"]);
    const tenantsDefault = { ...flows.tenants };
    delete tenantsDefault.optOutSync;
    const deny = await planWith("dev", { flows: { ...flows, tenants: tenantsDefault }, policy: { admission: { action: "Deny" } } });
    expect(deny.objects("CronJob").map((c) => c.metadata.name)).not.toContain("tenant-backup-optout");
    const warn = await planWith("dev", { flows: { ...flows, tenants: tenantsDefault }, policy: { admission: { action: "Warn" } } });
    expect(warn.objects("CronJob").map((c) => c.metadata.name)).toContain("tenant-backup-optout");
    const forced = await planWith("dev", { flows: { ...flows, tenants: { ...tenantsDefault, optOutSync: true } }, policy: { admission: { action: "Deny" } } });
    expect(forced.objects("CronJob").map((c) => c.metadata.name)).toContain("tenant-backup-optout");
  });
});
