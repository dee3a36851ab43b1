/** components/stack-args.ts: the one mapping from stack config keys to component args. */
import { describe, expect, it } from "vitest";
import { parseStackConfig, type StackConfig } from "../components/config";
import {
  alertsPlacementFromConfig,
  flowInventoryArgsFromConfig,
  optOutArgsFromConfig,
  snapshotClassesArgsFromConfig,
  storageArgsFromConfig,
} from "../components/stack-args";
import { readStackFile } from "../scripts/lib/stack-file";
import { rawConfig, ROOT } from "./harness";

/** The prod stack file's config, with `cluster-backup:` keys replaced by `overrides` (shallowly, per key). */
function prodConfig(overrides: Record<string, unknown> = {}): StackConfig {
  const { config, secretKeys } = readStackFile(ROOT, "prod");
  return parseStackConfig({ ...config, ...rawConfig(overrides) }, new Set(secretKeys), "prod");
}

describe("stack-args", () => {
  const prod = prodConfig();

  it("opt-out sync args only while the tenants flow runs and the sync is on (off by default under admission Deny)", () => {
    const args = optOutArgsFromConfig(prod, []);
    expect(args).toMatchObject({ namespace: prod.velero.namespace, schedule: prod.flows.tenants.optOutSchedule, timeZone: prod.timeZone, tenantGlob: prod.flows.tenants.namespaceGlob, image: prod.flows.tenants.optOutImage });
    const tenants = { ...prod.flows.tenants };
    expect(optOutArgsFromConfig({ ...prod, flows: { ...prod.flows, tenants: { ...tenants, optOutSync: undefined } }, policy: { ...prod.policy, admission: { ...prod.policy.admission, enabled: true, action: "Deny" } } }, [])).toBeUndefined();
    expect(optOutArgsFromConfig({ ...prod, flows: { ...prod.flows, tenants: { ...tenants, enabled: false } } }, [])).toBeUndefined();
  });

  it("snapshot class args only for the CSI drivers whose classes are created", () => {
    expect(snapshotClassesArgsFromConfig({ csi: {} as StackConfig["csi"] })).toBeUndefined();
    const cephRbd = { ...prod.csi.cephRbd!, create: true };
    expect(snapshotClassesArgsFromConfig({ csi: { cephRbd, zfs: { ...prod.csi.zfs!, create: false } } })).toEqual({ cephRbd, zfs: undefined });
  });

  it("flow inventory args: Benji and zrepl settings only when they run, the opt-out job only when the sync runs", () => {
    const args = flowInventoryArgsFromConfig(prod, [], []);
    expect(args.veleroNamespace).toBe(prod.velero.namespace);
    expect(args.benji).toEqual({
      namespace: prod.flows.benji.namespace,
      instance: "benji-k8s",
      pools: prod.flows.benji.ceph!.pools,
      retention: "latest7",
      pvcNamespaces: ["garage"],
      cronJobs: {
        backup: { name: "benji-backup-all", schedule: prod.flows.benji.backupSchedule },
        enforce: { name: "benji-enforce", schedule: prod.flows.benji.enforceSchedule },
        cleanup: { name: "benji-cleanup", schedule: prod.flows.benji.cleanupSchedule },
      },
      integrity: {
        scrub: { enabled: true, schedule: "0 1 * * *", versionPercentage: 10, blockPercentage: 33 },
        drill: { enabled: true, schedule: "0 12 * * 6", timeoutSeconds: 21600 },
        metadataBackup: { enabled: true, schedule: "30 4 * * *" },
      },
    });
    expect(args.zrepl).toEqual({
      namespace: "zrepl",
      pushDaemonSet: "zrepl-garage-push",
      sinkDaemonSet: "zrepl-sink",
      sinkAddress: "zrepl-sink.zrepl.svc.cluster.local:8888",
      serverCn: "zrepl-sink",
      sourceNode: "node-garage-1",
      sinkNode: "backup-1",
      sourceFilesystems: { "tank/garage<": true },
      sinkRootFs: "wdc/zrepl",
      clientCn: "garage",
      snapshotInterval: "10m",
      lagThreshold: prod.flows.zrepl.lagThreshold,
      keepSenderLastN: 10,
      receiverGrid: "1x1h(keep=all) | 24x1h | 30x1d | 6x30d",
      sinkCheck: { intervalSeconds: 300, datasets: ["wdc/zrepl/garage/tank/garage<"] },
    });
    const noSinkCheck = { ...prod, flows: { ...prod.flows, zrepl: { ...prod.flows.zrepl, sinkCheck: { ...prod.flows.zrepl.sinkCheck, enabled: false } } } };
    expect(flowInventoryArgsFromConfig(noSinkCheck, [], []).zrepl?.sinkCheck).toBeUndefined();
    expect(args.velero).toEqual({
      repositoryPassword: "random",
      postgresWorkload: { namespace: "postgres", name: "postgres" },
      locationNames: ["default", "system", "garage-backups", "postgres"],
      optOut: { name: "tenant-backup-optout", cron: prod.flows.tenants.optOutSchedule, activeDeadlineSeconds: 600 },
      extraValues: prod.velero.extraValues,
    });
    const off = flowInventoryArgsFromConfig(
      { ...prod, flows: { ...prod.flows, benji: { ...prod.flows.benji, enabled: false }, zrepl: { ...prod.flows.zrepl, enabled: false }, postgres: { ...prod.flows.postgres, enabled: false }, tenants: { ...prod.flows.tenants, optOutSync: false } } },
      [],
      [],
    );
    expect([off.benji, off.zrepl, off.velero.optOut, off.velero.postgresWorkload]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it("alerts go where monitoring says, else to Velero's namespace, deployed in production unless set", () => {
    expect(alertsPlacementFromConfig({ ...prod, monitoring: { ...prod.monitoring, prometheusOperator: undefined, namespace: undefined } })).toEqual({ deployed: true, namespace: prod.velero.namespace });
    expect(alertsPlacementFromConfig({ ...prod, production: false, monitoring: { ...prod.monitoring, prometheusOperator: undefined, namespace: "mon" } })).toEqual({ deployed: false, namespace: "mon" });
  });

  it("storage args: Benji's bucket only while Benji runs", () => {
    expect(storageArgsFromConfig(prod).benji).toEqual({ backend: "scaleway", bucket: "benji" });
    expect(storageArgsFromConfig({ ...prod, flows: { ...prod.flows, benji: { ...prod.flows.benji, enabled: false } } }).benji).toBeUndefined();
  });
});
