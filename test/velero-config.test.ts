import { describe, expect, it } from "vitest";
import { configProblems, rawConfig } from "./harness";

const locations = {
  default: { backend: "minio", bucket: "velero", prefix: "tenants", default: true },
  system: { backend: "minio", bucket: "velero", prefix: "system" },
};
const base = {
  environment: "dev",
  kubernetes: { context: "kind-cluster-backup" },
  storage: { minio: { deploy: true } },
  velero: { locations },
};

function problems(overrides: Record<string, unknown>): string[] {
  return configProblems(rawConfig({ ...base, ...overrides }), [], "dev");
}

describe("Velero config validation (exact messages)", () => {
  it("accepts the base config", () => {
    expect(problems({})).toEqual([]);
  });

  it("a schedule naming an unknown location", () => {
    expect(problems({ flows: { system: { enabled: true, location: "nowhere" } } })).toEqual([
      'cluster-backup:flows.system.location: names no location of velero.locations; expected one of: default, system (got "nowhere")',
    ]);
  });

  it("uploader restic, with the text of docs/design.md §2(b)", () => {
    expect(problems({ velero: { locations, uploaderType: "restic" } })).toEqual([
      "cluster-backup:velero.uploaderType: 'restic' is not supported. Velero 1.17+ can no longer take restic backups (kopia is the only uploader); " +
        "restic remains only to restore backups taken before the upgrade, and not after Velero 1.19. Remove the key or set 'kopia'. (got \"restic\")",
    ]);
  });

  it("a removed chart key in extraValues names its replacement", () => {
    expect(problems({ velero: { locations, extraValues: { deployRestic: true, nodeAgent: { privileged: true } } } })).toEqual([
      "cluster-backup:velero.extraValues.deployRestic: removed from the Velero chart; use deployNodeAgent (set by this program)",
      "cluster-backup:velero.extraValues.nodeAgent.privileged: removed from the Velero chart; use config velero.nodeAgent.privileged (renders nodeAgent.containerSecurityContext)",
    ]);
  });

  it("the keys chart 12.1.0 NOTES.txt aborts on: top-level restic keys, configuration.provider, old maintenance-job keys", () => {
    const extraValues = {
      resticTimeout: "4h",
      defaultVolumesToRestic: true,
      defaultResticPruneFrequency: "168h",
      configuration: { provider: "aws", repositoryMaintenanceJob: { requests: { cpu: "1" }, limits: { memory: "1Gi" }, latestJobsCount: 3 } },
    };
    expect(problems({ velero: { locations, extraValues } })).toEqual([
      "cluster-backup:velero.extraValues.resticTimeout: removed from the Velero chart; use configuration.fsBackupTimeout (config velero.fsBackupTimeout)",
      "cluster-backup:velero.extraValues.defaultVolumesToRestic: removed from the Velero chart; use configuration.defaultVolumesToFsBackup",
      "cluster-backup:velero.extraValues.defaultResticPruneFrequency: removed from the Velero chart; use configuration.defaultRepoMaintainFrequency",
      "cluster-backup:velero.extraValues.configuration.provider: removed from the Velero chart; use a provider per backupStorageLocation (set by this program)",
      "cluster-backup:velero.extraValues.configuration.repositoryMaintenanceJob.requests: removed from the Velero chart; use configuration.repositoryMaintenanceJob.repositoryConfigData.global.podResources",
      "cluster-backup:velero.extraValues.configuration.repositoryMaintenanceJob.limits: removed from the Velero chart; use configuration.repositoryMaintenanceJob.repositoryConfigData.global.podResources",
      "cluster-backup:velero.extraValues.configuration.repositoryMaintenanceJob.latestJobsCount: removed from the Velero chart; use configuration.repositoryMaintenanceJob.repositoryConfigData.global.keepLatestMaintenanceJobs",
    ]);
  });

  it("a tenant glob matching system namespaces", () => {
    expect(problems({ flows: { tenants: { namespaceGlob: "*" } } })).toEqual([
      "cluster-backup:flows.tenants.namespaceGlob: expected a glob that starts with 'cust-' so it matches tenant namespaces only, e.g. 'cust-*' (got \"*\")",
    ]);
    expect(problems({ velero: { locations, namespace: "cust-velero" }, flows: { tenants: { namespaceGlob: "cust-*" } } })).toEqual([
      'cluster-backup:flows.tenants.namespaceGlob: matches system namespaces (cust-velero); expected a glob matching tenant namespaces only (got "cust-*")',
    ]);
  });

  it("a ttl shorter than the interval between runs (the longest gap: 29th to 1st)", () => {
    expect(problems({ flows: { tenants: { schedule: "0 1 */2 * *", ttl: "24h" } } })).toEqual([
      "cluster-backup:flows.tenants.ttl: is shorter than the 2d between runs of '0 1 */2 * *': no backup would survive to the next one; expected at least 48h (got \"24h\")",
    ]);
  });

  it("velero-plugin-for-csi and AWS plugin v1.14.2 are rejected", () => {
    expect(problems({ velero: { locations, awsPluginImage: "docker.io/velero/velero-plugin-for-aws:v1.14.2" } })).toEqual([
      "cluster-backup:velero.awsPluginImage: velero-plugin-for-aws before v1.14.3 corrupts or rejects uploads to S3-compatible stores (velero#9951, #9804); expected v1.14.3 or later (got \"docker.io/velero/velero-plugin-for-aws:v1.14.2\")",
    ]);
    // Every release before v1.14.3 (an older minor too); later ones and non-release tags pass.
    expect(problems({ velero: { locations, awsPluginImage: "docker.io/velero/velero-plugin-for-aws:v1.13.1" } })).toEqual([
      "cluster-backup:velero.awsPluginImage: velero-plugin-for-aws before v1.14.3 corrupts or rejects uploads to S3-compatible stores (velero#9951, #9804); expected v1.14.3 or later (got \"docker.io/velero/velero-plugin-for-aws:v1.13.1\")",
    ]);
    expect(problems({ velero: { locations, awsPluginImage: "docker.io/velero/velero-plugin-for-aws:v1.15.0" } })).toEqual([]);
    expect(problems({ velero: { locations, image: "docker.io/velero/velero:v1.17.9" } })).toEqual([
      "cluster-backup:velero.image: expected Velero v1.18.2 or later: namespace globs ('cust-*') are unreliable before it (velero#9743, #9870) (got \"docker.io/velero/velero:v1.17.9\")",
    ]);
    expect(problems({ velero: { locations, image: "docker.io/velero/velero:v2.0.0" } })).toEqual([]);
    expect(problems({ velero: { locations, awsPluginImage: "docker.io/velero/velero-plugin-for-csi:v0.7.1" } })).toEqual([
      "cluster-backup:velero.awsPluginImage: velero-plugin-for-csi is built into Velero since 1.14 and breaks start-up ('registered twice'); use velero-plugin-for-aws (got \"docker.io/velero/velero-plugin-for-csi:v0.7.1\")",
    ]);
  });

  it("two locations on the same bucket and prefix", () => {
    expect(problems({ velero: { locations: { ...locations, copy: { backend: "minio", bucket: "velero", prefix: "system" } } } })).toEqual([
      "cluster-backup:velero.locations.copy.prefix: same backend, bucket and prefix as velero.locations.system; Velero would mix the two locations' backups; expected a distinct prefix (got \"system\")",
    ]);
  });

  it("a snapshotting flow without its CSI driver", () => {
    const garage = { "garage-backups": { backend: "minio", bucket: "velero", prefix: "garage" } };
    expect(problems({ velero: { locations: { ...locations, ...garage } }, flows: { garageMetaCeph: { enabled: true }, garageDataZfs: { enabled: true } } })).toEqual([
      "cluster-backup:csi.cephRbd: flows.garageMetaCeph takes Ceph RBD CSI snapshots; expected csi.cephRbd {driver, clusterID, snapshotterSecret} (create: false to use an existing class labelled velero.io/csi-volumesnapshot-class=true)",
      "cluster-backup:csi.zfs: flows.garageDataZfs takes ZFS-LocalPV CSI snapshots; expected csi.zfs {driver} (create: false to use an existing class labelled velero.io/csi-volumesnapshot-class=true)",
    ]);
    expect(problems({ velero: { locations: { ...locations, ...garage } }, csi: { cephRbd: { create: false }, zfs: {} }, flows: { garageMetaCeph: { enabled: true }, garageDataZfs: { enabled: true } } })).toEqual([]);
  });
});
