import { CronExpressionParser } from "cron-parser";

/** A fixed start so interval calculations are the same on every run and machine. */
export const REFERENCE_START = new Date("2026-01-01T00:00:00Z");
const SAMPLE_RUNS = 800;

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

/** The longest gap in seconds between two consecutive runs: the worst-case recovery point objective. */
export function cronMaxIntervalSeconds(expression: string): number {
  const runs = cronRuns(expression, SAMPLE_RUNS);
  let max = 0;
  for (let i = 1; i < runs.length; i++) {
    max = Math.max(max, (runs[i].getTime() - runs[i - 1].getTime()) / 1000);
  }
  return max;
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
