/**
 * Guards of the offline commands: `npm run plan -- --out` replaces only a folder of its own, usage errors
 * exit 2 with one line, --help, paths from where the user stands (npm's INIT_CWD). The commands run in-process
 * (scripts/lib/<command>-command.ts); the one-line refusal of an old Node.js, which needs a process of its own, is in
 * test/integration/commands.test.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCommandLine, userPath } from "../scripts/lib/cli-args";
import { enginesNode, minimumOf, nodeVersionProblem } from "../scripts/lib/node-check";
import { plan, policy, type CommandRun } from "./lib/commands";
import { outDirProblem, PLAN_MARKER } from "../scripts/lib/plan-out-dir";
import { ROOT } from "./harness";

const tmp = mkdtempSync(join(tmpdir(), "cli-guards-"));

/** Runs a command; `npmFrom` sets npm_lifecycle_event and INIT_CWD as `npm run` from that directory does. */
async function run(command: "plan" | "policy", args: string[], opts: { npmFrom?: string } = {}): Promise<CommandRun> {
  const npm = opts.npmFrom ? { npm_lifecycle_event: command, INIT_CWD: opts.npmFrom } : { npm_lifecycle_event: "", INIT_CWD: "" };
  return command === "plan" ? plan(args, npm) : policy(args, npm);
}

const PLAN_SYNOPSIS = "usage: npm run plan -- --stack <name> [--out <dir>]";

describe("npm run plan -- --out: only a new, empty or earlier plan folder is replaced", () => {
  const project = ROOT;
  const dirs = { "the project": project, "the current directory": tmp };

  it("refuses the project, the current directory and every folder containing them", () => {
    expect(outDirProblem(project, dirs)).toBe(`--out '${project}' is or contains the project (${project}); the plan replaces its --out folder as a whole: give a folder of its own such as out/<stack>`);
    expect(outDirProblem(dirname(project), dirs)).toBe(`--out '${dirname(project)}' is or contains the project (${project}); the plan replaces its --out folder as a whole: give a folder of its own such as out/<stack>`);
    expect(outDirProblem("/", dirs)).toBe(`--out '/' is or contains the project (${project}); the plan replaces its --out folder as a whole: give a folder of its own such as out/<stack>`);
    expect(outDirProblem(tmp, dirs)).toBe(`--out '${tmp}' is or contains the current directory (${tmp}); the plan replaces its --out folder as a whole: give a folder of its own such as out/<stack>`);
    const link = join(tmp, "link-to-project");
    symlinkSync(project, link);
    expect(outDirProblem(link, dirs)).toBe(`--out '${link}' is or contains the project (${project}); the plan replaces its --out folder as a whole: give a folder of its own such as out/<stack>`);
  });

  it("refuses a non-empty folder without the marker, a file and a symbolic link; accepts new, empty and marked folders", () => {
    const full = join(tmp, "full");
    mkdirSync(full);
    writeFileSync(join(full, "notes.txt"), "mine");
    expect(outDirProblem(full, dirs)).toBe(
      `--out '${full}' is not empty and holds no earlier plan (no ${PLAN_MARKER} in it); the plan replaces its --out folder as a whole: give a new or empty folder, or the folder of an earlier plan`,
    );
    expect(outDirProblem(join(full, "notes.txt"), dirs)).toBe(`--out '${join(full, "notes.txt")}' is a file, not a folder`);
    const link = join(tmp, "link-to-full");
    symlinkSync(full, link);
    expect(outDirProblem(link, dirs)).toBe(`--out '${link}' is a symbolic link; give the folder itself`);
    const empty = join(tmp, "empty");
    mkdirSync(empty);
    const marked = join(tmp, "marked");
    mkdirSync(marked);
    writeFileSync(join(marked, PLAN_MARKER), "");
    writeFileSync(join(marked, "summary.md"), "old");
    const legacy = join(tmp, "legacy");
    mkdirSync(join(legacy, "manifests"), { recursive: true });
    for (const f of ["resources.json", "summary.md", "coverage.md"]) writeFileSync(join(legacy, f), "");
    for (const ok of [join(tmp, "new", "deeper"), empty, marked, legacy, join(project, "out", "dev")]) expect(outDirProblem(ok, dirs)).toBeUndefined();
    writeFileSync(join(legacy, "thesis.tex"), "");
    expect(outDirProblem(legacy, dirs)).toMatch(/is not empty and holds no earlier plan/);
  });

  it("as a command: `--out .` is refused with exit 2, nothing touched; a relative --out is resolved from INIT_CWD", async () => {
    const here = join(tmp, "work");
    mkdirSync(here);
    writeFileSync(join(here, "keep.txt"), "keep");
    const [dot, rel] = await Promise.all([run("plan", ["--stack", "dev", "--out", "."], { npmFrom: here }), run("plan", ["--stack", "dev", "--out", "plan-dev"], { npmFrom: here })]);
    expect(dot).toEqual({ code: 2, stdout: "", stderr: `--out '${here}' is or contains the current directory (${here}); the plan replaces its --out folder as a whole: give a folder of its own such as out/<stack>\n` });
    expect(rel.stderr).toBe("");
    expect(rel.code).toBe(0);
    expect(rel.stdout.trimEnd().split("\n").at(-1)).toBe(`plan of stack 'dev': ${JSON.parse(readFileSync(join(here, "plan-dev", "resources.json"), "utf8")).length} resources → ${join(here, "plan-dev")}`);
    expect(readFileSync(join(here, "plan-dev", PLAN_MARKER), "utf8")).toBe("Written by 'npm run plan -- --stack dev'. The next plan replaces this folder as a whole.\n");
    expect(readdirSync(here).sort()).toEqual(["keep.txt", "plan-dev"]);
  });

  it("usage errors exit 2 with one line; --help exits 0", async () => {
    const [unknown, missing, extra, help] = await Promise.all([run("plan", ["--stack", "dev", "--force"]), run("plan", ["--out", join(tmp, "x")]), run("plan", ["--stack", "dev", "prod"]), run("plan", ["--help"])]);
    expect(unknown).toEqual({ code: 2, stdout: "", stderr: `unknown argument '--force'; ${PLAN_SYNOPSIS}\n` });
    expect(missing).toEqual({ code: 2, stdout: "", stderr: `missing --stack; ${PLAN_SYNOPSIS}\n` });
    expect(extra).toEqual({ code: 2, stdout: "", stderr: `unexpected argument 'prod'; ${PLAN_SYNOPSIS}\n` });
    expect(help.code).toBe(0);
    expect(help.stdout.split("\n")[0]).toBe(PLAN_SYNOPSIS);
    expect(help.stdout).toContain("  --stack, -s NAME  the stack: Pulumi.<NAME>.yaml (known: dev, prod)\n");
    expect(existsSync(join(tmp, "x"))).toBe(false);
  });
});

describe("npm run policy: --help, usage errors exit 2, paths from INIT_CWD", () => {
  const POLICY_USAGE = "usage: npm run policy -- <dir> [--config <policy-config.json>]   (<dir> holds resources.json, e.g. out/dev)";

  it("runs on a relative <dir> and --config from where the user stands", async () => {
    const here = join(tmp, "policy-here");
    mkdirSync(join(here, "p"), { recursive: true });
    writeFileSync(join(here, "p", "resources.json"), "[]");
    writeFileSync(join(here, "cfg.json"), "{}");
    const [rel, unknown, two, help, missing] = await Promise.all([
      run("policy", ["p", "--config", "cfg.json"], { npmFrom: here }),
      run("policy", ["p", "--strict"], { npmFrom: here }),
      run("policy", ["p", "q"], { npmFrom: here }),
      run("policy", ["-h"]),
      run("policy", ["nowhere"], { npmFrom: here }),
    ]);
    expect(rel).toEqual({ code: 0, stdout: "", stderr: "policy: 0 resources, 0 violation(s), 0 mandatory\n" });
    expect(unknown).toEqual({ code: 2, stdout: "", stderr: `error: unknown argument '--strict'; ${POLICY_USAGE}\n` });
    expect(two).toEqual({ code: 2, stdout: "", stderr: `error: unexpected argument 'q'; ${POLICY_USAGE}\n` });
    expect(missing).toEqual({ code: 2, stdout: "", stderr: `error: ${join(here, "nowhere", "resources.json")} does not exist; run 'npm run plan -- --stack <name> --out nowhere' first\n` });
    expect(help.code).toBe(0);
    expect(help.stdout.split("\n")[0]).toBe(POLICY_USAGE);
  });
});

describe("a Node.js older than package.json's engines: the check", () => {
  it("compares versions numerically", () => {
    expect(nodeVersionProblem("plan", "22.19.0", ">=22.19", "/n")).toBeUndefined();
    expect(nodeVersionProblem("plan", "24.9.0", ">=22.19", "/n")).toBeUndefined();
    expect(nodeVersionProblem("plan", "22.9.0", ">=22.19", "/n")).toMatch(/^error: npm run plan needs Node\.js >=22\.19 \(package\.json engines\), this is Node\.js 22\.9\.0 \(\/n\)/);
    expect(nodeVersionProblem("plan", "v22.18.9", ">=22.19", "/n")).toBe(
      'error: npm run plan needs Node.js >=22.19 (package.json engines), this is Node.js 22.18.9 (/n); use the project\'s own Node: export PATH="$PWD/node_modules/.bin:$PATH"',
    );
    expect(() => minimumOf("^22")).toThrow("package.json engines.node '^22' is not of the form '>=X.Y.Z'");
  });

  it("package.json's engines floor covers the runtime dependencies' own (undici of @kubernetes/client-node)", () => {
    const undici = JSON.parse(readFileSync(join(ROOT, "node_modules", "@kubernetes", "client-node", "node_modules", "undici", "package.json"), "utf8")) as { engines: { node: string } };
    const ours = minimumOf(enginesNode());
    const theirs = minimumOf(undici.engines.node);
    expect(ours[0] * 1e6 + ours[1] * 1e3 + ours[2]).toBeGreaterThanOrEqual(theirs[0] * 1e6 + theirs[1] * 1e3 + theirs[2]);
  });
});

describe("parseCommandLine", () => {
  const options = { stack: { type: "string", short: "s" }, dry: { type: "boolean" } } as const;
  it.each([
    [["--stack"], "--stack needs a value"],
    [["--stack", "--dry"], "--stack needs a value"],
    [["--stack="], "--stack needs a value"],
    [["-s", "a", "--stack", "b"], "--stack given twice"],
    [["--dry=1"], "--dry takes no value"],
    [["-x"], "unknown argument '-x'"],
    [["pos"], "unexpected argument 'pos'"],
  ])("%j → %s", (argv, message) => {
    expect(() => parseCommandLine(argv, options)).toThrow(message);
  });

  it("reads values, switches and --help", () => {
    expect(parseCommandLine(["-s", "dev", "--dry"], options)).toEqual({ values: { stack: "dev", dry: true }, positionals: [], help: false });
    expect(parseCommandLine(["--bogus", "-h"], options).help).toBe(true);
  });

  it("resolves relative paths from INIT_CWD only under `npm run <that command>`", () => {
    expect(userPath("plan", "out/x", { npm_lifecycle_event: "plan", INIT_CWD: "/home/op/src" })).toBe("/home/op/src/out/x");
    expect(userPath("plan", "out/x", { npm_lifecycle_event: "test", INIT_CWD: "/home/op/src" })).toBe(join(process.cwd(), "out/x"));
    expect(userPath("plan", "/abs/x", { npm_lifecycle_event: "plan", INIT_CWD: "/home/op/src" })).toBe("/abs/x");
  });
});
