/**
 * npm run bench [-- --runs N]
 * Where users wait, each case a fresh process, interleaved in one run so machine load affects all alike; prints the
 * median wall time, its ratio to the bare `@pulumi/pulumi` import (the floor every Pulumi program pays), the median
 * peak RSS, and whether the goals hold (program evaluation and plan prod ≤ 2.5 × the bare import and ≤ 300 MB; the
 * type check of the program, `tsc --noEmit`, ≤ 8 s).
 * It also prints the median CPU time (user + system) and its ratio: on a machine other processes keep busy, wall
 * time stretches with the load while CPU time much less, so that ratio is the one to compare between runs there.
 *
 * - bare import, all dependencies import: `require` of @pulumi/pulumi, of every package.json dependency;
 * - program evaluation: index.ts as `pulumi preview` loads it (cmd/run's ts-node registration with the Pulumi.yaml
 *   runtime options, scripts/lib/pulumi-runtime.cjs) under the SDK's mocks;
 * - plan dev/prod: the `npm run plan` command of package.json;
 * - the first run of the prod evaluation and plan: an empty compile cache (NODE_COMPILE_CACHE, a new directory each
 *   run) and the transpile cache off, what a fresh checkout or the first run after `npm ci` pays; the other cases
 *   run with the caches their earlier runs filled, as a developer's second `pulumi preview` does;
 * - type check: `tsc --noEmit` of the program (tsconfig.json), what `npm run typecheck` and CI run first;
 * - policy pack start-up: @pulumi/pulumi's cmd/run-policy-pack started in policy/ as the CLI does (TypeScript on),
 *   until it prints its port.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
const { nodeArgs } = require("./lib/pulumi-runtime.cjs") as { nodeArgs: () => string[] };

const ROOT = resolve(__dirname, "..");
const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const unknown = process.argv.slice(2).filter((arg, i, all) => arg !== "--runs" && all[i - 1] !== "--runs");
if (!Number.isInteger(RUNS) || RUNS < 1 || unknown.length > 0) {
  console.error(`usage: npm run bench [-- --runs N]   (N a positive integer${unknown.length ? `; unknown argument '${unknown[0]}'` : `; got '${process.argv[runsArg + 1]}'`})`);
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), "bench-"));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string>; scripts: Record<string, string> };

interface Case {
  /** Arguments to node itself, before the script (the evaluation cases: Pulumi.yaml `runtime.options.nodeargs`). */
  nodeArgs?: string[];
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** Stop the process once its stdout matches (the policy pack serves until killed). */
  until?: RegExp;
  /** A first run: an empty compile cache of its own each run (NODE_COMPILE_CACHE) and no transpile cache. */
  cold?: boolean;
}

/** The `node …` command of a package.json script (`npm run plan`) as node's arguments, with `extra` after them. */
function npmScript(name: string, extra: string[]): string[] {
  const [bin, ...args] = pkg.scripts[name].split(/\s+/);
  if (bin !== "node") throw new Error(`bench: script ${name} no longer starts with node: ${pkg.scripts[name]}`);
  return [...args, ...extra];
}

/** Pulumi.yaml `runtime.options.nodeargs`, which the Node.js language host puts before the program on node's command line. */
const RUNTIME_NODE_ARGS = nodeArgs();

const BARE = "bare @pulumi/pulumi import";
const cases: Record<string, Case> = {
  [BARE]: { args: ["-e", "require('@pulumi/pulumi')"] },
  "all dependencies import": { args: ["-e", Object.keys(pkg.dependencies).map((d) => `require(${JSON.stringify(d)});`).join("")] },
  "program evaluation dev": { nodeArgs: RUNTIME_NODE_ARGS, args: [join(ROOT, "scripts", "lib", "pulumi-runtime.cjs"), "--stack", "dev"] },
  "program evaluation prod": { nodeArgs: RUNTIME_NODE_ARGS, args: [join(ROOT, "scripts", "lib", "pulumi-runtime.cjs"), "--stack", "prod"] },
  "plan dev": { args: npmScript("plan", ["--stack", "dev", "--out", join(work, "dev")]) },
  "plan prod": { args: npmScript("plan", ["--stack", "prod", "--out", join(work, "prod")]) },
  "program evaluation prod, first run": { nodeArgs: RUNTIME_NODE_ARGS, args: [join(ROOT, "scripts", "lib", "pulumi-runtime.cjs"), "--stack", "prod"], cold: true },
  "plan prod, first run": { args: npmScript("plan", ["--stack", "prod", "--out", join(work, "prod-cold")]), cold: true },
  "type check (tsc --noEmit)": { args: [require.resolve("typescript/bin/tsc"), "--noEmit", "-p", ROOT] },
  "policy pack start-up": {
    args: [require.resolve("@pulumi/pulumi/cmd/run-policy-pack"), "127.0.0.1:0", "."],
    cwd: join(ROOT, "policy"),
    env: { PULUMI_NODEJS_TYPESCRIPT: "true" },
    until: /^\d+\s*$/m,
  },
};
const GOALS = ["program evaluation dev", "program evaluation prod", "plan prod"];
const TYPE_CHECK = "type check (tsc --noEmit)";
const TYPE_CHECK_GOAL_MS = 8000;

interface Sample {
  ms: number;
  rssMb: number;
  cpuMs: number;
}

function measure(name: string, c: Case, run: number): Promise<Sample> {
  const rssFile = join(work, `rss-${run}-${name.replace(/\W+/g, "-")}`);
  return new Promise((done, fail) => {
    const start = process.hrtime.bigint();
    let ms: number | undefined;
    let stdout = "";
    let stderr = "";
    const child = spawn(process.execPath, [...(c.nodeArgs ?? []), "-r", join(ROOT, "scripts", "lib", "peak-rss.cjs"), ...c.args], {
      cwd: c.cwd ?? ROOT,
      env: { ...process.env, ...c.env, ...(c.cold ? { NODE_COMPILE_CACHE: join(work, `compile-cache-${run}-${name.replace(/\W+/g, "-")}`), CLUSTER_BACKUP_TRANSPILE_CACHE: "0" } : {}), BENCH_RSS_FILE: rssFile },
    });
    child.stdout.on("data", (d) => {
      stdout += d;
      if (c.until && ms === undefined && c.until.test(stdout)) {
        ms = Number(process.hrtime.bigint() - start) / 1e6;
        child.kill("SIGTERM");
      }
    });
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => {
      ms ??= Number(process.hrtime.bigint() - start) / 1e6;
      if (c.until ? !c.until.test(stdout) : code !== 0) return fail(new Error(`${name}: exit ${code}: ${(stderr || stdout).trim().split("\n").slice(0, 4).join(" | ")}`));
      const [rssKb, cpuUs] = readFileSync(rssFile, "utf8").split(" ").map(Number);
      done({ ms, rssMb: rssKb / 1024, cpuMs: cpuUs / 1000 });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  const failures: Record<string, string> = {};
  for (let i = 0; i < RUNS; i++) {
    for (const [name, c] of Object.entries(cases)) {
      if (failures[name]) continue;
      try {
        samples[name].push(await measure(name, c, i));
      } catch (err) {
        failures[name] = (err as Error).message;
      }
    }
  }
  rmSync(work, { recursive: true, force: true });

  const WIDTH = Math.max(...Object.keys(cases).map((n) => n.length)) + 1;
  const bare = median(samples[BARE].map((s) => s.ms));
  const bareCpu = median(samples[BARE].map((s) => s.cpuMs));
  console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}, load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}, ${RUNS} runs each interleaved; median wall time, peak RSS and CPU time`);
  for (const [name, xs] of Object.entries(samples)) {
    if (failures[name]) {
      console.log(`${name.padEnd(WIDTH)} failed: ${failures[name]}`);
      continue;
    }
    const ms = median(xs.map((s) => s.ms));
    const rss = median(xs.map((s) => s.rssMb));
    const cpu = median(xs.map((s) => s.cpuMs));
    const goal = GOALS.includes(name)
      ? `   goal ≤ ×2.50, ≤ 300 MB: ${ms / bare <= 2.5 && rss <= 300 ? "met" : "NOT met"}`
      : name === TYPE_CHECK
        ? `   goal ≤ ${TYPE_CHECK_GOAL_MS / 1000} s: ${ms <= TYPE_CHECK_GOAL_MS ? "met" : "NOT met"}`
        : "";
    console.log(`${name.padEnd(WIDTH)} ${ms.toFixed(0).padStart(6)} ms  ×${(ms / bare).toFixed(2).padEnd(5)} ${rss.toFixed(0).padStart(5)} MB   (min ${Math.min(...xs.map((s) => s.ms)).toFixed(0)}, max ${Math.max(...xs.map((s) => s.ms)).toFixed(0)} ms)   CPU ${cpu.toFixed(0).padStart(5)} ms ×${(cpu / bareCpu).toFixed(2)}${goal}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
