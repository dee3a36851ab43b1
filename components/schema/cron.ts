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

/** Run times of a valid cron expression from the reference start, in UTC. */
export function cronRuns(expression: string, count: number): Date[] {
  const it = CronExpressionParser.parse(expression, { tz: "UTC", currentDate: REFERENCE_START });
  return Array.from({ length: count }, () => it.next().toDate());
}

/** Days of the Gregorian cycle: every 400 years the calendar, leap days and weekdays included, repeats. */
const CYCLE_DAYS = 146_097;
const CYCLE_START_YEAR = REFERENCE_START.getUTCFullYear();
const DAY_MS = 86_400_000;
const maxIntervals = new Map<string, number>();

/**
 * The longest gap in seconds between two consecutive runs: the worst-case recovery point objective.
 *
 * Read in UTC, as it always was: the stack's time zone and its DST shifts are not applied (a daily run is 86400 s
 * apart every day; the 23 h and 25 h days of a DST zone do not change the threshold). Computed from the parsed fields
 * without a time-zone library: every matching run of a day has the same times of day (no DST in UTC), so the longest
 * gap is either the longest gap between two times of a day or the longest distance between two matching days
 * minus the span of a day's runs; matching days are found over one full 400-year cycle, so a run that only comes on
 * rare days (29 February, the 1 January) is measured over its whole period. Day matching follows cron-parser 5's
 * (CronExpression.js #matchDayOfMonth): day-of-month or day-of-week when both are restricted, `L`, `nL`, `n#k`.
 */
export function cronMaxIntervalSeconds(expression: string): number {
  let seconds = maxIntervals.get(expression);
  if (seconds === undefined) {
    seconds = computeMaxIntervalSeconds(expression);
    maxIntervals.set(expression, seconds);
  }
  return seconds;
}

function computeMaxIntervalSeconds(expression: string): number {
  const { minute, hour, dayOfMonth, month, dayOfWeek } = CronExpressionParser.parse(expression, { tz: "UTC", currentDate: REFERENCE_START }).fields;
  const times = (hour.values as number[]).flatMap((h) => (minute.values as number[]).map((m) => h * 60 + m)).sort((a, b) => a - b);
  let withinDay = 0;
  for (let i = 1; i < times.length; i++) withinDay = Math.max(withinDay, times[i] - times[i - 1]);

  const domValues = new Set(dayOfMonth.values as (number | string)[]);
  const dowValues = dayOfWeek.values as (number | string)[];
  const dowNumbers = new Set(dowValues);
  const lastWeekdays = new Set(dowValues.map((v) => parseInt(String(v).charAt(0), 10) % 7));
  const nth = dayOfWeek.nthDay;
  const domRestricted = !dayOfMonth.isWildcard;
  const dowRestricted = !dayOfWeek.isWildcard;
  const matches = (day: number, weekday: number, daysInMonth: number): boolean => {
    const dom = domValues.has(day) || (dayOfMonth.hasLastChar && day === daysInMonth);
    const dow = (dowNumbers.has(weekday) && (nth <= 0 || Math.ceil(day / 7) === nth)) || (dayOfWeek.hasLastChar && day > daysInMonth - 7 && lastWeekdays.has(weekday));
    if (domRestricted && dowRestricted) return dom || dow;
    if (!dowRestricted) return dom;
    return !domRestricted && dow;
  };

  const months = [...(month.values as number[])].sort((a, b) => a - b);
  const acrossDays = (days: number) => Math.max(withinDay, days * 1440 - (times[times.length - 1] - times[0])) * 60;
  // Every month, any day of the month: the gap between days is that of the weekdays (1 with none restricted).
  if (months.length === 12 && !domRestricted && !dayOfWeek.hasLastChar && nth <= 0) {
    const weekdays = [...new Set(dowValues as number[])].sort((a, b) => a - b);
    return acrossDays(Math.max(...weekdays.map((d, i) => (i + 1 < weekdays.length ? weekdays[i + 1] : weekdays[0] + 7) - d)));
  }
  let first: number | undefined;
  let previous: number | undefined;
  let longestDays = 0;
  for (let year = CYCLE_START_YEAR; year < CYCLE_START_YEAR + 400; year++) {
    for (const m of months) {
      const start = Date.UTC(year, m - 1, 1) / DAY_MS;
      const daysInMonth = Date.UTC(year, m, 1) / DAY_MS - start;
      const firstWeekday = new Date(start * DAY_MS).getUTCDay();
      for (let day = 1; day <= daysInMonth; day++) {
        if (!matches(day, (firstWeekday + day - 1) % 7, daysInMonth)) continue;
        const n = start + day - 1;
        if (previous !== undefined) longestDays = Math.max(longestDays, n - previous);
        first ??= n;
        previous = n;
      }
    }
  }
  if (first === undefined || previous === undefined) throw new Error(`cron '${expression}' never runs`);
  return acrossDays(Math.max(longestDays, first + CYCLE_DAYS - previous));
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
