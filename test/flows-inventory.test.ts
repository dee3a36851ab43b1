/**
 * The flow inventory (components/flows) is the one list alerts and coverage derive from: for the dev and prod stacks
 * it yields exactly the alert targets the Schedules, CronJobs and DaemonSets call for, and the flow rows coverage
 * read off the registered objects before the inventory existed.
 */
import { describe, expect, it } from "vitest";
import { parseStackConfig, type StackConfig } from "../components/config";
import { buildDrillSpecs } from "../components/drills/spec";
import { readFileSync } from "node:fs";
import type { AlertTargets } from "../components/monitoring/rules";
import { join } from "node:path";
import { alertTargetsOf } from "../components/flows/alert-targets";
import { flowInventoryArgsFromConfig, flowInventoryFromConfig } from "../components/stack-args";
import { buildFlowInventory } from "../components/flows";
import { buildScheduleSpecs } from "../components/velero/schedule-specs";
import { objectRefText } from "../components/flows/watches";
import type { FlowInventory } from "../components/flows/types";
import { readStackFile } from "../scripts/lib/stack-file";
import { buildCoverage } from "../scripts/lib/coverage";
import { planStack, rawConfig, ROOT } from "./harness";

function stackConfig(stack: string, overrides: Record<string, unknown> = {}): StackConfig {
  const { config, secretKeys } = readStackFile(ROOT, stack);
  return parseStackConfig({ ...config, ...rawConfig(overrides) }, new Set(secretKeys), stack);
}

function inventoryOf(cfg: StackConfig): FlowInventory {
  return flowInventoryFromConfig(cfg, buildScheduleSpecs(cfg), buildDrillSpecs(cfg));
}

describe("flow inventory", () => {
  it.each(["dev", "prod"])("%s: the alert targets read off the inventory are the ones the per-component derivation computed", (stack) => {
    // test/fixtures/flows/alert-targets-<stack>.json: the targets components/flows/alert-targets.ts derived from the
    // component args before the inventory replaced it (and the plan's alert rules are byte-identical to then).
    // The Benji CronJobs compare by name: the inventory lists the integrity watches before the verifications.
    const byName = (t: AlertTargets): AlertTargets => ({ ...t, benji: [...t.benji].sort((a, b) => a.name.localeCompare(b.name)) });
    const expected = JSON.parse(readFileSync(join(ROOT, "test/fixtures/flows", `alert-targets-${stack}.json`), "utf8")) as AlertTargets;
    const cfg = stackConfig(stack);
    expect(byName(alertTargetsOf(inventoryOf(cfg), cfg.monitoring.runbookBaseUrl))).toEqual(byName(expected));
  });

  it.each(["dev", "prod"])("%s: coverage's rows, now read off the inventory, are the rows the scan of registered objects produced", async (stack) => {
    // test/fixtures/flows/coverage-flows-<stack>.json: coverage.json's flows as scripts/lib/coverage.ts built them from
    // the registered Schedules, Benji CronJob commands and zrepl ConfigMaps before the inventory replaced that scan.
    const expected: unknown = JSON.parse(readFileSync(join(ROOT, "test/fixtures/flows", `coverage-flows-${stack}.json`), "utf8"));
    const plan = await planStack(stack);
    const rows = buildCoverage({ stack, objects: plan.objects(), exports: plan.exports }).flows.map(({ verifiedBy, ...row }) => {
      expect(Array.isArray(verifiedBy)).toBe(true);
      return row;
    });
    expect(rows).toEqual(expected);
    expect(rows.map((r) => r.flow)).toEqual(stack === "dev" ? ["tenants", "system", "postgres"] : ["tenants", "system", "garage-meta-ceph", "garage-data-zfs", "postgres", "benji", "zrepl"]);
  });

  it("prod: one record per flow with its mechanism, objects, schedule, destination, watches and proofs", () => {
    const inv = inventoryOf(stackConfig("prod"));
    expect(inv.flows.map((f) => [f.id, f.configPath, f.mechanism, f.objects.map(objectRefText), f.schedule.text, f.rpoSeconds, f.anchor])).toEqual([
      ["tenants", "flows.tenants", "velero-fs", ["Schedule backup-system/tenants-daily"], "`0 1 * * *` UTC", 86400, "tenants"],
      ["system", "flows.system", "velero-fs", ["Schedule backup-system/system-daily"], "`0 5 * * *` UTC", 86400, "system"],
      ["garage-meta-ceph", "flows.garageMetaCeph", "velero-csi-datamover", ["Schedule backup-system/garage-meta-ceph"], "`0 3 * * *` UTC", 86400, "garage-meta-ceph"],
      ["garage-data-zfs", "flows.garageDataZfs", "velero-csi-local", ["Schedule backup-system/garage-data-zfs"], "`0 3 * * *` UTC", 86400, "garage-data-zfs"],
      ["postgres", "flows.postgres", "velero-hooks", ["Schedule backup-system/postgres-backup"], "`0 4 * * *` UTC", 86400, "postgres"],
      ["benji", "flows.benji", "benji-rbd", ["CronJob benji/benji-backup-all", "CronJob benji/benji-enforce", "CronJob benji/benji-cleanup"], "`30 7 * * *` UTC", 86400, "benji"],
      ["zrepl", "flows.zrepl", "zrepl", ["DaemonSet zrepl/zrepl-garage-push", "DaemonSet zrepl/zrepl-sink"], "every 10m", 600, "garage-data-zrepl"],
    ]);
    expect(inv.flows.map((f) => f.destination)).toEqual([
      { kind: "velero-location", location: "default" },
      { kind: "velero-location", location: "system" },
      { kind: "velero-location", location: "garage-backups" },
      { kind: "node-local", location: "garage-backups", immutability: "none: the snapshots live in the source pool and go with it (deletionPolicy Retain survives namespace loss only)" },
      { kind: "velero-location", location: "postgres" },
      { kind: "benji-storage", store: "benji", instance: "benji-k8s" },
      {
        kind: "zfs-sink",
        node: "backup-1",
        dataset: "wdc/zrepl/garage/tank/garage/…",
        replicaRoot: "wdc/zrepl/garage",
        address: "zrepl-sink.zrepl.svc.cluster.local:8888",
        immutability: "separate node; snapshots removed only by the receiver grid; received datasets `canmount=noauto`",
      },
    ]);
    const byId = Object.fromEntries(inv.flows.map((f) => [f.id, f]));
    expect(byId.tenants.metrics).toEqual(['velero_backup_last_successful_timestamp{schedule="tenants-daily"}']);
    expect(byId.benji.metrics).toEqual([
      'kube_cronjob_status_last_successful_time{namespace="benji",cronjob="benji-backup-all"}',
      'kube_cronjob_status_last_successful_time{namespace="benji",cronjob="benji-enforce"}',
      'kube_cronjob_status_last_successful_time{namespace="benji",cronjob="benji-cleanup"}',
      'kube_cronjob_status_last_successful_time{namespace="benji",cronjob="benji-metadata-backup"}',
    ]);
    expect(byId.zrepl.metrics).toEqual([
      'zrepl_replication_last_successful{zrepl_job="garage_push"}',
      'kube_daemonset_status_number_ready{namespace="zrepl",daemonset="zrepl-garage-push"}',
      'kube_daemonset_status_number_ready{namespace="zrepl",daemonset="zrepl-sink"}',
      "cluster_backup_zrepl_sink_newest_snapshot_timestamp_seconds",
    ]);
    // The sink check and the kopia maintenance: watches with the thresholds their alerts use.
    const sink = byId.zrepl.watches.find((w) => w.kind === "zrepl-sink");
    expect(sink?.kind === "zrepl-sink" && [sink.object.name, sink.target.datasets, sink.target.checkIntervalSeconds, sink.target.staleAfterSeconds]).toEqual(["zrepl-sink", ["wdc/zrepl/garage/tank/garage<"], 300, 600 + 3600]);
    const maintenance = inv.infrastructure.find((w) => w.kind === "repo-maintenance");
    expect(maintenance?.kind === "repo-maintenance" && [maintenance.object.kind, maintenance.object.name, maintenance.target.frequencySeconds, maintenance.target.staleAfterSeconds]).toEqual(["Deployment", "velero", 3600, 3600 + 4 * 3600]);
    expect([byId.benji.source, byId.zrepl.source]).toEqual([{ pools: ["replicapool"] }, { node: "node-garage-1", datasets: ["tank/garage<"] }]);
    expect(byId.benji.watches.map((w) => (w.kind === "cronjob" ? w.role : w.kind))).toEqual(["backup", "enforce", "cleanup", "metadata-backup"]);
    expect(byId.postgres.hooks).toEqual({ namespace: "postgres", workload: "postgres" });
    expect(inv.flows.map((f) => [f.id, f.verifiedBy.map((v) => `${v.kind} ${objectRefText(v.watch.object)}`)])).toEqual([
      ["tenants", ["drill CronJob backup-system/restore-drill-tenants"]],
      ["system", []],
      ["garage-meta-ceph", []],
      ["garage-data-zfs", []],
      ["postgres", ["drill CronJob backup-system/restore-drill-postgres"]],
      ["benji", ["scrub CronJob benji/benji-deep-scrub", "drill CronJob benji/benji-restore-drill"]],
      ["zrepl", []],
    ]);
    expect(inv.infrastructure.map((w) => `${w.kind} ${objectRefText(w.object)}${w.object.renderedBy ? ` (${w.object.renderedBy})` : ""}`)).toEqual([
      "location BackupStorageLocation backup-system/default (velero-chart)",
      "location BackupStorageLocation backup-system/system (velero-chart)",
      "location BackupStorageLocation backup-system/garage-backups (velero-chart)",
      "location BackupStorageLocation backup-system/postgres (velero-chart)",
      "daemonset DaemonSet backup-system/node-agent (velero-chart)",
      "cronjob CronJob backup-system/tenant-backup-optout",
      "repo-maintenance Deployment backup-system/velero (velero-chart)",
    ]);
  });

  it("is the stack output `flows`, plain JSON that round-trips unchanged", async () => {
    const inv = inventoryOf(stackConfig("prod"));
    expect(JSON.parse(JSON.stringify(inv))).toEqual(inv);
    const plan = await planStack("prod");
    expect(plan.exports.flows).toEqual(inv);
    // No secret: the export is not secret, and no secret value of the run appears in it.
    expect(plan.run.secretExports).not.toContain("flows");
    expect(plan.run.secretStrings.size).toBeGreaterThan(0);
    const text = JSON.stringify(plan.exports.flows);
    expect([...plan.run.secretStrings].filter((secret) => secret.length > 3 && text.includes(secret))).toEqual([]);
  });

  it("without Velero Schedules: no Velero flow and no shared watch; a drill of a flow the stack does not run is refused", () => {
    const cfg = stackConfig("prod");
    const args = flowInventoryArgsFromConfig(cfg, [], []);
    const inv = buildFlowInventory(args);
    expect([inv.flows.map((f) => f.id), inv.infrastructure]).toEqual([["benji", "zrepl"], []]);
    expect(() => buildFlowInventory({ ...args, drills: buildDrillSpecs(cfg) })).toThrow("restore drill restore-drill-tenants: flow tenants is not in this stack");
  });

  it("follows the settings it is built from: legacy password, staleness override, zrepl datasets", () => {
    const inv = inventoryOf(
      stackConfig("prod", {
        velero: { ...stackConfig("prod").velero, repositoryPassword: "legacy-default" },
        monitoring: { ...stackConfig("prod").monitoring, staleAfter: { tenants: "30h" } },
        flows: { ...stackConfig("prod").flows, zrepl: { ...stackConfig("prod").flows.zrepl, sourceFilesystems: { "tank/a<": true, "tank/b<": true, "tank/c": false } } },
      }),
    );
    const byId = Object.fromEntries(inv.flows.map((f) => [f.id, f]));
    expect(byId.tenants.encryption).toBe(
      "Kubernetes objects (Secrets included): not encrypted by Velero; volume data: kopia repository (AES-256-GCM) with Velero's well-known default password: readable by anyone with bucket access",
    );
    expect(byId.tenants.watches[0]).toMatchObject({ kind: "schedule", staleAfterSeconds: 30 * 3600, intervalSeconds: 86400 });
    expect(byId.zrepl.selection.text).toBe("ZFS datasets `tank/a<`, `tank/b<` on node `node-garage-1`");
    expect(byId.zrepl.destination).toMatchObject({ dataset: "wdc/zrepl/garage/<source dataset>" });
  });
});
