/**
 * The zrepl sink alerts (components/monitoring/zrepl-sink.ts): exact rules for the prod stack, the PodMonitor endpoint,
 * the interval refusal, and the rules evaluated by Prometheus (promtool) on per-dataset series: a stale dataset the push
 * job replicates fires, one destroyed at the source does not, an unreadable dataset fires after two checks, a check
 * that stopped writing (or was never scraped) fires after two intervals.
 */
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../components/config";
import { zreplPodMonitorSpec } from "../components/monitoring/alerts";
import { buildAlertGroups, GROUPS } from "../components/monitoring/rules";
import { zreplSinkRules } from "../components/monitoring/zrepl-sink";
import { scheduleSpecsFromConfig } from "../components/stack-args";
import { alertTargetsFromConfig } from "./lib/alert-targets";
import { readStackFile } from "../scripts/lib/stack-file";
import { ROOT, stackConfigProblems } from "./harness";
import { promqlErrors } from "./lib/promql";
import { checkAlerts, HAS_PROMTOOL, type InputSeries } from "./lib/promtool";

const { config, secretKeys } = readStackFile(ROOT, "prod");
const cfg = parseStackConfig(config, new Set(secretKeys), "prod");
const zreplConfig = JSON.parse(config["cluster-backup:flows"]).zrepl;

describe("zrepl sink alerts in the prod stack", () => {
  const targets = alertTargetsFromConfig(cfg, scheduleSpecsFromConfig(cfg), []);
  const rules = buildAlertGroups(targets).find((g) => g.name === GROUPS.zrepl)!.rules;

  it("target: the expected dataset, checked every 5m, stale after the 10m interval + the 1h lag threshold", () => {
    expect(targets.zreplSink).toEqual({
      namespace: "zrepl",
      daemonSet: "zrepl-sink",
      pushDaemonSet: "zrepl-garage-push",
      pushJob: "garage_push",
      datasets: ["wdc/zrepl/garage/tank/garage<"],
      checkIntervalSeconds: 300,
      snapshotIntervalSeconds: 600,
      lagSeconds: 3600,
      staleAfterSeconds: 4200,
      anchor: "garage-data-zrepl",
    });
  });

  it("three rules after the job and DaemonSet rules of the zrepl group, exact", () => {
    expect(rules.map((r) => r.alert)).toEqual([
      "ZreplReplicationLagging",
      "ZreplReplicationNeverSucceeded",
      "ZreplReplicationErrors",
      "ZreplDaemonNotReady",
      "ZreplDaemonNotReady",
      "ZreplSinkSnapshotStale",
      "ZreplSinkDatasetUnreadable",
      "ZreplSinkCheckNotRunning",
    ]);
    expect(rules.slice(5)).toEqual([
      {
        alert: "ZreplSinkSnapshotStale",
        expr:
          "time() - cluster_backup_zrepl_sink_newest_snapshot_timestamp_seconds > 4200 and on (filesystem) " +
          '(group by (filesystem) (zrepl_replication_bytes_replicated{zrepl_job="garage_push"}) or group by (filesystem) (cluster_backup_zrepl_sink_newest_snapshot_timestamp_seconds{expected="true"}))',
        labels: { severity: "critical", flow: "zrepl" },
        annotations: {
          summary: "The newest zrepl snapshot of {{ $labels.dataset }} on the backup node is too old",
          description:
            "The newest zrepl snapshot of {{ $labels.dataset }} (source {{ $labels.filesystem }}) on the backup node is {{ $value | humanizeDuration }} old, more than 70m (the 10m snapshot interval plus flows.zrepl.lagThreshold 1h): this dataset's off-node copy falls behind. " +
            "See `kubectl -n zrepl exec ds/zrepl-garage-push -- zrepl status --mode dump` (its filesystem list) and `kubectl -n zrepl exec ds/zrepl-sink -c zrepl -- zfs list -t snapshot -o name,creation -s creation {{ $labels.dataset }}`.",
          runbook_url: "RESTORE.md#garage-data-zrepl",
        },
      },
      {
        alert: "ZreplSinkDatasetUnreadable",
        expr: "cluster_backup_zrepl_sink_dataset_readable == 0",
        for: "5m",
        labels: { severity: "critical", flow: "zrepl" },
        annotations: {
          summary: "zfs list of the zrepl dataset {{ $labels.dataset }} fails on the backup node",
          description:
            "The sink check could not list {{ $labels.dataset }} on the backup node in two checks 5m apart (missing, destroyed, or its pool not imported): the replica of the Garage data may be gone. " +
            "See `kubectl -n zrepl logs ds/zrepl-sink -c sink-check` (zfs's error) and `kubectl -n zrepl exec ds/zrepl-sink -c zrepl -- zpool status`.",
          runbook_url: "RESTORE.md#garage-data-zrepl",
        },
      },
      {
        alert: "ZreplSinkCheckNotRunning",
        expr: "time() - cluster_backup_zrepl_sink_check_timestamp_seconds > 600 or absent(cluster_backup_zrepl_sink_check_timestamp_seconds)",
        for: "10m",
        labels: { severity: "warning", flow: "zrepl" },
        annotations: {
          summary: "The zrepl sink check has not reported recently",
          description:
            "The sink check (container sink-check of zrepl/zrepl-sink, every 5m) has written no result for more than 10m, or its exporter is not scraped (PodMonitor port sink-check): the per-dataset alerts of the backup node are blind. " +
            "See `kubectl -n zrepl logs ds/zrepl-sink -c sink-check` and `kubectl -n zrepl get pods -l app.kubernetes.io/component=sink`.",
          runbook_url: "RESTORE.md#garage-data-zrepl",
        },
      },
    ]);
    expect(rules.flatMap((r) => promqlErrors(r.expr))).toEqual([]);
  });

  it("the PodMonitor scrapes the sink check's port too, only when it runs", () => {
    expect(zreplPodMonitorSpec("zrepl", true).podMetricsEndpoints).toEqual([
      { port: "metrics", path: "/metrics", interval: "60s" },
      { port: "sink-check", path: "/metrics", interval: "60s" },
    ]);
    expect(zreplPodMonitorSpec("zrepl").podMetricsEndpoints).toEqual([{ port: "metrics", path: "/metrics", interval: "60s" }]);
  });

  it("sinkCheck.enabled: false leaves the check and its rules out", () => {
    const off = parseStackConfig({ ...config, "cluster-backup:flows": JSON.stringify({ ...JSON.parse(config["cluster-backup:flows"]), zrepl: { ...zreplConfig, sinkCheck: { enabled: false } } }) }, new Set(secretKeys), "prod");
    const t = alertTargetsFromConfig(off, scheduleSpecsFromConfig(off), []);
    expect(t.zreplSink).toBeUndefined();
    expect(buildAlertGroups(t).find((g) => g.name === GROUPS.zrepl)!.rules.map((r) => r.alert)).not.toContain("ZreplSinkSnapshotStale");
  });

  it("an interval longer than flows.zrepl.lagThreshold, or no zrepl duration, is refused with one line naming the key", () => {
    const flows = (sinkCheck: object) => ({ flows: { ...JSON.parse(config["cluster-backup:flows"]), zrepl: { ...zreplConfig, sinkCheck } } });
    expect(stackConfigProblems("prod", flows({ interval: "2h" }))).toEqual([
      "cluster-backup:flows.zrepl.sinkCheck.interval: is longer than flows.zrepl.lagThreshold '1h': a dataset falling behind would be noticed later than the replication lag alert; expected a zrepl duration of at most 1h, e.g. '5m' (got \"2h\")",
    ]);
    expect(stackConfigProblems("prod", flows({ interval: "5 minutes" }))).toEqual([
      "cluster-backup:flows.zrepl.sinkCheck.interval: expected a zrepl duration: one positive number with unit s, m, h, d or w, e.g. '10m' (no compound values such as '1h30m') (got \"5 minutes\")",
    ]);
    expect(stackConfigProblems("prod", flows({ interval: "1h" }))).toEqual([]);
  });
});

describe.skipIf(!HAS_PROMTOOL)("zrepl sink alerts evaluated by Prometheus (promtool, samples every minute from t=0)", () => {
  // The prod stack's target (its exact values are asserted above).
  const target = alertTargetsFromConfig(cfg, scheduleSpecsFromConfig(cfg), []).zreplSink!;
  const [stale, unreadable, notRunning] = zreplSinkRules(target, "RESTORE.md");
  const sink = "wdc/zrepl/garage/tank/garage";
  const newest = (ds: string, fs: string, expected: boolean, values: string): InputSeries => ({
    series: `cluster_backup_zrepl_sink_newest_snapshot_timestamp_seconds{dataset="${sink}${ds}",filesystem="tank/garage${ds}",expected="${expected}",pod="zrepl-sink-x"}`,
    values,
  });
  const replicated = (ds: string): InputSeries => ({ series: `zrepl_replication_bytes_replicated{zrepl_job="garage_push",filesystem="tank/garage${ds}",pod="zrepl-garage-push-y"}`, values: "0+1000x120" });
  const expectPass = (r: { status: number | null; output: string }) => {
    expect(r.output).not.toMatch(/FAILED/);
    expect(r.status).toBe(0);
  };

  it("per dataset: a replicated dataset or the configured one whose newest snapshot is over 70m old fires; a dataset gone from the source and a fresh one do not", () => {
    const input = [
      // Newest snapshot taken at t=0 and never again.
      newest("", "", true, "0x120"),
      newest("/pvc-1", "", false, "0x120"),
      newest("/pvc-gone", "", false, "0x120"),
      // A new snapshot every minute.
      newest("/pvc-2", "", false, "0+60x120"),
      replicated("/pvc-1"),
      replicated("/pvc-2"),
    ];
    const labels = (ds: string, expected: boolean) => ({ dataset: `${sink}${ds}`, filesystem: `tank/garage${ds}`, expected: String(expected), pod: "zrepl-sink-x" });
    expectPass(
      checkAlerts(stale, input, [
        { at: "70m", firing: [] },
        { at: "71m", firing: [labels("", true), labels("/pvc-1", false)] },
        { at: "120m", firing: [labels("", true), labels("/pvc-1", false)] },
      ]),
    );
  });

  it("an unreadable dataset fires once it has stayed so for one check interval", () => {
    const input = [{ series: `cluster_backup_zrepl_sink_dataset_readable{dataset="${sink}",pod="zrepl-sink-x"}`, values: "1x10 0x20" }];
    expectPass(
      checkAlerts(unreadable, input, [
        { at: "10m", firing: [] },
        { at: "15m", firing: [] },
        { at: "16m", firing: [{ dataset: sink, pod: "zrepl-sink-x" }] },
      ]),
    );
  });

  it("the check stops writing at 30m (the exporter keeps serving the old file): fires at 50m; never scraped: fires after 10m", () => {
    // The value is the time of the last check: a check every 5 minutes until 30m.
    const lastRun = Array.from({ length: 61 }, (_, m) => String(Math.min(Math.floor(m / 5) * 300, 1800))).join(" ");
    expectPass(
      checkAlerts(notRunning, [{ series: 'cluster_backup_zrepl_sink_check_timestamp_seconds{pod="zrepl-sink-x"}', values: lastRun }], [
        { at: "30m", firing: [] },
        { at: "49m", firing: [] },
        { at: "51m", firing: [{ pod: "zrepl-sink-x" }] },
      ]),
    );
    expectPass(
      checkAlerts(notRunning, [{ series: 'unrelated{pod="x"}', values: "1x30" }], [
        { at: "9m", firing: [] },
        { at: "11m", firing: [{}] },
      ]),
    );
  });
});
