/**
 * The Grafana dashboard of the backup flows, generated from the flow inventory (components/flows) with the typed
 * dashboard model of @grafana/schema 13.2.3: one row per flow (each of its watches and verifications as panels: time
 * since the last success against the alert threshold, run duration, size or items over time, failures, the last
 * drill's or scrub's result), one row of shared infrastructure (locations, node-agent, opt-out sync), and variables
 * for the data source, the Velero schedule and the namespace. Pure: `JSON.stringify` of the result is the dashboard
 * JSON the ConfigMap ships (components/dashboard/grafana-dashboard.ts).
 *
 * Every query reads only metrics of components/dashboard/metric-catalog.ts (test/dashboard.test.ts parses each one
 * with Prometheus's grammar and checks its metric names). Template variables appear only inside label matchers'
 * string literals, so each query stays valid PromQL before Grafana interpolates it.
 */
import type {
  Dashboard,
  DashboardLink,
  DataQuery,
  DataSourceRef,
  FieldConfigSource,
  Panel,
  RowPanel,
  ThresholdsConfig,
  ValueMapping,
  VariableModel,
} from "@grafana/schema";
import type { Options as StatOptions } from "@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen";
import type { Options as TimeSeriesOptions } from "@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen";
import type { CronJobWatch, DaemonSetWatch, Flow, FlowInventory, LocationWatch, RepoMaintenanceWatch, ScheduleWatch, Verification, Watch, ZreplJobWatch, ZreplSinkWatch } from "../flows/types";
import { REPO_MAINTENANCE_METRICS } from "../monitoring/repo-maintenance";
import { SINK_CHECK_METRICS } from "../zrepl/sink-check";
import { humanDuration } from "../schema/duration";
import { runbookUrl, type RunbookAnchor } from "../runbook-anchors";
import { cronJobJobNames, promDuration, selector } from "../monitoring/rules";

type GrafanaSchema = typeof import("@grafana/schema");
type StatPanelCfg = typeof import("@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen");
let schema: GrafanaSchema | undefined;
let statCfg: StatPanelCfg | undefined;
/** @grafana/schema 13.2.3 (its defaults and enums), loaded on first use: a stack without the dashboard never loads it. */
function grafana(): GrafanaSchema {
  return (schema ??= require("@grafana/schema") as GrafanaSchema);
}
function statPanelCfg(): StatPanelCfg {
  return (statCfg ??= require("@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen") as StatPanelCfg);
}
/** Plain settings of the dashboard (components/stack-args.ts derives them from the stack). */
export interface DashboardSettings {
  /** Grafana uid: at most 40 letters, digits, `-` and `_`. */
  readonly uid: string;
  readonly title: string;
  readonly tags: readonly string[];
  /** Absolute URL of RESTORE.md (monitoring.runbookBaseUrl): each watch's panels link to its runbook section; unset = no links. */
  readonly runbookBaseUrl?: string;
}

/** Names of the template variables; queries use them as `$<name>`. */
export const DASHBOARD_VARIABLES = { datasource: "datasource", schedule: "schedule", namespace: "namespace" } as const;

/** Grid width of a Grafana dashboard. */
const GRID_WIDTH = 24;
const STAT = { w: 4, h: 5 };
const SERIES = { w: 8, h: 7 };
const WIDE_SERIES = { w: 12, h: 7 };

const DATASOURCE: DataSourceRef = { type: "prometheus", uid: `\${${DASHBOARD_VARIABLES.datasource}}` };

/** A Prometheus query of a panel (the Prometheus data source's query model on top of the common {@link DataQuery}). */
interface PromQuery extends DataQuery {
  readonly expr: string;
  readonly legendFormat: string;
  readonly instant: boolean;
  readonly range: boolean;
}

interface Sized {
  readonly panel: Panel;
  readonly w: number;
  readonly h: number;
}

const REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** A panel's `targets` (typed loosely by the schema: each data source has its own query model). */
function queries(kind: "instant" | "range", list: readonly { expr: string; legend: string }[]): Panel["targets"] {
  return list.map((q, i) => {
    const query: PromQuery = { refId: REF_IDS[i], datasource: DATASOURCE, expr: q.expr, legendFormat: q.legend, instant: kind === "instant", range: kind === "range" };
    return { ...query };
  });
}

/** `metric{a="x"}` with one more matcher: a variable filter the panel honours. */
export function withMatcher(sel: string, matcher: string): string {
  if (!sel.endsWith("}")) throw new Error(`not a selector with matchers: ${sel}`);
  return sel.endsWith("{}") ? `${sel.slice(0, -1)}${matcher}}` : `${sel.slice(0, -1)},${matcher}}`;
}

const bySchedule = (sel: string) => withMatcher(sel, `schedule=~"$${DASHBOARD_VARIABLES.schedule}"`);
const byNamespace = (sel: string) => withMatcher(sel, `namespace=~"$${DASHBOARD_VARIABLES.namespace}"`);

const GREEN = "green";
const RED = "red";
const BLUE = "blue";

function thresholds(redFrom?: number): ThresholdsConfig {
  return { mode: grafana().ThresholdsMode.Absolute, steps: [{ color: GREEN, value: null }, ...(redFrom !== undefined ? [{ color: RED, value: redFrom }] : [])] };
}

/** Values shown as words (what "no data" shows is the field's `noValue`). */
function valueMap(entries: Record<string, { text: string; color: string }>): ValueMapping[] {
  return [{ type: grafana().MappingType.ValueToText, options: Object.fromEntries(Object.entries(entries).map(([value, r], index) => [value, { ...r, index }])) }];
}

function fieldConfig(defaults: FieldConfigSource["defaults"]): FieldConfigSource {
  return { ...grafana().defaultFieldConfigSource, defaults, overrides: [] };
}

/** A panel of the schema's defaults, on the dashboard's data source. */
function panelOf(type: "stat" | "timeseries", title: string, description: string, targets: Panel["targets"], fieldConfig: FieldConfigSource, options: StatOptions | TimeSeriesOptions): Panel {
  return { ...grafana().defaultPanel, type, title, description, datasource: DATASOURCE, targets, fieldConfig, options: options as unknown as Record<string, unknown> };
}

function stat(title: string, description: string, expr: string, defaults: FieldConfigSource["defaults"]): Sized {
  const options: StatOptions = {
    ...(statPanelCfg().defaultOptions as StatOptions),
    colorMode: grafana().BigValueColorMode.Background,
    graphMode: grafana().BigValueGraphMode.None,
    justifyMode: grafana().BigValueJustifyMode.Auto,
    textMode: grafana().BigValueTextMode.Value,
    orientation: grafana().VizOrientation.Auto,
    reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
  };
  return { panel: panelOf("stat", title, description, queries("instant", [{ expr, legend: "" }]), fieldConfig(defaults), options), ...STAT };
}

function series(title: string, description: string, unit: string, list: readonly { expr: string; legend: string }[], size = SERIES, drawStyle = grafana().GraphDrawStyle.Line): Sized {
  const options: TimeSeriesOptions = {
    legend: { displayMode: grafana().LegendDisplayMode.List, placement: "bottom", showLegend: true, calcs: [] },
    tooltip: { mode: grafana().TooltipDisplayMode.Multi, sort: grafana().SortOrder.None },
  };
  const custom = { drawStyle, lineWidth: 1, fillOpacity: drawStyle === grafana().GraphDrawStyle.Bars ? 80 : 10, showPoints: "auto", spanNulls: true };
  return { panel: panelOf("timeseries", title, description, queries("range", list), fieldConfig({ unit, min: 0, custom }), options), ...size };
}

/** Time since the last success, red from the alert's threshold. */
function sinceLastSuccess(name: string, metric: string, thresholdSeconds: number): Sized {
  return stat(`${name}: since last success`, `Time since the last success; red from ${humanDuration(thresholdSeconds)} (${thresholdSeconds}s), the threshold of its staleness alert.`, `time() - ${metric}`, {
    unit: "s",
    decimals: 0,
    thresholds: thresholds(thresholdSeconds),
    noValue: "never",
  });
}

function schedulePanels(w: ScheduleWatch): Sized[] {
  const name = w.object.name;
  const s = (metric: string) => bySchedule(selector(metric, { schedule: name }));
  const window = promDuration(w.intervalSeconds);
  return [
    sinceLastSuccess(name, bySchedule(w.metric), w.staleAfterSeconds),
    stat(`${name}: last backup`, "Status of the Schedule's latest backup (velero_backup_last_status).", s("velero_backup_last_status"), {
      mappings: valueMap({ "0": { text: "failed", color: RED }, "1": { text: "succeeded", color: GREEN } }),
      noValue: "no backup yet",
      thresholds: thresholds(),
    }),
    series(`${name}: backup duration`, `Mean duration of the backups that ended within ${humanDuration(w.intervalSeconds)} (one run of '${w.cron}').`, "s", [
      { expr: `increase(${s("velero_backup_duration_seconds_sum")}[${window}]) / increase(${s("velero_backup_duration_seconds_count")}[${window}])`, legend: "mean duration" },
    ]),
    series(
      `${name}: failures`,
      `Backups that failed, partially failed or failed validation within ${humanDuration(w.intervalSeconds)}.`,
      "none",
      [
        { expr: `increase(${s("velero_backup_failure_total")}[${window}])`, legend: "failed" },
        { expr: `increase(${s("velero_backup_partial_failure_total")}[${window}])`, legend: "partially failed" },
        { expr: `increase(${s("velero_backup_validation_failure_total")}[${window}])`, legend: "failed validation" },
      ],
      SERIES,
      grafana().GraphDrawStyle.Bars,
    ),
    series(`${name}: items`, "Items (Kubernetes objects) in the latest backup, and the errors it hit.", "none", [
      { expr: s("velero_backup_items_total"), legend: "items" },
      { expr: s("velero_backup_items_errors"), legend: "errors" },
    ], WIDE_SERIES),
    series(`${name}: object tarball size`, "Size of the latest backup's tarball of Kubernetes objects (volume data goes to the kopia repository or snapshots and is not counted here).", "bytes", [
      { expr: s("velero_backup_tarball_size_bytes"), legend: "tarball" },
    ], WIDE_SERIES),
  ];
}

function cronJobPanels(w: CronJobWatch, label: string): Sized[] {
  const ns = w.object.namespace;
  const jobs = (metric: string, extra: Record<string, string> = {}) => byNamespace(selector(metric, { namespace: ns, job_name: cronJobJobNames(w.object.name), ...extra }));
  const newest = `topk(1, ${jobs("kube_job_created")})`;
  return [
    sinceLastSuccess(label, byNamespace(w.metric), w.staleAfterSeconds),
    stat(
      `${label}: last run`,
      `Result of the newest Job of CronJob ${ns}/${w.object.name} (${w.purpose}).`,
      // kube-state-metrics v2.20.0 job.go emits kube_job_complete / kube_job_failed only once the Job has that
      // condition: 1 for Complete, else 2 for Failed, else 0 (no such condition yet: running), of the newest Job.
      `(1 * (${jobs("kube_job_complete", { condition: "true" })} == 1) or on(namespace, job_name) 2 * (${jobs("kube_job_failed", { condition: "true" })} == 1) or on(namespace, job_name) 0 * ${jobs("kube_job_created")}) and on(namespace, job_name) ${newest}`,
      {
        mappings: valueMap({ "0": { text: "running", color: BLUE }, "1": { text: "succeeded", color: GREEN }, "2": { text: "failed", color: RED } }),
        noValue: "no Job kept",
        thresholds: thresholds(),
      },
    ),
    series(`${label}: run duration`, "Start to completion of each succeeded Job still kept by the CronJob's history.", "s", [
      { expr: `${jobs("kube_job_status_completion_time")} - on(namespace, job_name) ${jobs("kube_job_status_start_time")}`, legend: "{{job_name}}" },
    ]),
    series(`${label}: failed Jobs`, "Failed Jobs of the CronJob still kept by its history (failedJobsHistoryLimit).", "none", [
      { expr: `sum(${jobs("kube_job_failed", { condition: "true" })}) or vector(0)`, legend: "failed Jobs" },
    ], SERIES, grafana().GraphDrawStyle.Bars),
  ];
}

function daemonSetPanels(w: DaemonSetWatch): Sized[] {
  const name = w.object.name;
  const desired = byNamespace(selector("kube_daemonset_status_desired_number_scheduled", { namespace: w.object.namespace, daemonset: name }));
  return [
    stat(`${name}: pods not ready`, `Pods of DaemonSet ${w.object.namespace}/${name} scheduled but not ready (${w.purpose}).`, `${desired} - ${byNamespace(w.metric)}`, {
      unit: "none",
      thresholds: thresholds(1),
      noValue: "no DaemonSet",
    }),
  ];
}

function locationPanels(w: LocationWatch): Sized[] {
  const used = w.schedules.length ? `used by ${w.schedules.join(", ")}` : "no Schedule of this stack writes to it";
  return [
    stat(`location ${w.object.name}`, `Backup storage location ${w.object.name} (${used}).`, w.metric, {
      mappings: valueMap({ "0": { text: "unavailable", color: RED }, "1": { text: "available", color: GREEN } }),
      noValue: "not reported",
      thresholds: thresholds(),
    }),
  ];
}

function zreplPanels(w: ZreplJobWatch): Sized[] {
  const job = (metric: string) => selector(metric, { zrepl_job: w.job });
  const window = promDuration(w.intervalSeconds);
  return [
    sinceLastSuccess(w.job, w.metric, w.lagSeconds),
    stat(`${w.job}: failed filesystems`, "Filesystems that failed in the latest replication attempt (-1: it failed before listing them).", job("zrepl_replication_filesystem_errors"), {
      unit: "none",
      mappings: valueMap({ "-1": { text: "attempt failed", color: RED } }),
      thresholds: thresholds(1),
    }),
    series(`${w.job}: replication time`, `Mean seconds per replication state over ${humanDuration(w.intervalSeconds)} (one snapshot interval).`, "s", [
      { expr: `increase(${job("zrepl_replication_state_time_sum")}[${window}]) / increase(${job("zrepl_replication_state_time_count")}[${window}])`, legend: "{{state}}" },
    ]),
    series(`${w.job}: bytes replicated`, `Bytes sent per filesystem over ${humanDuration(w.intervalSeconds)}.`, "bytes", [
      { expr: `sum by (filesystem) (increase(${job("zrepl_replication_bytes_replicated")}[${window}]))`, legend: "{{filesystem}}" },
    ]),
  ];
}

function repoMaintenancePanels(w: RepoMaintenanceWatch): Sized[] {
  const { success, failure } = REPO_MAINTENANCE_METRICS;
  const window = promDuration(w.target.staleAfterSeconds);
  return [
    series(
      "kopia repository maintenance",
      `Maintenance runs per kopia repository within ${humanDuration(w.target.staleAfterSeconds)} (every ${humanDuration(w.target.frequencySeconds)} plus monitoring.grace): none succeeding alerts.`,
      "none",
      [
        { expr: `sum by (repository_name) (increase(${success}[${window}]))`, legend: "{{repository_name}} succeeded" },
        { expr: `sum by (repository_name) (increase(${failure}[${window}]))`, legend: "{{repository_name}} failed" },
      ],
      SERIES,
      grafana().GraphDrawStyle.Bars,
    ),
  ];
}

function zreplSinkPanels(w: ZreplSinkWatch): Sized[] {
  const t = w.target;
  const { newestSnapshot, readable } = SINK_CHECK_METRICS;
  return [
    series(
      "sink: newest snapshot age per dataset",
      `Age of the newest zrepl snapshot of each dataset on the backup node (sink check every ${humanDuration(t.checkIntervalSeconds)}); alerts from ${humanDuration(t.staleAfterSeconds)}.`,
      "s",
      [{ expr: `time() - (${newestSnapshot} > 0)`, legend: "{{dataset}}" }],
    ),
    stat("sink: unreadable datasets", "Expected datasets the sink check could not list (zfs list failed).", `count(${readable} == 0) or vector(0)`, {
      unit: "none",
      thresholds: thresholds(1),
      noValue: "not reported",
    }),
  ];
}

/** The panels of one watch, whatever its kind. */
function watchPanels(w: Watch): Sized[] {
  switch (w.kind) {
    case "schedule":
      return schedulePanels(w);
    case "cronjob":
      return cronJobPanels(w, w.object.name);
    case "daemonset":
      return daemonSetPanels(w);
    case "location":
      return locationPanels(w);
    case "zrepl-job":
      return zreplPanels(w);
    case "repo-maintenance":
      return repoMaintenancePanels(w);
    case "zrepl-sink":
      return zreplSinkPanels(w);
  }
}

function verificationPanels(v: Verification): Sized[] {
  return cronJobPanels(v.watch, `${v.kind} ${v.name}`);
}

/** The panels with a link to the runbook section of what they watch (none without an absolute runbook URL). */
function withRunbook(panels: Sized[], anchor: RunbookAnchor, baseUrl: string | undefined): Sized[] {
  if (!baseUrl) return panels;
  const link: DashboardLink = {
    ...grafana().defaultDashboardLink,
    asDropdown: false,
    includeVars: false,
    keepTime: false,
    tags: [],
    title: "Runbook",
    type: "link",
    icon: "doc",
    tooltip: `RESTORE.md: ${anchor}`,
    url: runbookUrl(baseUrl, anchor),
    targetBlank: true,
  };
  return panels.map((p) => ({ ...p, panel: { ...p.panel, links: [link] } }));
}

/** `0 1 * * *` UTC: the schedule text without markdown. */
function plain(text: string): string {
  return text.replace(/`/g, "");
}

/**
 * Rows laid out on Grafana's 24-column grid: each watch's panels left to right, starting a new line when they do not
 * fit beside the previous watch's, and wrapping at the grid's width.
 */
function layout(rows: readonly { title: string; groups: readonly (readonly Sized[])[] }[]): Array<Panel | RowPanel> {
  const out: Array<Panel | RowPanel> = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    const rowPanel: RowPanel = { ...grafana().defaultRowPanel, type: "row", id: id++, title: row.title, collapsed: false, panels: [], gridPos: { x: 0, y, w: GRID_WIDTH, h: 1 } };
    out.push(rowPanel);
    y += 1;
    let x = 0;
    let lineHeight = 0;
    const newLine = () => {
      y += lineHeight;
      x = 0;
      lineHeight = 0;
    };
    for (const group of row.groups) {
      if (x > 0 && x + group.reduce((sum, p) => sum + p.w, 0) > GRID_WIDTH) newLine();
      for (const { panel, w, h } of group) {
        if (x + w > GRID_WIDTH) newLine();
        out.push({ ...panel, id: id++, gridPos: { x, y, w, h } });
        x += w;
        lineHeight = Math.max(lineHeight, h);
      }
    }
    y += lineHeight;
  }
  return out;
}

function flowRowTitle(f: Flow): string {
  return `${f.id}: ${f.mechanism}, ${plain(f.schedule.text)}${f.verifiedBy.length ? `, verified by ${f.verifiedBy.map((v) => `${v.kind} ${v.name}`).join(", ")}` : ", no verification"}`;
}

function customVariable(name: string, label: string, values: readonly string[]): VariableModel {
  return {
    ...grafana().defaultVariableModel,
    type: "custom",
    name,
    label,
    query: values.join(","),
    multi: true,
    includeAll: true,
    allValue: ".*",
    current: { text: ["All"], value: ["$__all"] },
    options: [],
    hide: grafana().VariableHide.dontHide,
  };
}

function variables(inventory: FlowInventory): VariableModel[] {
  const watches = [...inventory.flows.flatMap((f) => [...f.watches, ...f.verifiedBy.map((v) => v.watch)]), ...inventory.infrastructure];
  const schedules = [...new Set(watches.filter((w) => w.kind === "schedule").map((w) => w.object.name))];
  const namespaces = [...new Set(watches.filter((w) => w.kind === "cronjob" || w.kind === "daemonset").map((w) => w.object.namespace))].sort();
  const datasource: VariableModel = {
    ...grafana().defaultVariableModel,
    type: "datasource",
    name: DASHBOARD_VARIABLES.datasource,
    label: "Data source",
    query: "prometheus",
    regex: "",
    refresh: grafana().VariableRefresh.onDashboardLoad,
    sort: grafana().VariableSort.disabled,
    options: [],
    hide: grafana().VariableHide.dontHide,
  };
  return [
    datasource,
    ...(schedules.length ? [customVariable(DASHBOARD_VARIABLES.schedule, "Velero schedule", schedules)] : []),
    ...(namespaces.length ? [customVariable(DASHBOARD_VARIABLES.namespace, "Namespace", namespaces)] : []),
  ];
}

/** The dashboard of an inventory. */
export function buildDashboard(inventory: FlowInventory, settings: DashboardSettings): Dashboard {
  const base = settings.runbookBaseUrl;
  const ofWatch = (w: Watch) => withRunbook(watchPanels(w), w.anchor, base);
  const rows = [
    ...inventory.flows.map((f) => ({ title: flowRowTitle(f), groups: [...f.watches.map(ofWatch), ...f.verifiedBy.map((v) => withRunbook(verificationPanels(v), v.watch.anchor, base))] })),
    ...(inventory.infrastructure.length ? [{ title: "shared: backup storage locations, node-agent, opt-out sync", groups: inventory.infrastructure.map(ofWatch) }] : []),
  ];
  return {
    ...grafana().defaultDashboard,
    uid: settings.uid,
    title: settings.title,
    tags: [...settings.tags],
    description: "Generated by cluster-backup from its flow inventory; change the program, not this dashboard.",
    editable: false,
    timezone: inventory.timeZone,
    time: { from: "now-7d", to: "now" },
    refresh: "5m",
    templating: { list: variables(inventory) },
    panels: layout(rows),
  };
}

