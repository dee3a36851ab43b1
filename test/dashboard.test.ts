/**
 * The Grafana dashboard generated from the flow inventory (components/dashboard/dashboard.ts): exact panels and
 * thresholds for the prod stack, every query valid PromQL reading only metrics the deployed exporters serve
 * (components/dashboard/metric-catalog.ts), any number of watches and verifications per flow, and the catalog itself.
 */
import { describe, expect, it } from "vitest";
import { defaultDashboard, type Panel, type RowPanel } from "@grafana/schema";
import { parseStackConfig, type StackConfig } from "../components/config";
import { buildDrillSpecs } from "../components/drills/spec";
import type { FlowInventory, Verification } from "../components/flows/types";
import { buildDashboard, withMatcher, type DashboardSettings } from "../components/dashboard/dashboard";
import { dashboardJson } from "../components/dashboard/dashboard-names";
import { exportedSeries, METRIC_CATALOG, seriesNames, unexportedRuleMetrics } from "../components/dashboard/metric-catalog";
import { METRICS } from "../components/monitoring/rules";
import { RUNBOOK_ANCHORS } from "../components/runbook-anchors";
import { flowInventoryFromConfig } from "../components/stack-args";
import { buildScheduleSpecs } from "../components/velero/schedule-specs";
import { readStackFile } from "../scripts/lib/stack-file";
import { rawConfig, ROOT } from "./harness";
import { promqlMetricNames, queryMetricProblems } from "./lib/promql";

function stackConfig(stack: string, overrides: Record<string, unknown> = {}): StackConfig {
  const { config, secretKeys } = readStackFile(ROOT, stack);
  return parseStackConfig({ ...config, ...rawConfig(overrides) }, new Set(secretKeys), stack);
}

function inventoryOf(cfg: StackConfig): FlowInventory {
  return flowInventoryFromConfig(cfg, buildScheduleSpecs(cfg), buildDrillSpecs(cfg));
}

const SETTINGS: DashboardSettings = { uid: "cluster-backup-prod", title: "Backup flows (prod)", tags: ["cluster-backup", "backup", "prod"] };

type AnyPanel = Panel | RowPanel;
const isRow = (p: AnyPanel): p is RowPanel => p.type === "row";
const exprs = (p: AnyPanel): string[] => (isRow(p) ? [] : (p.targets ?? []).map((t) => String(t.expr)));
const titled = (panels: AnyPanel[], title: string): Panel => {
  const found = panels.filter((p): p is Panel => !isRow(p) && p.title === title);
  if (found.length !== 1) throw new Error(`expected one panel '${title}', found ${found.length}`);
  return found[0];
};

/** Panels under each row title, in order. */
function rowsOf(panels: AnyPanel[]): Map<string, Panel[]> {
  const rows = new Map<string, Panel[]>();
  let current: Panel[] = [];
  for (const p of panels) {
    if (isRow(p)) rows.set(p.title ?? "", (current = []));
    else current.push(p);
  }
  return rows;
}

describe("metric catalog", () => {
  const served = exportedSeries();

  it("serves histograms as _bucket, _sum and _count only, counters and gauges by name", () => {
    expect(["velero_backup_duration_seconds_bucket", "velero_backup_duration_seconds_sum", "velero_backup_duration_seconds_count"].map((n) => served.get(n))).toEqual(["velero", "velero", "velero"]);
    expect(served.has("velero_backup_duration_seconds")).toBe(false);
    expect(served.get("zrepl_replication_state_time_sum")).toBe("zrepl");
    expect(served.get("kube_cronjob_status_last_successful_time")).toBe("kube-state-metrics");
    expect(seriesNames({ name: "x_total", type: "counter", labels: [], help: "" })).toEqual(["x_total"]);
  });

  it("names each metric once, with its exporter's prefix", () => {
    const names = METRIC_CATALOG.flatMap((e) => e.metrics.map((m) => m.name));
    expect(new Set(names).size).toBe(names.length);
    const prefix = { velero: "velero_", "kube-state-metrics": "kube_", zrepl: "zrepl_", "zrepl-sink-check": "cluster_backup_zrepl_sink_" } as const;
    for (const e of METRIC_CATALOG) for (const m of e.metrics) expect(m.name.startsWith(prefix[e.id])).toBe(true);
    expect(METRIC_CATALOG.map((e) => [e.id, e.metrics.length])).toEqual([
      ["velero", 32],
      ["kube-state-metrics", 26],
      ["zrepl", 4],
      ["zrepl-sink-check", 4],
    ]);
  });

  it("serves every metric the alert rules read, and says which it does not when an exporter is missing", () => {
    expect(unexportedRuleMetrics()).toEqual([]);
    expect(Object.values(METRICS).every((n) => served.has(n))).toBe(true);
    expect(unexportedRuleMetrics(METRIC_CATALOG.filter((e) => e.id !== "zrepl"))).toEqual(["zrepl_replication_last_successful", "zrepl_replication_filesystem_errors"]);
  });
});

describe("the query check", () => {
  const served = exportedSeries();

  it("reads metric names off the parse tree, not the text", () => {
    expect(promqlMetricNames('sum by (filesystem) (increase(zrepl_replication_bytes_replicated{zrepl_job="x"}[10m]))').names).toEqual(["zrepl_replication_bytes_replicated"]);
    expect(promqlMetricNames('time() - kube_cronjob_status_last_successful_time{cronjob="velero_backup_total"}').names).toEqual(["kube_cronjob_status_last_successful_time"]);
    expect(promqlMetricNames('{__name__="velero_backup_total"} + on(schedule) {"velero_restore_total"}').names).toEqual(["velero_backup_total", "velero_restore_total"]);
  });

  it("flags a metric no exporter serves, a histogram read by its family name, names by pattern and broken syntax", () => {
    expect(queryMetricProblems('velero_backup_sucess_total{schedule="x"}', served)).toEqual(["metric velero_backup_sucess_total is exported by no deployed component"]);
    expect(queryMetricProblems('velero_backup_duration_seconds{schedule="x"}', served)).toEqual(["metric velero_backup_duration_seconds is exported by no deployed component"]);
    expect(queryMetricProblems('benji_backup_bytes{x="y"} / velero_backup_total', served)).toEqual(["metric benji_backup_bytes is exported by no deployed component"]);
    expect(queryMetricProblems('{__name__=~"velero_.*"}', served)).toEqual([`metric name by pattern in '{__name__=~"velero_.*"}'`]);
    expect(queryMetricProblems('{schedule="x"}', served)).toEqual([`selector without a metric name: '{schedule="x"}'`]);
    expect(queryMetricProblems("increase(velero_backup_failure_total[$__rate_interval])", served)).not.toEqual([]);
    expect(queryMetricProblems('increase(velero_backup_failure_total{schedule="x"})', served)).toEqual([`Increase at 0 needs a range vector argument: 'increase(velero_backup_failure_total{schedule="x"})'`]);
    expect(queryMetricProblems('velero_backup_total{schedule=~"$schedule"}', served)).toEqual([]);
  });
});

describe("dashboard of the prod stack", () => {
  const inventory = inventoryOf(stackConfig("prod"));
  const dashboard = buildDashboard(inventory, SETTINGS);
  const panels = dashboard.panels ?? [];
  const served = exportedSeries();

  it("every panel query is valid PromQL reading only metrics the deployed exporters serve", () => {
    const queries = panels.flatMap((p) => exprs(p).map((e) => [p.title, e] as const));
    // 5 Schedules × 9, 9 CronJobs (Benji ×4, its scrub and drill, 2 Velero drills, opt-out) × 4, zrepl 4, 3 DaemonSets,
    // 4 locations, the zrepl sink check 2, the kopia maintenance 2.
    expect(queries.length).toBe(96);
    expect(queries.flatMap(([title, e]) => queryMetricProblems(e, served).map((problem) => `${title}: ${problem}`))).toEqual([]);
  });

  it("is the @grafana/schema default dashboard with this stack's settings", () => {
    expect(dashboard.schemaVersion).toBe(defaultDashboard.schemaVersion);
    expect({ ...dashboard, panels: undefined, templating: undefined }).toEqual({
      ...defaultDashboard,
      uid: "cluster-backup-prod",
      title: "Backup flows (prod)",
      tags: ["cluster-backup", "backup", "prod"],
      description: "Generated by cluster-backup from its flow inventory; change the program, not this dashboard.",
      editable: false,
      timezone: "UTC",
      time: { from: "now-7d", to: "now" },
      refresh: "5m",
      panels: undefined,
      templating: undefined,
    });
    expect(JSON.parse(dashboardJson(dashboard))).toEqual(JSON.parse(JSON.stringify(dashboard)));
  });

  it("has one row per flow, then the shared watches", () => {
    expect(panels.filter(isRow).map((r) => r.title)).toEqual([
      "tenants: velero-fs, 0 1 * * * UTC, verified by drill tenants",
      "system: velero-fs, 0 5 * * * UTC, no verification",
      "garage-meta-ceph: velero-csi-datamover, 0 3 * * * UTC, no verification",
      "garage-data-zfs: velero-csi-local, 0 3 * * * UTC, no verification",
      "postgres: velero-hooks, 0 4 * * * UTC, verified by drill postgres",
      "benji: benji-rbd, 30 7 * * * UTC, verified by scrub benji-deep-scrub, drill benji-restore-drill",
      "zrepl: zrepl, every 10m, no verification",
      "shared: backup storage locations, node-agent, opt-out sync",
    ]);
  });

  it("the tenants row: freshness against the alert threshold, last result, duration, failures, items, size and the drill", () => {
    const row = rowsOf(panels).get("tenants: velero-fs, 0 1 * * * UTC, verified by drill tenants") ?? [];
    const s = 'schedule="tenants-daily",schedule=~"$schedule"';
    const j = 'namespace="backup-system",job_name=~"restore-drill-tenants-[0-9]+"';
    expect(row.map((p) => [p.title, p.type, p.gridPos, exprs(p)])).toEqual([
      ["tenants-daily: since last success", "stat", { x: 0, y: 1, w: 4, h: 5 }, [`time() - velero_backup_last_successful_timestamp{${s}}`]],
      ["tenants-daily: last backup", "stat", { x: 4, y: 1, w: 4, h: 5 }, [`velero_backup_last_status{${s}}`]],
      ["tenants-daily: backup duration", "timeseries", { x: 8, y: 1, w: 8, h: 7 }, [`increase(velero_backup_duration_seconds_sum{${s}}[24h]) / increase(velero_backup_duration_seconds_count{${s}}[24h])`]],
      [
        "tenants-daily: failures",
        "timeseries",
        { x: 16, y: 1, w: 8, h: 7 },
        [`increase(velero_backup_failure_total{${s}}[24h])`, `increase(velero_backup_partial_failure_total{${s}}[24h])`, `increase(velero_backup_validation_failure_total{${s}}[24h])`],
      ],
      ["tenants-daily: items", "timeseries", { x: 0, y: 8, w: 12, h: 7 }, [`velero_backup_items_total{${s}}`, `velero_backup_items_errors{${s}}`]],
      ["tenants-daily: object tarball size", "timeseries", { x: 12, y: 8, w: 12, h: 7 }, [`velero_backup_tarball_size_bytes{${s}}`]],
      ["drill tenants: since last success", "stat", { x: 0, y: 15, w: 4, h: 5 }, ['time() - kube_cronjob_status_last_successful_time{namespace="backup-system",cronjob="restore-drill-tenants",namespace=~"$namespace"}']],
      [
        "drill tenants: last run",
        "stat",
        { x: 4, y: 15, w: 4, h: 5 },
        [
          `(1 * (kube_job_complete{${j},condition="true",namespace=~"$namespace"} == 1) or on(namespace, job_name) 2 * (kube_job_failed{${j},condition="true",namespace=~"$namespace"} == 1) or on(namespace, job_name) 0 * kube_job_created{${j},namespace=~"$namespace"}) and on(namespace, job_name) topk(1, kube_job_created{${j},namespace=~"$namespace"})`,
        ],
      ],
      ["drill tenants: run duration", "timeseries", { x: 8, y: 15, w: 8, h: 7 }, [`kube_job_status_completion_time{${j},namespace=~"$namespace"} - on(namespace, job_name) kube_job_status_start_time{${j},namespace=~"$namespace"}`]],
      ["drill tenants: failed Jobs", "timeseries", { x: 16, y: 15, w: 8, h: 7 }, [`sum(kube_job_failed{${j},condition="true",namespace=~"$namespace"}) or vector(0)`]],
    ]);
  });

  it("shows the time since the last success red from each watch's alert threshold", () => {
    const fresh = panels.filter((p): p is Panel => !isRow(p) && / since last success$/.test(p.title ?? ""));
    const steps: Record<string, [string, number | null][]> = Object.fromEntries(fresh.map((p) => [p.title, (p.fieldConfig?.defaults.thresholds?.steps ?? []).map((s) => [s.color, s.value])]));
    expect(steps).toEqual({
      "tenants-daily: since last success": [["green", null], ["red", 100800]],
      "drill tenants: since last success": [["green", null], ["red", 619200]],
      "system-daily: since last success": [["green", null], ["red", 100800]],
      "garage-meta-ceph: since last success": [["green", null], ["red", 100800]],
      "garage-data-zfs: since last success": [["green", null], ["red", 100800]],
      "postgres-backup: since last success": [["green", null], ["red", 100800]],
      "drill postgres: since last success": [["green", null], ["red", 619200]],
      "benji-backup-all: since last success": [["green", null], ["red", 100800]],
      "benji-enforce: since last success": [["green", null], ["red", 100800]],
      "benji-cleanup: since last success": [["green", null], ["red", 100800]],
      "benji-metadata-backup: since last success": [["green", null], ["red", 100800]],
      "scrub benji-deep-scrub: since last success": [["green", null], ["red", 100800]],
      "drill benji-restore-drill: since last success": [["green", null], ["red", 626400]],
      "garage_push: since last success": [["green", null], ["red", 3600]],
      "tenant-backup-optout: since last success": [["green", null], ["red", 2400]],
    });
    const thresholdsOfInventory = [...inventory.flows.flatMap((f) => [...f.watches, ...f.verifiedBy.map((v) => v.watch)]), ...inventory.infrastructure].flatMap((w) =>
      w.kind === "schedule" || w.kind === "cronjob" ? [w.staleAfterSeconds] : w.kind === "zrepl-job" ? [w.lagSeconds] : [],
    );
    expect(Object.values(steps).map((s) => s[1][1]).sort()).toEqual(thresholdsOfInventory.sort());
    expect(titled(panels, "tenants-daily: since last success").fieldConfig?.defaults).toMatchObject({ unit: "s", noValue: "never" });
  });

  it("maps the last backup, the drill's last run, locations and zrepl errors to words", () => {
    const texts = (title: string) => [titled(panels, title).fieldConfig?.defaults.mappings, titled(panels, title).fieldConfig?.defaults.noValue];
    expect(texts("tenants-daily: last backup")).toEqual([[{ type: "value", options: { "0": { text: "failed", color: "red", index: 0 }, "1": { text: "succeeded", color: "green", index: 1 } } }], "no backup yet"]);
    expect(texts("drill postgres: last run")).toEqual([
      [{ type: "value", options: { "0": { text: "running", color: "blue", index: 0 }, "1": { text: "succeeded", color: "green", index: 1 }, "2": { text: "failed", color: "red", index: 2 } } }],
      "no Job kept",
    ]);
    expect(texts("location garage-backups")).toEqual([[{ type: "value", options: { "0": { text: "unavailable", color: "red", index: 0 }, "1": { text: "available", color: "green", index: 1 } } }], "not reported"]);
    expect(exprs(titled(panels, "location garage-backups"))).toEqual(['velero_backup_location_status_gauge{backup_location_name="garage-backups"}']);
    expect(exprs(titled(panels, "node-agent: pods not ready"))).toEqual([
      'kube_daemonset_status_desired_number_scheduled{namespace="backup-system",daemonset="node-agent",namespace=~"$namespace"} - kube_daemonset_status_number_ready{namespace="backup-system",daemonset="node-agent",namespace=~"$namespace"}',
    ]);
    expect(exprs(titled(panels, "garage_push: bytes replicated"))).toEqual(['sum by (filesystem) (increase(zrepl_replication_bytes_replicated{zrepl_job="garage_push"}[10m]))']);
  });

  it("has the data source, schedule and namespace variables, the schedules and namespaces from the inventory", () => {
    const list = dashboard.templating?.list ?? [];
    expect(list.map((v) => [v.type, v.name, v.query, v.multi, v.includeAll])).toEqual([
      ["datasource", "datasource", "prometheus", false, false],
      ["custom", "schedule", "tenants-daily,system-daily,garage-meta-ceph,garage-data-zfs,postgres-backup", true, true],
      ["custom", "namespace", "backup-system,benji,zrepl", true, true],
    ]);
    for (const p of panels.filter((x): x is Panel => !isRow(x))) {
      expect(p.datasource).toEqual({ type: "prometheus", uid: "${datasource}" });
      for (const t of p.targets ?? []) expect(t.datasource).toEqual({ type: "prometheus", uid: "${datasource}" });
    }
  });

  it("lays panels on the 24-column grid without overlap, with unique ids", () => {
    const boxes = panels.map((p) => ({ id: p.id, ...p.gridPos! }));
    expect(new Set(boxes.map((b) => b.id)).size).toBe(boxes.length);
    for (const b of boxes) expect(b.x + b.w).toBeLessThanOrEqual(24);
    const overlaps = boxes.flatMap((a, i) => boxes.slice(i + 1).filter((b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h).map((b) => [a.id, b.id]));
    expect(overlaps).toEqual([]);
  });
});

describe("dashboard of any inventory", () => {
  const prod = inventoryOf(stackConfig("prod"));

  it("gives every verification of a flow its panels, whatever their number and kind", () => {
    const scrub = (name: string, cron: string): Verification => ({
      kind: "scrub",
      name,
      purpose: "reads a share of the stored blocks back against their checksums",
      watch: {
        kind: "cronjob",
        role: "scrub",
        flow: "benji",
        object: { kind: "CronJob", namespace: "benji", name },
        cron,
        intervalSeconds: 604800,
        staleAfterSeconds: 619200,
        purpose: "scrub",
        severity: "warning",
        anchor: RUNBOOK_ANCHORS.benji,
        metric: `kube_cronjob_status_last_successful_time{namespace="benji",cronjob="${name}"}`,
      },
    });
    const inventory: FlowInventory = { ...prod, flows: prod.flows.map((f) => (f.id === "benji" ? { ...f, verifiedBy: [scrub("benji-deep-scrub", "0 2 * * 0"), scrub("benji-restore-drill", "0 3 * * 0")] } : f)) };
    const panels = buildDashboard(inventory, SETTINGS).panels ?? [];
    const row = rowsOf(panels).get("benji: benji-rbd, 30 7 * * * UTC, verified by scrub benji-deep-scrub, scrub benji-restore-drill") ?? [];
    expect(row.map((p) => p.title).slice(16)).toEqual([
      "scrub benji-deep-scrub: since last success",
      "scrub benji-deep-scrub: last run",
      "scrub benji-deep-scrub: run duration",
      "scrub benji-deep-scrub: failed Jobs",
      "scrub benji-restore-drill: since last success",
      "scrub benji-restore-drill: last run",
      "scrub benji-restore-drill: run duration",
      "scrub benji-restore-drill: failed Jobs",
    ]);
    expect(exprs(row[16])).toEqual(['time() - kube_cronjob_status_last_successful_time{namespace="benji",cronjob="benji-deep-scrub",namespace=~"$namespace"}']);
  });

  it("leaves out the shared row and the schedule variable without Velero", () => {
    const inventory: FlowInventory = { ...prod, flows: prod.flows.filter((f) => f.id === "benji"), infrastructure: [] };
    const dashboard = buildDashboard(inventory, SETTINGS);
    expect((dashboard.panels ?? []).filter(isRow).map((r) => r.title)).toEqual(["benji: benji-rbd, 30 7 * * * UTC, verified by scrub benji-deep-scrub, drill benji-restore-drill"]);
    expect(dashboard.templating?.list?.map((v) => [v.name, v.query])).toEqual([
      ["datasource", "prometheus"],
      ["namespace", "benji"],
    ]);
  });

  it("is valid for the dev stack too", () => {
    const panels = buildDashboard(inventoryOf(stackConfig("dev")), { ...SETTINGS, uid: "cluster-backup-dev" }).panels ?? [];
    const served = exportedSeries();
    expect(panels.flatMap((p) => exprs(p).flatMap((e) => queryMetricProblems(e, served)))).toEqual([]);
    expect(panels.filter(isRow).length).toBeGreaterThan(0);
  });

  it("links each watch's panels to its runbook section when the runbook URL is absolute, and none otherwise", () => {
    const base = "https://git.example.com/ops/cluster-backup/-/blob/main/RESTORE.md";
    const panels = (buildDashboard(prod, { ...SETTINGS, runbookBaseUrl: base }).panels ?? []).filter((p): p is Panel => !isRow(p));
    expect(titled(panels, "tenants-daily: since last success").links).toEqual([
      { asDropdown: false, includeVars: false, keepTime: false, tags: [], targetBlank: true, title: "Runbook", type: "link", icon: "doc", tooltip: "RESTORE.md: tenants", url: `${base}#tenants` },
    ]);
    const urls = (title: string) => titled(panels, title).links?.map((l) => l.url);
    expect([urls("drill postgres: last run"), urls("benji-cleanup: failed Jobs"), urls("garage_push: bytes replicated"), urls("location system"), urls("node-agent: pods not ready")]).toEqual([
      [`${base}#${RUNBOOK_ANCHORS.drills}`],
      [`${base}#${RUNBOOK_ANCHORS.benji}`],
      [`${base}#${RUNBOOK_ANCHORS.garageDataZrepl}`],
      [`${base}#${RUNBOOK_ANCHORS.storageLocations}`],
      [`${base}#${RUNBOOK_ANCHORS.nodeAgent}`],
    ]);
    expect(panels.every((p) => p.links?.length === 1)).toBe(true);
    const without = (buildDashboard(prod, SETTINGS).panels ?? []).filter((p): p is Panel => !isRow(p));
    expect(without.every((p) => p.links?.length === 0)).toBe(true);
  });

  it("adds variable filters only as extra matchers", () => {
    expect(withMatcher('velero_backup_total{schedule="x"}', 'schedule=~"$schedule"')).toBe('velero_backup_total{schedule="x",schedule=~"$schedule"}');
    expect(withMatcher("velero_backup_total{}", 'schedule=~"$schedule"')).toBe('velero_backup_total{schedule=~"$schedule"}');
    expect(() => withMatcher("velero_backup_total", "a=\"b\"")).toThrow("not a selector with matchers: velero_backup_total");
  });
});
