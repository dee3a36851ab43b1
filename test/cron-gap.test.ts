/**
 * The longest gap of a cron (alert thresholds, RPOs, drill windows) is computed from the parsed fields instead of
 * enumerating runs through cron-parser and luxon. The table holds what the previous implementation (800 runs from
 * REFERENCE_START through cron-parser 5.10.5 in UTC, commit f3dd14d) returned for each expression; the new one must
 * return exactly the same. Where those 800 runs did not reach a cron's longest gap the old value was too small; those
 * expressions are listed apart with the true value.
 */
import { CronExpressionParser } from "cron-parser";
import { afterEach, describe, expect, it } from "vitest";
import { cronMaxIntervalSeconds, REFERENCE_START } from "../components/schema/cron";

/** [expression, seconds the previous implementation returned] */
const PREVIOUS: [string, number][] = [
  ["0 1 * * *", 86400],
  ["30 2 * * *", 86400],
  ["*/5 * * * *", 300],
  ["*/7 * * * *", 420],
  ["* * * * *", 60],
  ["0 * * * *", 3600],
  ["15 */4 * * *", 14400],
  ["0 */5 * * *", 18000],
  ["5,55 */3 * * *", 7800],
  ["0 0 * * 0", 604800],
  ["0 2 * * 6", 604800],
  ["30 3 * * 1-5", 259200],
  ["0 22 * * 1-5", 259200],
  ["0 9-17 * * 1-5", 230400],
  ["*/15 9-17 * * 1-5", 227700],
  ["0 0 * * 1,3,5", 259200],
  ["0 0 * * 7", 604800],
  ["0 3 1 * *", 2678400],
  ["0 3 15 * *", 2678400],
  ["0 3 31 * *", 5270400],
  ["0 3 30 * *", 5184000],
  ["0 3 29 * *", 5097600],
  ["0 4 1,15 * *", 1468800],
  ["0 5 1 */3 *", 7948800],
  ["0 5 1 1 *", 31622400],
  ["0 5 1 1,7 *", 15897600],
  ["0 6 1-7 * 1", 604800],
  ["0 6 13 * 5", 604800],
  ["0 6 L * *", 2678400],
  ["0 6 * * 5L", 3024000],
  ["0 6 * * 1#2", 3024000],
  ["0 6 * * 0#5", 10281600],
  ["0 0 29 2 *", 252374400],
  ["0 0 29 2 1", 30240000],
  ["0 0 1 2 *", 31622400],
  ["*/10 * 1 * *", 2592600],
  ["*/5 * * * 1", 518700],
  ["0 0 * 2 *", 29203200],
  ["0 12 * 6-8 *", 23760000],
  ["30 1 */2 * *", 172800],
  ["0 */6 */3 * *", 194400],
  ["59 23 * * *", 86400],
  ["0 0,12 * * *", 43200],
  ["17 3 * * 0,6", 518400],
  ["0 1 * * 1-5", 259200],
  ["45 23 28-31 * *", 2419200],
  ["0 7 ? * MON", 604800],
  ["0 8 * JAN,JUL *", 13305600],
  ["0 0 1 * 0", 604800],
];

/** The previous implementation, for a live comparison on expressions it computes quickly. */
function previousImplementation(expression: string): number {
  const it = CronExpressionParser.parse(expression, { tz: "UTC", currentDate: REFERENCE_START });
  const runs = Array.from({ length: 800 }, () => it.next().toDate().getTime());
  return Math.max(...runs.slice(1).map((t, i) => (t - runs[i]) / 1000));
}

describe("cronMaxIntervalSeconds", () => {
  const zone = process.env.TZ;
  afterEach(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  it.each(PREVIOUS)("%s: %i s, as before", (expression, seconds) => {
    expect(cronMaxIntervalSeconds(expression)).toBe(seconds);
  });

  it.each(["0 1 * * *", "*/5 * * * *", "0 0 * * 1,3,5", "15 */4 * * *", "*/15 9-17 * * 1-5"])("%s: the same as cron-parser's 800 runs, computed live", (expression) => {
    expect(cronMaxIntervalSeconds(expression)).toBe(previousImplementation(expression));
  });

  it("reads crons in UTC whatever the machine's zone: a DST zone's 23 h and 25 h days do not change a threshold (as before)", () => {
    for (const tz of ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham"]) {
      process.env.TZ = tz;
      expect([tz, cronMaxIntervalSeconds("30 2 * * *"), cronMaxIntervalSeconds("0 6 * * 5L"), cronMaxIntervalSeconds("0 0 29 2 *")]).toEqual([tz, 86400, 3024000, 252374400]);
    }
    // What a zone-aware reading would say instead, so the line above can tell the two apart.
    const paris = CronExpressionParser.parse("30 1 * * *", { tz: "Europe/Paris", currentDate: new Date("2026-10-24T00:00:00Z") });
    const [a, b] = [paris.next().toDate().getTime(), paris.next().toDate().getTime()];
    expect((b - a) / 1000).toBe(90000);
  });

  it("measures rare runs over their whole period, where the first 800 runs stopped short (old value in the comment)", () => {
    expect(cronMaxIntervalSeconds("* * 1 1 *")).toBe(365 * 86400 + 60); // 1 January 23:59 of a leap year to 1 January 00:00; was 60: 800 runs all fell on 1 January 2026
    expect(cronMaxIntervalSeconds("*/5 * 29 2 *")).toBe(8 * 365 * 86400 + 300); // 29 February 2096 23:55 to 2104 00:00 (2100 is no leap year); was 4 years: 800 runs stop before 2096
  });

  it("refuses an expression cron-parser refuses, with its message", () => {
    expect(() => cronMaxIntervalSeconds("0 0 31 2 *")).toThrow("Invalid explicit day of month definition");
    expect(() => cronMaxIntervalSeconds("61 * * * *")).toThrow(/Constraint error/);
  });
});
