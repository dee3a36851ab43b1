/**
 * When a drill may run. A drill restores the newest completed backup of a Schedule; running while that Schedule's
 * backup is under way would compete with it for the node-agents and the object store and could pick a backup that
 * is about to be replaced. The backup window of a Schedule is each run plus `monitoring.grace` (the time a backup
 * may take); a drill occupies each of its runs plus `drills.timeout`. The two must never meet.
 */
import { CronExpressionParser } from "cron-parser";
import { nextCronRunUtc, REFERENCE_START } from "../schema/cron";

/** How far the comparison looks from {@link REFERENCE_START}: a year covers every weekday/month-day combination of a cron. */
const HORIZON_SECONDS = 366 * 86400;

/**
 * Run times of a cron in `[from, to)`, in the given time zone. In UTC they come from the parsed fields
 * (nextCronRunUtc, the same runs as cron-parser's without enumerating through luxon); other zones go through
 * cron-parser, whose DST handling they need.
 */
export function cronRunsBetween(expression: string, timeZone: string, from: Date, to: Date): Date[] {
  const runs: Date[] = [];
  if (timeZone === "UTC") {
    for (let next = nextCronRunUtc(expression, new Date(from.getTime() - 1)); next.getTime() < to.getTime(); next = nextCronRunUtc(expression, next)) runs.push(next);
    return runs;
  }
  const it = CronExpressionParser.parse(expression, { tz: timeZone, currentDate: new Date(from.getTime() - 1000), endDate: to });
  while (it.hasNext()) {
    const next = it.next().toDate();
    if (next.getTime() >= to.getTime()) break;
    if (next.getTime() >= from.getTime()) runs.push(next);
  }
  return runs;
}

/** The first run strictly after `after`, in the time zone (see cronRunsBetween). */
function nextRun(expression: string, timeZone: string, after: Date): Date {
  return timeZone === "UTC" ? nextCronRunUtc(expression, after) : CronExpressionParser.parse(expression, { tz: timeZone, currentDate: after }).next().toDate();
}

/** The first meeting of a drill run with a backup window, if any. */
export interface WindowOverlap {
  /** Start of the drill run. */
  readonly drill: Date;
  /** Start of the backup run whose window it meets. */
  readonly backup: Date;
}

/**
 * The first drill run (within a year from the reference start) whose span `[run, run + drillSeconds)` meets a backup
 * window `[backup, backup + windowSeconds)`; undefined when none does. Both crons are read in `timeZone`.
 */
export function firstWindowOverlap(drillCron: string, drillSeconds: number, backupCron: string, windowSeconds: number, timeZone: string): WindowOverlap | undefined {
  const to = new Date(REFERENCE_START.getTime() + HORIZON_SECONDS * 1000);
  for (const drill of cronRunsBetween(drillCron, timeZone, REFERENCE_START, to)) {
    // The first backup whose window is still open when the drill starts: started after drill - window.
    const backup = nextRun(backupCron, timeZone, new Date(drill.getTime() - windowSeconds * 1000));
    if (backup.getTime() < drill.getTime() + drillSeconds * 1000) return { drill, backup };
  }
  return undefined;
}

/** `Sat 01:30` in the time zone: how a run is named in messages. */
export function formatRun(date: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(date);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("weekday")} ${part("hour")}:${part("minute")}`;
}
