/**
 * {@link VeleroApi} over the Kubernetes API with @kubernetes/client-node (the current kubeconfig, as kubectl reads
 * it: $KUBECONFIG, else ~/.kube/config, else the in-cluster service account).
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { gunzipSync } from "node:zlib";
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { ApiError, failureOfStatus, type VeleroApi } from "./client";
import { EXIT, RestoreError } from "./exit-codes";
import {
  BACKUP_NAME_LABEL,
  RESTORE_NAME_LABEL,
  VELERO_GROUP,
  VELERO_VERSION,
  veleroLabelValue,
  type BackupResultsFile,
  type BackupStorageLocation,
  type NamespaceInfo,
  type NamespaceObject,
  type PodVolumeBackup,
  type PodVolumeRestore,
  type VeleroBackup,
  type VeleroRestore,
} from "./velero-types";

/** How long one API call may take before the cluster counts as unreachable. */
const REQUEST_TIMEOUT_MS = 30_000;
/** How long Velero may take to sign a DownloadRequest, and the download may take (the velero CLI waits 1 minute). */
const DOWNLOAD_TIMEOUT_MS = 60_000;
const DOWNLOAD_POLL_MS = 250;

/** Network error codes meaning "no API server answered". */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_SOCKET", "DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "CERT_HAS_EXPIRED", "ERR_TLS_CERT_ALTNAME_INVALID"]);

/**
 * Reads the kubeconfig kubectl would use. Throws an {@link ApiError} `unreachable` when there is none (client-node
 * would otherwise silently fall back to http://localhost:8080) or it cannot be read; a usage error for an unknown
 * context (a wrong argument, not a refused request).
 */
export function loadKubeConfig(context?: string, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  const paths = (env.KUBECONFIG ?? "").split(":").filter(Boolean);
  const home = join(env.HOME ?? homedir(), ".kube", "config");
  if (paths.length === 0 && !existsSync(home) && !env.KUBERNETES_SERVICE_HOST) {
    throw new ApiError("unreachable", `no cluster reachable: no kubeconfig found (KUBECONFIG is unset and ${home} does not exist); point KUBECONFIG at the cluster's kubeconfig`);
  }
  try {
    kc.loadFromDefault();
  } catch (err) {
    throw new ApiError("unreachable", `no cluster reachable: cannot read the kubeconfig ${paths.join(":") || home}: ${(err as Error).message}`);
  }
  if (context !== undefined) {
    if (!kc.getContextObject(context)) {
      throw new RestoreError(EXIT.usage, `--context '${context}': the kubeconfig has no such context; it has: ${kc.getContexts().map((c) => c.name).join(", ") || "none"}`);
    }
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster()) {
    throw new ApiError("unreachable", `no cluster reachable: the kubeconfig's current context '${kc.getCurrentContext()}' names no cluster`);
  }
  return kc;
}

function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function deepestMessage(err: unknown): string {
  let current = err as { message?: string; cause?: unknown };
  while (current?.cause && typeof current.cause === "object") current = current.cause as { message?: string; cause?: unknown };
  return current?.message ?? String(err);
}

/** The `message` of a Kubernetes Status body (a JSON string or object), if any. */
function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.trim() || undefined;
    }
  }
  const message = (parsed as { message?: unknown } | undefined)?.message;
  return typeof message === "string" ? message : undefined;
}

/** Turns whatever client-node threw into a classified {@link ApiError}. */
function classifyError(err: unknown, target: string, what: string): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ApiException || (typeof (err as { code?: unknown })?.code === "number" && "body" in (err as object))) {
    const status = (err as ApiException<unknown>).code;
    const failure = failureOfStatus(status);
    const detail = statusMessage((err as ApiException<unknown>).body);
    const hints: Record<string, string> = {
      unauthorized: "the kubeconfig's credentials were rejected",
      forbidden: "the kubeconfig's user may not do this",
    };
    return new ApiError(failure, `${what}: HTTP ${status}${detail ? `: ${detail}` : hints[failure] ? `: ${hints[failure]}` : ""}`, status);
  }
  const code = errorCode(err);
  const message = (err as Error)?.message ?? String(err);
  if ((err instanceof TypeError && message === "fetch failed") || (code && UNREACHABLE_CODES.has(code))) {
    const reason = deepestMessage(err);
    // undici refuses the ports of the fetch standard's block list (1, 7, 9, 25...) before connecting.
    const explained = reason === "bad port" ? "bad port (the HTTP client refuses to connect to that port)" : reason;
    return new ApiError("unreachable", `no cluster reachable at ${target}: ${explained}`);
  }
  return new ApiError("other", `${what}: ${message}`);
}

function withTimeout<T>(promise: Promise<T>, target: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ApiError("unreachable", `no cluster reachable at ${target}: no answer within ${REQUEST_TIMEOUT_MS / 1000}s`)), REQUEST_TIMEOUT_MS);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** {@link VeleroApi} against the cluster of a kubeconfig. */
export class KubeVeleroApi implements VeleroApi {
  readonly target: string;
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;

  constructor(kc: KubeConfig) {
    this.target = `${kc.getCurrentCluster()?.server ?? "?"} (context ${kc.getCurrentContext()})`;
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await withTimeout(run(), this.target);
    } catch (err) {
      throw classifyError(err, this.target, what);
    }
  }

  private async optional<T>(what: string, run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.call(what, run);
    } catch (err) {
      if (err instanceof ApiError && err.failure === "not-found") return undefined;
      throw err;
    }
  }

  private velero(namespace: string, plural: string) {
    return { group: VELERO_GROUP, version: VELERO_VERSION, namespace, plural };
  }

  async listBackups(namespace: string, labelSelector: string): Promise<VeleroBackup[]> {
    const list = await this.call(`listing Backups in ${namespace}`, () => this.custom.listNamespacedCustomObject({ ...this.velero(namespace, "backups"), labelSelector }));
    return ((list as { items?: VeleroBackup[] }).items ?? []) as VeleroBackup[];
  }

  getBackup(namespace: string, name: string): Promise<VeleroBackup | undefined> {
    return this.optional(`reading Backup ${namespace}/${name}`, () => this.custom.getNamespacedCustomObject({ ...this.velero(namespace, "backups"), name }) as Promise<VeleroBackup>);
  }

  getBackupStorageLocation(namespace: string, name: string): Promise<BackupStorageLocation | undefined> {
    return this.optional(`reading BackupStorageLocation ${namespace}/${name}`, () => this.custom.getNamespacedCustomObject({ ...this.velero(namespace, "backupstoragelocations"), name }) as Promise<BackupStorageLocation>);
  }

  async getNamespace(name: string): Promise<NamespaceInfo | undefined> {
    const ns = await this.optional(`reading Namespace ${name}`, () => this.core.readNamespace({ name }));
    if (!ns) return undefined;
    const created = ns.metadata?.creationTimestamp as unknown;
    return {
      name,
      ...(ns.metadata?.labels ? { labels: ns.metadata.labels } : {}),
      ...(created ? { creationTimestamp: created instanceof Date ? created.toISOString().replace(/\.\d+Z$/, "Z") : String(created) } : {}),
      ...(ns.status?.phase ? { phase: ns.status.phase } : {}),
    };
  }

  async createNamespace(namespace: NamespaceObject): Promise<void> {
    await this.call(`creating Namespace ${namespace.metadata.name}`, () => this.core.createNamespace({ body: namespace }));
  }

  async listPodVolumeBackups(namespace: string, backupName: string): Promise<PodVolumeBackup[]> {
    const list = await this.call(`listing PodVolumeBackups in ${namespace}`, () =>
      this.custom.listNamespacedCustomObject({ ...this.velero(namespace, "podvolumebackups"), labelSelector: `${BACKUP_NAME_LABEL}=${veleroLabelValue(backupName)}` }),
    );
    return ((list as { items?: PodVolumeBackup[] }).items ?? []) as PodVolumeBackup[];
  }

  /** As velero's `pkg/cmd/util/downloadrequest/downloadrequest.go` (v1.18): DownloadRequest, signed URL, gzip JSON. */
  async readBackupResults(namespace: string, backupName: string): Promise<BackupResultsFile | undefined> {
    const name = `${backupName}-${randomUUID()}`;
    const body = { apiVersion: `${VELERO_GROUP}/${VELERO_VERSION}`, kind: "DownloadRequest", metadata: { name, namespace }, spec: { target: { kind: "BackupResults", name: backupName } } };
    await this.call(`creating DownloadRequest ${namespace}/${name}`, () => this.custom.createNamespacedCustomObject({ ...this.velero(namespace, "downloadrequests"), body }));
    const deadline = Date.now() + DOWNLOAD_TIMEOUT_MS;
    let url: string | undefined;
    while (!url) {
      const request = await this.call(`reading DownloadRequest ${namespace}/${name}`, () => this.custom.getNamespacedCustomObject({ ...this.velero(namespace, "downloadrequests"), name }));
      url = (request as { status?: { downloadURL?: string } }).status?.downloadURL || undefined;
      if (url) break;
      if (Date.now() > deadline) throw new Error(`Velero did not sign DownloadRequest ${namespace}/${name} within ${DOWNLOAD_TIMEOUT_MS / 1000}s (is the backup storage location available?)`);
      await delay(DOWNLOAD_POLL_MS);
    }
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
    } catch (err) {
      throw new Error(`downloading the results from the object store failed: ${deepestMessage(err)}`);
    }
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`downloading the results from the object store failed: HTTP ${response.status}`);
    return JSON.parse(gunzipSync(Buffer.from(await response.arrayBuffer())).toString("utf8")) as BackupResultsFile;
  }

  async createRestore(restore: VeleroRestore): Promise<VeleroRestore> {
    const namespace = restore.metadata.namespace!;
    return (await this.call(`creating Restore ${namespace}/${restore.metadata.name}`, () =>
      this.custom.createNamespacedCustomObject({ ...this.velero(namespace, "restores"), body: restore }),
    )) as VeleroRestore;
  }

  getRestore(namespace: string, name: string): Promise<VeleroRestore | undefined> {
    return this.optional(`reading Restore ${namespace}/${name}`, () => this.custom.getNamespacedCustomObject({ ...this.velero(namespace, "restores"), name }) as Promise<VeleroRestore>);
  }

  async listPodVolumeRestores(namespace: string, restoreName: string): Promise<PodVolumeRestore[]> {
    const list = await this.call(`listing PodVolumeRestores in ${namespace}`, () =>
      this.custom.listNamespacedCustomObject({ ...this.velero(namespace, "podvolumerestores"), labelSelector: `${RESTORE_NAME_LABEL}=${veleroLabelValue(restoreName)}` }),
    );
    return ((list as { items?: PodVolumeRestore[] }).items ?? []) as PodVolumeRestore[];
  }
}
