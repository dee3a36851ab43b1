/** components/stack-args.ts: the one mapping from stack config keys to component args. */
import { describe, expect, it } from "vitest";
import { parseStackConfig, type StackConfig } from "../components/config";
import {
  alertsPlacementFromConfig,
  monitoringArgsFromConfig,
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

  it("monitoring args: Benji and zrepl settings only when they run, the opt-out cron only when the sync runs", () => {
    const args = monitoringArgsFromConfig(prod);
    expect(args.veleroNamespace).toBe(prod.velero.namespace);
    expect(args.benji).toEqual({
      namespace: prod.flows.benji.namespace,
      instance: "benji-k8s",
      retention: "latest7",
      schedules: { backup: prod.flows.benji.backupSchedule, enforce: prod.flows.benji.enforceSchedule, cleanup: prod.flows.benji.cleanupSchedule },
    });
    expect(args.zrepl).toEqual({
      namespace: prod.flows.zrepl.namespace,
      snapshotInterval: prod.flows.zrepl.snapshotInterval,
      lagThreshold: prod.flows.zrepl.lagThreshold,
      sinkCheck: { interval: "5m", datasets: ["wdc/zrepl/garage/tank/garage<"] },
    });
    expect(monitoringArgsFromConfig({ ...prod, flows: { ...prod.flows, zrepl: { ...prod.flows.zrepl, sinkCheck: { ...prod.flows.zrepl.sinkCheck, enabled: false } } } }).zrepl?.sinkCheck).toBeUndefined();
    expect(args.veleroExtraValues).toBe(prod.velero.extraValues);
    expect(args.optOutSchedule).toBe(prod.flows.tenants.optOutSchedule);
    const off = monitoringArgsFromConfig({ ...prod, flows: { ...prod.flows, benji: { ...prod.flows.benji, enabled: false }, zrepl: { ...prod.flows.zrepl, enabled: false }, tenants: { ...prod.flows.tenants, optOutSync: false } } });
    expect([off.benji, off.zrepl, off.optOutSchedule]).toEqual([undefined, undefined, undefined]);
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
