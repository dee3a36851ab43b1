/**
 * The commands as processes, the way a user starts them: `npm run plan`, `npm run policy` and `npm run restore`, one
 * end-to-end run each, and the one-line refusal of a Node.js older than package.json's engines (it needs a process
 * of its own). Every other case of the commands runs in-process in `npm test` (test/plan-cli, policy-cli,
 * restore-cli and cli-guards), through the same functions (scripts/lib/<command>-command.ts) these wrappers call.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLAN_MARKER } from "../../scripts/lib/plan-out-dir";
import { EXIT } from "../../scripts/lib/restore/exit-codes";
import { ROOT } from "../harness";
import { allFixtureResources, COMPONENT, FIXTURES } from "../policy-fixtures";
import { completedRestoreRecording, startFakeApiServer, type FakeApiServer } from "../restore-fake";

const TS_NODE = join(ROOT, "node_modules", "ts-node", "dist", "bin.js");
const BIN = join(ROOT, "node_modules", ".bin");
const tmp = mkdtempSync(join(tmpdir(), "commands-"));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function collect(command: string, args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ""}`, HOME: tmp, KUBERNETES_SERVICE_HOST: "", ...opts.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** `npm run <command> -- <args>` started in `cwd` (npm finds the project with --prefix; INIT_CWD is `cwd`). */
function npmRun(command: "plan" | "policy" | "restore", args: string[], cwd: string, env: Record<string, string | undefined> = {}): Promise<Run> {
  return collect("npm", ["--prefix", ROOT, "run", "--silent", command, "--", ...args], { cwd, env });
}

describe("npm run plan as a process", () => {
  it("writes the plan into a --out folder relative to where it is run, exit 0", async () => {
    const here = join(tmp, "plan-here");
    mkdirSync(here);
    writeFileSync(join(here, "keep.txt"), "keep");
    const run = await npmRun("plan", ["--stack", "dev", "--out", "plan-dev"], here);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split("\n").at(-1)).toBe(`plan of stack 'dev': ${JSON.parse(readFileSync(join(here, "plan-dev", "resources.json"), "utf8")).length} resources → ${join(here, "plan-dev")}`);
    expect(readFileSync(join(here, "plan-dev", PLAN_MARKER), "utf8")).toBe("Written by 'npm run plan -- --stack dev'. The next plan replaces this folder as a whole.\n");
    expect(readdirSync(here).sort()).toEqual(["keep.txt", "plan-dev"]);
  });
});

describe("npm run policy as a process", () => {
  it("prints one line per violation and exits 1 on a mandatory one", async () => {
    const dir = join(tmp, "policy-violations");
    mkdirSync(dir);
    const resources = [...allFixtureResources(), COMPONENT].map((r) => ({ urn: r.urn, type: r.type, name: r.name, custom: r.custom, parent: r.parent ?? null, inputs: r.inputs, protect: r.protect, dependsOn: [] }));
    writeFileSync(join(dir, "resources.json"), JSON.stringify(resources, null, 2));
    writeFileSync(join(tmp, "generic.json"), JSON.stringify({ "images-digest": "disabled" }));
    const run = await npmRun("policy", ["policy-violations", "--config", "generic.json"], tmp);
    expect(run.code).toBe(1);
    const expected = FIXTURES.flatMap((f) => f.expected.map((e) => `mandatory ${f.policy} ${e.urn}: ${e.message}`));
    expect(run.stdout.split("\n").filter((l) => l !== "").sort()).toEqual([...expected].sort());
    expect(run.stderr).toBe(`policy: ${resources.length} resources, ${expected.length} violation(s), ${expected.length} mandatory\n`);
  });
});

describe("npm run restore as a process, against a loopback API server with recorded Velero objects", () => {
  let server: FakeApiServer;
  beforeAll(async () => {
    server = await startFakeApiServer(completedRestoreRecording(), tmp);
  });
  afterAll(() => server.close());

  it("creates one Restore and follows it to Completed (exit 0)", async () => {
    const run = await npmRun("restore", ["--tenant", "cust-1001", "--as", "restore-cust-1001", "--poll-interval", "1s"], tmp, { KUBECONFIG: server.kubeconfig });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(EXIT.ok);
    expect(server.created).toHaveLength(1);
    expect(server.requests.filter((q) => !q.startsWith("GET "))).toEqual(["POST /api/v1/namespaces", "POST /apis/velero.io/v1/namespaces/backup-system/restores"]);
    expect(run.stdout).toContain(`Restore backup-system/${server.created[0].metadata.name} from backup tenants-daily-20260301010000: Completed — restored cust-1001 into namespace restore-cust-1001\n`);
  });
});

describe("a Node.js older than package.json's engines: one line, exit 2, before anything else loads", () => {
  const OLD_NODE = join(tmp, "old-node.cjs");
  writeFileSync(OLD_NODE, 'Object.defineProperty(process.versions, "node", { value: "20.20.2" });\n');

  /** The command script under the project's Node made to report version 20.20.2. */
  function oldNode(command: "plan" | "policy" | "restore", args: string[]): Promise<Run> {
    return collect(process.execPath, ["-r", OLD_NODE, TS_NODE, "--transpile-only", join(ROOT, "scripts", `${command}.ts`), ...args], { cwd: ROOT, env: { KUBECONFIG: "", npm_lifecycle_event: "", INIT_CWD: "" } });
  }

  it("plan, policy and restore refuse it", async () => {
    const out = join(tmp, "old-node-plan");
    const runs = await Promise.all([oldNode("plan", ["--stack", "dev", "--out", out]), oldNode("policy", [tmp]), oldNode("restore", ["--tenant", "cust-1001"])]);
    for (const [command, r] of [["plan", runs[0]], ["policy", runs[1]], ["restore", runs[2]]] as const) {
      expect(r).toEqual({
        code: 2,
        stdout: "",
        stderr: `error: npm run ${command} needs Node.js >=22.19 (package.json engines), this is Node.js 20.20.2 (${process.execPath}); use the project's own Node: export PATH="$PWD/node_modules/.bin:$PATH"\n`,
      });
    }
    expect(existsSync(out)).toBe(false);
  });
});
