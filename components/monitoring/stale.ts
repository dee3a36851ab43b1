/**
 * Staleness thresholds of the alerts: `monitoring.staleAfter.<key>`, else a cron's longest interval plus
 * `monitoring.grace`. Pure, on plain values: config validation and the alert targets both use it.
 */
import type { ConfigProblem } from "../config-problem";
import { cronMaxIntervalSeconds } from "../schema/cron";
import { humanDuration, parseGoDuration } from "../schema/duration";

/** Keys of `monitoring.staleAfter`: what a staleness threshold can be set for. */
export const STALE_KEYS = ["tenants", "system", "garageMetaCeph", "garageDataZfs", "postgres", "benjiBackup", "benjiEnforce", "benjiCleanup", "benjiScrub", "benjiDrill", "benjiMetadataBackup", "tenantsDrill", "postgresDrill"] as const;
export type StaleKey = (typeof STALE_KEYS)[number];

/** How late is late: explicit thresholds per key, else the cron's interval plus the grace. */
export interface StaleSettings {
  /** Threshold per key, a Go duration (`26h`); overrides interval + grace. */
  readonly staleAfter: Readonly<Partial<Record<StaleKey, string>>>;
  /** Go duration added to a cron's longest interval. */
  readonly grace: string;
}

/** monitoring.staleAfter.<key> in seconds, else the interval plus the larger of monitoring.grace and `minGraceSeconds` (a drill's timeout). */
export function staleAfterSeconds(settings: StaleSettings, key: StaleKey, intervalSeconds: number, minGraceSeconds = 0): number {
  const explicit = settings.staleAfter[key];
  if (explicit !== undefined) return parseGoDuration(explicit) ?? 0;
  return intervalSeconds + Math.max(parseGoDuration(settings.grace) ?? 0, minGraceSeconds);
}

/** The cron a `monitoring.staleAfter` key watches: its config path, the cron, and whether it runs. */
export interface StaleKeyCron {
  readonly key: StaleKey;
  readonly path: string;
  readonly cron: string;
  readonly enabled: boolean;
}

/**
 * Thresholds shorter than the interval they watch. (A zrepl lag threshold within one snapshot interval is refused by
 * the zrepl rule of config-rules.ts.)
 */
export function staleAfterProblems(settings: StaleSettings, crons: readonly StaleKeyCron[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const grace = parseGoDuration(settings.grace) ?? 0;
  for (const { key, path, cron, enabled } of crons) {
    const value = settings.staleAfter[key];
    if (value === undefined || !enabled) continue;
    const seconds = parseGoDuration(value) ?? 0;
    const interval = cronMaxIntervalSeconds(cron);
    if (seconds < interval) {
      problems.push({
        path: `monitoring.staleAfter.${key}`,
        value,
        message: `is shorter than the ${humanDuration(interval)} between runs of '${cron}' (${path}): the alert would fire before the next run is due; expected at least ${humanDuration(interval)}, e.g. '${humanDuration(interval + grace)}'`,
      });
    }
  }
  return problems;
}
