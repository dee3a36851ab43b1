/**
 * A {@link VeleroApi} answering from recorded API responses (test/fixtures/velero/*.json), recording every call.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { stringify } from "yaml";
import { parseRestoreArgs } from "../scripts/lib/restore/args";
import { ApiError, type VeleroApi } from "../scripts/lib/restore/client";
import { exitCodeOf, runRestore } from "../scripts/lib/restore/run";
import type { BackupResultsFile, BackupStorageLocation, NamespaceInfo, NamespaceObject, PodVolumeBackup, PodVolumeRestore, VeleroBackup, VeleroRestore } from "../scripts/lib/restore/velero-types";

export const FIXTURES = join(__dirname, "fixtures", "velero");

export function fixture<T = any>(name: string): T { // eslint-disable-line @typescript-eslint/no-explicit-any
  return JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as T;
}

/** The recorded responses the fake serves. */
export interface Recording {
  /** Backups of the cluster (all schedules); listBackups filters them by the label selector. */
  backups?: VeleroBackup[];
  bsls?: BackupStorageLocation[];
  /** Namespaces as the API returns them (v1 Namespace JSON). */
  namespaces?: { metadata: { name: string; creationTimestamp?: string; labels?: Record<string, string> }; status?: { phase?: string } }[];
  /** PodVolumeBackups of all backups (label velero.io/backup-name). */
  podVolumeBackups?: PodVolumeBackup[];
  /** Backup name → its results file in the object store; absent: the store has none (404); an Error: the download fails. */
  backupResults?: Record<string, BackupResultsFile | Error>;
  /** Successive GET responses of the created Restore (the last repeats). */
  polls?: VeleroRestore[];
  /** Successive PodVolumeRestoreList responses, aligned with `polls`. */
  pvrLists?: { items: PodVolumeRestore[] }[];
  /** Every call fails with this error (e.g. unreachable). */
  failAll?: ApiError;
  /** createRestore fails with this error. */
  failCreateRestore?: ApiError;
  /** The n-th getRestore calls (0-based) fail with this error. */
  failPolls?: Record<number, ApiError>;
}

export class FakeVeleroApi implements VeleroApi {
  readonly target = "https://apiserver.example:6443 (context fake)";
  readonly calls: string[] = [];
  readonly created: VeleroRestore[] = [];
  readonly createdNamespaces: NamespaceObject[] = [];
  private polled = 0;

  constructor(private readonly rec: Recording) {}

  private record(call: string): void {
    this.calls.push(call);
    if (this.rec.failAll) throw this.rec.failAll;
  }

  async listBackups(namespace: string, labelSelector: string): Promise<VeleroBackup[]> {
    this.record(`listBackups ${namespace} ${labelSelector}`);
    const [key, value] = labelSelector.split("=");
    return (this.rec.backups ?? []).filter((b) => b.metadata.namespace === namespace && b.metadata.labels?.[key] === value);
  }

  async getBackup(namespace: string, name: string): Promise<VeleroBackup | undefined> {
    this.record(`getBackup ${namespace}/${name}`);
    return (this.rec.backups ?? []).find((b) => b.metadata.namespace === namespace && b.metadata.name === name);
  }

  async getBackupStorageLocation(namespace: string, name: string): Promise<BackupStorageLocation | undefined> {
    this.record(`getBackupStorageLocation ${namespace}/${name}`);
    return (this.rec.bsls ?? []).find((b) => b.metadata.namespace === namespace && b.metadata.name === name);
  }

  async getNamespace(name: string): Promise<NamespaceInfo | undefined> {
    this.record(`getNamespace ${name}`);
    const ns = (this.rec.namespaces ?? []).find((n) => n.metadata.name === name);
    return ns ? { name, ...(ns.metadata.labels ? { labels: ns.metadata.labels } : {}), ...(ns.metadata.creationTimestamp ? { creationTimestamp: ns.metadata.creationTimestamp } : {}), ...(ns.status?.phase ? { phase: ns.status.phase } : {}) } : undefined;
  }

  async createNamespace(namespace: NamespaceObject): Promise<void> {
    this.record(`createNamespace ${namespace.metadata.name}`);
    this.createdNamespaces.push(namespace);
  }

  async listPodVolumeBackups(namespace: string, backupName: string): Promise<PodVolumeBackup[]> {
    this.record(`listPodVolumeBackups ${namespace} ${backupName}`);
    return (this.rec.podVolumeBackups ?? []).filter((p) => p.metadata.namespace === namespace && p.metadata.labels?.["velero.io/backup-name"] === backupName);
  }

  async readBackupResults(namespace: string, backupName: string): Promise<BackupResultsFile | undefined> {
    this.record(`readBackupResults ${namespace}/${backupName}`);
    const results = this.rec.backupResults?.[backupName];
    if (results instanceof Error) throw results;
    return results;
  }

  async createRestore(restore: VeleroRestore): Promise<VeleroRestore> {
    this.record(`createRestore ${restore.metadata.namespace}/${restore.metadata.name}`);
    if (this.rec.failCreateRestore) throw this.rec.failCreateRestore;
    this.created.push(restore);
    return { ...restore, metadata: { ...restore.metadata, uid: "5d0c7a1e-93b2-4f6d-8e41-7b2a9c3d1f60", creationTimestamp: "2026-03-02T09:12:00Z" } };
  }

  async getRestore(namespace: string, name: string): Promise<VeleroRestore | undefined> {
    this.record(`getRestore ${namespace}/${name}`);
    const n = this.polled++;
    const failure = this.rec.failPolls?.[n];
    if (failure) throw failure;
    const polls = this.rec.polls ?? [];
    return polls[Math.min(n, polls.length - 1)];
  }

  async listPodVolumeRestores(namespace: string, restoreName: string): Promise<PodVolumeRestore[]> {
    this.record(`listPodVolumeRestores ${namespace} ${restoreName}`);
    const lists = this.rec.pvrLists ?? [];
    return lists.length ? lists[Math.min(this.polled - 1, lists.length - 1)].items : [];
  }

  /** Calls that would change the cluster. */
  get writes(): string[] {
    return this.calls.filter((c) => c.startsWith("create"));
  }
}

/** A loopback HTTP server answering the Kubernetes API paths the restore command calls, from a {@link Recording}. */
export interface FakeApiServer {
  /** A kubeconfig file pointing at the server (context `fake`). */
  readonly kubeconfig: string;
  /** `METHOD path` of every request, in order. */
  readonly requests: string[];
  /** Bodies of the Restores POSTed. */
  readonly created: VeleroRestore[];
  /** Bodies of the Namespaces POSTed. */
  readonly createdNamespaces: NamespaceObject[];
  close(): Promise<void>;
}

export async function startFakeApiServer(rec: Recording, dir: string): Promise<FakeApiServer> {
  const requests: string[] = [];
  const created: VeleroRestore[] = [];
  const createdNamespaces: NamespaceObject[] = [];
  const downloadRequests = new Map<string, string>();
  let polls = 0;
  let base = "";
  const readBody = (req: import("node:http").IncomingMessage, then: (body: unknown) => void) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => then(JSON.parse(body)));
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const notFound = (kind: string, name: string) => send(404, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: `${kind} "${name}" not found`, reason: "NotFound", details: { name, kind }, code: 404 });
    const selector = url.searchParams.get("labelSelector")?.split("=") ?? [];
    let m: RegExpExecArray | null;
    if ((m = /^\/store\/(.+)-results\.json\.gz$/.exec(url.pathname))) {
      const results = rec.backupResults?.[m[1]];
      if (results === undefined) return send(404, { message: "NoSuchKey" });
      if (results instanceof Error) return send(403, { message: results.message });
      res.writeHead(200, { "content-type": "application/octet-stream" });
      return res.end(gzipSync(JSON.stringify(results)));
    }
    if (url.pathname === "/api/v1/namespaces" && req.method === "POST") {
      readBody(req, (body) => {
        createdNamespaces.push(body as NamespaceObject);
        send(201, body);
      });
      return undefined;
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(url.pathname))) {
      const ns = (rec.namespaces ?? []).find((n) => n.metadata.name === m![1]);
      return ns ? send(200, { apiVersion: "v1", kind: "Namespace", ...ns }) : notFound("namespaces", m[1]);
    }
    if (!(m = /^\/apis\/velero\.io\/v1\/namespaces\/([^/]+)\/([a-z]+)(?:\/([^/]+))?$/.exec(url.pathname))) return send(404, { kind: "Status", code: 404, message: "no route" });
    const [, namespace, plural, name] = m;
    if (plural === "backups" && !name) {
      const items = (rec.backups ?? []).filter((b) => b.metadata.namespace === namespace && b.metadata.labels?.[selector[0]] === selector[1]);
      return send(200, { apiVersion: "velero.io/v1", kind: "BackupList", items, metadata: { resourceVersion: "1" } });
    }
    if (plural === "backups") {
      const b = (rec.backups ?? []).find((x) => x.metadata.namespace === namespace && x.metadata.name === name);
      return b ? send(200, b) : notFound("backups.velero.io", name);
    }
    if (plural === "backupstoragelocations") {
      const b = (rec.bsls ?? []).find((x) => x.metadata.namespace === namespace && x.metadata.name === name);
      return b ? send(200, b) : notFound("backupstoragelocations.velero.io", name);
    }
    if (plural === "podvolumebackups") {
      const items = (rec.podVolumeBackups ?? []).filter((p) => p.metadata.namespace === namespace && p.metadata.labels?.[selector[0]] === selector[1]);
      return send(200, { apiVersion: "velero.io/v1", kind: "PodVolumeBackupList", items, metadata: {} });
    }
    if (plural === "downloadrequests" && req.method === "POST") {
      readBody(req, (body) => {
        const request = body as { metadata: { name: string }; spec: { target: { kind: string; name: string } } };
        downloadRequests.set(request.metadata.name, request.spec.target.name);
        send(201, request);
      });
      return undefined;
    }
    if (plural === "downloadrequests" && name) {
      const target = downloadRequests.get(name);
      if (!target) return notFound("downloadrequests.velero.io", name);
      return send(200, { apiVersion: "velero.io/v1", kind: "DownloadRequest", metadata: { name, namespace }, spec: { target: { kind: "BackupResults", name: target } }, status: { phase: "Processed", downloadURL: `${base}/store/${target}-results.json.gz?X-Amz-Signature=fake` } });
    }
    if (plural === "restores" && req.method === "POST") {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        const restore = JSON.parse(body) as VeleroRestore;
        created.push(restore);
        send(201, { ...restore, metadata: { ...restore.metadata, uid: "5d0c7a1e-93b2-4f6d-8e41-7b2a9c3d1f60", resourceVersion: "1", generation: 1 } });
      });
      return undefined;
    }
    if (plural === "restores" && name) {
      const recorded = (rec.polls ?? [])[Math.min(polls++, (rec.polls ?? []).length - 1)];
      return recorded && created.some((r) => r.metadata.name === name) ? send(200, { ...recorded, metadata: { ...recorded.metadata, name } }) : notFound("restores.velero.io", name);
    }
    if (plural === "podvolumerestores") {
      const lists = rec.pvrLists ?? [];
      return send(200, { apiVersion: "velero.io/v1", kind: "PodVolumeRestoreList", items: lists.length ? lists[Math.min(polls - 1, lists.length - 1)].items : [], metadata: {} });
    }
    return send(404, { kind: "Status", code: 404, message: "no route" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  const kubeconfig = join(dir, "kubeconfig-fake.yaml");
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "fake", cluster: { server: `http://127.0.0.1:${port}`, "insecure-skip-tls-verify": true } }],
      users: [{ name: "tester", user: { token: "fake-token" } }],
      contexts: [{ name: "fake", context: { cluster: "fake", user: "tester" } }],
      "current-context": "fake",
    }),
  );
  return { kubeconfig, requests, created, createdNamespaces, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** What one `npm run restore` did against a {@link FakeVeleroApi}: exit code, error message, output, calls, sleeps. */
/**
 * The recorded cluster of a tenant restore that completes: the tenants-daily backups, an available default location,
 * an existing cust-1001 namespace, and a Restore of it that the server reports running, then Completed.
 */
export function completedRestoreRecording(): Recording {
  const completed = fixture<{ polls: VeleroRestore[] }>("restore-cust-1001-completed.json");
  return {
    backups: fixture<{ items: VeleroBackup[] }>("backups-tenants-daily.json").items,
    bsls: [fixture("bsl-default-available.json")],
    namespaces: [fixture("namespace-cust-1001.json")],
    polls: [completed.polls[2], completed.polls[4]],
    pvrLists: fixture("podvolumerestores-cust-1001.json").slice(3),
  };
}

export interface FakeRestoreRun {
  readonly code: number;
  readonly error: string;
  readonly out: string;
  readonly lines: string[];
  readonly api: FakeVeleroApi;
  readonly sleeps: number[];
}

/** Runs the restore command with `argv` against `recording`, on a clock starting at `now` that sleeps advance. */
export async function runFakeRestore(argv: string[], recording: Recording, now: Date, tty = false): Promise<FakeRestoreRun> {
  let clock = now.getTime();
  const out: string[] = [];
  const sleeps: number[] = [];
  const api = new FakeVeleroApi(recording);
  let code: number;
  let error = "";
  try {
    code = await runRestore(parseRestoreArgs(argv)!, {
      api,
      now: () => new Date(clock),
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
      out: { write: (t) => out.push(t), isTTY: tty },
    });
  } catch (err) {
    code = exitCodeOf(err);
    error = (err as Error).message;
  }
  return { code, error, out: out.join(""), lines: out.join("").split("\n"), api, sleeps };
}
