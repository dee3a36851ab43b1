/**
 * `npm run restore` (scripts/lib/restore-command.ts, in-process; test/integration/commands.test.ts runs the command as a
 * process): exit codes and messages against an unreachable cluster, without a kubeconfig, and end to end against a
 * loopback API server answering with recorded Velero objects.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../scripts/lib/restore/exit-codes";
import type { VeleroBackup } from "../scripts/lib/restore/velero-types";
import { restore, type EnvChanges } from "./lib/commands";
import { completedRestoreRecording, fixture, startFakeApiServer, type FakeApiServer } from "./restore-fake";

const tmp = mkdtempSync(join(tmpdir(), "restore-cli-"));

/** The command as a process would run it, with HOME at an empty folder and outside any cluster. */
function cli(args: string[], env: EnvChanges) {
  return restore(args, { HOME: tmp, KUBERNETES_SERVICE_HOST: "", ...env });
}

/** The runs of several argument lists, one after the other (each sets the process environment while it runs). */
async function inTurn<T>(items: T[], run: (item: T) => ReturnType<typeof cli>) {
  const results = [];
  for (const item of items) results.push(await run(item));
  return results;
}

function kubeconfig(name: string, server: string): string {
  const path = join(tmp, name);
  writeFileSync(
    path,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "nowhere", cluster: { server } }],
      users: [{ name: "nobody", user: { token: "not-a-token" } }],
      contexts: [{ name: "nowhere", context: { cluster: "nowhere", user: "nobody" } }],
      "current-context": "nowhere",
    }),
  );
  return path;
}

describe("npm run restore: exit codes", () => {
  it("no cluster reachable: exit 7 with the server named, nothing else attempted", async () => {
    const r = await cli(["--tenant", "cust-1001"], { KUBECONFIG: kubeconfig("unreachable.yaml", "https://127.0.0.1:1") });
    expect(r.code).toBe(EXIT.unreachable);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("error: no cluster reachable at https://127.0.0.1:1 (context nowhere): bad port (the HTTP client refuses to connect to that port)\n");
  });

  it("a closed port: exit 7 with the connection error", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const r = await cli(["--tenant", "cust-1001"], { KUBECONFIG: kubeconfig("refused.yaml", `https://127.0.0.1:${port}`) });
    expect(r.code).toBe(EXIT.unreachable);
    expect(r.stderr).toBe(`error: no cluster reachable at https://127.0.0.1:${port} (context nowhere): connect ECONNREFUSED 127.0.0.1:${port}\n`);
  });

  it("no kubeconfig at all: exit 7 saying so", async () => {
    const r = await cli(["--tenant", "cust-1001"], { KUBECONFIG: undefined });
    expect(r.code).toBe(EXIT.unreachable);
    expect(r.stderr).toBe(`error: no cluster reachable: no kubeconfig found (KUBECONFIG is unset and ${join(tmp, ".kube", "config")} does not exist); point KUBECONFIG at the cluster's kubeconfig\n`);
  });

  it("an unknown kubeconfig context: a usage error (exit 2), even for a dry run", async () => {
    const config = kubeconfig("ctx.yaml", "https://127.0.0.1:1");
    const runs = await inTurn([[], ["--dry-run"]], (extra) => cli(["--tenant", "cust-1001", "--context", "prod", ...extra], { KUBECONFIG: config }));
    for (const r of runs) {
      expect(r.code).toBe(EXIT.usage);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe("error: --context 'prod': the kubeconfig has no such context; it has: nowhere\n");
    }
  });

  it("not a tenant name: exit 2 before any cluster access", async () => {
    const r = await cli(["--tenant", "postgres"], { KUBECONFIG: kubeconfig("unreachable.yaml", "https://127.0.0.1:1") });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr.split("\n")[0]).toBe("error: --tenant 'postgres': not a tenant namespace; tenant namespaces match 'cust-*' (e.g. cust-1001)");
  });

  it("--help: exit 0 with the usage and the exit codes", async () => {
    const r = await cli(["--help"], {});
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout.split("\n")[0]).toBe("usage: npm run restore -- --tenant cust-<id> [--from-backup NAME | --latest] [--as NAMESPACE]");
    expect(r.stdout).toContain(`${EXIT.namespaceExists} target namespace exists · ${EXIT.unreachable} no cluster reachable`);
  });
});

describe("npm run restore: guards", () => {
  it("--as at a system or tenant namespace, --allow-existing with --as, an absurd --timeout: exit 2 before any cluster access", async () => {
    const config = kubeconfig("unreachable.yaml", "https://127.0.0.1:1");
    const runs = await inTurn(
      [
        ["--as", "kube-system"],
        ["--as", "cust-1001-restore"],
        ["--as", "restore-cust-1001", "--allow-existing"],
        ["--timeout", "1s"],
      ],
      (extra) => cli(["--tenant", "cust-1001", ...extra], { KUBECONFIG: config }),
    );
    expect(runs.map((r) => [r.code, r.stdout, r.stderr.split("\n")[0]])).toEqual([
      [EXIT.usage, "", "error: --as 'kube-system': a namespace of Kubernetes itself; restore into a new namespace of its own such as restore-cust-1001"],
      [EXIT.usage, "", "error: --as 'cust-1001-restore': a tenant namespace name ('cust-*'): the tenants schedule would back the copy up and the drills take it for a tenant; restore into a new namespace of its own such as restore-cust-1001"],
      [EXIT.usage, "", "error: --allow-existing restores only in place (into cust-1001 itself); with --as the target must be a new namespace"],
      [EXIT.usage, "", "error: --timeout '1s': expected 1m to 168h (how long to follow the restore; it continues in the cluster after that)"],
    ]);
  });

  it("--dry-run --from-backup without any kubeconfig, names from a --plan given relative to INIT_CWD: exit 0", async () => {
    const here = mkdtempSync(join(tmpdir(), "restore-offline-"));
    mkdirSync(join(here, "plan", "manifests"), { recursive: true });
    writeFileSync(
      join(here, "plan", "manifests", "schedule--velero--tenants-daily.yaml"),
      stringify({ apiVersion: "velero.io/v1", kind: "Schedule", metadata: { name: "tenants-daily", namespace: "velero", labels: { "cluster-backup/flow": "tenants" } }, spec: { template: { includedNamespaces: ["cust-*"] } } }),
    );
    const r = await cli(["--tenant", "cust-1001", "--from-backup", "tenants-daily-20260301010000", "--plan", "plan", "--dry-run"], { KUBECONFIG: undefined, npm_lifecycle_event: "restore", INIT_CWD: here });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout.split("\n").slice(0, 2)).toEqual([
      `# dry run without a cluster (no cluster reachable: no kubeconfig found (KUBECONFIG is unset and ${join(tmp, ".kube", "config")} does not exist); point KUBECONFIG at the cluster's kubeconfig): nothing was checked or created`,
      "# backup tenants-daily-20260301010000 as given: not checked (that it exists, holds cust-1001 and its location is available)",
    ]);
    const [restore] = parseAllDocuments(r.stdout).map((d) => d.toJS());
    expect(restore.metadata.namespace).toBe("velero");
    expect(restore.spec).toEqual({ backupName: "tenants-daily-20260301010000", includedNamespaces: ["cust-1001"], restorePVs: true, existingResourcePolicy: "none" });
  });
});

describe("npm run restore end to end against a loopback API server with recorded Velero objects", () => {
  let server: FakeApiServer;
  beforeAll(async () => {
    server = await startFakeApiServer(completedRestoreRecording(), tmp);
  });
  afterAll(() => server.close());

  it("refuses an existing namespace (exit 6) and a --dry-run creates nothing", async () => {
    const exists = await cli(["--tenant", "cust-1001"], { KUBECONFIG: server.kubeconfig });
    expect(exists.code).toBe(EXIT.namespaceExists);
    expect(exists.stderr).toMatch(/^error: namespace cust-1001 exists: /);
    const dry = await cli(["--tenant", "cust-1001", "--as", "restore-cust-1001", "--dry-run"], { KUBECONFIG: server.kubeconfig });
    expect(dry.stderr).toBe("");
    expect(dry.code).toBe(EXIT.ok);
    const [namespace, restore] = parseAllDocuments(dry.stdout.slice(dry.stdout.indexOf("# dry run"))).map((d) => d.toJS());
    expect(namespace.metadata.labels).toEqual({ "pod-security.kubernetes.io/enforce": "restricted", "velero.io/exclude-from-backup": "true", "cluster-backup.io/restored-from": "cust-1001" });
    expect(restore.spec).toEqual({ backupName: "tenants-daily-20260301010000", includedNamespaces: ["cust-1001"], namespaceMapping: { "cust-1001": "restore-cust-1001" }, restorePVs: true, existingResourcePolicy: "none" });
    expect(restore.metadata.name).toMatch(/^cust-1001-\d{14}$/);
    expect(server.created).toEqual([]);
    expect(server.requests.filter((r) => !r.startsWith("GET "))).toEqual([]);
  });

  it("creates one Restore and follows it to Completed (exit 0)", async () => {
    const r = await cli(["--tenant", "cust-1001", "--as", "restore-cust-1001", "--poll-interval", "1s"], { KUBECONFIG: server.kubeconfig });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(EXIT.ok);
    expect(server.created).toHaveLength(1);
    const name = server.created[0].metadata.name;
    expect(server.requests.filter((q) => !q.startsWith("GET "))).toEqual(["POST /api/v1/namespaces", "POST /apis/velero.io/v1/namespaces/backup-system/restores"]);
    expect(server.createdNamespaces.map((n) => [n.metadata.name, n.metadata.labels])).toEqual([["restore-cust-1001", { "pod-security.kubernetes.io/enforce": "restricted", "velero.io/exclude-from-backup": "true", "cluster-backup.io/restored-from": "cust-1001" }]]);
    expect(server.requests).toContain(`GET /apis/velero.io/v1/namespaces/backup-system/podvolumerestores?labelSelector=velero.io%2Frestore-name%3D${name}`);
    expect(r.stdout).toContain(`Restore backup-system/${name} from backup tenants-daily-20260301010000: Completed — restored cust-1001 into namespace restore-cust-1001\n`);
    expect(r.stdout).toContain("  items restored: 57/57, warnings: 2, errors: 0\n");
  });
});

describe("npm run restore against a loopback API server: a PartiallyFailed nightly backup judged per namespace", () => {
  let server: FakeApiServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "restore-partial-"));
    server = await startFakeApiServer(
      {
        backups: [...fixture<{ items: VeleroBackup[] }>("backups-tenants-daily.json").items, fixture("backup-tenants-daily-20260303010000-partially-failed.json")],
        bsls: [fixture("bsl-default-available.json")],
        namespaces: [fixture("namespace-cust-1001.json")],
        podVolumeBackups: fixture("podvolumebackups-tenants-daily-20260303010000.json").items,
        backupResults: { "tenants-daily-20260303010000": fixture("backup-results-tenants-daily-20260303010000.json") },
      },
      dir,
    );
  });
  afterAll(() => server.close());

  it("reads the results through a DownloadRequest and its signed URL, and uses the backup for a tenant without errors", async () => {
    const r = await cli(["--tenant", "cust-1001", "--as", "restore-cust-1001", "--dry-run"], { KUBECONFIG: server.kubeconfig });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout.split("\n")[0]).toBe(
      "backup tenants-daily-20260303010000 is PartiallyFailed, but none of its errors concern cust-1001: they are in 1 other namespace (cust-1002) and no pod volume backup of cust-1001 failed (backup results and PodVolumeBackups)",
    );
    const posted = server.requests.filter((q) => q.startsWith("POST "));
    expect(posted).toEqual(["POST /apis/velero.io/v1/namespaces/backup-system/downloadrequests"]);
    expect(server.requests).toContain("GET /apis/velero.io/v1/namespaces/backup-system/podvolumebackups?labelSelector=velero.io%2Fbackup-name%3Dtenants-daily-20260303010000");
    expect(server.requests).toContain("GET /store/tenants-daily-20260303010000-results.json.gz?X-Amz-Signature=fake");
    const [, restore] = parseAllDocuments(r.stdout.slice(r.stdout.indexOf("# dry run"))).map((d) => d.toJS());
    expect(restore.spec.backupName).toBe("tenants-daily-20260303010000");
  });
});
