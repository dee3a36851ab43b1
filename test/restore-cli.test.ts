/**
 * `npm run restore` as a process: exit codes and messages against an unreachable cluster, without a kubeconfig, and
 * end to end against a loopback API server answering with recorded Velero objects.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../scripts/lib/restore/exit-codes";
import type { VeleroBackup, VeleroRestore } from "../scripts/lib/restore/velero-types";
import { ROOT } from "./harness";
import { fixture, startFakeApiServer, type FakeApiServer } from "./restore-fake";

const TS_NODE = join(ROOT, "node_modules", ".bin", "ts-node");
const tmp = mkdtempSync(join(tmpdir(), "restore-cli-"));

function cli(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(TS_NODE, ["--transpile-only", join(ROOT, "scripts", "restore.ts"), ...args], {
      cwd: ROOT,
      env: { ...process.env, HOME: tmp, KUBERNETES_SERVICE_HOST: "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
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

describe.concurrent("npm run restore: exit codes", () => {
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

  it("an unknown kubeconfig context: exit 8", async () => {
    const r = await cli(["--tenant", "cust-1001", "--context", "prod"], { KUBECONFIG: kubeconfig("ctx.yaml", "https://127.0.0.1:1") });
    expect(r.code).toBe(EXIT.apiError);
    expect(r.stderr).toBe("error: kubeconfig has no context 'prod'; it has: nowhere\n");
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

describe("npm run restore end to end against a loopback API server with recorded Velero objects", () => {
  let server: FakeApiServer;
  beforeAll(async () => {
    const completed = fixture<{ polls: VeleroRestore[] }>("restore-cust-1001-completed.json");
    server = await startFakeApiServer(
      {
        backups: fixture<{ items: VeleroBackup[] }>("backups-tenants-daily.json").items,
        bsls: [fixture("bsl-default-available.json")],
        namespaces: [fixture("namespace-cust-1001.json")],
        polls: [completed.polls[2], completed.polls[4]],
        pvrLists: fixture("podvolumerestores-cust-1001.json").slice(3),
      },
      tmp,
    );
  });
  afterAll(() => server.close());

  it("refuses an existing namespace (exit 6) and a --dry-run creates nothing", async () => {
    const exists = await cli(["--tenant", "cust-1001"], { KUBECONFIG: server.kubeconfig });
    expect(exists.code).toBe(EXIT.namespaceExists);
    expect(exists.stderr).toMatch(/^error: namespace cust-1001 exists: /);
    const dry = await cli(["--tenant", "cust-1001", "--as", "restore-cust-1001", "--dry-run"], { KUBECONFIG: server.kubeconfig });
    expect(dry.stderr).toBe("");
    expect(dry.code).toBe(EXIT.ok);
    const restore = parse(dry.stdout.slice(dry.stdout.indexOf("# dry run")));
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
    expect(server.requests.filter((q) => !q.startsWith("GET "))).toEqual(["POST /apis/velero.io/v1/namespaces/backup-system/restores"]);
    expect(server.requests).toContain(`GET /apis/velero.io/v1/namespaces/backup-system/podvolumerestores?labelSelector=velero.io%2Frestore-name%3D${name}`);
    expect(r.stdout).toContain(`Restore backup-system/${name} from backup tenants-daily-20260301010000: Completed — restored cust-1001 into namespace restore-cust-1001\n`);
    expect(r.stdout).toContain("  items restored: 57/57, warnings: 2, errors: 0\n");
  });
});
