/**
 * Floors for retention, schedule frequency and timeouts: values a reviewer would sign. Each refusal can be lifted
 * with `overrides.<key>: <reason>` (see ./index.ts), and then shows in summary.md and coverage.md.
 */
import { cronMaxIntervalSeconds, cronMinIntervalSeconds } from "../schema/cron";
import { humanDuration, parseGoDuration } from "../schema/duration";
import { parseBenjiRetention, type BenjiRetentionCategory } from "../benji/retention";
import { gridSpanSeconds, parseGrid, parseZreplDuration } from "../zrepl/grid";
import type { Guard, GuardConfig, GuardProblem } from "./types";

/** Restore points every flow must hold at every moment: a failed or corrupt newest backup still leaves an older one. */
export const MIN_RESTORE_POINTS = 2;
/** Shortest gap between two runs of a Velero Schedule or Benji backup: full backups of every volume queue up below it. */
export const MIN_BACKUP_INTERVAL_SECONDS = 3600;
/** History the zrepl receiver must keep: data deleted or encrypted on the source is otherwise gone from every copy by morning. */
export const MIN_ZREPL_HISTORY_SECONDS = 24 * 3600;
/** Timeout floors, by config key (seconds) and why. */
export const TIMEOUT_FLOORS = {
  "velero.fsBackupTimeout": { seconds: 3600, why: "a large tenant volume takes longer than that to copy, and Velero marks the backup PartiallyFailed when it expires (Velero's own default is 4h)" },
  "flows.postgres.hookTimeout": { seconds: 300, why: "pg_dumpall of a production database takes minutes; when the hook times out the backup holds no dump" },
  "flows.postgres.postHookTimeout": { seconds: 60, why: "the post-hook deletes the dump from the emptyDir; when it times out the next dump may not fit" },
  "flows.garageMetaCeph.csiSnapshotTimeout": { seconds: 300, why: "a Ceph RBD snapshot under load takes minutes to become ready (Velero's default is 10m)" },
} as const;

export { cronMinIntervalSeconds };

function veleroFlowsOf(cfg: GuardConfig) {
  const f = cfg.flows;
  return [
    ["tenants", f.tenants],
    ["system", f.system],
    ["garageMetaCeph", f.garageMetaCeph],
    ["garageDataZfs", f.garageDataZfs],
    ["postgres", f.postgres],
  ] as const;
}

function hours(seconds: number): string {
  return `${Math.ceil(seconds / 3600)}h`;
}

/**
 * Velero ttl ≥ 2 × the longest interval + run-time allowance, where the allowance is velero.fsBackupTimeout (the
 * longest a backup waits for its pod volumes): then two completed backups exist at every moment. A ttl below one
 * interval is refused by config-rules.ts already (no backup survives to the next), without override.
 */
export const veleroRetentionGuard: Guard = (cfg) => {
  const runTime = parseGoDuration(cfg.velero.fsBackupTimeout) ?? 0;
  return veleroFlowsOf(cfg)
    .filter(([, flow]) => flow.enabled)
    .flatMap(([key, flow]): GuardProblem[] => {
      const interval = cronMaxIntervalSeconds(flow.schedule);
      const ttl = parseGoDuration(flow.ttl) ?? 0;
      const floor = MIN_RESTORE_POINTS * interval + runTime;
      if (ttl < interval || ttl >= floor) return [];
      return [
        {
          path: `flows.${key}.ttl`,
          value: flow.ttl,
          overridable: true,
          message: `keeps fewer than ${MIN_RESTORE_POINTS} restore points: expected at least ${hours(floor)} (${MIN_RESTORE_POINTS} × the ${humanDuration(interval)} between runs of '${flow.schedule}' + ${humanDuration(runTime)} run time, velero.fsBackupTimeout)`,
        },
      ];
    });
};

export const scheduleFrequencyGuard: Guard = (cfg) => {
  const fullPass = "every run is a full pass over every volume: runs queue up and never finish";
  const b = cfg.flows.benji;
  const schedules: [string, string, boolean, string][] = [
    ...veleroFlowsOf(cfg).map(([key, flow]): [string, string, boolean, string] => [`flows.${key}.schedule`, flow.schedule, flow.enabled, fullPass]),
    ["flows.benji.backupSchedule", b.backupSchedule, b.enabled, fullPass],
    ["flows.benji.scrub.schedule", b.scrub.schedule, b.enabled && b.scrub.enabled, "every run reads a sample of the blocks back from the bucket: runs queue up and never finish"],
    ["flows.benji.drill.schedule", b.drill.schedule, b.enabled && b.drill.enabled, "every run restores a whole volume: runs queue up and never finish"],
  ];
  return schedules
    .filter(([, , enabled]) => enabled)
    .flatMap(([path, schedule, , why]): GuardProblem[] => {
      const gap = cronMinIntervalSeconds(schedule);
      return gap < MIN_BACKUP_INTERVAL_SECONDS
        ? [{ path, value: schedule, overridable: true, message: `runs ${humanDuration(gap)} after the previous run at times; expected at most one run per ${humanDuration(MIN_BACKUP_INTERVAL_SECONDS)} (${why})` }]
        : [];
    });
};

/** Seconds of one unit of each Benji time category (months and years as their shortest length). */
const CATEGORY_SECONDS: Record<Exclude<BenjiRetentionCategory, "latest">, number> = { hours: 3600, days: 86400, weeks: 7 * 86400, months: 28 * 86400, years: 365 * 86400 };

/**
 * Versions a Benji retention spec keeps at least, for backups every `interval` seconds. Benji
 * (src/benji/retentionfilter.py) keeps the `latest` N, then per time category one version per unit for N units; the
 * smallest count over the union is that of its largest rule.
 */
export function benjiRestorePoints(spec: string, interval: number): number {
  const rules = parseBenjiRetention(spec);
  return Math.max(
    ...Object.entries(rules).map(([category, count]) =>
      category === "latest" ? count! : Math.floor((count! * CATEGORY_SECONDS[category as keyof typeof CATEGORY_SECONDS]) / Math.max(interval, CATEGORY_SECONDS[category as keyof typeof CATEGORY_SECONDS])),
    ),
  );
}

export const benjiRetentionGuard: Guard = (cfg) => {
  const b = cfg.flows.benji;
  if (!b.enabled) return [];
  const interval = cronMaxIntervalSeconds(b.backupSchedule);
  const points = benjiRestorePoints(b.retention, interval);
  return points < MIN_RESTORE_POINTS
    ? [{ path: "flows.benji.retention", value: b.retention, overridable: true, message: `keeps ${points} version${points === 1 ? "" : "s"} of volumes backed up every ${humanDuration(interval)} ('${b.backupSchedule}'); expected at least ${MIN_RESTORE_POINTS} restore points, e.g. 'latest7' or 'latest3,days7,weeks4'` }]
    : [];
};

/** Snapshots a zrepl grid keeps at least, for snapshots every `interval` seconds. */
export function zreplGridRestorePoints(grid: string, interval: number): number {
  return parseGrid(grid).reduce((sum, g) => {
    const inBucket = Math.floor(g.seconds / interval);
    if (inBucket === 0) return sum + Math.floor((g.count * g.seconds) / interval);
    return sum + g.count * (g.keep === "all" ? inBucket : Math.min(g.keep, inBucket));
  }, 0);
}

export const zreplRetentionGuard: Guard = (cfg) => {
  const z = cfg.flows.zrepl;
  if (!z.enabled) return [];
  const span = gridSpanSeconds(parseGrid(z.receiverGrid));
  const interval = parseZreplDuration(z.snapshotInterval) ?? 1;
  const points = zreplGridRestorePoints(z.receiverGrid, interval);
  if (span < MIN_ZREPL_HISTORY_SECONDS) {
    return [{ path: "flows.zrepl.receiverGrid", value: z.receiverGrid, overridable: true, message: `keeps ${humanDuration(span)} of history on the backup node; expected at least ${humanDuration(MIN_ZREPL_HISTORY_SECONDS)} (data deleted or encrypted on the source is otherwise replicated over every copy before anyone looks), e.g. '1x1h(keep=all) | 24x1h | 30x1d'` }];
  }
  if (points < MIN_RESTORE_POINTS) {
    return [{ path: "flows.zrepl.receiverGrid", value: z.receiverGrid, overridable: true, message: `keeps ${points} snapshot${points === 1 ? "" : "s"} taken every ${z.snapshotInterval} (flows.zrepl.snapshotInterval); expected at least ${MIN_RESTORE_POINTS} restore points` }];
  }
  return [];
};

export const timeoutGuard: Guard = (cfg) => {
  const values: [keyof typeof TIMEOUT_FLOORS, string, boolean][] = [
    ["velero.fsBackupTimeout", cfg.velero.fsBackupTimeout, true],
    ["flows.postgres.hookTimeout", cfg.flows.postgres.hookTimeout, cfg.flows.postgres.enabled],
    ["flows.postgres.postHookTimeout", cfg.flows.postgres.postHookTimeout, cfg.flows.postgres.enabled],
    ["flows.garageMetaCeph.csiSnapshotTimeout", cfg.flows.garageMetaCeph.csiSnapshotTimeout, cfg.flows.garageMetaCeph.enabled],
  ];
  return values
    .filter(([, , applies]) => applies)
    .flatMap(([path, value]): GuardProblem[] => {
      const { seconds, why } = TIMEOUT_FLOORS[path];
      return (parseGoDuration(value) ?? 0) < seconds ? [{ path, value, overridable: true, message: `is shorter than ${humanDuration(seconds)}: ${why}` }] : [];
    });
};
