/**
 * The velero.io/v1 Restore a tenant restore creates (SPEC §2(a): `velero restore create --from-backup
 * tenants-daily-<ts> --include-namespaces cust-1001 [--namespace-mappings cust-1001:<new>]`). Pure.
 */
import { FLOW_LABEL, PART_OF_LABEL, OWNERSHIP_LABELS, type FlowName } from "../../../components/labels";
import type { VeleroRestore } from "./velero-types";

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
  /** Backup to read from. */
  readonly backupName: string;
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
      backupName: request.backupName,
      includedNamespaces: [request.tenant],
      ...(mapped ? { namespaceMapping: { [request.tenant]: request.targetNamespace! } } : {}),
      restorePVs: true,
      existingResourcePolicy: "none",
    },
  };
}
