import { CronExpressionParser } from "cron-parser";

/** A fixed start so interval calculations are the same on every run and machine. */
export const REFERENCE_START = new Date("2026-01-01T00:00:00Z");

/**
 * Validates a standard five-field cron expression (minute hour day-of-month month day-of-week), the form both
 * Velero (`robfig/cron` ParseStandard) and Kubernetes CronJobs read. Returns an error message or undefined.
 */
export function cronError(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 || expression.includes("CRON_TZ") || expression.includes("TZ=")) {
    return "expected a 5-field cron expression 'minute hour day-of-month month day-of-week' without a time zone prefix (set timeZone instead), e.g. '0 1 * * *'";
  }
  try {
    CronExpressionParser.parse(expression, { tz: "UTC", currentDate: REFERENCE_START }).next();
    return undefined;
  } catch (err) {
    return `not a valid cron expression (${(err as Error).message})`;
  }
}

/** Days of the Gregorian cycle: every 400 years the calendar, leap days and weekdays included, repeats. */
const CYCLE_DAYS = 146_097;
const CYCLE_START_YEAR = REFERENCE_START.getUTCFullYear();
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** A valid cron reduced to what the computations below need. */
interface CronPlan {
  /** Minutes of the day it runs at, ascending. */
  readonly times: readonly number[];
  /** Months (1-12) it runs in, ascending. */
  readonly months: readonly number[];
  /** Whether it runs on a day of one of its months: day of month, weekday (0 Sunday), days in that month. */
  readonly matchesDay: (day: number, weekday: number, daysInMonth: number) => boolean;
  /** The weekdays (0-6, ascending) when the day fields amount to "these weekdays of every week", else undefined. */
  readonly weekdays?: readonly number[];
}

const plans = new Map<string, CronPlan>();

/**
 * Day matching follows cron-parser 5's (CronExpression.js #matchDayOfMonth): day-of-month or day-of-week when both
 * are restricted, `L`, `nL`, `n#k`; the fields are cron-parser's own parse (which also refuses what it refuses).
 */
function cronPlan(expression: string): CronPlan {
  let plan = plans.get(expression);
  if (plan) return plan;
  const { minute, hour, dayOfMonth, month, dayOfWeek } = CronExpressionParser.parse(expression, { tz: "UTC", currentDate: REFERENCE_START }).fields;
  const times = (hour.values as number[]).flatMap((h) => (minute.values as number[]).map((m) => h * 60 + m)).sort((a, b) => a - b);
  const domValues = new Set(dayOfMonth.values as (number | string)[]);
  const dowValues = dayOfWeek.values as (number | string)[];
  const dowNumbers = new Set(dowValues);
  const lastWeekdays = new Set(dowValues.map((v) => parseInt(String(v).charAt(0), 10) % 7));
  const nth = dayOfWeek.nthDay;
  const domRestricted = !dayOfMonth.isWildcard;
  const dowRestricted = !dayOfWeek.isWildcard;
  const matchesDay = (day: number, weekday: number, daysInMonth: number): boolean => {
    const dom = domValues.has(day) || (dayOfMonth.hasLastChar && day === daysInMonth);
    const dow = (dowNumbers.has(weekday) && (nth <= 0 || Math.ceil(day / 7) === nth)) || (dayOfWeek.hasLastChar && day > daysInMonth - 7 && lastWeekdays.has(weekday));
    if (domRestricted && dowRestricted) return dom || dow;
    if (!dowRestricted) return dom;
    return !domRestricted && dow;
  };
  const months = [...(month.values as number[])].sort((a, b) => a - b);
  const everyWeek = months.length === 12 && !domRestricted && !dayOfWeek.hasLastChar && nth <= 0;
  const weekdays = everyWeek ? [...new Set((dowValues as number[]).map((d) => d % 7))].sort((a, b) => a - b) : undefined;
  plan = { times, months, matchesDay, weekdays };
  plans.set(expression, plan);
  return plan;
}

/** Shortest and longest gap in seconds between two consecutive runs. */
interface CronGaps {
  readonly min: number;
  readonly max: number;
}

const gaps = new Map<string, CronGaps>();

/**
 * Read in UTC, as it always was: the stack's time zone and its DST shifts are not applied (a daily run is 86400 s
 * apart every day; the 23 h and 25 h days of a DST zone do not change a threshold). Computed from the parsed fields
 * without a time-zone library: every matching day has the same times of day (no DST in UTC), so a gap is either one
 * between two times of a day or one between two matching days less the span of a day's runs; matching days are found
 * over one full 400-year cycle, so a run that only comes on rare days (29 February, the 1 January) is measured over
 * its whole period.
 */
function cronGaps(expression: string): CronGaps {
  let found = gaps.get(expression);
  if (found) return found;
  const { times, months, matchesDay, weekdays } = cronPlan(expression);
  let withinMin = Infinity;
  let withinMax = 0;
  for (let i = 1; i < times.length; i++) {
    withinMin = Math.min(withinMin, times[i] - times[i - 1]);
    withinMax = Math.max(withinMax, times[i] - times[i - 1]);
  }
  const span = times[times.length - 1] - times[0];
  let minDays = Infinity;
  let maxDays = 0;
  if (weekdays) {
    // Every month, any day of the month: the gaps between days are those between the weekdays (1 with none restricted).
    for (let i = 0; i < weekdays.length; i++) {
      const days = (i + 1 < weekdays.length ? weekdays[i + 1] : weekdays[0] + 7) - weekdays[i];
      minDays = Math.min(minDays, days);
      maxDays = Math.max(maxDays, days);
    }
  } else {
    let first: number | undefined;
    let previous: number | undefined;
    for (let year = CYCLE_START_YEAR; year < CYCLE_START_YEAR + 400; year++) {
      for (const m of months) {
        const start = Date.UTC(year, m - 1, 1) / DAY_MS;
        const daysInMonth = Date.UTC(year, m, 1) / DAY_MS - start;
        const firstWeekday = new Date(start * DAY_MS).getUTCDay();
        for (let day = 1; day <= daysInMonth; day++) {
          if (!matchesDay(day, (firstWeekday + day - 1) % 7, daysInMonth)) continue;
          const n = start + day - 1;
          if (previous !== undefined) {
            minDays = Math.min(minDays, n - previous);
            maxDays = Math.max(maxDays, n - previous);
          }
          first ??= n;
          previous = n;
        }
      }
    }
    if (first === undefined || previous === undefined) throw new Error(`cron '${expression}' never runs`);
    minDays = Math.min(minDays, first + CYCLE_DAYS - previous);
    maxDays = Math.max(maxDays, first + CYCLE_DAYS - previous);
  }
  found = { min: Math.min(withinMin, minDays * 1440 - span) * 60, max: Math.max(withinMax, maxDays * 1440 - span) * 60 };
  gaps.set(expression, found);
  return found;
}

/** The longest gap in seconds between two consecutive runs (in UTC, see cronGaps): the worst-case recovery point objective. */
export function cronMaxIntervalSeconds(expression: string): number {
  return cronGaps(expression).max;
}

/** The shortest gap in seconds between two consecutive runs (in UTC, see cronGaps). */
export function cronMinIntervalSeconds(expression: string): number {
  return cronGaps(expression).min;
}

/**
 * The first run strictly after `after`, reading the cron in UTC: what cron-parser's `next()` returns for
 * `{ tz: "UTC", currentDate: after }`, computed without a time-zone library.
 */
export function nextCronRunUtc(expression: string, after: Date): Date {
  const { times, months, matchesDay } = cronPlan(expression);
  const afterMs = after.getTime();
  const firstDay = Math.floor(afterMs / DAY_MS);
  for (let n = firstDay; n <= firstDay + CYCLE_DAYS; n++) {
    const date = new Date(n * DAY_MS);
    const month = date.getUTCMonth() + 1;
    if (!months.includes(month)) continue;
    const daysInMonth = new Date(Date.UTC(date.getUTCFullYear(), month, 0)).getUTCDate();
    if (!matchesDay(date.getUTCDate(), date.getUTCDay(), daysInMonth)) continue;
    const time = times.find((t) => n * DAY_MS + t * MINUTE_MS > afterMs);
    if (time !== undefined) return new Date(n * DAY_MS + time * MINUTE_MS);
  }
  throw new Error(`cron '${expression}' never runs`);
}

/** Whether the IANA time zone name is known to this runtime's ICU data (the same database Kubernetes uses). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
