/**
 * The Velero, SnapshotClasses, Schedules and TenantOptOutSync components with literal args (fake S3Targets), under
 * the SDK's mocks.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { S3Target } from "../components/storage/types";
import { Velero, type VeleroArgs } from "../components/velero/velero";
import { SnapshotClasses } from "../components/velero/snapshot-classes";
import { TenantOptOutSync } from "../components/velero/optout";
import { optOutAdmissionPolicySpec } from "../components/velero/optout-admission";
import { buildPlanFiles } from "../scripts/lib/plan-output";
import { planProgram, type Obj, type Plan } from "./harness";
import { OWNERSHIP, PSA_PRIVILEGED } from "./lib/expected";
import { fakeGarageTarget } from "./lib/fake-targets";

const CHART = "kubernetes:helm.sh/v4:Chart";
const SCW_KEY = "SCWABCDEFGHIJKLMNOPQ";
const SCW_SECRET = "0f0e0d0c-aaaa-4bbb-8ccc-000000000001";
const GARAGE_KEY = "GK0123456789abcdef01234567";
const GARAGE_SECRET = "garage-secret-0123456789abcdef0123456789abcdef0123456789abcdef01";

function scaleway(): S3Target {
  return {
    backend: "scaleway",
    bucket: pulumi.output("acme-k8s-prod-velero"),
    endpoint: "https://s3.fr-par.scw.cloud",
    region: "fr-par",
    forcePathStyle: true,
    checksumAlgorithm: undefined,
    versioned: true,
    noncurrentVersionDays: 14,
    objectLock: false,
    accessKeyId: pulumi.output(SCW_KEY),
    secretAccessKey: pulumi.secret(SCW_SECRET),
    ready: [],
  };
}

function garage(bucket: string, key: string, ready: pulumi.Resource[]): S3Target {
  return fakeGarageTarget(bucket, key, GARAGE_SECRET, ready);
}

function program(overrides: Partial<VeleroArgs> = {}, extraGarage = false) {
  return () => {
    const provider = new k8s.Provider("target", { context: "kind-test" });
    // Stands in for a Garage provisioning Job the chart must wait for.
    const job = new k8s.core.v1.ConfigMap("garage-job", { metadata: { name: "garage-job", namespace: "garage" } }, { provider });
    const scw = scaleway();
    const velero = new Velero(
      "velero",
      {
        production: true,
        concurrentBackups: 2,
        serviceMonitor: true,
        enableCsi: true,
        locations: {
          default: { target: scw, prefix: "tenants", default: true },
          system: { target: scw, prefix: "system", default: false },
          postgres: { target: garage("velero-postgres", GARAGE_KEY, [job]), prefix: "postgres", default: false },
          ...(extraGarage ? { archive: { target: garage("velero-archive", "GK99999999999999999999999a", []), default: false } } : {}),
        },
        ...overrides,
      },
      { provider },
    );
    return { kopiaRepositoryPassword: velero.repositoryPassword, backupStorageLocations: velero.backupStorageLocations };
  };
}

describe("Velero component (prod-like, literal targets)", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planProgram("prod", program());
  });

  it("creates the namespace with PSA privileged and ownership labels", () => {
    expect(plan.object("Namespace", "backup-system").metadata.labels).toEqual({
      ...OWNERSHIP,
      ...PSA_PRIVILEGED,
    });
  });

  it("creates one credentials Secret per backend key, key `cloud`, as an AWS shared-credentials file", () => {
    const scw = plan.object("Secret", "velero-cred-scaleway", "backup-system");
    expect(scw.stringData).toEqual({ cloud: `[default]\naws_access_key_id=${SCW_KEY}\naws_secret_access_key=${SCW_SECRET}\n` });
    expect(scw.metadata.labels).toEqual(OWNERSHIP);
    const gar = plan.object("Secret", "velero-cred-garage", "backup-system");
    expect(gar.stringData).toEqual({ cloud: `[default]\naws_access_key_id=${GARAGE_KEY}\naws_secret_access_key=${GARAGE_SECRET}\n` });
    expect(plan.objects("Secret").map((s) => s.metadata.name).sort()).toEqual(["velero-cred-garage", "velero-cred-scaleway", "velero-repo-credentials"]);
    for (const name of ["velero-cred-scaleway", "velero-cred-garage"]) {
      expect(plan.run.secretMarked.has(plan.object("Secret", name).stringData.cloud)).toBe(true);
    }
  });

  it("creates the kopia password Secret from a 48-character RandomPassword without special characters, protected", () => {
    const password = plan.resource("random:index/randomPassword:RandomPassword", "velero-repo-password");
    expect(password.inputs).toEqual({ length: 48, special: false });
    expect([password.protect, password.retainOnDelete]).toEqual([true, true]);
    const secret = plan.object("Secret", "velero-repo-credentials", "backup-system");
    expect(Object.keys(secret.stringData)).toEqual(["repository-password"]);
    expect(secret.stringData["repository-password"]).toHaveLength(48);
    expect(plan.run.secretMarked.has(secret.stringData["repository-password"])).toBe(true);
    const reg = plan.registrationOf("Secret", "velero-repo-credentials");
    expect([reg.protect, reg.retainOnDelete]).toEqual([true, true]);
    expect(plan.exports.kopiaRepositoryPassword).toBe(secret.stringData["repository-password"]);
  });

  it("registers the repository password before the chart, and the chart waits for it, the namespace, the credentials and the provisioning jobs", () => {
    const chart = plan.resource(CHART, "velero");
    const order = plan.registrations.map((r) => r.urn);
    const repo = plan.registrationOf("Secret", "velero-repo-credentials");
    expect(order.indexOf(repo.urn)).toBeLessThan(order.indexOf(chart.urn));
    const expected = [
      plan.registrationOf("Namespace", "backup-system").urn,
      plan.registrationOf("Secret", "velero-cred-scaleway").urn,
      plan.registrationOf("Secret", "velero-cred-garage").urn,
      repo.urn,
      plan.registrationOf("ConfigMap", "garage-job").urn,
    ];
    expect([...chart.dependsOn].sort()).toEqual([...expected].sort());
  });

  it("installs chart velero 12.1.0 as release velero in backup-system with the built values", () => {
    const chart = plan.resource(CHART, "velero");
    expect(chart.provider).toContain("pulumi:providers:kubernetes::target");
    const { values, ...rest } = chart.inputs as Obj;
    expect(rest).toEqual({ chart: "velero", version: "12.1.0", repositoryOpts: { repo: "https://vmware-tanzu.github.io/helm-charts" }, namespace: "backup-system", name: "velero" });
    expect(values.credentials).toEqual({ useSecret: true, existingSecret: "velero-cred-scaleway" });
    expect(values.configuration.features).toBe("EnableCSI");
    expect(values.configuration.extraArgs).toEqual(["--concurrent-backups=2"]);
    expect(values.metrics.serviceMonitor).toEqual({ enabled: true, autodetect: false });
    expect(values.configuration.backupStorageLocation.map((b: Obj) => [b.name, b.bucket, b.prefix, b.credential.name, b.config.s3Url])).toEqual([
      ["default", "acme-k8s-prod-velero", "tenants", "velero-cred-scaleway", "https://s3.fr-par.scw.cloud"],
      ["system", "acme-k8s-prod-velero", "system", "velero-cred-scaleway", "https://s3.fr-par.scw.cloud"],
      ["postgres", "velero-postgres", "postgres", "velero-cred-garage", "http://garage.garage.svc.cluster.local:3900"],
    ]);
    expect(JSON.stringify(values)).not.toContain(SCW_SECRET);
  });

  it("exports the locations other stacks read", () => {
    expect(plan.exports.backupStorageLocations).toEqual({
      default: { backend: "scaleway", bucket: "acme-k8s-prod-velero", prefix: "tenants", endpoint: "https://s3.fr-par.scw.cloud", region: "fr-par" },
      system: { backend: "scaleway", bucket: "acme-k8s-prod-velero", prefix: "system", endpoint: "https://s3.fr-par.scw.cloud", region: "fr-par" },
      postgres: { backend: "garage", bucket: "velero-postgres", prefix: "postgres", endpoint: "http://garage.garage.svc.cluster.local:3900", region: "garage" },
    });
  });

  it("leaves no secret value readable in the plan output", () => {
    const files = buildPlanFiles("prod", plan.run).files;
    const all = [...files.values()].join("\n");
    const password = plan.object("Secret", "velero-repo-credentials").stringData["repository-password"];
    for (const secret of [SCW_SECRET, GARAGE_SECRET, GARAGE_KEY, password]) expect(all).not.toContain(secret);
    expect(files.get("manifests/secret--backup-system--velero-repo-credentials.yaml")).toContain('repository-password: "[secret]"');
  });
});

describe("Velero component variants", () => {
  it("legacy-default: no password Secret (Velero writes static-passw0rd), exported as a secret", async () => {
    const plan = await planProgram("prod", program({ repositoryPassword: "legacy-default" }));
    expect(plan.ofType("random:index/randomPassword:RandomPassword")).toEqual([]);
    expect(plan.objects("Secret").map((s) => s.metadata.name)).not.toContain("velero-repo-credentials");
    expect(plan.exports.kopiaRepositoryPassword).toBe("static-passw0rd");
    expect(plan.run.secretMarked.has("static-passw0rd")).toBe(true);
  });

  it("'existing' without the password is refused first thing in the constructor, naming the config secret", async () => {
    await expect(planProgram("prod", program({ repositoryPassword: "existing" }))).rejects.toThrow(
      "Velero velero: repositoryPassword 'existing' needs existingRepositoryPassword (config: the secret veleroRepositoryPassword)",
    );
  });

  it("outside production nothing is protected", async () => {
    const plan = await planProgram("dev", program({ production: false }));
    expect(plan.resource("random:index/randomPassword:RandomPassword", "velero-repo-password").protect).toBe(false);
    expect(plan.registrationOf("Secret", "velero-repo-credentials").retainOnDelete).toBe(false);
  });

  it("a second key on the same backend gets its own Secret, named after its location", async () => {
    const plan = await planProgram("prod", program({}, true));
    expect(plan.objects("Secret").map((s) => s.metadata.name).sort()).toEqual(["velero-cred-garage", "velero-cred-garage-archive", "velero-cred-scaleway", "velero-repo-credentials"]);
    const bsl = (plan.resource(CHART, "velero").inputs as Obj).values.configuration.backupStorageLocation.find((b: Obj) => b.name === "archive");
    expect(bsl).toEqual({
      name: "archive",
      provider: "aws",
      bucket: "velero-archive",
      default: false,
      credential: { name: "velero-cred-garage-archive", key: "cloud" },
      config: { region: "garage", s3Url: "http://garage.garage.svc.cluster.local:3900", s3ForcePathStyle: "true" },
    });
  });

  it("refuses to run without an explicit provider", async () => {
    await expect(planProgram("dev", () => void new Velero("velero", { locations: { default: { target: scaleway(), default: true } } }))).rejects.toThrow(
      "Velero: pass the target cluster's Kubernetes provider as opts.provider",
    );
  });
});

describe("SnapshotClasses component (docs/design.md §3.4.5)", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planProgram("prod", () => {
      const provider = new k8s.Provider("target", { context: "kind-test" });
      new SnapshotClasses(
        "snapshot-classes",
        { cephRbd: { driver: "rook-ceph.rbd.csi.ceph.com", clusterID: "rook-ceph", snapshotterSecret: { name: "rook-csi-rbd-provisioner", namespace: "rook-ceph" } }, zfs: { driver: "zfs.csi.openebs.io" } },
        { provider },
      );
    });
  });

  it("creates velero-ceph-rbd (Delete) and velero-zfs (Retain), labelled for Velero", () => {
    const labels = { ...OWNERSHIP, "velero.io/csi-volumesnapshot-class": "true" };
    expect(plan.object("VolumeSnapshotClass", "velero-ceph-rbd")).toEqual({
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshotClass",
      metadata: { name: "velero-ceph-rbd", labels },
      driver: "rook-ceph.rbd.csi.ceph.com",
      deletionPolicy: "Delete",
      parameters: {
        clusterID: "rook-ceph",
        "csi.storage.k8s.io/snapshotter-secret-name": "rook-csi-rbd-provisioner",
        "csi.storage.k8s.io/snapshotter-secret-namespace": "rook-ceph",
      },
    });
    expect(plan.object("VolumeSnapshotClass", "velero-zfs")).toEqual({
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshotClass",
      metadata: { name: "velero-zfs", labels },
      driver: "zfs.csi.openebs.io",
      deletionPolicy: "Retain",
    });
    expect(plan.registrationOf("VolumeSnapshotClass", "velero-zfs").type).toBe("kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshotClass");
  });
});

describe("TenantOptOutSync component (docs/design.md §3.4.7)", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planProgram("prod", () => {
      const provider = new k8s.Provider("target", { context: "kind-test" });
      new TenantOptOutSync("tenant-optout", { namespace: "backup-system", schedule: "*/15 * * * *", timeZone: "Europe/Paris" }, { provider });
    });
  });
  const flowLabels = { ...OWNERSHIP, "cluster-backup.io/flow": "tenant-optout" };

  it("runs every 15 minutes in the Velero namespace, never concurrently, in the configured zone", () => {
    const cron = plan.object("CronJob", "tenant-backup-optout", "backup-system");
    expect(cron.metadata.labels).toEqual(flowLabels);
    const { jobTemplate, ...spec } = cron.spec;
    expect(spec).toEqual({ schedule: "*/15 * * * *", timeZone: "Europe/Paris", concurrencyPolicy: "Forbid", startingDeadlineSeconds: 300, successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 3 });
    expect(jobTemplate.spec.ttlSecondsAfterFinished).toBeUndefined();
    expect(jobTemplate.spec.template.metadata.labels).toEqual(flowLabels);
  });

  it("labels backup=false tenants first, then unlabels tenants that are not backup=false, with kubectl and no shell", () => {
    const pod = plan.object("CronJob", "tenant-backup-optout").spec.jobTemplate.spec.template.spec;
    expect(pod.serviceAccountName).toBe("tenant-backup-optout");
    expect(pod.restartPolicy).toBe("Never");
    expect(pod.initContainers.map((c: Obj) => [c.name, c.image, c.command])).toEqual([
      ["label-opted-out", "registry.k8s.io/kubectl:v1.34.2", ["kubectl", "label", "namespace", "-l", "tenant=true,backup=false", "velero.io/exclude-from-backup=true", "--overwrite"]],
    ]);
    expect(pod.containers.map((c: Obj) => [c.name, c.image, c.command])).toEqual([
      ["unlabel-opted-in", "registry.k8s.io/kubectl:v1.34.2", ["kubectl", "label", "namespace", "-l", "tenant=true,backup!=false,velero.io/exclude-from-backup=true", "velero.io/exclude-from-backup-"]],
    ]);
    for (const c of [...pod.initContainers, ...pod.containers]) {
      expect(c.securityContext).toEqual({ runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" }, readOnlyRootFilesystem: true });
      expect(c.env).toEqual([
        { name: "TZ", value: "Europe/Paris" },
        { name: "HOME", value: "/tmp" },
      ]);
    }
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } });
  });

  it("may only get, list and patch namespaces", () => {
    expect(plan.object("ClusterRole", "tenant-backup-optout").rules).toEqual([{ apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list", "patch"] }]);
    const binding = plan.object("ClusterRoleBinding", "tenant-backup-optout");
    expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "tenant-backup-optout" });
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "tenant-backup-optout", namespace: "backup-system" }]);
    expect(plan.object("ServiceAccount", "tenant-backup-optout", "backup-system").metadata.labels).toEqual(flowLabels);
  });

  it("its patch right is bound by a ValidatingAdmissionPolicy in Deny mode, which the CronJob waits for", () => {
    expect(plan.object("ValidatingAdmissionPolicy", "cluster-backup-tenant-backup-optout").spec).toEqual(optOutAdmissionPolicySpec("backup-system", "tenant-backup-optout", "cust-*"));
    expect(plan.object("ValidatingAdmissionPolicyBinding", "cluster-backup-tenant-backup-optout").spec).toEqual({ policyName: "cluster-backup-tenant-backup-optout", validationActions: ["Deny"] });
    expect(plan.registrationOf("CronJob", "tenant-backup-optout").dependsOn).toContain(plan.registrationOf("ValidatingAdmissionPolicyBinding", "cluster-backup-tenant-backup-optout").urn);
  });
});
