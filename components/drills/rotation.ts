/**
 * The rotation of the tenants drill: every tenant restored at least once per N weeks (`drills.tenants.rotationWeeks`),
 * without any state. restore-drill.sh does the same computation in POSIX sh; this module is its specification, which
 * the tests compare the script against. Pure.
 *
 * Each tenant namespace falls into one of N rotation groups by a stable hash of its name alone ({@link tenantHash}),
 * modulo N. Weeks are numbered from the epoch with their boundaries half a week away
 * from the drill's run, and the run of week w restores the tenants of group `w mod N`.
 *
 * Why this bounds every tenant by N weeks, even as tenants come and go: a tenant's group depends on its own name only,
 * never on how many other tenants exist or where it sorts among them (an index into the sorted list would shift when
 * one before it is deleted, and the tenant would miss its turn). Among any N consecutive weeks exactly one is
 * congruent to its group, and every week holds a run (the schedule runs at least once a week, enforced by config,
 * and a run starting late by its startingDeadline stays half a week away from the next boundary). So a tenant that is
 * a candidate (labelled, not opted out, present in the newest usable backup without errors) in N consecutive weeks is
 * restored in one of them. The price is the size of a run: on average count/N tenants, more when the hash groups
 * unevenly; a week whose group is empty restores one tenant picked by the week number instead, so no run proves nothing.
 */
import { cronRunsBetween } from "./windows";
import { REFERENCE_START } from "../schema/cron";

export const WEEK_SECONDS = 7 * 86400;

/** Modulus of {@link tenantHash}: every intermediate value stays below 2^53, exact in jq's and JavaScript's doubles. */
const HASH_MODULUS = 1_000_003;

/**
 * A stable hash of a namespace name: `h = (h * 31 + code point) mod 1000003` over its characters, the same as
 * restore-drill.sh computes with jq (`reduce explode[] as $c (0; (. * 31 + $c) % 1000003)`), the one tool the drill
 * image is sure to have besides kubectl (busybox has no cksum applet).
 */
export function tenantHash(name: string): number {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)!) % HASH_MODULUS;
  return h;
}

/** The rotation group of a tenant namespace. */
export function rotationGroup(namespace: string, weeks: number): number {
  return tenantHash(namespace) % weeks;
}

/**
 * Seconds to subtract from the time before dividing by a week, so that week boundaries fall half a week before and
 * after the drill's first weekly run (in its time zone): a late start or a DST shift never moves a run into another week.
 */
export function rotationOffsetSeconds(cron: string, timeZone: string): number {
  const from = new Date(REFERENCE_START.getTime());
  const [first] = cronRunsBetween(cron, timeZone, from, new Date(from.getTime() + WEEK_SECONDS * 1000));
  if (!first) throw new Error(`rotationOffsetSeconds: '${cron}' has no run within a week`);
  const offset = (Math.floor(first.getTime() / 1000) - WEEK_SECONDS / 2) % WEEK_SECONDS;
  return (offset + WEEK_SECONDS) % WEEK_SECONDS;
}

/** The week number of a Unix time. */
export function rotationWeek(nowSeconds: number, offsetSeconds: number): number {
  return Math.floor((nowSeconds - offsetSeconds) / WEEK_SECONDS);
}

/**
 * The tenants one run restores: the candidates of group `week mod weeks` in name order, or, when that group is empty,
 * the candidate at `week mod count` of the sorted list.
 */
export function tenantsForWeek(candidates: readonly string[], week: number, weeks: number): string[] {
  const sorted = [...new Set(candidates)].sort();
  if (sorted.length === 0) return [];
  const group = ((week % weeks) + weeks) % weeks;
  const picked = sorted.filter((ns) => rotationGroup(ns, weeks) === group);
  return picked.length > 0 ? picked : [sorted[((week % sorted.length) + sorted.length) % sorted.length]];
}
