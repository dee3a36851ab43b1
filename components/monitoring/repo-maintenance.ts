/**
 * The kopia repository maintenance alert: a BackupRepository whose maintenance has not succeeded within its interval
 * plus `monitoring.grace`. Pure.
 *
 * Upstream facts (velero v1.18.1; the image pin is v1.18.2, a patch release of the same branch):
 * - pkg/metrics/metrics.go: `velero_repo_maintenance_success_total{repository_name}` and
 *   `velero_repo_maintenance_failure_total{repository_name}` are counters (names lines 84-85, `metricNamespace =
 *   "velero"` line 36, `repositoryNameLabel = "repository_name"` line 98, CounterVecs lines 350-365, Register* lines
 *   965-977), registered empty: a repository's series appears with its first
 *   success (failure) after the Velero server started, and is gone after a restart until the next one.
 * - pkg/controller/backup_repository_controller.go runMaintenanceIfDue (lines 496-556): `RegisterRepoMaintenanceSuccess(req.Name)` (line 546) after
 *   a maintenance Job succeeded (then `status.lastMaintenanceTime` is set), `RegisterRepoMaintenanceFailure` when the
 *   Job failed or could not start (then only `status.recentMaintenance` records it, so the repository stays due and is
 *   retried); `req.Name` is the BackupRepository's name. dueForMaintenance: due once `lastMaintenanceTime +
 *   spec.maintenanceFrequency` has passed.
 * - spec.maintenanceFrequency defaults to the server's `--default-repo-maintain-frequency` (chart value
 *   `configuration.defaultRepoMaintainFrequency`), else the repository type's own default: kopia
 *   (pkg/repository/udmrepo/kopialib/lib_repo.go line 84 `defaultMaintainCheckPeriod = time.Hour`), 1 h
 *   (controller getRepositoryMaintenanceFrequency, lines 376-390).
 */
import type { ConfigProblem } from "../config-problem";
import { runbookUrl, type RunbookAnchor } from "../runbook-anchors";
import { humanDuration, parseGoDuration } from "../schema/duration";

/** Velero's repository-maintenance counters. */
export const REPO_MAINTENANCE_METRICS = {
  success: "velero_repo_maintenance_success_total",
  failure: "velero_repo_maintenance_failure_total",
} as const;

/** Velero's default maintenance frequency of a kopia repository (kopialib/lib_repo.go defaultMaintainCheckPeriod). */
export const KOPIA_DEFAULT_MAINTENANCE_SECONDS = 3600;
/** The chart value (rendered as `--default-repo-maintain-frequency`) that changes it for every repository. */
export const REPO_MAINTAIN_FREQUENCY_VALUE = "configuration.defaultRepoMaintainFrequency";
/**
 * How long a repository stays known to the alert after its last report: a repository whose maintenance never succeeds
 * again after a Velero restart (its old series stop) still alerts for this long.
 */
export const REPO_KNOWN_LOOKBACK_SECONDS = 7 * 86400;

/** What the alert watches. */
export interface RepoMaintenanceTarget {
  /** Velero's namespace, for the kubectl hints. */
  readonly veleroNamespace: string;
  /** The maintenance frequency every repository gets. */
  readonly frequencySeconds: number;
  /** Frequency plus monitoring.grace: no success within this long alerts. */
  readonly staleAfterSeconds: number;
  readonly anchor: RunbookAnchor;
}

/** The chart's `configuration.defaultRepoMaintainFrequency` set through velero.extraValues, if any. */
function extraFrequency(extraValues: Readonly<Record<string, unknown>>): unknown {
  const configuration = extraValues.configuration;
  if (configuration === null || typeof configuration !== "object") return undefined;
  return (configuration as Record<string, unknown>).defaultRepoMaintainFrequency;
}

/** The maintenance frequency in seconds: velero.extraValues' chart value, else kopia's default (1 h). */
export function repoMaintenanceFrequencySeconds(extraValues: Readonly<Record<string, unknown>>): number {
  const value = extraFrequency(extraValues);
  if (value === undefined || value === null || value === "") return KOPIA_DEFAULT_MAINTENANCE_SECONDS;
  return (typeof value === "string" ? parseGoDuration(value) : undefined) ?? KOPIA_DEFAULT_MAINTENANCE_SECONDS;
}

/** A frequency the alert cannot be derived from (Velero's flag parser would refuse it too). */
export function repoMaintenanceProblems(cfg: { readonly velero: { readonly extraValues: Readonly<Record<string, unknown>> } }): ConfigProblem[] {
  const value = extraFrequency(cfg.velero.extraValues);
  if (value === undefined || value === null || value === "") return [];
  const seconds = typeof value === "string" ? parseGoDuration(value) : undefined;
  if (seconds !== undefined && seconds > 0) return [];
  return [{ path: `velero.extraValues.${REPO_MAINTAIN_FREQUENCY_VALUE}`, value, message: "expected a positive Go duration such as '1h' or '24h' (how often Velero maintains each kopia repository; unset = 1h)" }];
}

/** The alert's target: the frequency and the threshold (frequency + grace). */
export function repoMaintenanceTarget(veleroNamespace: string, extraValues: Readonly<Record<string, unknown>>, grace: string, anchor: RunbookAnchor): RepoMaintenanceTarget {
  const frequencySeconds = repoMaintenanceFrequencySeconds(extraValues);
  return { veleroNamespace, frequencySeconds, staleAfterSeconds: frequencySeconds + (parseGoDuration(grace) ?? 0), anchor };
}

/**
 * The PromQL of the alert: every repository Velero reported maintenance for (success or failure) within
 * {@link REPO_KNOWN_LOOKBACK_SECONDS}, unless one of its success series rose within the threshold or appeared within
 * it. A series that appears already holds its first success (the counter is created by `Inc()`), which `increase()`
 * cannot see: without the second clause every Velero restart would alert until the second maintenance.
 */
export function repoMaintenanceExpr(t: RepoMaintenanceTarget): string {
  const { success, failure } = REPO_MAINTENANCE_METRICS;
  // humanDuration's one-unit forms (`5h`, `7d`, `75m`) are Prometheus durations too.
  const within = humanDuration(t.staleAfterSeconds);
  const known = humanDuration(REPO_KNOWN_LOOKBACK_SECONDS);
  return (
    `(group by (repository_name) (max_over_time(${success}[${known}])) or group by (repository_name) (max_over_time(${failure}[${known}]))) ` +
    `unless on (repository_name) ` +
    `(sum by (repository_name) (increase(${success}[${within}])) > 0 or group by (repository_name) (${success} unless ${success} offset ${within}))`
  );
}

/** The alert rule (same shape as the other rules of components/monitoring/rules.ts). */
export function repoMaintenanceRule(t: RepoMaintenanceTarget, baseUrl: string) {
  const ns = t.veleroNamespace;
  return {
    alert: "VeleroRepoMaintenanceNotSucceeded",
    expr: repoMaintenanceExpr(t),
    labels: { severity: "warning" as const, flow: "velero" },
    annotations: {
      summary: "Velero's maintenance of the kopia repository {{ $labels.repository_name }} has not succeeded recently",
      description:
        `The kopia repository {{ $labels.repository_name }} has had no successful maintenance for ${humanDuration(t.staleAfterSeconds)} (maintenance every ${humanDuration(t.frequencySeconds)}, plus ${humanDuration(t.staleAfterSeconds - t.frequencySeconds)} monitoring.grace): ` +
        `unreferenced data is not freed and the repository's indexes are not compacted, so it grows and slows down. ` +
        `See \`kubectl -n ${ns} get backuprepositories.velero.io {{ $labels.repository_name }} -o jsonpath='{.status.recentMaintenance}'\`, ` +
        `the maintenance Jobs (\`kubectl -n ${ns} get jobs -l velero.io/repo-name={{ $labels.repository_name }}\`) and their logs.`,
      runbook_url: runbookUrl(baseUrl, t.anchor),
    },
  };
}

/** Plan-summary line. */
export function repoMaintenanceNote(t: RepoMaintenanceTarget): string {
  return `Alert VeleroRepoMaintenanceNotSucceeded per kopia repository: no successful maintenance for ${humanDuration(t.staleAfterSeconds)} (every ${humanDuration(t.frequencySeconds)} + ${humanDuration(t.staleAfterSeconds - t.frequencySeconds)} grace), runbook #${t.anchor}`;
}
