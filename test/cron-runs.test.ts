/**
 * The schedule-frequency guard's shortest gap, and the drills' window check in UTC, are computed from the parsed cron
 * fields (components/schema/cron.ts) instead of enumerating runs through cron-parser and luxon. cron-parser stays
 * the reference: the table holds what the previous implementation (the shortest gap of 800 runs from
 * REFERENCE_START, cron-parser 5.10.5 in UTC, commit f4e1515) returned, and the run-by-run functions are compared
 * live with cron-parser's `next()`.
 */
import { CronExpressionParser } from "cron-parser";
import { describe, expect, it } from "vitest";
import { cronRunsBetween, firstWindowOverlap } from "../components/drills/windows";
import { cronMinIntervalSeconds as guardMinInterval } from "../components/guards/retention";
import { cronMinIntervalSeconds, nextCronRunUtc, REFERENCE_START } from "../components/schema/cron";

/** [expression, shortest gap in seconds the previous implementation returned] */
const PREVIOUS_MIN: [string, number][] = [
  ["0 1 * * *", 86400],
  ["30 2 * * *", 86400],
  ["*/5 * * * *", 300],
  ["*/7 * * * *", 240],
  ["* * * * *", 60],
  ["0 * * * *", 3600],
  ["15 */4 * * *", 14400],
  ["0 */5 * * *", 14400],
  ["5,55 */3 * * *", 3000],
  ["0 0 * * 0", 604800],
  ["0 2 * * 6", 604800],
  ["30 3 * * 1-5", 86400],
  ["0 22 * * 1-5", 86400],
  ["0 9-17 * * 1-5", 3600],
  ["*/15 9-17 * * 1-5", 900],
  ["0 0 * * 1,3,5", 172800],
  ["0 0 * * 7", 604800],
  ["0 3 1 * *", 2419200],
  ["0 3 15 * *", 2419200],
  ["0 3 31 * *", 2678400],
  ["0 3 30 * *", 2592000],
  ["0 3 29 * *", 2505600],
  ["0 4 1,15 * *", 1209600],
  ["0 5 1 */3 *", 7776000],
  ["0 5 1 1 *", 31536000],
  ["0 5 1 1,7 *", 15638400],
  ["0 6 1-7 * 1", 86400],
  ["0 6 13 * 5", 86400],
  ["0 6 L * *", 2419200],
  ["0 6 * * 5L", 2419200],
  ["0 6 * * 1#2", 2419200],
  ["0 6 * * 0#5", 5443200],
  ["0 0 29 2 *", 126230400],
  ["0 0 29 2 1", 86400],
  ["0 0 1 2 *", 31536000],
  ["*/10 * 1 * *", 600],
  ["*/5 * * * 1", 300],
  ["0 0 * 2 *", 86400],
  ["0 12 * 6-8 *", 86400],
  ["30 1 */2 * *", 86400],
  ["0 */6 */3 * *", 21600],
  ["59 23 * * *", 86400],
  ["0 0,12 * * *", 43200],
  ["17 3 * * 0,6", 86400],
  ["0 1 * * 1-5", 86400],
  ["45 23 28-31 * *", 86400],
  ["0 7 ? * MON", 604800],
  ["0 8 * JAN,JUL *", 86400],
  ["0 0 1 * 0", 86400],
  ["0 0,23 1,31 * *", 3600],
  ["0 0,23 * * 1,2", 3600],
  ["0 23 * * 5", 604800],
  ["59 23 31 12 *", 31536000],
  ["0 0 1 1 *", 31536000],
  ["0 1 * * 0-7", 86400],
  ["0 0 * * 5-7", 86400],
  ["0 0 30 * 1", 86400],
];

const EXPRESSIONS = PREVIOUS_MIN.map(([expression]) => expression);

/** cron-parser's first run strictly after `after`, in UTC. */
function cronParserNext(expression: string, after: Date): Date {
  return CronExpressionParser.parse(expression, { tz: "UTC", currentDate: after }).next().toDate();
}

describe("cronMinIntervalSeconds", () => {
  it.each(PREVIOUS_MIN)("%s: %i s, as before", (expression, seconds) => {
    expect(cronMinIntervalSeconds(expression)).toBe(seconds);
  });

  it("is what the schedule-frequency guard reads", () => {
    expect(guardMinInterval).toBe(cronMinIntervalSeconds);
  });

  it("refuses an expression cron-parser refuses, with its message", () => {
    expect(() => cronMinIntervalSeconds("0 0 31 2 *")).toThrow("Invalid explicit day of month definition");
    expect(() => cronMinIntervalSeconds("0 25 * * *")).toThrow(/Constraint error/);
  });
});

describe("nextCronRunUtc: cron-parser's next() in UTC", () => {
  /** Instants around month, leap-day, year and century ends, on and just beside runs. */
  const INSTANTS = [
    REFERENCE_START,
    new Date("2026-01-01T00:59:59.999Z"),
    new Date("2026-01-01T01:00:00.000Z"),
    new Date("2026-02-27T23:30:00.500Z"),
    new Date("2026-03-31T05:59:00Z"),
    new Date("2027-12-31T23:59:30Z"),
    new Date("2028-02-28T12:00:00Z"),
    new Date("2028-02-29T06:00:00Z"),
    new Date("2099-12-31T23:00:00Z"),
    new Date("2026-06-15T09:07:13.250Z"),
  ];

  it.each(EXPRESSIONS)("%s", (expression) => {
    for (const after of INSTANTS) {
      expect([after.toISOString(), nextCronRunUtc(expression, after).toISOString()]).toEqual([after.toISOString(), cronParserNext(expression, after).toISOString()]);
    }
  });

  it("crosses the 2100 non-leap year for a 29 February cron", () => {
    expect(nextCronRunUtc("0 0 29 2 *", new Date("2096-03-01T00:00:00Z")).toISOString()).toBe("2104-02-29T00:00:00.000Z");
  });

  it("the runs of a year between two instants are cron-parser's, run for run", () => {
    const from = REFERENCE_START;
    const to = new Date(from.getTime() + 366 * 86400_000);
    for (const expression of ["0 10 * * 6", "30 1 * * *", "0 6 * * 5L", "0 3 1 * *", "15 */4 * * 1-5", "0 0 29 2 *"]) {
      const it = CronExpressionParser.parse(expression, { tz: "UTC", currentDate: new Date(from.getTime() - 1000), endDate: to });
      const expected: string[] = [];
      while (it.hasNext()) {
        const next = it.next().toDate();
        if (next.getTime() < to.getTime()) expected.push(next.toISOString());
      }
      expect([expression, cronRunsBetween(expression, "UTC", from, to).map((d) => d.toISOString())]).toEqual([expression, expected]);
    }
  });
});

describe("firstWindowOverlap in UTC: the same result as the previous cron-parser walk", () => {
  /** The previous implementation (commit f4e1515), entirely through cron-parser. */
  function previous(drillCron: string, drillSeconds: number, backupCron: string, windowSeconds: number): { drill: Date; backup: Date } | undefined {
    const to = new Date(REFERENCE_START.getTime() + 366 * 86400_000);
    const it = CronExpressionParser.parse(drillCron, { tz: "UTC", currentDate: new Date(REFERENCE_START.getTime() - 1000), endDate: to });
    while (it.hasNext()) {
      const drill = it.next().toDate();
      if (drill.getTime() >= to.getTime()) break;
      const backup = cronParserNext(backupCron, new Date(drill.getTime() - windowSeconds * 1000));
      if (backup.getTime() < drill.getTime() + drillSeconds * 1000) return { drill, backup };
    }
    return undefined;
  }

  const hour = 3600;
  const CASES: [string, number, string, number][] = [
    ["0 10 * * 6", 2 * hour, "0 1 * * *", 4 * hour],
    ["30 1 * * 6", 2 * hour, "0 1 * * *", 4 * hour],
    ["0 0 * * 6", hour + 1, "0 1 * * *", 4 * hour],
    ["0 5 * * 6", 2 * hour, "0 1 * * *", 4 * hour],
    ["0 3 1 * *", hour, "0 2 1 * *", 2 * hour],
    ["0 12 * * 0", 3 * hour, "0 2 * * 0", 4 * hour],
    ["0 12 * * 0", 3 * hour, "0 11 L * *", 2 * hour],
    ["0 4 15 * *", 2 * hour, "0 3 * * 1#3", 2 * hour],
    ["0 22 * * 5", 3 * hour, "30 23 * * 5L", hour],
    ["0 6 * * 1", 6 * hour, "0 0 29 2 *", 12 * hour],
  ];

  it.each(CASES)("drill %s (%i s) against backup %s (%i s window)", (drillCron, drillSeconds, backupCron, windowSeconds) => {
    expect(firstWindowOverlap(drillCron, drillSeconds, backupCron, windowSeconds, "UTC")).toEqual(previous(drillCron, drillSeconds, backupCron, windowSeconds));
  });

  it("the cases above include meetings and misses (so the comparison tells them apart)", () => {
    const results = CASES.map((c) => firstWindowOverlap(...c, "UTC"));
    expect(results.filter((r) => r === undefined).length).toBeGreaterThanOrEqual(3);
    expect(results.filter((r) => r !== undefined).length).toBeGreaterThanOrEqual(3);
    expect(firstWindowOverlap("0 6 * * 1", 6 * hour, "0 0 29 2 *", 12 * hour, "UTC")).toBeUndefined();
    expect(firstWindowOverlap("0 22 * * 5", 3 * hour, "30 23 * * 5L", hour, "UTC")).toEqual({ drill: new Date("2026-01-30T22:00:00Z"), backup: new Date("2026-01-30T23:30:00Z") });
  });
});
