/**
 * Evaluates PromQL against synthetic series with Prometheus's own engine: `promtool test rules` (Debian's
 * `prometheus` package; .ci/run installs it). Each case states the samples an expression must return at a time;
 * promtool fails the run, printing what it got, when they differ.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";

/** promtool is there, or CI (which installs it) would fail rather than skip. */
export const HAS_PROMTOOL = spawnSync("promtool", ["--version"]).status === 0 || Boolean(process.env.CI);

/** One input series: `metric{labels}` and promtool's expanding notation (`1+0x10 _x5 2x3`). */
export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

/** What `expr` must return at `at` (a Prometheus duration from the start): label sets (`{a="b"}`) and values. */
export interface ExprCase {
  readonly at: string;
  readonly samples: readonly { readonly labels: string; readonly value: number }[];
}

/** `promtool test rules` over one rule file (its groups) and one test of the input series at `interval`. */
function promtoolTest(groups: readonly object[], input: readonly InputSeries[], interval: string, cases: Record<string, unknown>): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "promtool-"));
  writeFileSync(join(dir, "rules.yaml"), stringify({ groups }));
  const test = {
    rule_files: ["rules.yaml"],
    evaluation_interval: interval,
    tests: [{ interval, input_series: input.map((s) => ({ series: s.series, values: s.values })), ...cases }],
  };
  writeFileSync(join(dir, "test.yaml"), stringify(test));
  const r = spawnSync("promtool", ["test", "rules", "test.yaml"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** promtool's exit status and output for the cases; status 0 = every case returned exactly its samples. */
export function checkPromql(expr: string, input: readonly InputSeries[], cases: readonly ExprCase[], interval = "5m"): { status: number | null; output: string } {
  return promtoolTest([], input, interval, {
    promql_expr_test: cases.map((c) => ({ expr, eval_time: c.at, exp_samples: c.samples.map((s) => ({ labels: s.labels, value: s.value })) })),
  });
}

/** A rule as the PrometheusRule holds it (annotations are left out of the test file: promtool would compare them). */
export interface RuleUnderTest {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Which alerts of `rule` fire at `at` (pending ones do not), each by its full label set. */
export interface AlertCase {
  readonly at: string;
  readonly firing: readonly Readonly<Record<string, string>>[];
}

/** promtool's verdict on the rule's alerts over the input series (`alert_rule_test`, so `for` is honoured). */
export function checkAlerts(rule: RuleUnderTest, input: readonly InputSeries[], cases: readonly AlertCase[], interval = "1m"): { status: number | null; output: string } {
  const { alert, expr, labels } = rule;
  return promtoolTest([{ name: "test", rules: [{ alert, expr, ...(rule.for ? { for: rule.for } : {}), labels }] }], input, interval, {
    alert_rule_test: cases.map((c) => ({ eval_time: c.at, alertname: alert, exp_alerts: c.firing.map((l) => ({ exp_labels: { ...labels, ...l } })) })),
  });
}
