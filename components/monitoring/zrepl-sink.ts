/**
 * Alerts on the zrepl sink check (components/zrepl/sink-check.ts): per dataset on the backup node, its newest zrepl
 * snapshot too old, the expected dataset unreadable, and the check itself not running. Pure.
 *
 * Threshold of the per-dataset alert: the snapshot interval plus `flows.zrepl.lagThreshold`. zrepl takes a snapshot
 * every interval and the job-level lag alert (ZreplReplicationLagging) allows `lagThreshold` since the last
 * successful replication, whose newest snapshot was at most one interval old then; so a dataset whose newest
 * snapshot on the sink is older than both together is one the job alert would also call late, but per dataset.
 * (`monitoring.grace` is the run time allowed to a nightly backup; zrepl's grace is its lag threshold.)
 *
 * Only datasets the push job still replicates alert: the sink keeps a dataset destroyed at the source (a deleted
 * ZFS-LocalPV volume) with its last snapshots forever, so the rule joins on `filesystem`, the source path, with the
 * push job's `zrepl_replication_bytes_replicated{filesystem}` (zrepl v0.7.0 internal/daemon/job/active.go; one series
 * per filesystem the sender listed since the daemon started, labelled with its path,
 * internal/replication/logic/replication_logic.go `WithLabelValues(fs.Path)`). The configured datasets themselves
 * (`expected="true"`) alert whether or not the push side reports them.
 */
import { runbookUrl, type RunbookAnchor } from "../runbook-anchors";
import { humanDuration } from "../schema/duration";
import { SINK_CHECK_METRICS } from "../zrepl/sink-check";

/** zrepl's per-filesystem byte counter of the push job. */
export const ZREPL_BYTES_REPLICATED = "zrepl_replication_bytes_replicated";

export interface ZreplSinkTarget {
  /** zrepl's namespace and the sink DaemonSet (for the kubectl hints). */
  readonly namespace: string;
  readonly daemonSet: string;
  /** The push DaemonSet (for the `zrepl status` hint). */
  readonly pushDaemonSet: string;
  /** The push job (the `zrepl_job` label of its metrics). */
  readonly pushJob: string;
  /** The expected sink datasets, zrepl's syntax (`wdc/zrepl/garage/tank/garage<`). */
  readonly datasets: readonly string[];
  readonly checkIntervalSeconds: number;
  readonly snapshotIntervalSeconds: number;
  readonly lagSeconds: number;
  /** snapshot interval + lag threshold. */
  readonly staleAfterSeconds: number;
  readonly anchor: RunbookAnchor;
}

/** How many check intervals without a new result count as "not running". */
export const SINK_CHECK_MISSED_RUNS = 2;

/** The target from the zrepl settings (zrepl durations already parsed to seconds). */
export function zreplSinkTarget(args: Omit<ZreplSinkTarget, "staleAfterSeconds">): ZreplSinkTarget {
  return { ...args, staleAfterSeconds: args.snapshotIntervalSeconds + args.lagSeconds };
}

/** The three rules, in the shape of components/monitoring/rules.ts `AlertRule`. */
export function zreplSinkRules(t: ZreplSinkTarget, baseUrl: string) {
  const url = runbookUrl(baseUrl, t.anchor);
  const { newestSnapshot, readable, lastRun } = SINK_CHECK_METRICS;
  const logs = `\`kubectl -n ${t.namespace} logs ds/${t.daemonSet} -c sink-check\``;
  const list = `\`kubectl -n ${t.namespace} exec ds/${t.daemonSet} -c zrepl -- zfs list -t snapshot -o name,creation -s creation {{ $labels.dataset }}\``;
  const notRunning = SINK_CHECK_MISSED_RUNS * t.checkIntervalSeconds;
  const labels = (severity: "critical" | "warning") => ({ severity, flow: "zrepl" });
  const replicated = `group by (filesystem) (${ZREPL_BYTES_REPLICATED}{zrepl_job=${JSON.stringify(t.pushJob)}})`;
  return [
    {
      alert: "ZreplSinkSnapshotStale",
      expr: `time() - ${newestSnapshot} > ${t.staleAfterSeconds} and on (filesystem) (${replicated} or group by (filesystem) (${newestSnapshot}{expected="true"}))`,
      labels: labels("critical"),
      annotations: {
        summary: "The newest zrepl snapshot of {{ $labels.dataset }} on the backup node is too old",
        description:
          `The newest zrepl snapshot of {{ $labels.dataset }} (source {{ $labels.filesystem }}) on the backup node is {{ $value | humanizeDuration }} old, more than ${humanDuration(t.staleAfterSeconds)} ` +
          `(the ${humanDuration(t.snapshotIntervalSeconds)} snapshot interval plus flows.zrepl.lagThreshold ${humanDuration(t.lagSeconds)}): this dataset's off-node copy falls behind. ` +
          `See \`kubectl -n ${t.namespace} exec ds/${t.pushDaemonSet} -- zrepl status --mode dump\` (its filesystem list) and ${list}.`,
        runbook_url: url,
      },
    },
    {
      alert: "ZreplSinkDatasetUnreadable",
      expr: `${readable} == 0`,
      for: humanDuration(t.checkIntervalSeconds),
      labels: labels("critical"),
      annotations: {
        summary: "zfs list of the zrepl dataset {{ $labels.dataset }} fails on the backup node",
        description:
          `The sink check could not list {{ $labels.dataset }} on the backup node in two checks ${humanDuration(t.checkIntervalSeconds)} apart (missing, destroyed, or its pool not imported): the replica of the Garage data may be gone. ` +
          `See ${logs} (zfs's error) and \`kubectl -n ${t.namespace} exec ds/${t.daemonSet} -c zrepl -- zpool status\`.`,
        runbook_url: url,
      },
    },
    {
      alert: "ZreplSinkCheckNotRunning",
      expr: `time() - ${lastRun} > ${notRunning} or absent(${lastRun})`,
      for: humanDuration(notRunning),
      labels: labels("warning"),
      annotations: {
        summary: "The zrepl sink check has not reported recently",
        description:
          `The sink check (container sink-check of ${t.namespace}/${t.daemonSet}, every ${humanDuration(t.checkIntervalSeconds)}) has written no result for more than ${humanDuration(notRunning)}, or its exporter is not scraped (PodMonitor port sink-check): ` +
          `the per-dataset alerts of the backup node are blind. See ${logs} and \`kubectl -n ${t.namespace} get pods -l app.kubernetes.io/component=sink\`.`,
        runbook_url: url,
      },
    },
  ];
}

/** Plan-summary line. */
export function zreplSinkNote(t: ZreplSinkTarget): string {
  return (
    `Alert ZreplSink{SnapshotStale,DatasetUnreadable,CheckNotRunning} for ${t.datasets.map((d) => `\`${d}\``).join(", ")} on the backup node: ` +
    `newest snapshot older than ${humanDuration(t.staleAfterSeconds)} (${humanDuration(t.snapshotIntervalSeconds)} interval + ${humanDuration(t.lagSeconds)} lag threshold), checked every ${humanDuration(t.checkIntervalSeconds)}, runbook #${t.anchor}`
  );
}
