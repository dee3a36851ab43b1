/**
 * The integrity checks as plain data (components/monitoring/integrity.ts) for the flow inventory: the prod stack's
 * three, their metrics and alerts matching the deployed rules exactly, and none when their flows are off.
 */
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../components/config";
import { buildDrillSpecs } from "../components/drills/spec";
import { integrityChecks } from "../components/monitoring/integrity";
import { buildAlertGroups } from "../components/monitoring/rules";
import { alertTargetsFromConfig, scheduleSpecsFromConfig } from "../components/stack-args";
import { readStackFile } from "../scripts/lib/stack-file";
import { ROOT } from "./harness";

const { config, secretKeys } = readStackFile(ROOT, "prod");
const cfg = parseStackConfig(config, new Set(secretKeys), "prod");

describe("integrity checks as data for the flow inventory", () => {
  const drills = buildDrillSpecs(cfg);
  const targets = alertTargetsFromConfig(cfg, scheduleSpecsFromConfig(cfg), drills);
  const checks = integrityChecks(targets, drills);

  it("prod: the zrepl sink check, kopia maintenance and the rotating tenants drill, exact", () => {
    expect(checks).toEqual([
      {
        flow: "zrepl",
        kind: "sink-check",
        name: "sink-check",
        purpose: "lists wdc/zrepl/garage/tank/garage< on the backup node (zfs list): each dataset readable, its newest zrepl snapshot at most 4200s old",
        object: { kind: "DaemonSet", namespace: "zrepl", name: "zrepl-sink", container: "sink-check" },
        everySeconds: 300,
        metrics: [
          "cluster_backup_zrepl_sink_dataset_readable",
          "cluster_backup_zrepl_sink_newest_snapshot_timestamp_seconds",
          "cluster_backup_zrepl_sink_snapshots",
          "cluster_backup_zrepl_sink_check_timestamp_seconds",
          "zrepl_replication_bytes_replicated",
        ],
        alerts: ["ZreplSinkSnapshotStale", "ZreplSinkDatasetUnreadable", "ZreplSinkCheckNotRunning"],
        anchor: "garage-data-zrepl",
      },
      {
        flow: "velero",
        kind: "repo-maintenance",
        name: "kopia-repository-maintenance",
        purpose: "Velero's maintenance Job per kopia BackupRepository (every 3600s), succeeded within 18000s",
        object: { kind: "Deployment", namespace: "backup-system", name: "velero", renderedBy: "velero-chart" },
        everySeconds: 3600,
        metrics: ["velero_repo_maintenance_success_total", "velero_repo_maintenance_failure_total"],
        alerts: ["VeleroRepoMaintenanceNotSucceeded"],
        anchor: "storage-locations",
      },
      {
        flow: "tenants",
        kind: "drill",
        name: "tenants",
        purpose: "restores every tenant (cust-*) at least once per 4 weeks: each week the tenants of one of 4 groups, one Restore each",
        object: { kind: "CronJob", namespace: "backup-system", name: "restore-drill-tenants" },
        everySeconds: 604800,
        metrics: ["kube_cronjob_status_last_successful_time", "kube_job_status_failed"],
        alerts: ["RestoreDrillFailed", "RestoreDrillStale", "RestoreDrillNeverSucceeded"],
        anchor: "restore-drills",
        rotationWeeks: 4,
      },
    ]);
    expect(JSON.parse(JSON.stringify(checks))).toEqual(checks);
  });

  it("every alert named is a deployed rule, and every metric named appears in a deployed rule's expression", () => {
    const rules = buildAlertGroups(targets).flatMap((g) => g.rules);
    for (const check of checks) {
      for (const alert of check.alerts) expect(rules.map((r) => r.alert), alert).toContain(alert);
      for (const metric of check.metrics.filter((m) => m !== "cluster_backup_zrepl_sink_snapshots")) expect(rules.some((r) => r.expr.includes(metric)), metric).toBe(true);
    }
  });

  it("none without zrepl's sink check, Velero schedules or a rotating drill", () => {
    const noZrepl = { ...cfg, flows: { ...cfg.flows, zrepl: { ...cfg.flows.zrepl, enabled: false } } };
    expect(integrityChecks(alertTargetsFromConfig(noZrepl, [], []), [])).toEqual([]);
    const noSinkCheck = { ...cfg, flows: { ...cfg.flows, zrepl: { ...cfg.flows.zrepl, sinkCheck: { ...cfg.flows.zrepl.sinkCheck, enabled: false } } } };
    expect(integrityChecks(alertTargetsFromConfig(noSinkCheck, [], []), []).map((c) => c.kind)).toEqual([]);
    // A fixed tenant is no rotation.
    const fixed = buildDrillSpecs({ ...cfg, drills: { ...cfg.drills, tenants: { ...cfg.drills.tenants, namespace: "cust-1001" } } });
    expect(integrityChecks(alertTargetsFromConfig(noZrepl, [], fixed), fixed)).toEqual([]);
  });
});
