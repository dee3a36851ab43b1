/**
 * Every `-o jsonpath=` template of restore-drill.sh, run by the real kubectl (`kubectl get` against a loopback API
 * server holding fixed objects, test/lib/kube-api-stub.ts) and by the drill tests' stand-in (test/lib/fake-jsonpath.mjs):
 * the same output for each object the drill may meet, missing fields, empty lists and missing objects included. So
 * what test/drills-script.test.ts proves with the stand-in holds for kubectl. `.ci/run` installs Debian's kubectl
 * (kubernetes-client) when none is on PATH; the drill image's kubectl is the same client-go JSONPath
 * (k8s.io/client-go/util/jsonpath).
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DRILL_LABEL } from "../../policy/shared/labels";
import { ROOT } from "../harness";
import { startKubeApiStub, type KubeApiStub, type StubObject, type StubResource } from "../lib/kube-api-stub";

const { jsonpath } = require("../lib/fake-jsonpath.mjs") as { jsonpath: (obj: unknown, template: string) => string | undefined };

const HAS_KUBECTL = spawnSync("kubectl", ["version", "--client"]).status === 0 || Boolean(process.env.CI);
const SCRIPT = readFileSync(join(ROOT, "components", "drills", "restore-drill.sh"), "utf8");
/** The drill label as restore-drill.sh makes it a JSONPath key (`drill_label_path`: its dots escaped). */
const LABEL_PATH = DRILL_LABEL.replace(/\./g, "\\.");

/** The templates of the script, in order of appearance, `$drill_label_path` filled in. */
const TEMPLATES = [...SCRIPT.matchAll(/-o (?:'jsonpath=([^']*)'|"jsonpath=([^"]*)"|jsonpath='([^']*)')/g)].map((m) => (m[1] ?? m[2] ?? m[3]).replace("$drill_label_path", LABEL_PATH));

const r = (group: string, name: string, kind: string, namespaced = true, version = "v1"): StubResource => ({ group, version, name, kind, namespaced });
const NAMESPACES = r("", "namespaces", "Namespace", false);
const PODS = r("", "pods", "Pod");
const PVCS = r("", "persistentvolumeclaims", "PersistentVolumeClaim");
const CRONJOBS = r("batch", "cronjobs", "CronJob");
const RESTORES = r("velero.io", "restores", "Restore");
const PVRS = r("velero.io", "podvolumerestores", "PodVolumeRestore");
const DOWNLOADS = r("velero.io", "downloadrequests", "DownloadRequest");

const VELERO = "backup-system";
const obj = (resource: StubResource, name: string, namespace: string | undefined, rest: Record<string, unknown> = {}, labels?: Record<string, string>): StubObject => ({
  resource,
  object: { metadata: { name, ...(namespace ? { namespace } : {}), ...(labels ? { labels } : {}) }, ...rest },
});
const OBJECTS: StubObject[] = [
  obj(NAMESPACES, "drill-cust-a-202601031000", undefined, {}, { [DRILL_LABEL]: "tenants", "kubernetes.io/metadata.name": "drill-cust-a-202601031000" }),
  obj(NAMESPACES, "drill-postgres-202601031000", undefined, {}, { [DRILL_LABEL]: "postgres" }),
  obj(NAMESPACES, "drill-cust-b-202601031000", undefined, {}),
  obj(NAMESPACES, "drill-cust-c-202512270100", undefined, {}, { [DRILL_LABEL]: "tenants" }),
  obj(CRONJOBS, "restore-drill-tenants", VELERO, {}),
  obj(DOWNLOADS, "signed", VELERO, { status: { downloadURL: "https://s3.example/bucket/x?X-Amz-Signature=abc&b=1", phase: "Processed" } }),
  obj(DOWNLOADS, "unsigned", VELERO, { spec: { target: { kind: "BackupResults", name: "b" } } }),
  obj(RESTORES, "complete", VELERO, { status: { phase: "Completed", progress: { itemsRestored: 12, totalItems: 12 }, warnings: 1, hookStatus: { hooksAttempted: 1 } } }),
  obj(RESTORES, "new", VELERO, {}),
  obj(RESTORES, "partial", VELERO, { status: { phase: "PartiallyFailed", progress: { totalItems: 3 }, errors: 2, hookStatus: { hooksAttempted: 2, hooksFailed: 1 } } }),
  obj(PVRS, "complete-data", VELERO, { status: { phase: "Completed" } }, { "velero.io/restore-name": "complete" }),
  obj(PVRS, "complete-cache", VELERO, {}, { "velero.io/restore-name": "complete" }),
  obj(PVRS, "complete-logs", VELERO, { status: { phase: "Failed" } }, { "velero.io/restore-name": "complete" }),
  obj(PODS, "app-0", "drill-cust-a-202601031000", { spec: { volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data-app-0" } }, { name: "tmp", emptyDir: {} }, { name: "logs", persistentVolumeClaim: { claimName: "logs" } }] } }),
  obj(PODS, "no-volumes", "drill-cust-a-202601031000", { spec: { containers: [{ name: "c", image: "x" }] } }),
  obj(PODS, "web-1", "drill-cust-a-202601031000", { spec: { volumes: [{ name: "data", persistentVolumeClaim: { claimName: "web-data" } }] } }),
  obj(PVCS, "data-app-0", "drill-cust-a-202601031000", { status: { phase: "Bound" } }),
  obj(PVCS, "unused", "drill-cust-a-202601031000", { status: { phase: "Pending" } }),
  obj(PVCS, "fresh", "drill-cust-a-202601031000", {}),
];

/** One call of the script's shape for each template, against the objects above: kubectl arguments and what the stand-in renders. */
interface Case {
  args: string[];
  /** The object or list kubectl gets (undefined: not found, printed as nothing with --ignore-not-found). */
  target: unknown;
}

function one(resource: StubResource, name: string): unknown {
  return OBJECTS.find((o) => o.resource === resource && o.object.metadata.name === name)?.object;
}
function listOf(resource: StubResource, namespace: string | undefined, label?: [string, string]): unknown {
  const items = OBJECTS.filter((o) => o.resource === resource && (namespace === undefined || o.object.metadata.namespace === namespace) && (!label || o.object.metadata.labels?.[label[0]] === label[1])).map((o) => o.object);
  return { kind: "List", items };
}

/** Per template (by its position among TEMPLATES' kinds), the calls to compare. */
function casesFor(template: string): Case[] {
  const ns = "drill-cust-a-202601031000";
  if (template.includes("{.metadata.labels.")) {
    return ["drill-cust-a-202601031000", "drill-postgres-202601031000", "drill-cust-b-202601031000", "drill-gone-202601031000"].map((name) => ({ args: ["get", "namespace", name, "--ignore-not-found"], target: one(NAMESPACES, name) }));
  }
  if (template === "{.metadata.uid}") return [{ args: ["-n", VELERO, "get", "cronjob", "restore-drill-tenants"], target: one(CRONJOBS, "restore-drill-tenants") }];
  if (template === "{.status.downloadURL}") return ["signed", "unsigned"].map((name) => ({ args: ["-n", VELERO, "get", "downloadrequests.velero.io", name], target: one(DOWNLOADS, name) }));
  if (template.startsWith("{.status.phase}|")) return ["complete", "new", "partial"].map((name) => ({ args: ["-n", VELERO, "get", "restores.velero.io", name], target: one(RESTORES, name) }));
  if (template.includes(".spec.volumes[*]")) {
    return [
      { args: ["-n", ns, "get", "pods"], target: listOf(PODS, ns) },
      { args: ["-n", "drill-empty", "get", "pods"], target: listOf(PODS, "drill-empty") },
    ];
  }
  if (template.startsWith("{range .items[*]}")) {
    return [
      ...["complete", "none"].map((restore) => ({ args: ["-n", VELERO, "get", "podvolumerestores.velero.io", "-l", `velero.io/restore-name=${restore}`], target: listOf(PVRS, VELERO, ["velero.io/restore-name", restore]) })),
      { args: ["-n", ns, "get", "persistentvolumeclaims"], target: listOf(PVCS, ns) },
    ];
  }
  if (template === "{.items[*].metadata.name}") {
    return ["tenants", "absent"].map((kind) => ({ args: ["get", "namespaces", "-l", `${DRILL_LABEL}=${kind}`], target: listOf(NAMESPACES, undefined, [DRILL_LABEL, kind]) }));
  }
  throw new Error(`no case for the template ${template}: add one`);
}

/** kubectl run asynchronously: the API stub answers from this process's event loop. */
function kubectl(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("kubectl", args, { encoding: "utf8", timeout: 60_000 }, (err, stdout, stderr) => resolve({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe.skipIf(!HAS_KUBECTL)("restore-drill.sh's JSONPath templates: the real kubectl and the drill tests' stand-in agree", () => {
  let api: KubeApiStub;
  let kubeconfig: string;
  let cacheDir: string;
  beforeAll(async () => {
    api = await startKubeApiStub([NAMESPACES, PODS, PVCS, CRONJOBS, RESTORES, PVRS, DOWNLOADS], OBJECTS);
    const dir = mkdtempSync(join(tmpdir(), "kubectl-jsonpath-"));
    kubeconfig = join(dir, "kubeconfig");
    cacheDir = join(dir, "cache");
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "stub", cluster: { server: api.url } }],
        users: [{ name: "stub", user: {} }],
        contexts: [{ name: "stub", context: { cluster: "stub", user: "stub" } }],
        "current-context": "stub",
      }),
    );
  });
  afterAll(() => api?.close());

  it("the script has the templates this test knows, each covered by cases", () => {
    expect(TEMPLATES).toEqual([
      `{.metadata.name}={.metadata.labels.${LABEL_PATH}}`,
      "{.metadata.uid}",
      "{.status.downloadURL}",
      "{.status.phase}|{.status.progress.itemsRestored}|{.status.progress.totalItems}|{.status.warnings}|{.status.errors}|{.status.hookStatus.hooksAttempted}|{.status.hookStatus.hooksFailed}",
      '{range .items[*]}{.metadata.name}={.status.phase}{"\\n"}{end}',
      "{.items[*].spec.volumes[*].persistentVolumeClaim.claimName}",
      '{range .items[*]}{.metadata.name}={.status.phase}{"\\n"}{end}',
      "{.items[*].metadata.name}",
    ]);
  });

  for (const template of [...new Set(TEMPLATES)]) {
    it(`-o jsonpath=${template}`, async () => {
      for (const c of casesFor(template)) {
        const run = await kubectl(["--kubeconfig", kubeconfig, "--cache-dir", cacheDir, ...c.args, "-o", `jsonpath=${template}`]);
        expect(run.stderr, c.args.join(" ")).toBe("");
        expect(run.status, c.args.join(" ")).toBe(0);
        expect(jsonpath(c.target ?? {}, template) === undefined, template).toBe(false);
        expect(c.target === undefined ? "" : jsonpath(c.target, template), c.args.join(" ")).toBe(run.stdout);
      }
    });
  }

  it("what kubectl printed, for the record: a missing field is nothing, a list's results are space-separated", async () => {
    const get = async (...args: string[]) => (await kubectl(["--kubeconfig", kubeconfig, "--cache-dir", cacheDir, ...args])).stdout;
    expect(await get("-n", VELERO, "get", "restores.velero.io", "partial", "-o", `jsonpath=${TEMPLATES[3]}`)).toBe("PartiallyFailed||3||2|2|1");
    expect(await get("-n", "drill-cust-a-202601031000", "get", "pods", "-o", `jsonpath=${TEMPLATES[5]}`)).toBe("data-app-0 logs web-data");
    expect(await get("get", "namespace", "drill-gone-202601031000", "--ignore-not-found", "-o", `jsonpath=${TEMPLATES[0]}`)).toBe("");
    expect(await get("-n", VELERO, "get", "podvolumerestores.velero.io", "-l", "velero.io/restore-name=complete", "-o", `jsonpath=${TEMPLATES[4]}`)).toBe(
      "complete-data=Completed\ncomplete-cache=\ncomplete-logs=Failed\n",
    );
  });
});
