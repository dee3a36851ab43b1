/**
 * The integrity checks of issue 19 this module family adds, as plain data for the flow inventory (a Flow's `watches`
 * and `verifiedBy`), the dashboard and coverage: what runs, where, how often, the series that show its result and the
 * alerts on them. Derived from the alert targets, so it lists exactly what is deployed. Pure, JSON-serialisable.
 */
import type { RunbookAnchor } from "../runbook-anchors";
import type { DrillSpec } from "../drills/spec";
import { SINK_CHECK_K8S, SINK_CHECK_METRICS } from "../zrepl/sink-check";
import type { AlertTargets } from "./rules";
import { REPO_MAINTENANCE_METRICS } from "./repo-maintenance";
import { ZREPL_BYTES_REPLICATED } from "./zrepl-sink";

export interface IntegrityCheck {
  /** Flow label value of its alerts. */
  readonly flow: string;
  /**
   * `sink-check`: reads the replica's datasets back on the backup node (zfs list); `repo-maintenance`: Velero's own
   * kopia maintenance (compaction, garbage collection) per repository; `drill`: a restore drill (rotation data only here).
   */
  readonly kind: "sink-check" | "repo-maintenance" | "drill";
  readonly name: string;
  /** What one run proves or does. */
  readonly purpose: string;
  /** Where it runs: a container of a DaemonSet of this program, or Velero's server (chart-rendered). */
  readonly object: { readonly kind: "DaemonSet" | "Deployment" | "CronJob"; readonly namespace: string; readonly name: string; readonly container?: string; readonly renderedBy?: "velero-chart" };
  /** Seconds between two runs. */
  readonly everySeconds: number;
  /** PromQL metric names that carry its result. */
  readonly metrics: readonly string[];
  /** Alerts on it. */
  readonly alerts: readonly string[];
  readonly anchor: RunbookAnchor;
  /** Rotating tenants drill: every tenant restored at least once per this many weeks. */
  readonly rotationWeeks?: number;
}

/** The checks of the stack: zrepl's sink check, Velero's repository maintenance, the rotating tenants drill. */
export function integrityChecks(targets: AlertTargets, drills: readonly DrillSpec[]): IntegrityCheck[] {
  const checks: IntegrityCheck[] = [];
  const sink = targets.zreplSink;
  if (sink) {
    checks.push({
      flow: "zrepl",
      kind: "sink-check",
      name: SINK_CHECK_K8S.checkContainer,
      purpose: `lists ${sink.datasets.join(", ")} on the backup node (zfs list): each dataset readable, its newest zrepl snapshot at most ${sink.staleAfterSeconds}s old`,
      object: { kind: "DaemonSet", namespace: sink.namespace, name: sink.daemonSet, container: SINK_CHECK_K8S.checkContainer },
      everySeconds: sink.checkIntervalSeconds,
      metrics: [SINK_CHECK_METRICS.readable, SINK_CHECK_METRICS.newestSnapshot, SINK_CHECK_METRICS.snapshots, SINK_CHECK_METRICS.lastRun, ZREPL_BYTES_REPLICATED],
      alerts: ["ZreplSinkSnapshotStale", "ZreplSinkDatasetUnreadable", "ZreplSinkCheckNotRunning"],
      anchor: sink.anchor,
    });
  }
  const repo = targets.repoMaintenance;
  if (repo) {
    checks.push({
      flow: "velero",
      kind: "repo-maintenance",
      name: "kopia-repository-maintenance",
      purpose: `Velero's maintenance Job per kopia BackupRepository (every ${repo.frequencySeconds}s), succeeded within ${repo.staleAfterSeconds}s`,
      object: { kind: "Deployment", namespace: repo.veleroNamespace, name: "velero", renderedBy: "velero-chart" },
      everySeconds: repo.frequencySeconds,
      metrics: [REPO_MAINTENANCE_METRICS.success, REPO_MAINTENANCE_METRICS.failure],
      alerts: ["VeleroRepoMaintenanceNotSucceeded"],
      anchor: repo.anchor,
    });
  }
  for (const d of drills.filter((s) => s.rotationWeeks !== undefined)) {
    const target = targets.drills.find((t) => t.name === d.cronJob);
    checks.push({
      flow: d.kind,
      kind: "drill",
      name: d.kind,
      purpose: `restores every tenant (${d.tenantGlob}) at least once per ${d.rotationWeeks} weeks: each week the tenants of one of ${d.rotationWeeks} groups, one Restore each`,
      object: { kind: "CronJob", namespace: target?.namespace ?? "", name: d.cronJob },
      everySeconds: d.intervalSeconds,
      metrics: ["kube_cronjob_status_last_successful_time", "kube_job_status_failed"],
      alerts: ["RestoreDrillFailed", "RestoreDrillStale", "RestoreDrillNeverSucceeded"],
      anchor: target?.anchor ?? "restore-drills",
      rotationWeeks: d.rotationWeeks,
    });
  }
  return checks;
}
