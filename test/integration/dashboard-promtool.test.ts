/**
 * The Grafana dashboard's queries under Prometheus's own parser and engine: `promtool` of Debian's `prometheus`
 * package (2.42; .ci/run installs it). Every panel query of the prod dashboard, with the template variables as
 * Grafana fills them for "All", is a valid expression (`promtool check rules`), and the queries whose meaning is not
 * obvious give the right numbers on made-up kube-state-metrics and Velero series (`promtool test rules`).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import type { Panel } from "@grafana/schema";
import { parseStackConfig } from "../../components/config";
import { buildDrillSpecs } from "../../components/drills/spec";
import { buildDashboard } from "../../components/dashboard/dashboard";
import { flowInventoryFromConfig } from "../../components/stack-args";
import { buildScheduleSpecs } from "../../components/velero/schedule-specs";
import { readStackFile } from "../../scripts/lib/stack-file";
import { ROOT } from "../harness";

const { config, secretKeys } = readStackFile(ROOT, "prod");
const cfg = parseStackConfig(config, new Set(secretKeys), "prod");
const dashboard = buildDashboard(flowInventoryFromConfig(cfg, buildScheduleSpecs(cfg), buildDrillSpecs(cfg)), { uid: "u", title: "t", tags: [] });
const panels = (dashboard.panels ?? []).filter((p): p is Panel => p.type !== "row");

/** A query as Prometheus receives it with every variable on "All" (allValue `.*`). */
function allValues(expr: string): string {
  return expr.replaceAll('=~"$schedule"', '=~".*"').replaceAll('=~"$namespace"', '=~".*"');
}

function exprOf(title: string, refId = "A"): string {
  const panel = panels.find((p) => p.title === title);
  const target = panel?.targets?.find((t) => t.refId === refId);
  if (!target) throw new Error(`no panel '${title}' with query ${refId}`);
  return allValues(String(target.expr));
}

function promtool(args: string[], files: Record<string, unknown>): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "dashboard-promtool-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), stringify(content, { lineWidth: 0 }));
  const r = spawnSync("promtool", args, { cwd: dir, encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function checkRules(exprs: readonly string[]) {
  return promtool(["check", "rules", "rules.yaml"], { "rules.yaml": { groups: [{ name: "dashboard", rules: exprs.map((expr, i) => ({ record: `dashboard_query_${i}`, expr })) }] } });
}

interface Case {
  readonly series: Record<string, string>;
  readonly expr: string;
  readonly expected: { labels: string; value: number }[];
}

function testRules(cases: readonly Case[]) {
  return promtool(["test", "rules", "test.yaml"], {
    "rules.yaml": { groups: [] },
    "test.yaml": {
      rule_files: ["rules.yaml"],
      evaluation_interval: "1m",
      tests: cases.map((c) => ({
        interval: "1m",
        input_series: Object.entries(c.series).map(([series, values]) => ({ series, values })),
        promql_expr_test: [{ expr: c.expr, eval_time: "5m", exp_samples: c.expected }],
      })),
    },
  });
}

describe("dashboard queries under promtool (Prometheus 2.42)", () => {
  it("runs the real promtool", () => {
    expect(execFileSync("promtool", ["--version"], { encoding: "utf8" })).toMatch(/^promtool, version \d+\.\d+/);
  });

  it("accepts every panel query of the prod dashboard, and refuses a broken one", () => {
    const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => allValues(String(t.expr))));
    expect(exprs).toHaveLength(96);
    const ok = checkRules(exprs);
    expect([ok.status, ok.output]).toEqual([0, "Checking rules.yaml\n  SUCCESS: 96 rules found\n\n"]);
    const broken = checkRules([...exprs.slice(0, 1), 'increase(velero_backup_failure_total{schedule="x"})']);
    expect(broken.status).toBe(1);
    expect(broken.output).toContain("expected type range vector in call to function \"increase\", got instant vector");
  });

  const drill = (jobs: Record<string, string>) => ({
    'kube_job_created{namespace="backup-system",job_name="restore-drill-tenants-100"}': "6000x10",
    'kube_job_created{namespace="backup-system",job_name="restore-drill-tenants-200"}': "12000x10",
    // Another CronJob's newer Job must not count.
    'kube_job_created{namespace="backup-system",job_name="restore-drill-postgres-300"}': "18000x10",
    'kube_job_failed{namespace="backup-system",job_name="restore-drill-postgres-300",condition="true"}': "1x10",
    ...jobs,
  });
  const complete = (job: string) => ({ [`kube_job_complete{namespace="backup-system",job_name="${job}",condition="true"}`]: "1x10" });
  const failed = (job: string) => ({ [`kube_job_failed{namespace="backup-system",job_name="${job}",condition="true"}`]: "1x10" });

  it("the drill's last run: the newest Job of its CronJob, 1 succeeded, 2 failed, 0 running", () => {
    const lastRun = exprOf("drill tenants: last run");
    const r = testRules([
      { series: drill({ ...failed("restore-drill-tenants-100"), ...complete("restore-drill-tenants-200") }), expr: lastRun, expected: [{ labels: '{namespace="backup-system",job_name="restore-drill-tenants-200",condition="true"}', value: 1 }] },
      { series: drill({ ...complete("restore-drill-tenants-100"), ...failed("restore-drill-tenants-200") }), expr: lastRun, expected: [{ labels: '{namespace="backup-system",job_name="restore-drill-tenants-200",condition="true"}', value: 2 }] },
      { series: drill(complete("restore-drill-tenants-100")), expr: lastRun, expected: [{ labels: '{namespace="backup-system",job_name="restore-drill-tenants-200"}', value: 0 }] },
    ]);
    expect([r.status, r.output]).toEqual([0, "Unit Testing:  test.yaml\n  SUCCESS\n\n"]);
  });

  it("time since the last success, run durations, failed Jobs and pods not ready", () => {
    const r = testRules([
      { series: { 'velero_backup_last_successful_timestamp{schedule="tenants-daily"}': "0x10" }, expr: exprOf("tenants-daily: since last success"), expected: [{ labels: '{schedule="tenants-daily"}', value: 300 }] },
      {
        series: {
          'kube_job_status_start_time{namespace="benji",job_name="benji-backup-all-100"}': "6000x10",
          'kube_job_status_completion_time{namespace="benji",job_name="benji-backup-all-100"}': "6420x10",
          'kube_job_status_start_time{namespace="benji",job_name="benji-backup-all-200"}': "12000x10",
        },
        expr: exprOf("benji-backup-all: run duration"),
        expected: [{ labels: '{namespace="benji",job_name="benji-backup-all-100"}', value: 420 }],
      },
      { series: drill(failed("restore-drill-tenants-100")), expr: exprOf("drill tenants: failed Jobs"), expected: [{ labels: "{}", value: 1 }] },
      { series: drill({}), expr: exprOf("drill tenants: failed Jobs"), expected: [{ labels: "{}", value: 0 }] },
      {
        series: {
          'kube_daemonset_status_desired_number_scheduled{namespace="backup-system",daemonset="node-agent"}': "3x10",
          'kube_daemonset_status_number_ready{namespace="backup-system",daemonset="node-agent"}': "2x10",
        },
        expr: exprOf("node-agent: pods not ready"),
        expected: [{ labels: '{namespace="backup-system",daemonset="node-agent"}', value: 1 }],
      },
    ]);
    expect([r.status, r.output]).toEqual([0, "Unit Testing:  test.yaml\n  SUCCESS\n\n"]);
  });

  it("fails when a query means something else (the drill's last run read as the oldest Job)", () => {
    const oldest = exprOf("drill tenants: last run").replace("topk(1,", "bottomk(1,");
    const r = testRules([{ series: drill({ ...failed("restore-drill-tenants-100"), ...complete("restore-drill-tenants-200") }), expr: oldest, expected: [{ labels: '{namespace="backup-system",job_name="restore-drill-tenants-200",condition="true"}', value: 1 }] }]);
    expect(r.status).toBe(1);
  });
});
