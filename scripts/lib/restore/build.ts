/**
 * The velero.io/v1 Restore a tenant restore creates (docs/design.md §2(a): `velero restore create --from-backup
 * tenants-daily-<ts> --include-namespaces cust-1001 [--namespace-mappings cust-1001:<new>]`). Pure.
 */
import { FLOW_LABEL, LABEL_PREFIX, PART_OF_LABEL, OWNERSHIP_LABELS, PSA_LABELS, RESTORED_FROM_LABEL, VELERO_EXCLUDE_LABEL, type FlowName } from "../../../components/labels";
import type { NamespaceObject, VeleroRestore } from "./velero-types";

/** The flow label value of tenant restores (the same as the tenants Schedule's). */
export const TENANTS_FLOW: FlowName = "tenants";

/** `yyyyMMddHHmmss` in UTC, the suffix Velero itself gives scheduled Backups. */
export function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, "").replace(/[-:T]/g, "");
}

/** `<tenant>-<yyyyMMddHHmmss>`: deterministic for a given clock, sortable, unique per second. */
export function restoreName(tenant: string, now: Date): string {
  return `${tenant}-${timestamp(now)}`;
}

export interface RestoreRequest {
  /** Tenant namespace to restore, e.g. `cust-1001`. */
  readonly tenant: string;
  /** Backup to read from; unset (offline dry run): the newest Completed backup of `scheduleName`, chosen by Velero. */
  readonly backupName?: string;
  /** The schedule, when no backup is named. */
  readonly scheduleName?: string;
  /** Velero's namespace (where Backups and Restores live). */
  readonly veleroNamespace: string;
  /** Restore into this namespace instead of the tenant's own (namespace mapping); default: in place. */
  readonly targetNamespace?: string;
  /** The clock, for the name. */
  readonly now: Date;
}

/**
 * The Restore object: only the tenant's namespace, PV data restored (`restorePVs: true`), existing objects left as
 * they are (`existingResourcePolicy: none`: Velero skips, never overwrites or deletes).
 */
export function buildRestore(request: RestoreRequest): VeleroRestore {
  const mapped = request.targetNamespace !== undefined && request.targetNamespace !== request.tenant;
  return {
    apiVersion: "velero.io/v1",
    kind: "Restore",
    metadata: {
      name: restoreName(request.tenant, request.now),
      namespace: request.veleroNamespace,
      labels: { [PART_OF_LABEL]: OWNERSHIP_LABELS[PART_OF_LABEL], [FLOW_LABEL]: TENANTS_FLOW },
    },
    spec: {
      ...(request.backupName !== undefined ? { backupName: request.backupName } : { scheduleName: request.scheduleName }),
      includedNamespaces: [request.tenant],
      ...(mapped ? { namespaceMapping: { [request.tenant]: request.targetNamespace! } } : {}),
      restorePVs: true,
      existingResourcePolicy: "none",
    },
  };
}

/** Annotations on a namespace created for `--as`: where its content comes from. */
const COPY_ANNOTATIONS = { source: `${LABEL_PREFIX}restore-source`, backup: `${LABEL_PREFIX}restore-backup` } as const;

/**
 * The namespace `--as` restores into, created before the Restore so Velero restores into it and leaves its labels
 * alone (`pkg/util/kube/utils.go` EnsureNamespaceExistsAndIsReady, v1.18: an existing namespace is used as it is).
 * Velero's exclude label keeps it out of every backup; it carries no tenant label, so neither the opt-out sync nor the
 * drills (which select `tenant=true`) nor the admission policy take it for a tenant; the source's Pod Security labels
 * are copied so the restored pods run under the same level.
 */
export function buildCopyNamespace(request: { tenant: string; target: string; backupName?: string; sourceLabels?: Record<string, string> }): NamespaceObject {
  const prefix = PSA_LABELS[0].slice(0, PSA_LABELS[0].indexOf("/") + 1);
  const psa = Object.fromEntries(Object.entries(request.sourceLabels ?? {}).filter(([key]) => key.startsWith(prefix)));
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: request.target,
      labels: { ...psa, [VELERO_EXCLUDE_LABEL]: "true", [RESTORED_FROM_LABEL]: request.tenant },
      annotations: { [COPY_ANNOTATIONS.source]: request.tenant, ...(request.backupName !== undefined ? { [COPY_ANNOTATIONS.backup]: request.backupName } : {}) },
    },
  };
}
