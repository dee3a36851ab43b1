/**
 * The alerting rules of the backup system (docs/design.md §3.8), built as typed PrometheusRule groups by pure functions.
 *
 * Every threshold comes from the targets (components/flows/alert-targets.ts reads them off the flow inventory's watches,
 * components/flows), which derive it from the cron of the Schedule or CronJob it watches (interval between runs +
 * grace); nothing here is a hand-typed number of hours.
 *
 * Metric facts (docs/design.md §3.8; velero v1.18 `pkg/metrics/metrics.go`, zrepl v0.7.0 `internal/daemon/job/active.go`,
 * kube-state-metrics v2):
 * - Velero labels its backup metrics with `schedule` = the Schedule's name; `velero_backup_last_successful_timestamp`
 *   does not exist until a backup of that schedule has succeeded, hence the `absent()` rules beside the age rules.
 * - `velero_backup_location_status_gauge{backup_location_name}` is 1 when the location is available, 0 when not.
 * - `velero_backup_items_total{schedule}` is a gauge: the item count of the schedule's latest backup, set when it
 *   ends (velero v1.18.1 pkg/metrics/metrics.go RegisterBackupItemsTotalGauge, called from
 *   pkg/controller/backup_controller.go with `backup.Status.Progress.TotalItems`); absent until then.
 * - `zrepl_replication_last_successful` (Unix time, const label `zrepl_job`) is 0 until the first success after
 *   the daemon starts; `zrepl_replication_filesystem_errors` counts failed filesystems of the latest attempt
 *   (-1 when it failed before listing them).
 * - kube-state-metrics: `kube_cronjob_status_last_successful_time{namespace,cronjob}` (absent until the first
 *   success), `kube_job_status_failed{namespace,job_name}`, `kube_job_status_start_time{namespace,job_name}`,
 *   `kube_daemonset_status_{desired_number_scheduled,number_ready}{namespace,daemonset}`. Jobs of a CronJob are
 *   named `<cronjob>-<scheduled time in minutes since the epoch>`.
 */
import { runbookUrl, type RunbookAnchor } from "../runbook-anchors";
import { humanDuration } from "../schema/duration";
import { repoMaintenanceRule, type RepoMaintenanceTarget } from "./repo-maintenance";
import { zreplSinkRules, type ZreplSinkTarget } from "./zrepl-sink";

/** Metric names the rules read. */
export const METRICS = {
  veleroBackupFailure: "velero_backup_failure_total",
  veleroBackupPartialFailure: "velero_backup_partial_failure_total",
  veleroLastSuccess: "velero_backup_last_successful_timestamp",
  veleroLocationStatus: "velero_backup_location_status_gauge",
  veleroItemsTotal: "velero_backup_items_total",
  cronJobLastSuccess: "kube_cronjob_status_last_successful_time",
  jobFailed: "kube_job_status_failed",
  jobStartTime: "kube_job_status_start_time",
  daemonSetDesired: "kube_daemonset_status_desired_number_scheduled",
  daemonSetReady: "kube_daemonset_status_number_ready",
  zreplLastSuccess: "zrepl_replication_last_successful",
  zreplErrors: "zrepl_replication_filesystem_errors",
} as const;

/** How long a location or DaemonSet may be down before it alerts (Velero validates locations every minute). */
export const UNAVAILABLE_FOR_SECONDS = 15 * 60;
/** A backup holding less than this share of the largest item count of its recent backups is a sudden drop. */
export const ITEMS_DROP_RATIO = 0.5;
/** How many runs of the schedule "recent" covers. */
export const ITEMS_LOOKBACK_RUNS = 7;
/** Consecutive zrepl attempts that must fail before the error alert fires. */
export const ZREPL_FAILED_ATTEMPTS = 2;

export type Severity = "critical" | "warning";

/** One alerting rule of a PrometheusRule group (monitoring.coreos.com/v1 `Rule`). */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  /** Prometheus duration; absent = fire on the first evaluation. */
  readonly for?: string;
  readonly labels: { readonly severity: Severity; readonly flow: string };
  readonly annotations: { readonly summary: string; readonly description: string; readonly runbook_url: string };
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

/** A Velero Schedule to watch. */
export interface ScheduleTarget {
  /** Schedule name = the `schedule` label of Velero's metrics, e.g. `tenants-daily`. */
  readonly name: string;
  /** Flow label value, e.g. `tenants`. */
  readonly flow: string;
  /** The cron without time zone, e.g. `0 1 * * *`. */
  readonly cron: string;
  /** Longest gap between two runs of the cron. */
  readonly intervalSeconds: number;
  /** Age of the last success at which the schedule counts as stale (interval + grace, or monitoring.staleAfter). */
  readonly staleAfterSeconds: number;
  /** The backup storage location it writes to. */
  readonly location: string;
  readonly anchor: RunbookAnchor;
}

/** A backup storage location to watch. */
export interface LocationTarget {
  readonly name: string;
  /** Schedules writing to it. */
  readonly schedules: readonly string[];
  readonly anchor: RunbookAnchor;
}

/** A CronJob to watch (Benji, restore drills). */
export interface CronJobTarget {
  readonly name: string;
  readonly namespace: string;
  readonly flow: string;
  readonly cron: string;
  readonly intervalSeconds: number;
  readonly staleAfterSeconds: number;
  /** What one run does, for the description, e.g. `backs up every RBD PVC labelled backup-this-pvc=true`. */
  readonly purpose: string;
  /** Severity when it has not succeeded in time. */
  readonly staleSeverity: Severity;
  readonly anchor: RunbookAnchor;
  /** Alert name prefix instead of the group's (Benji's integrity CronJobs: `BenjiScrub`, `BenjiRestoreDrill`, ...). */
  readonly alertPrefix?: string;
  /** Severity of `<prefix>Failed`; default warning. */
  readonly failedSeverity?: Severity;
  /** What a failed Job means, appended to the `<prefix>Failed` description. */
  readonly failedMeaning?: string;
}

/** A DaemonSet whose pods must be ready. */
export interface DaemonSetTarget {
  readonly name: string;
  readonly namespace: string;
  readonly flow: string;
  readonly purpose: string;
  readonly anchor: RunbookAnchor;
}

/** The zrepl push job to watch. */
export interface ZreplTarget {
  /** zrepl job name (the `zrepl_job` label), e.g. `garage_push`. */
  readonly job: string;
  /** Namespace and DaemonSet of the push side (for the `zrepl status` hint). */
  readonly namespace: string;
  readonly daemonSet: string;
  /** Snapshot (and replication) interval. */
  readonly intervalSeconds: number;
  /** flows.zrepl.lagThreshold. */
  readonly lagSeconds: number;
  readonly anchor: RunbookAnchor;
}

/** Everything the rules watch, with thresholds already derived. */
export interface AlertTargets {
  /** Velero's namespace (for the velero CLI hint in descriptions). */
  readonly veleroNamespace: string;
  readonly schedules: readonly ScheduleTarget[];
  readonly locations: readonly LocationTarget[];
  /** Velero's node-agent; undefined without Velero. */
  readonly nodeAgent?: DaemonSetTarget;
  /** Kopia repository maintenance (components/monitoring/repo-maintenance.ts); undefined without Velero. */
  readonly repoMaintenance?: RepoMaintenanceTarget;
  readonly benji: readonly CronJobTarget[];
  readonly zrepl?: ZreplTarget;
  readonly zreplDaemonSets: readonly DaemonSetTarget[];
  /** The zrepl sink check (components/monitoring/zrepl-sink.ts), when it runs. */
  readonly zreplSink?: ZreplSinkTarget;
  readonly drills: readonly CronJobTarget[];
  /** The tenant opt-out CronJob (tenant-backup-optout), when it runs. */
  readonly optOut?: CronJobTarget;
  /** Base URL of RESTORE.md. */
  readonly runbookBaseUrl: string;
}

/** Group names of the PrometheusRule. */
export const GROUPS = {
  velero: "cluster-backup.velero",
  benji: "cluster-backup.benji",
  zrepl: "cluster-backup.zrepl",
  drills: "cluster-backup.restore-drills",
} as const;

/** A Prometheus duration (`90000` → `25h`, `600` → `10m`, `5400` → `1h30m`). */
export function promDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0) throw new Error(`not a whole number of seconds: ${seconds}`);
  if (seconds === 0) return "0s";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}`;
}

/** `metric{a="x",b=~"y"}`; a label value starting with `~` is a regex match. Values are PromQL string literals. */
export function selector(metric: string, labels: Readonly<Record<string, string>>): string {
  const matchers = Object.entries(labels).map(([k, v]) => (v.startsWith("~") ? `${k}=~${JSON.stringify(v.slice(1))}` : `${k}=${JSON.stringify(v)}`));
  return `${metric}{${matchers.join(",")}}`;
}

/** Names of the Jobs a CronJob creates: `<cronjob>-<minutes since the epoch>`. */
export function cronJobJobNames(cronJob: string): string {
  return `~${cronJob}-[0-9]+`;
}

function rule(
  alert: string,
  expr: string,
  forSeconds: number | undefined,
  severity: Severity,
  flow: string,
  summary: string,
  description: string,
  url: string,
): AlertRule {
  return {
    alert,
    expr,
    ...(forSeconds ? { for: promDuration(forSeconds) } : {}),
    labels: { severity, flow },
    annotations: { summary, description, runbook_url: url },
  };
}

function thresholdText(staleAfter: number, interval: number): string {
  return staleAfter > interval ? `${humanDuration(staleAfter)} (the ${humanDuration(interval)} between runs plus ${humanDuration(staleAfter - interval)} grace)` : humanDuration(staleAfter);
}

/** The four rules of one Velero Schedule: failed, partially failed, stale, never succeeded. */
export function scheduleRules(t: ScheduleTarget, veleroNamespace: string, baseUrl: string): AlertRule[] {
  const url = runbookUrl(baseUrl, t.anchor);
  const bySchedule = { schedule: t.name };
  const window = promDuration(t.intervalSeconds);
  const when = `'${t.cron}' (at most ${humanDuration(t.intervalSeconds)} between runs)`;
  const inspect = `\`velero -n ${veleroNamespace} backup get -l velero.io/schedule-name=${t.name}\`, then \`velero -n ${veleroNamespace} backup describe --details <backup>\` and \`velero -n ${veleroNamespace} backup logs <backup>\``;
  const lastSuccess = selector(METRICS.veleroLastSuccess, bySchedule);
  return [
    rule(
      "VeleroBackupFailed",
      `increase(${selector(METRICS.veleroBackupFailure, bySchedule)}[${window}]) > 0`,
      undefined,
      "warning",
      t.flow,
      `A backup of the Velero Schedule ${t.name} failed`,
      `A backup of the Velero Schedule ${t.name} (flow ${t.flow}, runs ${when}, location ${t.location}) failed within the last ${humanDuration(t.intervalSeconds)}. Inspect it: ${inspect}.`,
      url,
    ),
    rule(
      "VeleroBackupPartiallyFailed",
      `increase(${selector(METRICS.veleroBackupPartialFailure, bySchedule)}[${window}]) > 0`,
      undefined,
      "warning",
      t.flow,
      `A backup of the Velero Schedule ${t.name} partially failed`,
      `A backup of the Velero Schedule ${t.name} (flow ${t.flow}, runs ${when}, location ${t.location}) ended PartiallyFailed within the last ${humanDuration(t.intervalSeconds)}: some items or volumes are missing from it. Inspect it: ${inspect}.`,
      url,
    ),
    rule(
      "VeleroBackupStale",
      `time() - ${lastSuccess} > ${t.staleAfterSeconds}`,
      undefined,
      "critical",
      t.flow,
      `No recent successful backup of the Velero Schedule ${t.name}`,
      `The last successful backup of the Velero Schedule ${t.name} (flow ${t.flow}, runs ${when}) is {{ $value | humanizeDuration }} old, more than ${thresholdText(t.staleAfterSeconds, t.intervalSeconds)}: backups fail or do not run. Check the Schedule (\`velero -n ${veleroNamespace} schedule describe ${t.name}\`, FailedValidation shows there) and the latest backups: ${inspect}.`,
      url,
    ),
    rule(
      "VeleroBackupNeverSucceeded",
      `absent(${lastSuccess})`,
      t.staleAfterSeconds,
      "critical",
      t.flow,
      `The Velero Schedule ${t.name} has no successful backup`,
      `Velero reports no successful backup of the Schedule ${t.name} (flow ${t.flow}, runs ${when}) for ${thresholdText(t.staleAfterSeconds, t.intervalSeconds)}, or its metrics are not scraped. Check the Schedule (\`velero -n ${veleroNamespace} schedule describe ${t.name}\`) and its backups: ${inspect}.`,
      url,
    ),
  ];
}

/**
 * A sudden drop in what a Schedule backs up: its latest backup holds less than {@link ITEMS_DROP_RATIO} of the largest
 * item count over its last {@link ITEMS_LOOKBACK_RUNS} runs. A backup that succeeds with almost nothing in it (every
 * tenant namespace marked excluded, a broken selector) fires no failure alert; this one sees it.
 */
export function itemsDropRule(t: ScheduleTarget, veleroNamespace: string, baseUrl: string): AlertRule {
  const items = selector(METRICS.veleroItemsTotal, { schedule: t.name });
  const lookback = promDuration(ITEMS_LOOKBACK_RUNS * t.intervalSeconds);
  return rule(
    "VeleroBackupItemsDropped",
    `${items} < ${ITEMS_DROP_RATIO} * max_over_time(${items}[${lookback}])`,
    undefined,
    "warning",
    t.flow,
    `The latest backup of the Velero Schedule ${t.name} holds far fewer items than before`,
    `The latest backup of the Velero Schedule ${t.name} (flow ${t.flow}) holds {{ $value }} items, less than ${ITEMS_DROP_RATIO * 100}% of the most it held over the last ${humanDuration(ITEMS_LOOKBACK_RUNS * t.intervalSeconds)} (${ITEMS_LOOKBACK_RUNS} runs): namespaces may have been excluded (label velero.io/exclude-from-backup) or deleted. ` +
      `Compare \`velero -n ${veleroNamespace} backup describe <backup>\` of the last two backups (\`velero -n ${veleroNamespace} backup get -l velero.io/schedule-name=${t.name}\`) and \`kubectl get namespaces -l velero.io/exclude-from-backup=true\`.`,
    runbookUrl(baseUrl, t.anchor),
  );
}

/** A backup storage location reported unavailable. */
export function locationRule(t: LocationTarget, veleroNamespace: string, baseUrl: string): AlertRule {
  const users = t.schedules.length ? `the Schedules ${t.schedules.join(", ")} write to it` : "no Schedule of this stack writes to it";
  return rule(
    "VeleroBackupLocationUnavailable",
    `${selector(METRICS.veleroLocationStatus, { backup_location_name: t.name })} == 0`,
    UNAVAILABLE_FOR_SECONDS,
    "critical",
    "velero",
    `Velero backup storage location ${t.name} is unavailable`,
    `Velero cannot reach the backup storage location ${t.name} (${users}); backups to it fail until it is available again. See \`velero -n ${veleroNamespace} backup-location get ${t.name}\` and the velero Deployment's log (credentials, bucket, endpoint, region).`,
    runbookUrl(baseUrl, t.anchor),
  );
}

/** Pods of a DaemonSet not ready: fewer ready than scheduled, none ready, or the DaemonSet missing. */
export function daemonSetExpr(namespace: string, name: string): string {
  const labels = { namespace, daemonset: name };
  const ready = selector(METRICS.daemonSetReady, labels);
  return `${selector(METRICS.daemonSetDesired, labels)} - ${ready} > 0 or ${ready} < 1 or absent(${ready})`;
}

export function daemonSetRule(alert: string, t: DaemonSetTarget, baseUrl: string): AlertRule {
  return rule(
    alert,
    daemonSetExpr(t.namespace, t.name),
    UNAVAILABLE_FOR_SECONDS,
    "warning",
    t.flow,
    `DaemonSet ${t.namespace}/${t.name} has pods that are not ready`,
    `The DaemonSet ${t.namespace}/${t.name} (${t.purpose}) has had pods not ready, or none at all, for ${humanDuration(UNAVAILABLE_FOR_SECONDS)}. See \`kubectl -n ${t.namespace} get pods -o wide\` and \`kubectl -n ${t.namespace} describe daemonset ${t.name}\`.`,
    runbookUrl(baseUrl, t.anchor),
  );
}

/** The three rules of one CronJob: its latest Job failed, no success within its interval, never succeeded. */
export function cronJobRules(prefix: string, t: CronJobTarget, baseUrl: string): AlertRule[] {
  const url = runbookUrl(baseUrl, t.anchor);
  const jobs = { namespace: t.namespace, job_name: cronJobJobNames(t.name) };
  const lastSuccess = selector(METRICS.cronJobLastSuccess, { namespace: t.namespace, cronjob: t.name });
  const what = `The CronJob ${t.namespace}/${t.name} (runs '${t.cron}', at most ${humanDuration(t.intervalSeconds)} between runs; ${t.purpose})`;
  const inspect = `\`kubectl -n ${t.namespace} get jobs --sort-by=.metadata.creationTimestamp\`, \`kubectl -n ${t.namespace} describe cronjob ${t.name}\` (events) and the failed Job's log`;
  return [
    rule(
      `${prefix}Failed`,
      `${selector(METRICS.jobFailed, jobs)} > 0 and on(namespace, job_name) time() - ${selector(METRICS.jobStartTime, jobs)} < ${t.intervalSeconds}`,
      undefined,
      t.failedSeverity ?? "warning",
      t.flow,
      `A Job of the CronJob ${t.namespace}/${t.name} failed`,
      `${what} had a Job {{ $labels.job_name }} fail within the last ${humanDuration(t.intervalSeconds)}.${t.failedMeaning ? ` ${t.failedMeaning}` : ""} Inspect it: ${inspect}.`,
      url,
    ),
    rule(
      `${prefix}Stale`,
      `time() - ${lastSuccess} > ${t.staleAfterSeconds}`,
      undefined,
      t.staleSeverity,
      t.flow,
      `The CronJob ${t.namespace}/${t.name} has not succeeded recently`,
      `${what} last succeeded {{ $value | humanizeDuration }} ago, more than ${thresholdText(t.staleAfterSeconds, t.intervalSeconds)}. Inspect it: ${inspect}.`,
      url,
    ),
    rule(
      `${prefix}NeverSucceeded`,
      `absent(${lastSuccess})`,
      t.staleAfterSeconds,
      t.staleSeverity,
      t.flow,
      `The CronJob ${t.namespace}/${t.name} has never succeeded`,
      `${what} has no successful run for ${thresholdText(t.staleAfterSeconds, t.intervalSeconds)}, or kube-state-metrics is not scraped. Inspect it: ${inspect}.`,
      url,
    ),
  ];
}

/** zrepl replication: lagging, never succeeded since the daemon started, failing filesystems. */
export function zreplRules(t: ZreplTarget, baseUrl: string): AlertRule[] {
  const url = runbookUrl(baseUrl, t.anchor);
  const job = { zrepl_job: t.job };
  const last = selector(METRICS.zreplLastSuccess, job);
  const status = `\`kubectl -n ${t.namespace} exec ds/${t.daemonSet} -- zrepl status --mode dump\` and the push pod's log`;
  return [
    rule(
      "ZreplReplicationLagging",
      `time() - ${last} > ${t.lagSeconds} and ${last} > 0`,
      undefined,
      "critical",
      "zrepl",
      `zrepl job ${t.job} has not replicated for too long`,
      `The last successful replication of the zrepl job ${t.job} (snapshots every ${humanDuration(t.intervalSeconds)}) was {{ $value | humanizeDuration }} ago, more than flows.zrepl.lagThreshold ${humanDuration(t.lagSeconds)}: the off-node copy of the Garage data falls behind. See ${status}.`,
      url,
    ),
    rule(
      "ZreplReplicationNeverSucceeded",
      `${last} == 0 or absent(${last})`,
      t.lagSeconds,
      "critical",
      "zrepl",
      `zrepl job ${t.job} has not replicated since it started`,
      `The zrepl job ${t.job} has had no successful replication for ${humanDuration(t.lagSeconds)} (flows.zrepl.lagThreshold) since its daemon started, or its metrics are not scraped. See ${status}.`,
      url,
    ),
    rule(
      "ZreplReplicationErrors",
      `${selector(METRICS.zreplErrors, job)} != 0`,
      ZREPL_FAILED_ATTEMPTS * t.intervalSeconds,
      "warning",
      "zrepl",
      `zrepl job ${t.job} fails to replicate filesystems`,
      `The latest replication attempts of the zrepl job ${t.job} failed for {{ $value }} filesystems (-1: the attempt failed before listing them) for ${humanDuration(ZREPL_FAILED_ATTEMPTS * t.intervalSeconds)} (${ZREPL_FAILED_ATTEMPTS} snapshot intervals). See ${status}.`,
      url,
    ),
  ];
}

/** The PrometheusRule `spec.groups` for the targets; empty groups are left out. Pure. */
export function buildAlertGroups(t: AlertTargets): RuleGroup[] {
  const base = t.runbookBaseUrl;
  const velero = [
    ...t.schedules.flatMap((s) => [...scheduleRules(s, t.veleroNamespace, base), itemsDropRule(s, t.veleroNamespace, base)]),
    ...t.locations.map((l) => locationRule(l, t.veleroNamespace, base)),
    ...(t.nodeAgent ? [daemonSetRule("VeleroNodeAgentNotReady", t.nodeAgent, base)] : []),
    ...(t.repoMaintenance ? [repoMaintenanceRule(t.repoMaintenance, base)] : []),
    ...(t.optOut ? cronJobRules("TenantOptOutJob", t.optOut, base) : []),
  ];
  const benji = t.benji.flatMap((c) => cronJobRules(c.alertPrefix ?? "BenjiJob", c, base));
  const zrepl = [
    ...(t.zrepl ? zreplRules(t.zrepl, base) : []),
    ...t.zreplDaemonSets.map((d) => daemonSetRule("ZreplDaemonNotReady", d, base)),
    ...(t.zreplSink ? zreplSinkRules(t.zreplSink, base) : []),
  ];
  const drills = t.drills.flatMap((c) => cronJobRules("RestoreDrill", c, base));
  return [
    { name: GROUPS.velero, rules: velero },
    { name: GROUPS.benji, rules: benji },
    { name: GROUPS.zrepl, rules: zrepl },
    { name: GROUPS.drills, rules: drills },
  ].filter((g) => g.rules.length > 0);
}
