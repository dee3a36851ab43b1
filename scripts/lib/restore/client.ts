/**
 * The few Kubernetes API calls the restore command makes, behind an interface: the command is tested against recorded
 * API responses through a fake, and runs against a cluster through {@link ./kube-client}.
 */
import type { BackupResultsFile, BackupStorageLocation, NamespaceInfo, NamespaceObject, PodVolumeBackup, PodVolumeRestore, VeleroBackup, VeleroRestore } from "./velero-types";

export interface VeleroApi {
  /** Where requests go, for messages: `https://host:6443 (context admin@prod)`. */
  readonly target: string;
  /** Backups in `namespace` carrying the label selector (`velero.io/schedule-name=tenants-daily`). */
  listBackups(namespace: string, labelSelector: string): Promise<VeleroBackup[]>;
  /** The Backup, or undefined when it does not exist. */
  getBackup(namespace: string, name: string): Promise<VeleroBackup | undefined>;
  /** The BackupStorageLocation, or undefined when it does not exist. */
  getBackupStorageLocation(namespace: string, name: string): Promise<BackupStorageLocation | undefined>;
  /** The Namespace, or undefined when it does not exist. */
  getNamespace(name: string): Promise<NamespaceInfo | undefined>;
  /** Creates the namespace a restore with `--as` goes into. */
  createNamespace(namespace: NamespaceObject): Promise<void>;
  /** PodVolumeBackups of a backup (label `velero.io/backup-name`). */
  listPodVolumeBackups(namespace: string, backupName: string): Promise<PodVolumeBackup[]>;
  /**
   * The backup's results file, read as `velero backup describe --details` does (a DownloadRequest, then its signed
   * URL); undefined when the object store has none. Throws when it cannot be read.
   */
  readBackupResults(namespace: string, backupName: string): Promise<BackupResultsFile | undefined>;
  /** Creates the Restore and returns it as stored. */
  createRestore(restore: VeleroRestore): Promise<VeleroRestore>;
  /** The Restore, or undefined when it does not exist. */
  getRestore(namespace: string, name: string): Promise<VeleroRestore | undefined>;
  /** PodVolumeRestores of a restore (label `velero.io/restore-name`). */
  listPodVolumeRestores(namespace: string, restoreName: string): Promise<PodVolumeRestore[]>;
}

/** Why an API call failed. */
export type ApiFailure = "unreachable" | "unauthorized" | "forbidden" | "not-found" | "conflict" | "other";

/** A failed API call, classified. */
export class ApiError extends Error {
  constructor(
    readonly failure: ApiFailure,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The failure class of an HTTP status code. */
export function failureOfStatus(status: number): ApiFailure {
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "not-found";
  if (status === 409) return "conflict";
  return "other";
}
