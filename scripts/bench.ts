/**
 * npm run bench [-- --runs N]
 * Wall time of the offline plan for dev and prod against a bare `@pulumi/pulumi` import (the floor every Pulumi
 * program pays), each a fresh process, interleaved in one run so machine load affects all alike. Prints medians and
 * ratios.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(__dirname, "..");
const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;
const out = mkdtempSync(join(tmpdir(), "bench-"));
const tsNode = [require.resolve("ts-node/dist/bin.js"), "--transpile-only"];

const cases: Record<string, string[]> = {
  "bare @pulumi/pulumi import": ["-e", "require('@pulumi/pulumi')"],
  "plan dev": [...tsNode, join(ROOT, "scripts", "plan.ts"), "--stack", "dev", "--out", join(out, "dev")],
  "plan prod": [...tsNode, join(ROOT, "scripts", "plan.ts"), "--stack", "prod", "--out", join(out, "prod")],
};

function time(args: string[]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${args.join(" ")} failed: ${result.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < RUNS; i++) for (const [name, args] of Object.entries(cases)) samples[name].push(time(args));
rmSync(out, { recursive: true, force: true });

const baseline = median(samples["bare @pulumi/pulumi import"]);
console.log(`node ${process.version}, ${RUNS} runs each, median wall time`);
for (const [name, xs] of Object.entries(samples)) {
  const m = median(xs);
  console.log(`${name.padEnd(28)} ${m.toFixed(0).padStart(6)} ms   ×${(m / baseline).toFixed(2)} of the bare import   (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`);
}
