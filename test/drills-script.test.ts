/**
 * restore-drill.sh and postgres-check.sh run for real (POSIX sh; the main cases also under dash and busybox sh, the
 * drill image's shell) against stand-ins for kubectl, psql and pg_isready: what the drill creates, checks, deletes and
 * records, and what it refuses to touch. What the drill created also goes through its admission policy's CEL.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, closeSync, constants, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStackConfig } from "../components/config";
import { drillAdmissionPolicySpec } from "../components/drills/access";
import { buildDrillSpecs, drillConfigMapData, drillEnv, DRILL_EXIT_REFUSED, DRILL_FILES, scratchNamespaceName, type DrillSpec } from "../components/drills/spec";
import { admit } from "./lib/vap";
import { oncePerInterpreter, SHELLS } from "./lib/shells";
import { readStackFile } from "../scripts/lib/stack-file";
import { ROOT, type Obj } from "./harness";

/** The drill scripts need jq (the drill image has it); CI installs it, so there a missing jq fails instead of skipping. */
const HAS_JQ = spawnSync("jq", ["--version"]).status === 0 || Boolean(process.env.CI);
const FAKE_KUBECTL = resolve(__dirname, "lib", "fake-kubectl.mjs");
const FAKE_KUBECTL_CLIENT = resolve(__dirname, "lib", "fake-kubectl.sh");
const DRILLS = join(ROOT, "components", "drills");

const { config, secretKeys } = readStackFile(ROOT, "prod");
const cfg = parseStackConfig(config, new Set(secretKeys), "prod");
const specs = buildDrillSpecs(cfg);
const spec = (kind: DrillSpec["kind"]) => specs.find((s) => s.kind === kind)!;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  state: Obj;
}

/** A directory with the ConfigMap's files (as the pod mounts them) and a bin/ with the stand-ins. */
function workspace(): { dir: string; bin: string; templates: string } {
  const dir = mkdtempSync(join(tmpdir(), "drill-test-"));
  const bin = join(dir, "bin");
  const templates = join(dir, "drill");
  mkdirSync(bin);
  mkdirSync(templates);
  for (const [file, content] of Object.entries(drillConfigMapData(specs, "backup-system"))) writeFileSync(join(templates, file), content);
  copyFileSync(FAKE_KUBECTL_CLIENT, join(bin, "kubectl"));
  chmodSync(join(bin, "kubectl"), 0o755);
  mkfifo(join(dir, "response"));
  symlinkSync(fakeKubectl().requests, join(dir, "request"));
  return { dir, bin, templates };
}

function mkfifo(path: string): void {
  const made = spawnSync("mkfifo", [path], { encoding: "utf8" });
  if (made.status !== 0) throw new Error(`mkfifo: ${made.stderr}`);
}

/** The fake kubectl (test/lib/fake-kubectl.mjs) serving every run of this file: started on the first run. */
let server: { process: ChildProcess; requests: string; log: string } | undefined;
function fakeKubectl(): NonNullable<typeof server> {
  if (!server) {
    const dir = mkdtempSync(join(tmpdir(), "fake-kubectl-"));
    const requests = join(dir, "request");
    mkfifo(requests);
    const log = join(dir, "fake-kubectl.log");
    const fd = openSync(log, "w");
    const child = spawn(process.execPath, [FAKE_KUBECTL, requests], { stdio: ["ignore", "ignore", fd] });
    closeSync(fd);
    child.unref();
    server = { process: child, requests, log };
  }
  return server;
}
/** Throws when the server failed: it logged an error or ended. */
function checkServer(): void {
  const { process: child, log } = fakeKubectl();
  const logged = readFileSync(log, "utf8");
  if (logged || child.exitCode !== null || child.signalCode !== null) throw new Error(`the fake kubectl failed (exit ${child.exitCode ?? child.signalCode}): ${logged}`);
}
afterAll(() => {
  server?.process.kill();
});

const T0 = "2026-01-02T01:00:00Z";
/** Saturday 2025-12-27 10:00 UTC, a run of the prod drill: rotation week 2920, group 0 of 4 (cust-a's; cust-b is in group 1). */
const WEEK_2920 = Date.parse("2025-12-27T10:00:00Z") / 1000;
const ROTATION_NOTE = "rotation week 2920, group 0 of 4: 1 of 2 tenants";
const ns = (name: string, created: string, labels: Record<string, string> = {}) => ({ metadata: { name, creationTimestamp: created, labels } });
const backup = (name: string, phase: string, started: string, schedule = "tenants-daily") => ({
  metadata: { name, namespace: "backup-system", labels: { "velero.io/schedule-name": schedule } },
  status: { phase, startTimestamp: started },
});

function baseState(): Obj {
  return {
    calls: [],
    created: [],
    deleted: [],
    events: [],
    namespaces: [
      ns("cust-a", "2025-06-01T00:00:00Z", { tenant: "true", backup: "true", "pod-security.kubernetes.io/enforce": "baseline", team: "x" }),
      ns("cust-b", "2025-06-02T00:00:00Z", { tenant: "true", backup: "true" }),
      ns("cust-c", "2026-01-05T00:00:00Z", { tenant: "true", backup: "true" }),
      ns("cust-d", "2025-06-03T00:00:00Z", { tenant: "true", backup: "false", "velero.io/exclude-from-backup": "true" }),
      ns("postgres", "2025-01-01T00:00:00Z", {}),
      ns("drill-cust-b-202512270100", "2025-12-27T01:00:00Z", { "cluster-backup.io/drill": "tenants" }),
      ns("drill-postgres-202512270100", "2025-12-27T01:00:00Z", { "cluster-backup.io/drill": "postgres" }),
    ],
    backups: [
      backup("tenants-daily-20260101010000", "Completed", "2026-01-01T01:00:00Z"),
      backup("tenants-daily-20260102010000", "Completed", T0),
      backup("tenants-daily-20260103010000", "PartiallyFailed", "2026-01-03T01:00:00Z"),
      backup("postgres-backup-20260102040000", "Completed", "2026-01-02T04:00:00Z", "postgres-backup"),
    ],
    restores: [],
    podvolumerestores: [],
    pods: {},
    pvcs: {},
    cronjobs: { "restore-drill-tenants": "uid-tenants", "restore-drill-postgres": "uid-postgres" },
    restoreStatus: { phase: "Completed", progress: { itemsRestored: 12, totalItems: 12 }, warnings: 1, errors: 0 },
    podVolumeRestores: [
      { name: "data", phase: "Completed" },
      { name: "cache", phase: "Completed" },
    ],
    restoredPods: [{ metadata: { name: "app-0" }, spec: { volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data-app-0" } }, { name: "tmp", emptyDir: {} }] } }],
    restoredPvcs: [
      { metadata: { name: "data-app-0" }, status: { phase: "Bound" } },
      { metadata: { name: "unused" }, status: { phase: "Pending" } },
    ],
    restoredWorkloads: ["deployment.apps/web", "statefulset.apps/app"],
    workloads: {},
    scaled: [],
    rolebindings: [],
    networkpolicies: [],
  };
}

/**
 * Runs of the drill so far, by their inputs: a run with the same inputs is shared (each caller gets its own copy). The
 * shell counts as the interpreter it starts: under Debian's sh (dash) and under dash is one run.
 */
const runs = new Map<string, unknown>();

/**
 * Runs the drill script with the CronJob's environment (poll 0 s, NetworkPolicy retries 0 s apart, the week of 2025-12-27: rotation group 0 of 4, cust-a) against the state, with the fake
 * kubectl (test/lib/fake-kubectl.mjs) serving its calls. Runs with the same inputs are made once.
 */
function runDrill(kind: DrillSpec["kind"], state: Obj, env: Record<string, string> = {}, args: string[] = ["run"], shell: string[] = ["sh"]): Run {
  return structuredClone(oncePerInterpreter(runs, JSON.stringify([kind, state, env, args]), shell, () => runDrillOnce(kind, state, env, args, shell)));
}

function runDrillOnce(kind: DrillSpec["kind"], state: Obj, env: Record<string, string>, args: string[], shell: string[]): Run {
  const w = workspace();
  const stateFile = join(w.dir, "state.json");
  writeFileSync(stateFile, JSON.stringify(state));
  const specEnv = Object.fromEntries(drillEnv(spec(kind), "backup-system", "UTC").filter((e) => "value" in e).map((e) => [e.name, e.value as string]));
  // A server that died would leave every call of this run waiting.
  checkServer();
  let result;
  try {
    result = spawnSync(shell[0], [...shell.slice(1), join(w.templates, DRILL_FILES.script), ...args], {
      env: {
        PATH: `${w.bin}:${process.env.PATH}`,
        ...specEnv,
        TEMPLATE_DIR: w.templates,
        HOME: w.dir,
        TMPDIR: w.dir,
        POD_NAME: "restore-drill-tenants-29000000-abcde",
        POLL_SECONDS: "0",
        ISOLATE_RETRY_SECONDS: "0",
        ROTATION_NOW: String(WEEK_2920),
        FAKE_KUBECTL_DIR: w.dir,
        ...env,
      },
      encoding: "utf8",
      timeout: 60_000,
    });
  } finally {
    // A kubectl call left waiting on a FIFO (the server died, or the script was killed) is released, and so is the
    // server answering a call whose kubectl was killed.
    for (const [fifo, flags] of [["request", constants.O_RDONLY], ["response", constants.O_WRONLY], ["response", constants.O_RDONLY]] as const) {
      try {
        closeSync(openSync(join(w.dir, fifo), flags | constants.O_NONBLOCK));
      } catch {
        // nobody waiting
      }
    }
  }
  checkServer();
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, state: JSON.parse(readFileSync(stateFile, "utf8")) };
}

const SCRATCH = /^drill-cust-a-\d{12}$/;

describe.skipIf(!HAS_JQ)("restore-drill.sh: a tenants drill", () => {
  let run: Run;
  let scratch: string;
  beforeAll(() => {
    run = runDrill("tenants", baseState());
    scratch = (run.state.created as Obj[]).find((o) => o.kind === "Namespace")!.metadata.name;
  });

  it("succeeds (exit 0) and says what it checked", () => {
    expect(run.stderr).toMatch(
      /SUCCEEDED: schedule tenants-daily; backup tenants-daily-20260102010000; rotation week 2920, group 0 of 4: 1 of 2 tenants; source cust-a; scratch drill-cust-a-\d{12}; 2 workloads scaled to zero; restore Completed, 12\/12 items, 1 warnings, 0 errors; 2\/2 pod volume restores completed; 1 PVCs bound \(2 restored\); scratch namespace deleted\n$/,
    );
    expect(run.status).toBe(0);
  });

  it("first removes the leftover scratch namespace of an earlier tenants drill, not the postgres drill's", () => {
    expect(run.state.deleted[0]).toBe("namespace/drill-cust-b-202512270100");
    expect(run.state.namespaces.map((n: Obj) => n.metadata.name)).toContain("drill-postgres-202512270100");
  });

  it("restores the newest Completed backup, picking a tenant that existed then, not opted out (rotation)", () => {
    expect(scratch).toMatch(SCRATCH);
    const restore = (run.state.created as Obj[]).find((o) => o.kind === "Restore")!;
    expect(restore).toEqual({
      apiVersion: "velero.io/v1",
      kind: "Restore",
      metadata: { name: scratch, namespace: "backup-system", labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "cluster-backup", "cluster-backup.io/drill": "tenants" } },
      spec: {
        excludedResources: ["services", "ingresses.networking.k8s.io", "httproutes.gateway.networking.k8s.io", "certificates.cert-manager.io", "cronjobs.batch", "jobs.batch"],
        restorePVs: true,
        existingResourcePolicy: "none",
        backupName: "tenants-daily-20260102010000",
        includedNamespaces: ["cust-a"],
        namespaceMapping: { "cust-a": scratch },
      },
    });
  });

  it("creates the scratch namespace labelled as the drill's, excluded from backups, with the source's Pod Security labels only", () => {
    expect((run.state.created as Obj[]).find((o) => o.kind === "Namespace")).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: scratch,
        labels: {
          "pod-security.kubernetes.io/enforce": "baseline",
          "app.kubernetes.io/managed-by": "pulumi",
          "app.kubernetes.io/part-of": "cluster-backup",
          "cluster-backup.io/drill": "tenants",
          "velero.io/exclude-from-backup": "true",
        },
        annotations: { "cluster-backup.io/drill-source": "cust-a", "cluster-backup.io/drill-backup": "tenants-daily-20260102010000" },
      },
    });
  });

  it("deletes the scratch namespace and, after success, the Restore; never touches the source", () => {
    expect(run.state.deleted).toEqual(["namespace/drill-cust-b-202512270100", `namespace/${scratch}`, `restore/backup-system/${scratch}`]);
    expect(run.state.namespaces.map((n: Obj) => n.metadata.name)).toContain("cust-a");
    const writes = (run.state.calls as string[]).filter((c) => /^(create|delete|label|annotate|patch|apply|edit|replace|scale)\b|\s(create|delete|label|annotate|patch|apply)\s/.test(c));
    expect(writes.filter((c) => c.includes("cust-a") && !c.includes(scratch))).toEqual([]);
  });

  it("records a Normal Event on its CronJob", () => {
    expect(run.state.events).toHaveLength(1);
    const event = run.state.events[0];
    expect(event).toMatchObject({
      apiVersion: "v1",
      kind: "Event",
      metadata: { generateName: "restore-drill-", namespace: "backup-system" },
      involvedObject: { apiVersion: "batch/v1", kind: "CronJob", namespace: "backup-system", name: "restore-drill-tenants", uid: "uid-tenants" },
      type: "Normal",
      reason: "RestoreDrillSucceeded",
      reportingComponent: "cluster-backup/restore-drill",
      reportingInstance: "restore-drill-tenants-29000000-abcde",
      source: { component: "cluster-backup-restore-drill" },
      count: 1,
    });
    expect(event.message).toMatch(/^tenants drill succeeded: schedule tenants-daily; backup tenants-daily-20260102010000; rotation week 2920, group 0 of 4: 1 of 2 tenants; source cust-a; /);
    expect(event.firstTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("rotates: the next week restores group 1 (cust-b); a week whose group has no candidate restores one by the week number", () => {
    const next = runDrill("tenants", baseState(), { ROTATION_NOW: String(WEEK_2920 + 7 * 86400) });
    expect(next.status).toBe(0);
    expect(next.stderr).toContain("; rotation week 2921, group 1 of 4: 1 of 2 tenants; source cust-b;");
    expect((next.state.created as Obj[]).find((o) => o.kind === "Restore")!.spec.includedNamespaces).toEqual(["cust-b"]);
    // Week 2922, group 2: cust-c's, but it was created after the backup; 2922 mod 2 picks the first of [cust-a, cust-b].
    const empty = runDrill("tenants", baseState(), { ROTATION_NOW: String(WEEK_2920 + 14 * 86400) });
    expect(empty.stderr).toContain("; rotation week 2922, group 2 of 4: 1 of 2 tenants; source cust-a;");
  });

  it("a fixed source namespace from config", () => {
    const fixed = runDrill("tenants", baseState(), { SOURCE_NAMESPACE: "cust-b" });
    expect(fixed.status).toBe(0);
    expect((fixed.state.created as Obj[]).find((o) => o.kind === "Restore")!.spec.namespaceMapping).toEqual({ "cust-b": expect.stringMatching(/^drill-cust-b-\d{12}$/) });
  });
});

describe.skipIf(!HAS_JQ)("restore-drill.sh: failures", () => {
  it("a PartiallyFailed restore fails the drill (exit 1), keeps the Restore for inspection, still deletes the scratch namespace", () => {
    const state = { ...baseState(), restoreStatus: { phase: "PartiallyFailed", progress: { itemsRestored: 10, totalItems: 12 }, warnings: 0, errors: 2 } };
    const run = runDrill("tenants", state);
    expect(run.status).toBe(1);
    const scratch = (run.state.created as Obj[]).find((o) => o.kind === "Namespace")!.metadata.name;
    expect(run.state.deleted).toEqual(["namespace/drill-cust-b-202512270100", `namespace/${scratch}`]);
    expect(run.state.restores.map((r: Obj) => r.metadata.name)).toEqual([scratch]);
    expect(run.state.events[0]).toMatchObject({ type: "Warning", reason: "RestoreDrillFailed" });
    expect(run.state.events[0].message).toBe(
      `tenants drill failed at step 'check restore': the Restore ${scratch} ended PartiallyFailed (velero -n backup-system restore describe ${scratch} --details; velero -n backup-system restore logs ${scratch}) ` +
        `(schedule tenants-daily; backup tenants-daily-20260102010000; ${ROTATION_NOTE}; source cust-a; scratch ${scratch}; 2 workloads scaled to zero; restore PartiallyFailed, 10/12 items, 0 warnings, 2 errors; scratch namespace deleted)`,
    );
  });

  it("a pod volume restore that did not complete, and a mounted PVC that never binds", () => {
    const pvr = runDrill("tenants", { ...baseState(), podVolumeRestores: [{ name: "data", phase: "Failed" }] });
    expect(pvr.status).toBe(1);
    expect(pvr.state.events[0].message).toMatch(/^tenants drill failed at step 'check pod volumes': only 0 of 1 pod volume restores of drill-cust-a-\d{12} completed /);
    const pvc = runDrill("tenants", { ...baseState(), restoredPvcs: [{ metadata: { name: "data-app-0" }, status: { phase: "Pending" } }] }, { WAIT_SECONDS: "0" });
    expect(pvc.status).toBe(1);
    expect(pvc.state.events[0].message).toMatch(/^tenants drill failed at step 'check PVCs': only 0 of the 1 PVCs used by restored pods are Bound in drill-cust-a-\d{12} /);
  });

  it("a Restore that has not ended within the wait budget fails the drill, naming its phase (New while it has none)", () => {
    const run = runDrill("tenants", { ...baseState(), restoreStatus: { progress: { itemsRestored: 3, totalItems: 12 } } }, { WAIT_SECONDS: "0" });
    expect(run.status).toBe(1);
    expect(run.state.events[0].message).toMatch(/^tenants drill failed at step 'wait for restore': the Restore (drill-cust-a-\d{12}) is still New after the drill's wait budget \(schedule tenants-daily; .*; scratch \1; scratch namespace deleted\)$/);
  });

  it("no Completed backup: fails before creating anything", () => {
    const run = runDrill("tenants", { ...baseState(), backups: [backup("tenants-daily-1", "Failed", T0)] });
    expect(run.status).toBe(1);
    expect(run.state.created.filter((o: Obj) => o.kind !== "Event")).toEqual([]);
    expect(run.state.events[0].message).toBe("tenants drill failed at step 'find backup': no Completed backup of the Schedule tenants-daily in backup-system (schedule tenants-daily)");
  });

  it("an empty restore (the tenant is not in the backup) fails", () => {
    // Velero omits zero counts (omitempty): an empty restore's progress is empty.
    const run = runDrill("tenants", { ...baseState(), restoreStatus: { phase: "Completed", progress: {} } });
    expect(run.status).toBe(1);
    expect(run.state.events[0].message).toMatch(/^tenants drill failed at step 'check restore': the Restore drill-cust-a-\d{12} restored nothing: the backup holds no items of cust-a \(.*; restore Completed, 0\/0 items, 0 warnings, 0 errors; scratch namespace deleted\)$/);
  });
});

describe.skipIf(!HAS_JQ)("restore-drill.sh: refuses to touch anything but a scratch namespace", () => {
  it("check-scratch accepts drill-<source>-<stamp> only", () => {
    const ok = runDrill("tenants", baseState(), {}, ["check-scratch", "drill-cust-1001-202601031000"]);
    expect([ok.status, ok.stdout]).toEqual([0, "drill-cust-1001-202601031000 is a scratch namespace\n"]);
    for (const name of ["cust-1001", "kube-system", "drill-", "Drill-cust-1", "drill-cust_1", `drill-${"a".repeat(58)}`, "cust-drill-1", ""]) {
      const refused = runDrill("tenants", baseState(), {}, ["check-scratch", name]);
      expect([name, refused.status]).toEqual([name, DRILL_EXIT_REFUSED]);
      expect(refused.stderr).toContain(`refusing to touch namespace '${name}': only scratch namespaces (drill-<source>-<yyyymmddhhmm>, never cust-*) may be created or deleted by a drill`);
      expect(refused.state.calls).toEqual([]);
    }
  });

  it("scratch-name cuts long sources so the name stays a 63-character DNS label, like scratchNamespaceName", () => {
    const long = `cust-${"x".repeat(40)}-${"y".repeat(17)}`;
    for (const source of ["cust-1001", long, "postgres"]) {
      const run = runDrill("tenants", baseState(), {}, ["scratch-name", source, "202601031000"]);
      expect(run.stdout.trim()).toBe(scratchNamespaceName(source, "202601031000"));
    }
    // 63 = "drill-" + 44 characters of the source + "-" + the 12-digit stamp.
    expect(scratchNamespaceName(long, "202601031000")).toBe(`drill-cust-${"x".repeat(39)}-202601031000`);
    expect(scratchNamespaceName(long, "202601031000")).toHaveLength(63);
    expect(scratchNamespaceName(`cust-${"x".repeat(38)}-yyy`, "202601031000")).toBe(`drill-cust-${"x".repeat(38)}-202601031000`);
  });

  it("a tenant namespace carrying the drill label is not deleted as a leftover: the drill fails instead", () => {
    const state = baseState();
    state.namespaces.push(ns("cust-evil", "2025-01-01T00:00:00Z", { tenant: "true", "cluster-backup.io/drill": "tenants" }));
    const run = runDrill("tenants", state);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("refusing to touch namespace 'cust-evil'");
    expect(run.state.deleted).toEqual(["namespace/drill-cust-b-202512270100"]);
    expect(run.state.namespaces.map((n: Obj) => n.metadata.name)).toContain("cust-evil");
    expect(run.state.created.filter((o: Obj) => o.kind !== "Event")).toEqual([]);
    expect(run.state.events[0].message).toBe("tenants drill failed at step 'remove leftovers': could not remove the leftover namespace cust-evil (schedule tenants-daily)");
  });

  it("deletes a leftover only while it carries this drill's label: one that lost it, or carries another drill's, is kept and the drill fails", () => {
    for (const labels of [{}, { "cluster-backup.io/drill": "postgres" }]) {
      // Listed as a tenants drill's leftover, changed before the drill reads it again.
      const state: Obj = { ...baseState(), listedLabels: { "drill-cust-b-202512270100": { "cluster-backup.io/drill": "tenants" } } };
      state.namespaces[5].metadata.labels = labels;
      const run = runDrill("tenants", state);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain("refusing to delete namespace drill-cust-b-202512270100: it does not carry cluster-backup.io/drill=tenants\n");
      expect(run.state.deleted).toEqual([]);
      expect(run.state.events[0].message).toBe("tenants drill failed at step 'remove leftovers': could not remove the leftover namespace drill-cust-b-202512270100 (schedule tenants-daily)");
    }
  });

  it("a tenant source that does not match the tenant glob is refused", () => {
    const run = runDrill("tenants", baseState(), { SOURCE_NAMESPACE: "kube-system" });
    expect(run.status).toBe(1);
    // A DownloadRequest (reading the PartiallyFailed backup's results) changes nothing; Velero deletes it when it expires.
    expect(run.state.created.filter((o: Obj) => o.kind !== "Event" && o.kind !== "DownloadRequest")).toEqual([]);
    expect(run.state.events[0].message).toBe(
      "tenants drill failed at step 'choose source': the source kube-system is not a tenant namespace (cust-*) (schedule tenants-daily; backup tenants-daily-20260102010000)",
    );
  });
});

describe.skipIf(!HAS_JQ)("restore-drill.sh: a PartiallyFailed nightly backup still serves the tenants it recorded no error for", () => {
  const PARTIAL = "tenants-daily-20260103010000";
  const pvb = (ns: string, phase: string) => ({ metadata: { name: `${PARTIAL}-${ns}`, namespace: "backup-system", labels: { "velero.io/backup-name": PARTIAL } }, spec: { pod: { name: "app-0", namespace: ns }, volume: "data" }, status: { phase } });
  const withResults = (results: Obj, podvolumebackups: Obj[] = []) => ({ ...baseState(), backupResults: { [PARTIAL]: results }, podvolumebackups });
  const restoreOf = (run: Run) => (run.state.created as Obj[]).find((o) => o.kind === "Restore")!;
  const errorsIn = (ns: string) => ({ errors: { namespaces: { [ns]: [" resource: /pods name: /app-0 message: /Error backing up item error: /pod volume backup failed"] } } });

  it("a rotating drill uses it and picks among the tenants without errors", () => {
    const run = runDrill("tenants", withResults(errorsIn("cust-a")));
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(`using the PartiallyFailed backup ${PARTIAL}: its errors are in cust-a only\n`);
    expect(restoreOf(run).spec).toMatchObject({ backupName: PARTIAL, includedNamespaces: ["cust-b"] });
    expect((run.state.created as Obj[]).find((o) => o.kind === "DownloadRequest")).toMatchObject({ kind: "DownloadRequest", metadata: { namespace: "backup-system" }, spec: { target: { kind: "BackupResults", name: PARTIAL } } });
  });

  it("a drill of a fixed tenant with errors in it goes back to the newest Completed backup", () => {
    const run = runDrill("tenants", withResults(errorsIn("cust-b"), [pvb("cust-a", "Failed")]), { SOURCE_NAMESPACE: "cust-a" });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(`skipping the PartiallyFailed backup ${PARTIAL}: Velero recorded errors in cust-a\n`);
    expect(restoreOf(run).spec).toMatchObject({ backupName: "tenants-daily-20260102010000", includedNamespaces: ["cust-a"] });
  });

  it("a fixed tenant without errors uses it", () => {
    const run = runDrill("tenants", withResults(errorsIn("cust-b"), [pvb("cust-a", "Completed"), pvb("cust-b", "Failed")]), { SOURCE_NAMESPACE: "cust-a" });
    expect(run.status).toBe(0);
    expect(restoreOf(run).spec).toMatchObject({ backupName: PARTIAL, includedNamespaces: ["cust-a"] });
  });

  it("errors Velero placed in no namespace, or results it cannot read: skipped with the reason", () => {
    const unplaced = runDrill("tenants", withResults({ errors: { velero: [" message: /Error uploading log file"], namespaces: { "cust-b": ["x"] } } }), { SOURCE_NAMESPACE: "cust-a" });
    expect(unplaced.stderr).toContain(`skipping the PartiallyFailed backup ${PARTIAL}: 1 of its errors are not recorded against a namespace\n`);
    expect(restoreOf(unplaced).spec.backupName).toBe("tenants-daily-20260102010000");
    const unreadable = runDrill("tenants", baseState(), { SOURCE_NAMESPACE: "cust-a" });
    expect(unreadable.stderr).toContain(`skipping the PartiallyFailed backup ${PARTIAL}: its results file cannot be downloaded from the object store\n`);
    expect(restoreOf(unreadable).spec.backupName).toBe("tenants-daily-20260102010000");
    const none = runDrill("tenants", withResults({ errors: {} }), { SOURCE_NAMESPACE: "cust-a" });
    expect(none.stderr).toContain(`skipping the PartiallyFailed backup ${PARTIAL}: its results place no error in any namespace\n`);
    const garbled = runDrill("tenants", { ...baseState(), backupResultsText: { [PARTIAL]: "{\"errors\": " } }, { SOURCE_NAMESPACE: "cust-a" });
    expect(garbled.stderr).toContain(`skipping the PartiallyFailed backup ${PARTIAL}: its results file is not JSON\n`);
    expect(restoreOf(garbled).spec.backupName).toBe("tenants-daily-20260102010000");
    // Errors placed under something other than namespace names place none.
    const malformed = runDrill("tenants", withResults({ errors: { namespaces: "cust-b" } }), { SOURCE_NAMESPACE: "cust-a" });
    expect(malformed.stderr).toContain(`skipping the PartiallyFailed backup ${PARTIAL}: its results place no error in any namespace\n`);
  });
});

describe.skipIf(!HAS_JQ)("restore-drill.sh: the postgres drill", () => {
  // As Velero writes the status: its zero counts (warnings, errors, hooksFailed) omitted, read as 0 (omitempty: velero
  // v1.18 pkg/apis/velero/v1 restore_types.go RestoreStatus, backup_types.go HookStatus).
  const state = () => ({ ...baseState(), restoreStatus: { phase: "Completed", progress: { itemsRestored: 9, totalItems: 9 }, hookStatus: { hooksAttempted: 1 } } });

  it("restores the postgres namespace of the newest postgres-backup and requires the check hook to have run", () => {
    const run = runDrill("postgres", state());
    expect(run.status).toBe(0);
    const restore = (run.state.created as Obj[]).find((o) => o.kind === "Restore")!;
    expect(restore.spec.backupName).toBe("postgres-backup-20260102040000");
    expect(restore.spec.namespaceMapping).toEqual({ postgres: expect.stringMatching(/^drill-postgres-\d{12}$/) });
    expect(restore.spec.hooks.resources[0].postHooks[0].exec.container).toBe("postgres");
    expect(run.stderr).toMatch(/; check hooks attempted 1, failed 0;/);
  });

  it("fails when no pod had the checked container, or the check failed", () => {
    const none = runDrill("postgres", { ...state(), restoreStatus: { ...state().restoreStatus, hookStatus: { hooksAttempted: 0, hooksFailed: 0 } } });
    expect(none.status).toBe(1);
    expect(none.state.events[0].message).toMatch(/failed at step 'check restore': the post-restore check ran 0 times, expected 1: no restored pod has the checked container /);
    const failed = runDrill("postgres", { ...state(), restoreStatus: { ...state().restoreStatus, hookStatus: { hooksAttempted: 1, hooksFailed: 1 } } });
    expect(failed.status).toBe(1);
    expect(failed.state.events[0].message).toMatch(/the post-restore check failed \(velero -n backup-system restore logs drill-postgres-\d{12} shows its output\)/);
  });
});

describe.skipIf(!HAS_JQ)("restore-drill.sh: a scratch namespace is isolated, never privileged, and its workloads stopped", () => {
  const created = (run: Run, kind: string) => (run.state.created as Obj[]).filter((o) => o.kind === kind);
  const policy = drillAdmissionPolicySpec(specs, "backup-system") as Obj;
  const user = { username: "system:serviceaccount:backup-system:restore-drill" };

  it("binds its scratch rights and creates the deny-all NetworkPolicy in the scratch namespace before the Restore", () => {
    const run = runDrill("tenants", baseState());
    expect(run.status).toBe(0);
    const scratch = created(run, "Namespace")[0].metadata.name;
    // The newest backup is PartiallyFailed: its results are asked for first (a DownloadRequest), then the scratch objects.
    expect((run.state.created as Obj[]).map((o) => o.kind)).toEqual(["DownloadRequest", "Namespace", "RoleBinding", "NetworkPolicy", "Restore", "Event"]);
    expect(run.state.networkpolicies).toEqual([
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "restore-drill-deny-all", namespace: scratch, labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "cluster-backup" } },
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
      },
    ]);
    expect(run.state.rolebindings.map((b: Obj) => [b.metadata.namespace, b.roleRef.name, b.subjects])).toEqual([
      [scratch, "cluster-backup-restore-drill-scratch", [{ kind: "ServiceAccount", name: "restore-drill", namespace: "backup-system" }]],
    ]);
  });

  it("scales every restored Deployment and StatefulSet to zero once the Restore has ended, still checking the PVCs the pods used", () => {
    const run = runDrill("tenants", baseState());
    const scratch = created(run, "Namespace")[0].metadata.name;
    expect(run.state.scaled).toEqual([`${scratch}/deployment.apps/web`, `${scratch}/statefulset.apps/app`]);
    const calls = run.state.calls as string[];
    const scale = calls.findIndex((c) => c.startsWith(`-n ${scratch} scale --replicas=0 `));
    expect(calls[scale]).toBe(`-n ${scratch} scale --replicas=0 deployment.apps/web statefulset.apps/app`);
    const restoreRead = calls.findIndex((c) => c.startsWith("-n backup-system get restores.velero.io"));
    expect(restoreRead).toBeGreaterThanOrEqual(0);
    expect(scale).toBeGreaterThan(restoreRead);
    expect(calls.filter((c) => c.includes(" scale ") && !c.startsWith(`-n ${scratch} `))).toEqual([]);
    expect(run.stderr).toMatch(/; 2 workloads scaled to zero; .*; 1 PVCs bound \(2 restored\); /);
    // A tenant without workloads, pods, pod volumes or PVCs.
    const none = runDrill("tenants", { ...baseState(), restoredWorkloads: [], restoredPods: [], restoredPvcs: [], podVolumeRestores: [] });
    expect(none.status).toBe(0);
    expect((none.state.calls as string[]).filter((c) => c.includes(" scale "))).toEqual([]);
    expect(none.stderr).toMatch(/; 0 workloads scaled to zero; .*; 0\/0 pod volume restores completed; 0 PVCs bound \(0 restored\); /);
  });

  it("lowers a privileged source to baseline, keeps restricted, defaults to baseline", () => {
    const state = baseState();
    state.namespaces[0].metadata.labels = {
      ...state.namespaces[0].metadata.labels,
      "pod-security.kubernetes.io/enforce": "privileged",
      "pod-security.kubernetes.io/warn": "privileged",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/enforce-version": "latest",
    };
    const run = runDrill("tenants", state);
    expect(run.status).toBe(0);
    const labels = created(run, "Namespace")[0].metadata.labels;
    expect(Object.fromEntries(Object.entries(labels).filter(([k]) => k.startsWith("pod-security")))).toEqual({
      "pod-security.kubernetes.io/enforce": "baseline",
      "pod-security.kubernetes.io/warn": "baseline",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/enforce-version": "latest",
    });
    const plain = runDrill("tenants", baseState(), { SOURCE_NAMESPACE: "cust-b" });
    expect(Object.fromEntries(Object.entries(created(plain, "Namespace")[0].metadata.labels).filter(([k]) => k.startsWith("pod-security")))).toEqual({
      "pod-security.kubernetes.io/enforce": "baseline",
    });
    const restricted = baseState();
    restricted.namespaces[0].metadata.labels["pod-security.kubernetes.io/enforce"] = "restricted";
    expect(created(runDrill("tenants", restricted), "Namespace")[0].metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });

  it("every object the tenants and postgres drills create passes the drill admission policy", () => {
    const privileged = baseState();
    privileged.namespaces[0].metadata.labels["pod-security.kubernetes.io/enforce"] = "privileged";
    const pg = { ...baseState(), restoreStatus: { phase: "Completed", progress: { itemsRestored: 9, totalItems: 9 }, hookStatus: { hooksAttempted: 1 } } };
    const runs = [runDrill("tenants", baseState()), runDrill("tenants", privileged), runDrill("postgres", pg)];
    for (const run of runs) {
      expect(run.status).toBe(0);
      const namespace = created(run, "Namespace")[0];
      const group = { Namespace: "", Restore: "velero.io", RoleBinding: "rbac.authorization.k8s.io" } as Record<string, string>;
      const plural = { Namespace: "namespaces", Restore: "restores", RoleBinding: "rolebindings" } as Record<string, string>;
      const judged = (run.state.created as Obj[]).filter((o) => o.kind in plural);
      expect(judged.map((o) => o.kind)).toEqual(["Namespace", "RoleBinding", "Restore"]);
      for (const o of judged) {
        const request = { operation: "CREATE" as const, userInfo: user, namespace: o.metadata.namespace ?? "", resource: { group: group[o.kind], version: "v1", resource: plural[o.kind] } };
        expect(admit(policy, request, o, null, o.kind === "RoleBinding" ? namespace : null), `${o.kind} ${o.metadata.name}`).toEqual([]);
      }
      expect(admit(policy, { operation: "DELETE", userInfo: user, resource: { group: "", version: "v1", resource: "namespaces" } }, null, namespace)).toEqual([]);
    }
  });

  it("a rotation group of several tenants: one scratch namespace and one Restore per tenant, in name order, each admitted by the policy", () => {
    const state = baseState();
    // cust-1003 is in group 0 with cust-a: week 2920 restores both.
    state.namespaces.push(ns("cust-1003", "2025-07-01T00:00:00Z", { tenant: "true", backup: "true" }));
    const run = runDrill("tenants", state);
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(
      /SUCCEEDED: schedule tenants-daily; backup tenants-daily-20260102010000; rotation week 2920, group 0 of 4: 2 of 3 tenants; source cust-1003; scratch drill-cust-1003-\d{12}; .*; scratch namespace deleted; source cust-a; scratch drill-cust-a-\d{12}; .*; scratch namespace deleted\n$/,
    );
    const restores = created(run, "Restore");
    expect(restores.map((r) => [r.spec.includedNamespaces, Object.keys(r.spec.namespaceMapping)])).toEqual([
      [["cust-1003"], ["cust-1003"]],
      [["cust-a"], ["cust-a"]],
    ]);
    const scratches = created(run, "Namespace").map((n) => n.metadata.name as string);
    expect(run.state.deleted).toEqual(["namespace/drill-cust-b-202512270100", `namespace/${scratches[0]}`, `restore/backup-system/${scratches[0]}`, `namespace/${scratches[1]}`, `restore/backup-system/${scratches[1]}`]);
    const group = { Namespace: "", Restore: "velero.io", RoleBinding: "rbac.authorization.k8s.io" } as Record<string, string>;
    const plural = { Namespace: "namespaces", Restore: "restores", RoleBinding: "rolebindings" } as Record<string, string>;
    const judged = (run.state.created as Obj[]).filter((o) => o.kind in plural);
    expect(judged.map((o) => o.kind)).toEqual(["Namespace", "RoleBinding", "Restore", "Namespace", "RoleBinding", "Restore"]);
    for (const o of judged) {
      const namespace = created(run, "Namespace").find((n) => n.metadata.name === (o.metadata.namespace ?? o.metadata.name)) ?? null;
      const request = { operation: "CREATE" as const, userInfo: user, namespace: o.metadata.namespace ?? "", resource: { group: group[o.kind], version: "v1", resource: plural[o.kind] } };
      expect(admit(policy, request, o, null, o.kind === "RoleBinding" ? namespace : null), `${o.kind} ${o.metadata.name}`).toEqual([]);
    }
  });

  it("the first tenant that fails ends the run: its scratch namespace is deleted, its Restore kept, and the Event names the tenants not reached", () => {
    const state: Obj = { ...baseState(), podVolumeRestores: [{ name: "data", phase: "Failed" }] };
    state.namespaces.push(ns("cust-1003", "2025-07-01T00:00:00Z", { tenant: "true", backup: "true" }));
    const run = runDrill("tenants", state);
    expect(run.status).toBe(1);
    expect(created(run, "Restore").map((r) => r.spec.includedNamespaces)).toEqual([["cust-1003"]]);
    expect(run.state.events[0].message).toMatch(
      /^tenants drill failed at step 'check pod volumes': only 0 of 1 pod volume restores of drill-cust-1003-\d{12} completed; not drilled in this run: cust-a \(schedule tenants-daily; .*; scratch namespace deleted\)$/,
    );
  });

  it("retries the NetworkPolicy while the RoleBinding propagates, and fails before any Restore when it cannot isolate", () => {
    const late = runDrill("tenants", { ...baseState(), networkPolicyFailures: 1 });
    expect(late.status).toBe(0);
    expect(late.state.networkpolicies).toHaveLength(1);
    const never = runDrill("tenants", { ...baseState(), networkPolicyFailures: 5 }, { ISOLATE_TRIES: "1" });
    expect(never.status).toBe(1);
    const scratch = created(never, "Namespace")[0].metadata.name;
    expect(created(never, "Restore")).toEqual([]);
    expect(never.state.deleted).toContain(`namespace/${scratch}`);
    expect(never.state.events[0].message).toMatch(/^tenants drill failed at step 'isolate scratch namespace': could not create the deny-all NetworkPolicy in drill-cust-a-\d{12} /);
  });
});

for (const shell of SHELLS) {
  describe.skipIf(!HAS_JQ || !shell.present)(`restore-drill.sh under ${shell.name}`, () => {
    it("a tenants drill, a postgres drill and a refusal behave the same", () => {
      const tenantsRun = runDrill("tenants", baseState(), {}, ["run"], shell.argv);
      expect(tenantsRun.stderr).toMatch(/SUCCEEDED: schedule tenants-daily; backup tenants-daily-20260102010000; rotation week 2920, group 0 of 4: 1 of 2 tenants; source cust-a; scratch drill-cust-a-\d{12}; 2 workloads scaled to zero; restore Completed, 12\/12 items, 1 warnings, 0 errors; 2\/2 pod volume restores completed; 1 PVCs bound \(2 restored\); scratch namespace deleted\n$/);
      expect(tenantsRun.status).toBe(0);
      expect((tenantsRun.state.created as Obj[]).map((o) => o.kind)).toEqual(["DownloadRequest", "Namespace", "RoleBinding", "NetworkPolicy", "Restore", "Event"]);
      const pg = { ...baseState(), restoreStatus: { phase: "Completed", progress: { itemsRestored: 9, totalItems: 9 }, hookStatus: { hooksAttempted: 1 } } };
      const pgRun = runDrill("postgres", pg, {}, ["run"], shell.argv);
      expect(pgRun.status).toBe(0);
      expect(pgRun.stderr).toMatch(/; check hooks attempted 1, failed 0;/);
      const refused = runDrill("tenants", baseState(), {}, ["check-scratch", "cust-1001"], shell.argv);
      expect(refused.status).toBe(DRILL_EXIT_REFUSED);
      const failed = runDrill("tenants", { ...baseState(), podVolumeRestores: [{ name: "data", phase: "Failed" }] }, {}, ["run"], shell.argv);
      expect(failed.status).toBe(1);
      expect(failed.state.deleted).toHaveLength(2);
    });
  });
}

describe("postgres-check.sh (the restore hook) against stand-ins for psql and pg_isready", () => {
  function check(dump: string | undefined, present: string, query?: string, shell: string[] = ["/bin/sh"]): { status: number | null; stdout: string; stderr: string; psql: string; loaded: string } {
    const dir = mkdtempSync(join(tmpdir(), "pg-check-"));
    const bin = join(dir, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "pg_isready"), "#!/bin/sh\nexit 0\n");
    writeFileSync(
      join(bin, "psql"),
      `#!/bin/sh\necho "$*" >> "${dir}/psql.log"\ncase "$*" in\n  *ON_ERROR_STOP=1) cat > "${dir}/psql.stdin" ;;\n  *pg_database*) echo "${present}" ;;\n  *) echo 42 ;;\nesac\n`,
    );
    chmodSync(join(bin, "pg_isready"), 0o755);
    chmodSync(join(bin, "psql"), 0o755);
    if (dump !== undefined) writeFileSync(join(dir, "dump.sql"), dump);
    const script = readFileSync(join(DRILLS, "postgres-check.sh"), "utf8");
    const result = spawnSync(shell[0], [...shell.slice(1), "-c", script, "postgres-check", join(dir, "dump.sql"), "app", ...(query ? [query] : [])], { env: { PATH: `${bin}:${process.env.PATH}` }, encoding: "utf8" });
    const read = (file: string) => {
      try {
        return readFileSync(join(dir, file), "utf8");
      } catch {
        return "";
      }
    };
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, psql: read("psql.log"), loaded: read("psql.stdin") };
  }
  const dump =
    "DROP ROLE IF EXISTS postgres;\nDROP ROLE IF EXISTS app;\nCREATE ROLE postgres;\nCREATE ROLE app;\nCREATE DATABASE template1 WITH TEMPLATE = template0;\nCREATE DATABASE postgres WITH TEMPLATE = template0;\n" +
    "CREATE DATABASE app WITH OWNER = app;\nCREATE DATABASE shop;\n--\n-- PostgreSQL database cluster dump complete\n--\n\n";

  it("loads the dump, finds every database it creates and runs the query", () => {
    const r = check(dump, "2", "SELECT count(*) FROM users");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^postgres-check: query on app returned: 42\npostgres-check: loaded .*\/dump\.sql \(2 databases created, no psql error\)\n$/);
    // The role psql runs as is neither dropped nor created (both always fail); everything else is fed to psql.
    expect(r.loaded).toBe(dump.replace("DROP ROLE IF EXISTS postgres;\n", "").replace("CREATE ROLE postgres;\n", ""));
    expect(r.psql.split("\n").filter(Boolean).map((l) => l.replace(/\/tmp\/pg-check-\w+/, "<dir>"))).toEqual([
      "-X -q -U postgres -d postgres -v ON_ERROR_STOP=1",
      "-X -At -U postgres -d postgres -c SELECT count(*) FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres'",
      "-X -At -U postgres -d app -v ON_ERROR_STOP=1 -c SELECT count(*) FROM users",
    ]);
  });

  /** The shell cases' runs, by interpreter: sh where it is dash and dash run once (test/lib/shells.ts). */
  const shared = new Map<string, unknown>();
  for (const shell of SHELLS) {
    it.skipIf(!shell.present)(`behaves the same under ${shell.name}`, () => {
      const { ok, short } = oncePerInterpreter(shared, "postgres-check", shell.argv, () => ({ ok: check(dump, "2", "SELECT 1", shell.argv), short: check(dump, "1", undefined, shell.argv) }));
      expect([ok.status, ok.stdout.replace(/\/tmp\/pg-check-\w+/, "<dir>")]).toEqual([0, "postgres-check: query on app returned: 42\npostgres-check: loaded <dir>/dump.sql (2 databases created, no psql error)\n"]);
      expect(short.status).toBe(1);
    });
  }

  it("fails without a dump, and when databases are missing after loading", () => {
    const missing = check(undefined, "2");
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/postgres-check: no dump at .*dump\.sql: the backup holds no dump \(did the pre-backup hook run\?\)/);
    const short = check(dump, "1");
    expect(short.status).toBe(1);
    expect(short.stderr).toContain("postgres-check: the dump creates 2 databases but only 1 exist after loading it");
    const cut = check(dump.slice(0, -30), "2");
    expect(cut.status).toBe(1);
    expect(cut.stderr).toMatch(/postgres-check: .*dump\.sql lacks pg_dumpall's completion line: the dump is cut off\n$/);
    expect(cut.psql).toBe("");
  });
});
