/**
 * The metrics the deployed exporters serve, per exporter, at the versions this program deploys or expects: what the
 * dashboard (and the alert rules' {@link METRICS}) may query. test/dashboard.test.ts walks every panel query's parse
 * tree and refuses a metric name that is not here. Pure data.
 *
 * Sources (read at these versions):
 * - Velero v1.18.1 (tag commit 26ef8fa7) `pkg/metrics/metrics.go` `NewServerMetrics`: the velero server's metrics,
 *   namespace `velero`, scraped through the chart's ServiceMonitor (`velero.serviceMonitor`). The node-agent's
 *   `NewNodeMetrics` (`podVolume_*`, data mover counters) are left out: no PodMonitor of this program scrapes them.
 * - kube-state-metrics v2.20.0 (tag commit 4ffeda2e) `internal/store/cronjob.go`, `job.go`, `daemonset.go` and
 *   `docs/metrics/workload/{cronjob,job,daemonset}-metrics.md`: the monitoring stack's kube-state-metrics (STABLE
 *   metrics only; `kube_cronjob_status_last_successful_time`, which the alerts read too, exists since v2.5.0).
 * - zrepl v0.7.0 (tag commit 38c9354b) `internal/daemon/job/active.go` (`zrepl_replication_*`, const label
 *   `zrepl_job`), scraped by the zrepl PodMonitor (components/monitoring/alerts.ts).
 */
import { METRICS } from "../monitoring/rules";
import { SINK_CHECK_METRICS } from "../zrepl/sink-check";

export type MetricType = "counter" | "gauge" | "histogram";

/** One metric family as its exporter registers it. */
export interface MetricFact {
  readonly name: string;
  readonly type: MetricType;
  /** Variable and const labels set by the exporter (not the target labels Prometheus adds). */
  readonly labels: readonly string[];
  readonly help: string;
}

export interface Exporter {
  readonly id: "velero" | "kube-state-metrics" | "zrepl" | "zrepl-sink-check";
  /** Project, version and file the names were read from. */
  readonly source: string;
  readonly metrics: readonly MetricFact[];
}

const m = (name: string, type: MetricType, labels: readonly string[], help: string): MetricFact => ({ name, type, labels, help });

const SCHEDULE = ["schedule"];

const VELERO: Exporter = {
  id: "velero",
  source: "vmware-tanzu/velero v1.18.1 pkg/metrics/metrics.go NewServerMetrics",
  metrics: [
    m("velero_backup_tarball_size_bytes", "gauge", SCHEDULE, "Size, in bytes, of a backup"),
    m("velero_backup_last_successful_timestamp", "gauge", SCHEDULE, "Last time a backup ran successfully, Unix timestamp in seconds"),
    m("velero_backup_total", "gauge", [], "Current number of existent backups"),
    m("velero_backup_attempt_total", "counter", SCHEDULE, "Total number of attempted backups"),
    m("velero_backup_success_total", "counter", SCHEDULE, "Total number of successful backups"),
    m("velero_backup_partial_failure_total", "counter", SCHEDULE, "Total number of partially failed backups"),
    m("velero_backup_failure_total", "counter", SCHEDULE, "Total number of failed backups"),
    m("velero_backup_validation_failure_total", "counter", SCHEDULE, "Total number of validation failed backups"),
    m("velero_backup_deletion_attempt_total", "counter", SCHEDULE, "Total number of attempted backup deletions"),
    m("velero_backup_deletion_success_total", "counter", SCHEDULE, "Total number of successful backup deletions"),
    m("velero_backup_deletion_failure_total", "counter", SCHEDULE, "Total number of failed backup deletions"),
    m("velero_backup_duration_seconds", "histogram", SCHEDULE, "Time taken to complete backup, in seconds (buckets 1m to 4h)"),
    m("velero_backup_items_total", "gauge", SCHEDULE, "Total number of items backed up"),
    m("velero_backup_items_errors", "gauge", SCHEDULE, "Total number of errors encountered during backup"),
    m("velero_backup_warning_total", "counter", SCHEDULE, "Total number of warned backups"),
    m("velero_backup_last_status", "gauge", SCHEDULE, "Last status of the backup. A value of 1 is success, 0 is failure"),
    m("velero_backup_location_status_gauge", "gauge", ["backup_location_name"], "The status of backup location. A value of 1 is available, 0 is unavailable"),
    m("velero_restore_total", "gauge", [], "Current number of existent restores"),
    m("velero_restore_attempt_total", "counter", SCHEDULE, "Total number of attempted restores"),
    m("velero_restore_success_total", "counter", SCHEDULE, "Total number of successful restores"),
    m("velero_restore_partial_failure_total", "counter", SCHEDULE, "Total number of partially failed restores"),
    m("velero_restore_failed_total", "counter", SCHEDULE, "Total number of failed restores"),
    m("velero_restore_validation_failed_total", "counter", SCHEDULE, "Total number of failed restores failing validations"),
    m("velero_volume_snapshot_attempt_total", "counter", SCHEDULE, "Total number of attempted volume snapshots"),
    m("velero_volume_snapshot_success_total", "counter", SCHEDULE, "Total number of successful volume snapshots"),
    m("velero_volume_snapshot_failure_total", "counter", SCHEDULE, "Total number of failed volume snapshots"),
    m("velero_csi_snapshot_attempt_total", "counter", ["schedule", "backupName"], "Total number of CSI attempted volume snapshots"),
    m("velero_csi_snapshot_success_total", "counter", ["schedule", "backupName"], "Total number of CSI successful volume snapshots"),
    m("velero_csi_snapshot_failure_total", "counter", ["schedule", "backupName"], "Total number of CSI failed volume snapshots"),
    m("velero_repo_maintenance_success_total", "counter", ["repository_name"], "Total number of successful repo maintenance jobs"),
    m("velero_repo_maintenance_failure_total", "counter", ["repository_name"], "Total number of failed repo maintenance jobs"),
    m("velero_repo_maintenance_duration_seconds", "histogram", ["repository_name"], "Time taken to complete repo maintenance jobs, in seconds"),
  ],
};

const CRONJOB = ["namespace", "cronjob"];
const JOB = ["namespace", "job_name"];
const DAEMONSET = ["namespace", "daemonset"];

const KUBE_STATE_METRICS: Exporter = {
  id: "kube-state-metrics",
  source: "kubernetes/kube-state-metrics v2.20.0 internal/store/{cronjob,job,daemonset}.go, docs/metrics/workload/*-metrics.md",
  metrics: [
    m("kube_cronjob_info", "gauge", [...CRONJOB, "schedule", "concurrency_policy", "timezone"], "Info about cronjob"),
    m("kube_cronjob_created", "gauge", CRONJOB, "Unix creation timestamp"),
    m("kube_cronjob_next_schedule_time", "gauge", CRONJOB, "Next time the cronjob should be scheduled"),
    m("kube_cronjob_status_active", "gauge", CRONJOB, "Active holds pointers to currently running jobs"),
    m("kube_cronjob_status_last_schedule_time", "gauge", CRONJOB, "LastScheduleTime keeps information of when was the last time the job was successfully scheduled"),
    m("kube_cronjob_status_last_successful_time", "gauge", CRONJOB, "LastSuccessfulTime keeps information of when was the last time the job was completed successfully"),
    m("kube_cronjob_spec_suspend", "gauge", CRONJOB, "Suspend flag tells the controller to suspend subsequent executions"),
    m("kube_cronjob_spec_starting_deadline_seconds", "gauge", CRONJOB, "Deadline in seconds for starting the job if it misses scheduled time for any reason"),
    m("kube_job_info", "gauge", JOB, "Information about job"),
    m("kube_job_owner", "gauge", [...JOB, "owner_kind", "owner_name", "owner_is_controller"], "Information about the Job's owner"),
    m("kube_job_created", "gauge", JOB, "Unix creation timestamp"),
    m("kube_job_spec_active_deadline_seconds", "gauge", JOB, "The duration in seconds relative to the startTime that the job may be active before the system tries to terminate it"),
    m("kube_job_status_active", "gauge", JOB, "The number of actively running pods"),
    m("kube_job_status_succeeded", "gauge", JOB, "The number of pods which reached Phase Succeeded"),
    m("kube_job_status_failed", "gauge", [...JOB, "reason"], "The number of pods which reached Phase Failed and the reason for failure"),
    m("kube_job_status_start_time", "gauge", JOB, "StartTime represents time when the job was acknowledged by the Job Manager"),
    m("kube_job_status_completion_time", "gauge", JOB, "CompletionTime represents time when the job was completed"),
    m("kube_job_complete", "gauge", [...JOB, "condition"], "The job has completed its execution"),
    m("kube_job_failed", "gauge", [...JOB, "condition"], "The job has failed its execution"),
    m("kube_daemonset_status_current_number_scheduled", "gauge", DAEMONSET, "The number of nodes running at least one daemon pod and are supposed to"),
    m("kube_daemonset_status_desired_number_scheduled", "gauge", DAEMONSET, "The number of nodes that should be running the daemon pod"),
    m("kube_daemonset_status_number_available", "gauge", DAEMONSET, "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available"),
    m("kube_daemonset_status_number_misscheduled", "gauge", DAEMONSET, "The number of nodes running a daemon pod but are not supposed to"),
    m("kube_daemonset_status_number_ready", "gauge", DAEMONSET, "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready"),
    m("kube_daemonset_status_number_unavailable", "gauge", DAEMONSET, "The number of nodes that should be running the daemon pod and have none of the daemon pod running and available"),
    m("kube_daemonset_status_updated_number_scheduled", "gauge", DAEMONSET, "The total number of nodes that are running updated daemon pod"),
  ],
};

const ZREPL_JOB = ["zrepl_job"];

const ZREPL: Exporter = {
  id: "zrepl",
  source: "zrepl/zrepl v0.7.0 internal/daemon/job/active.go (push/pull jobs)",
  metrics: [
    m("zrepl_replication_state_time", "histogram", [...ZREPL_JOB, "state"], "seconds spent during replication"),
    m("zrepl_replication_bytes_replicated", "counter", [...ZREPL_JOB, "filesystem"], "number of bytes replicated from sender to receiver per filesystem"),
    m("zrepl_replication_filesystem_errors", "gauge", ZREPL_JOB, "number of filesystems that failed replication in the latest replication attempt, or -1 if the job failed before enumerating the filesystems"),
    m("zrepl_replication_last_successful", "gauge", ZREPL_JOB, "timestamp of last successful replication"),
  ],
};

/** The program's own zrepl sink check (components/zrepl/sink-check.sh), served by node_exporter's textfile collector in the sink pod. */
const SINK_CHECK: Exporter = {
  id: "zrepl-sink-check",
  source: "cluster-backup components/zrepl/sink-check.sh (SINK_CHECK_METRICS), node_exporter v1.12.1 textfile collector",
  metrics: [
    m(SINK_CHECK_METRICS.readable, "gauge", ["dataset"], "1 when zfs list of the expected sink dataset succeeded, 0 when not"),
    m(SINK_CHECK_METRICS.newestSnapshot, "gauge", ["dataset", "filesystem", "expected"], "creation time of the newest zrepl snapshot of the dataset (0: none)"),
    m(SINK_CHECK_METRICS.snapshots, "gauge", ["dataset", "filesystem", "expected"], "zrepl snapshots of the dataset"),
    m(SINK_CHECK_METRICS.lastRun, "gauge", [], "time of the sink check's last run"),
  ],
};

/** Every exporter the backup system's metrics come from. */
export const METRIC_CATALOG: readonly Exporter[] = [VELERO, KUBE_STATE_METRICS, ZREPL, SINK_CHECK];

/** The series names a Prometheus client library exposes for a family (histograms: `_bucket`, `_sum`, `_count`). */
export function seriesNames(fact: MetricFact): string[] {
  return fact.type === "histogram" ? [`${fact.name}_bucket`, `${fact.name}_sum`, `${fact.name}_count`] : [fact.name];
}

/** Every series name a query may select, with the exporter serving it. */
export function exportedSeries(catalog: readonly Exporter[] = METRIC_CATALOG): Map<string, Exporter["id"]> {
  return new Map(catalog.flatMap((e) => e.metrics.flatMap((f) => seriesNames(f).map((s) => [s, e.id] as const))));
}

/** The alert rules' metric names that no exporter of the catalog serves (empty when all are). */
export function unexportedRuleMetrics(catalog: readonly Exporter[] = METRIC_CATALOG): string[] {
  const served = exportedSeries(catalog);
  return Object.values(METRICS).filter((name) => !served.has(name));
}
