import { createHash } from "node:crypto";

/**
 * The parts of Velero's `velero.io/v1` objects the restore command reads or writes (Velero v1.18 CRDs, vendored in
 * test/fixtures/velero-crds). Fields are optional where the API server may omit them.
 */

/** Velero's label on every Backup a Schedule creates (`pkg/apis/velero/v1/labels_annotations.go`). */
export const SCHEDULE_NAME_LABEL = "velero.io/schedule-name";
/** Velero's label on the PodVolumeBackups of a backup (`pkg/apis/velero/v1/labels_annotations.go` BackupNameLabel). */
export const BACKUP_NAME_LABEL = "velero.io/backup-name";
/** Velero's label on the PodVolumeRestores (and other objects) of a restore. */
export const RESTORE_NAME_LABEL = "velero.io/restore-name";
/** API group and version of Velero's custom resources. */
export const VELERO_GROUP = "velero.io";
export const VELERO_VERSION = "v1";

/**
 * The value Velero writes into a label for an object name (`pkg/label/label.go` GetValidName): names longer than 63
 * characters become their first 57 characters plus 6 hex characters of their sha256.
 */
export function veleroLabelValue(name: string): string {
  if (name.length <= 63) return name;
  return name.slice(0, 57) + createHash("sha256").update(name).digest("hex").slice(0, 6);
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Backup phases (CRD enum). */
export type BackupPhase =
  | "New"
  | "Queued"
  | "ReadyToStart"
  | "FailedValidation"
  | "InProgress"
  | "WaitingForPluginOperations"
  | "WaitingForPluginOperationsPartiallyFailed"
  | "Finalizing"
  | "FinalizingPartiallyFailed"
  | "Completed"
  | "PartiallyFailed"
  | "Failed"
  | "Deleting";

export interface VeleroBackup {
  apiVersion: "velero.io/v1";
  kind: "Backup";
  metadata: ObjectMeta;
  spec: {
    includedNamespaces?: string[];
    excludedNamespaces?: string[];
    storageLocation?: string;
    ttl?: string;
    [field: string]: unknown;
  };
  status?: {
    phase?: BackupPhase;
    startTimestamp?: string;
    completionTimestamp?: string;
    expiration?: string;
    progress?: { itemsBackedUp?: number; totalItems?: number } | null;
    warnings?: number;
    errors?: number;
    failureReason?: string;
    [field: string]: unknown;
  };
}

/** Restore phases (CRD enum). */
export type RestorePhase =
  | "New"
  | "FailedValidation"
  | "InProgress"
  | "WaitingForPluginOperations"
  | "WaitingForPluginOperationsPartiallyFailed"
  | "Completed"
  | "PartiallyFailed"
  | "Failed"
  | "Finalizing"
  | "FinalizingPartiallyFailed";

/** The RestoreSpec fields this command sets. */
export interface RestoreSpec {
  /** The backup; unset only in an offline dry run, which names the schedule instead. */
  backupName?: string;
  /** Velero restores from the newest Completed backup of this schedule when backupName is empty. */
  scheduleName?: string;
  includedNamespaces: string[];
  namespaceMapping?: Record<string, string>;
  restorePVs: boolean;
  existingResourcePolicy: "none";
}

export interface VeleroRestore {
  apiVersion: "velero.io/v1";
  kind: "Restore";
  metadata: ObjectMeta;
  spec: RestoreSpec;
  status?: {
    phase?: RestorePhase;
    startTimestamp?: string;
    completionTimestamp?: string;
    progress?: { itemsRestored?: number; totalItems?: number } | null;
    warnings?: number;
    errors?: number;
    failureReason?: string;
    validationErrors?: string[];
    [field: string]: unknown;
  };
}

export interface BackupStorageLocation {
  apiVersion: "velero.io/v1";
  kind: "BackupStorageLocation";
  metadata: ObjectMeta;
  spec: { provider: string; objectStorage: { bucket: string; prefix?: string }; [field: string]: unknown };
  status?: { phase?: "Available" | "Unavailable"; message?: string; lastValidationTime?: string; [field: string]: unknown };
}

export interface PodVolumeRestore {
  apiVersion: "velero.io/v1";
  kind: "PodVolumeRestore";
  metadata: ObjectMeta;
  spec: { pod: { name?: string; namespace?: string }; volume: string; [field: string]: unknown };
  status?: { phase?: string; progress?: { bytesDone?: number; totalBytes?: number }; message?: string; [field: string]: unknown };
}

export interface PodVolumeBackup {
  apiVersion: "velero.io/v1";
  kind: "PodVolumeBackup";
  metadata: ObjectMeta;
  spec: { pod: { name?: string; namespace?: string }; volume: string; [field: string]: unknown };
  status?: { phase?: "New" | "Accepted" | "Prepared" | "InProgress" | "Canceling" | "Canceled" | "Completed" | "Failed"; message?: string; [field: string]: unknown };
}

/**
 * A backup's `<backup>-results.gz` in object storage (DownloadRequest target kind BackupResults): the warnings and
 * errors Velero logged, by where they happened (`pkg/util/results/result.go`, `pkg/util/logging/log_counter_hook.go`:
 * an entry with a `namespace` field goes under it, "" under cluster, none under velero).
 */
export interface BackupResultsFile {
  errors?: ResultMessages;
  warnings?: ResultMessages;
}

export interface ResultMessages {
  velero?: string[];
  cluster?: string[];
  namespaces?: Record<string, string[]>;
}

/** A Namespace to create (the target of `--as`). */
export interface NamespaceObject {
  apiVersion: "v1";
  kind: "Namespace";
  metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
}

/** What the command needs of a Namespace. */
export interface NamespaceInfo {
  name: string;
  labels?: Record<string, string>;
  creationTimestamp?: string;
  /** `status.phase`: Active or Terminating. */
  phase?: string;
}
