/**
 * The kopia repository maintenance alert (components/monitoring/repo-maintenance.ts): exact rule, threshold from the
 * maintenance frequency (kopia's 1 h, or velero.extraValues' chart value) plus monitoring.grace, the refusal of a bad
 * frequency, and its PromQL evaluated by Prometheus's engine (promtool) over healthy, stopped and restarted Velero servers.
 */
import { describe, expect, it } from "vitest";
import { buildAlertGroups } from "../components/monitoring/rules";
import { repoMaintenanceExpr, repoMaintenanceFrequencySeconds, repoMaintenanceTarget } from "../components/monitoring/repo-maintenance";
import { scheduleSpecsFromConfig } from "../components/stack-args";
import { alertTargetsFromConfig } from "./lib/alert-targets";
import { parseStackConfig } from "../components/config";
import { readStackFile } from "../scripts/lib/stack-file";
import { ROOT } from "./harness";
import { stackConfigProblems } from "./harness";
import { promqlErrors } from "./lib/promql";
import { checkPromql, HAS_PROMTOOL, type InputSeries } from "./lib/promtool";

const { config, secretKeys } = readStackFile(ROOT, "prod");
const cfg = parseStackConfig(config, new Set(secretKeys), "prod");

describe("repository maintenance alert: rule and threshold", () => {
  it("prod: one rule in the velero group, kopia's 1h + 4h grace, exact expression and texts", () => {
    const targets = alertTargetsFromConfig(cfg, scheduleSpecsFromConfig(cfg), []);
    expect(targets.repoMaintenance).toEqual({ veleroNamespace: "backup-system", frequencySeconds: 3600, staleAfterSeconds: 18000, anchor: "storage-locations" });
    const rules = buildAlertGroups(targets).find((g) => g.name === "cluster-backup.velero")!.rules.filter((r) => r.alert === "VeleroRepoMaintenanceNotSucceeded");
    expect(rules).toEqual([
      {
        alert: "VeleroRepoMaintenanceNotSucceeded",
        expr:
          "(group by (repository_name) (max_over_time(velero_repo_maintenance_success_total[7d])) or group by (repository_name) (max_over_time(velero_repo_maintenance_failure_total[7d]))) " +
          "unless on (repository_name) (sum by (repository_name) (increase(velero_repo_maintenance_success_total[5h])) > 0 or " +
          "group by (repository_name) (velero_repo_maintenance_success_total unless velero_repo_maintenance_success_total offset 5h))",
        labels: { severity: "warning", flow: "velero" },
        annotations: {
          summary: "Velero's maintenance of the kopia repository {{ $labels.repository_name }} has not succeeded recently",
          description:
            "The kopia repository {{ $labels.repository_name }} has had no successful maintenance for 5h (maintenance every 1h, plus 4h monitoring.grace): unreferenced data is not freed and the repository's indexes are not compacted, so it grows and slows down. " +
            "See `kubectl -n backup-system get backuprepositories.velero.io {{ $labels.repository_name }} -o jsonpath='{.status.recentMaintenance}'`, the maintenance Jobs (`kubectl -n backup-system get jobs -l velero.io/repo-name={{ $labels.repository_name }}`) and their logs.",
          runbook_url: "RESTORE.md#storage-locations",
        },
      },
    ]);
    expect(promqlErrors(rules[0].expr)).toEqual([]);
  });

  it("no Velero schedule, no rule", () => {
    const targets = alertTargetsFromConfig(cfg, [], []);
    expect(targets.repoMaintenance).toBeUndefined();
  });

  it("the frequency follows velero.extraValues configuration.defaultRepoMaintainFrequency", () => {
    expect(repoMaintenanceFrequencySeconds({})).toBe(3600);
    expect(repoMaintenanceFrequencySeconds({ configuration: { defaultRepoMaintainFrequency: "24h" } })).toBe(86400);
    expect(repoMaintenanceFrequencySeconds({ configuration: { defaultRepoMaintainFrequency: "" } })).toBe(3600);
    const target = repoMaintenanceTarget("velero", { configuration: { defaultRepoMaintainFrequency: "12h" } }, "2h", "storage-locations");
    expect(target).toEqual({ veleroNamespace: "velero", frequencySeconds: 43200, staleAfterSeconds: 50400, anchor: "storage-locations" });
    expect(repoMaintenanceExpr(target)).toContain("increase(velero_repo_maintenance_success_total[14h])");
  });

  it("a frequency that is no positive Go duration is refused with one line naming the key", () => {
    expect(stackConfigProblems("prod", { velero: { ...JSON.parse(config["cluster-backup:velero"]), extraValues: { configuration: { defaultRepoMaintainFrequency: "weekly" } } } })).toEqual([
      "cluster-backup:velero.extraValues.configuration.defaultRepoMaintainFrequency: expected a positive Go duration such as '1h' or '24h' (how often Velero maintains each kopia repository; unset = 1h) (got \"weekly\")",
    ]);
    expect(stackConfigProblems("prod", { velero: { ...JSON.parse(config["cluster-backup:velero"]), extraValues: { configuration: { defaultRepoMaintainFrequency: "0s" } } } })).toHaveLength(1);
    expect(stackConfigProblems("prod", { velero: { ...JSON.parse(config["cluster-backup:velero"]), extraValues: { configuration: { defaultRepoMaintainFrequency: "6h" } } } })).toEqual([]);
  });
});

/** A counter sampled every 5 minutes for `hours`: +1 at every `every`-th sample from `from` on, `_` (no sample) outside [from, until). */
function counter(hours: number, opts: { from?: number; until?: number; every?: number; start?: number } = {}): string {
  const n = hours * 12;
  const { from = 0, until = n, every = 12, start = 1 } = opts;
  return Array.from({ length: n + 1 }, (_, i) => (i < from || i >= until ? "_" : String(start + Math.floor((i - from) / every)))).join(" ");
}

describe.skipIf(!HAS_PROMTOOL)("repository maintenance alert: Prometheus evaluates it (promtool, every 5m, threshold 5h)", () => {
  const expr = repoMaintenanceExpr(repoMaintenanceTarget("velero", {}, "4h", "storage-locations"));
  const success = (pod: string, values: string): InputSeries => ({ series: `velero_repo_maintenance_success_total{repository_name="tenant-a-default-kopia-x",pod="${pod}"}`, values });
  const fires = [{ labels: '{repository_name="tenant-a-default-kopia-x"}', value: 1 }];
  const check = (input: InputSeries[], cases: { at: string; samples: typeof fires | [] }[]) => {
    const r = checkPromql(expr, input, cases);
    expect(r.output).not.toMatch(/FAILED/);
    expect(r.status).toBe(0);
  };

  it("hourly successes: silent", () => {
    check([success("velero-1", counter(24))], [
      { at: "12h", samples: [] },
      { at: "24h", samples: [] },
    ]);
  });

  it("successes stop at 6h: silent while one lies within 5h, fires after", () => {
    // The last increment is at 6h (value 7); the counter stays exported at 7 (Velero keeps running).
    check([success("velero-1", counter(6) + " " + Array(12 * 8).fill("7").join(" "))], [
      { at: "9h", samples: [] },
      { at: "10h55m", samples: [] },
      { at: "11h05m", samples: fires },
      { at: "14h", samples: fires },
    ]);
  });

  it("Velero restarts (new pod) long after the previous success: the new series' first success counts, no alert before the second", () => {
    // velero-1: last success at 2h, exported until 6h; velero-2 from 6h30m: 1, then 2 at 7h30m.
    const old = Array.from({ length: 72 }, (_, i) => String(i < 24 ? 1 + Math.floor(i / 12) : 3)).join(" ");
    check([success("velero-1", old), success("velero-2", counter(12, { from: 78 }))], [
      { at: "6h15m", samples: [] },
      { at: "7h15m", samples: [] },
      { at: "12h", samples: [] },
    ]);
    // Without the new-series clause the same input fires at 7h15m: the test can tell.
    const increaseOnly = checkPromql(expr.replace(/ or group by \(repository_name\) \(velero_repo_maintenance_success_total unless [^)]*\)\)$/, ")"), [success("velero-1", old), success("velero-2", counter(12, { from: 78 }))], [{ at: "7h15m", samples: [] }]);
    expect(increaseOnly.output).toContain('got: {repository_name="tenant-a-default-kopia-x"} 1E+00');
  });

  it("Velero restarts and maintenance never succeeds again: fires once the threshold has passed since the last success", () => {
    check([success("velero-1", counter(14, { until: 72 }))], [
      { at: "8h", samples: [] },
      { at: "11h", samples: fires },
      { at: "14h", samples: fires },
    ]);
  });

  it("the container restarts in the same pod (counter reset, same labels): increase() sees the new success", () => {
    check([success("velero-1", counter(6, { until: 72 }) + " " + counter(6, { from: 1 }).split(" ").slice(1).join(" "))], [
      { at: "8h", samples: [] },
      { at: "12h", samples: [] },
    ]);
  });

  it("only failures reported: fires", () => {
    check([{ series: 'velero_repo_maintenance_failure_total{repository_name="tenant-a-default-kopia-x",pod="velero-1"}', values: counter(3, { every: 1 }) }], [{ at: "3h", samples: fires }]);
  });
});
