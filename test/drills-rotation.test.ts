/**
 * The tenants drill's rotation (components/drills/rotation.ts, restore-drill.sh `rotation`): the bound "every tenant
 * restored at least once per N weeks" as a property over many tenant lists that change every week, the script's picks
 * equal to the specification's under sh, dash and busybox sh, week boundaries away from the run, and the config key.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DRILL_SCRIPT, buildDrillSpecs, drillEnv } from "../components/drills/spec";
import { tenantHash, rotationGroup, rotationOffsetSeconds, rotationWeek, tenantsForWeek, WEEK_SECONDS } from "../components/drills/rotation";
import { parseStackConfig } from "../components/config";
import { readStackFile } from "../scripts/lib/stack-file";
import { oncePerInterpreter, SHELLS } from "./lib/shells";
import { ROOT, planStack, planWith, stackConfigProblems, type Plan } from "./harness";
import { buildCoverage } from "../scripts/lib/coverage";
import { buildRunbook } from "../scripts/lib/runbook";

/** Runs of `restore-drill.sh rotation` so far, by interpreter (test/lib/shells.ts) and inputs: sh where it is dash and dash run once. */
const rotationRuns = new Map<string, unknown>();
let scriptDir: string | undefined;

function runRotation(shell: string[], now: number, tenants: string[], weeks: number, offset: number): { stdout: string; stderr: string } {
  return oncePerInterpreter(rotationRuns, JSON.stringify([now, tenants, weeks, offset]), shell, () => {
    if (!scriptDir) {
      scriptDir = mkdtempSync(join(tmpdir(), "rotation-"));
      writeFileSync(join(scriptDir, "restore-drill.sh"), DRILL_SCRIPT);
    }
    const r = spawnSync(shell[0], [...shell.slice(1), join(scriptDir, "restore-drill.sh"), "rotation", String(now), ...tenants], {
      env: { PATH: process.env.PATH, ROTATION_WEEKS: String(weeks), ROTATION_OFFSET_SECONDS: String(offset) },
      encoding: "utf8",
    });
    return { stdout: r.stdout, stderr: r.stderr };
  });
}

/** A small deterministic PRNG (mulberry32), so the property runs are the same on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("rotation: every tenant restored at least once per N weeks", () => {
  it("the name hash equals jq's computation in the script, so the script and this module hash alike", () => {
    const names = ["cust-a", "cust-1001", "", "x".repeat(300), "cust-0123456789-abcdefghij-klmnopqrstuvwxyz-0123456789-abc"];
    const r = spawnSync("jq", ["-R", "reduce explode[] as $c (0; (. * 31 + $c) % 1000003)"], { input: names.map((n) => `${n}\n`).join(""), encoding: "utf8" });
    expect(r.stdout.trim().split("\n").map(Number)).toEqual(names.map(tenantHash));
    expect(tenantHash("cust-a")).toBe(((((((((99 * 31 + 117) * 31 + 115) * 31 + 116) * 31 + 45) % 1000003) * 31 + 97) % 1000003)));
    // Sequential tenant ids spread evenly over the groups.
    expect(["cust-a", "cust-b", "cust-1001", "cust-1002", "cust-1003", "cust-1004"].map((n) => rotationGroup(n, 4))).toEqual([0, 1, 2, 3, 0, 1]);
  });

  it("property: over 300 random histories of 60 weeks with tenants created and deleted every week, a tenant present for N consecutive weeks is restored in one of them", () => {
    const random = prng(20261206);
    for (let history = 0; history < 300; history++) {
      const weeks = 1 + Math.floor(random() * 8);
      let tenants = new Set(Array.from({ length: Math.floor(random() * 40) }, (_, i) => `cust-${history}-${i}`));
      let next = 1000;
      const restoredAt = new Map<string, number[]>();
      const presentSince = new Map<string, number>();
      const start = 2900 + Math.floor(random() * 100);
      // Every week's violations, asserted once per history (an expect per tenant and week costs seconds).
      const unpicked: number[] = [];
      const strangers: string[] = [];
      const missed: string[] = [];
      for (let week = start; week < start + 60; week++) {
        // Churn: some tenants leave, some arrive (a list whose size and order keep changing).
        tenants = new Set([...tenants].filter(() => random() > 0.08));
        for (let k = Math.floor(random() * 4); k > 0; k--) tenants.add(`cust-${history}-${next++}`);
        for (const t of tenants) if (!presentSince.has(t)) presentSince.set(t, week);
        for (const t of [...presentSince.keys()]) if (!tenants.has(t)) presentSince.delete(t);
        const picked = tenantsForWeek([...tenants], week, weeks);
        if (tenants.size > 0 && picked.length === 0) unpicked.push(week);
        for (const t of picked) {
          if (!tenants.has(t)) strangers.push(`${t} in week ${week}`);
          restoredAt.set(t, [...(restoredAt.get(t) ?? []), week]);
        }
        // Every tenant present for the last N weeks (this one included) was restored within them.
        for (const [t, since] of presentSince) {
          if (week - since + 1 < weeks) continue;
          const last = (restoredAt.get(t) ?? []).filter((w) => w > week - weeks && w >= since);
          if (last.length === 0) missed.push(`${t} present since week ${since}, N=${weeks}, week ${week}`);
        }
      }
      expect(unpicked, `history ${history}: weeks with tenants but no pick`).toEqual([]);
      expect(strangers, `history ${history}: picks that are not tenants`).toEqual([]);
      expect(missed, `history ${history}: tenants present N weeks, not restored in them`).toEqual([]);
    }
  });

  it("the same property fails for a pick by index into the sorted list (the design it replaces): the test can tell", () => {
    const byIndex = (candidates: string[], week: number, weeks: number) => [...candidates].sort().filter((_, i) => i % weeks === week % weeks);
    // N=3: cust-c sits at index 2, due in week 2; cust-a leaves just before, cust-c moves to index 1 and is skipped
    // although present in all four weeks.
    const history = [["cust-a", "cust-b", "cust-c"], ["cust-a", "cust-b", "cust-c"], ["cust-b", "cust-c"], ["cust-b", "cust-c", "cust-d"]];
    const picks = history.map((tenants, week) => byIndex(tenants, week, 3));
    expect(picks.flat()).not.toContain("cust-c");
    expect(history.slice(0, 3).map((tenants, week) => tenantsForWeek(tenants, week, 3)).flat()).toContain("cust-c");
    expect(history.slice(1, 4).map((tenants, week) => tenantsForWeek(tenants, week + 1, 3)).flat()).toContain("cust-c");
  });

  it("one group per week: about count/N tenants per run, every candidate in exactly one group", () => {
    const tenants = Array.from({ length: 200 }, (_, i) => `cust-${1000 + i}`);
    const runs = [0, 1, 2, 3].map((w) => tenantsForWeek(tenants, 2920 + w, 4));
    expect(runs.flat().sort()).toEqual([...tenants].sort());
    for (const run of runs) expect(run.length).toBeGreaterThan(30);
    expect(tenantsForWeek([], 2921, 4)).toEqual([]);
    // Group 3 of week 2923 holds neither: the week number picks one (2923 mod 2 = 1, the second).
    expect(tenantsForWeek(["cust-b", "cust-a"], 2923, 4)).toEqual(["cust-b"]);
  });

  it("week boundaries lie half a week away from the drill's run, in its time zone", () => {
    const offset = rotationOffsetSeconds("0 10 * * 6", "UTC");
    expect(offset).toBe(511200);
    const run = Date.parse("2026-01-10T10:00:00Z") / 1000;
    expect(rotationWeek(run, offset)).toBe(2922);
    expect(rotationWeek(run - WEEK_SECONDS / 2, offset)).toBe(2922);
    expect(rotationWeek(run - WEEK_SECONDS / 2 - 1, offset)).toBe(2921);
    // 15 minutes late (startingDeadline) or an hour off (DST) is the same week.
    expect(rotationWeek(run + 3600, offset)).toBe(2922);
    const paris = rotationOffsetSeconds("0 10 * * 6", "Europe/Paris");
    expect(paris).toBe(511200 - 3600);
  });
});

for (const shell of SHELLS) {
  describe.skipIf(!shell.present)(`restore-drill.sh rotation under ${shell.name}`, () => {
    it("picks exactly what the specification picks, week after week", () => {
      const random = prng(7);
      const offset = rotationOffsetSeconds("0 10 * * 6", "UTC");
      for (let i = 0; i < 12; i++) {
        const weeks = 1 + (i % 5);
        const tenants = Array.from({ length: Math.floor(random() * 12) + 1 }, (_, k) => `cust-${Math.floor(random() * 5000)}-${k}`).sort();
        const now = Date.parse("2026-01-03T10:00:00Z") / 1000 + i * WEEK_SECONDS;
        const r = runRotation(shell.argv, now, tenants, weeks, offset);
        expect(r.stderr).toBe("");
        const week = rotationWeek(now, offset);
        expect(r.stdout).toBe(`week ${week} group ${week % weeks}: ${tenantsForWeek(tenants, week, weeks).join(" ")}\n`);
      }
    });
  });
}

describe("drills.tenants.rotationWeeks", () => {
  const { config, secretKeys } = readStackFile(ROOT, "prod");
  const drills = JSON.parse(config["cluster-backup:drills"] ?? "{}");

  it("prod: 4 weeks by default, handed to the script with the week offset of its schedule", () => {
    const tenants = buildDrillSpecs(parseStackConfig(config, new Set(secretKeys), "prod")).find((s) => s.kind === "tenants")!;
    expect([tenants.rotationWeeks, tenants.rotationOffsetSeconds]).toEqual([4, 511200]);
    const env = drillEnv(tenants, "backup-system", "UTC");
    expect(env.filter((e) => String(e.name).startsWith("ROTATION_"))).toEqual([
      { name: "ROTATION_WEEKS", value: "4" },
      { name: "ROTATION_OFFSET_SECONDS", value: "511200" },
    ]);
    const fixed = buildDrillSpecs(parseStackConfig({ ...config, "cluster-backup:drills": JSON.stringify({ ...drills, tenants: { ...drills.tenants, namespace: "cust-1001", rotationWeeks: 6 } }) }, new Set(secretKeys), "prod"));
    expect(fixed.find((s) => s.kind === "tenants")!.rotationWeeks).toBeUndefined();
  });

  it("refuses anything but a whole number of weeks from 1 to 52, and a rotating drill that runs less often than weekly", () => {
    const line = (value: string) =>
      `cluster-backup:drills.tenants.rotationWeeks: expected a whole number of weeks from 1 to 52, e.g. 4 (every tenant restored at least once per 4 weeks) (got ${value})`;
    for (const [value, shown] of [[0, "0"], [53, "53"], [2.5, "2.5"], ["4", '"4"']] as const) {
      expect(stackConfigProblems("prod", { drills: { ...drills, tenants: { ...drills.tenants, rotationWeeks: value } } })).toEqual([line(shown)]);
    }
    expect(stackConfigProblems("prod", { drills: { ...drills, tenants: { ...drills.tenants, rotationWeeks: 52 } } })).toEqual([]);
    expect(stackConfigProblems("prod", { drills: { ...drills, tenants: { ...drills.tenants, schedule: "0 10 1,15 * *" } } })).toEqual([
      "cluster-backup:drills.tenants.schedule: runs less often than weekly (up to 17d between runs): the rotation restores one group of tenants per week so that each is restored at least once per drills.tenants.rotationWeeks (4) weeks; expected a schedule that runs at least once a week, e.g. '0 10 * * 6' (got \"0 10 1,15 * *\")",
    ]);
    expect(stackConfigProblems("prod", { drills: { ...drills, tenants: { ...drills.tenants, schedule: "0 10 1,15 * *", namespace: "cust-1001" } } })).toEqual([]);
  });
});

describe("the runbook states the rotation", () => {
  it("prod's RESTORE.md: every tenant at least once per 4 weeks; a fixed tenant, no rotation line", async () => {
    const runbookOf = (plan: Plan) => buildRunbook({ stack: "prod", objects: plan.objects(), registrations: plan.registrations, exports: plan.exports, coverage: buildCoverage({ stack: "prod", objects: plan.objects(), exports: plan.exports }) });
    const md = runbookOf(await planStack("prod"));
    expect(md).toContain(
      "`restore-drill-tenants` rotates: every tenant is restored at least once per 4 weeks. Each week it restores the tenants of one of 4 groups (a hash of the namespace name, so a tenant's group never changes), one Restore and scratch namespace each; `sh restore-drill.sh rotation <unix time> <tenant>...` (ROTATION_WEEKS and ROTATION_OFFSET_SECONDS from the CronJob) prints the tenants of a week.\n",
    );
    const { config } = readStackFile(ROOT, "prod");
    const drills = JSON.parse(config["cluster-backup:drills"] ?? "{}");
    const fixed = runbookOf(await planWith("prod", { drills: { ...drills, tenants: { ...drills.tenants, namespace: "cust-1001" } } }));
    expect(fixed).not.toContain("rotates: every tenant");
  });
});
