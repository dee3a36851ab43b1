/**
 * Section anchors of the stack's restore runbook (RESTORE.md). The alerts link to them (`runbook_url`) and the
 * runbook generator writes its headings with them, so a link can only point at a section that exists. An anchor is
 * the `#fragment` part, without the `#`; the generator gives each section an explicit `<a id="...">` (or a heading
 * whose GitHub slug equals it).
 */

export const RUNBOOK_ANCHORS = {
  /** Restoring a tenant namespace from `tenants-daily`. */
  tenants: "tenants",
  /** Restoring system namespaces / cluster resources from `system-daily`. */
  system: "system",
  /** Restoring Garage metadata PVCs from the Ceph snapshot + data mover flow (`garage-meta-ceph`). */
  garageMetaCeph: "garage-meta-ceph",
  /** Rolling back Garage data from the local ZFS snapshots (`garage-data-zfs`). */
  garageDataZfs: "garage-data-zfs",
  /** Restoring Garage data from the zrepl replica on the backup node. */
  garageDataZrepl: "garage-data-zrepl",
  /** Restoring the Postgres dump (`postgres-backup`). */
  postgres: "postgres",
  /** Restoring an RBD volume from Benji. */
  benji: "benji",
  /** Backup storage locations: checking and repairing access to the buckets. */
  storageLocations: "storage-locations",
  /** Velero node-agent (fs-backup / fs-restore daemon). */
  nodeAgent: "node-agent",
  /** The restore drills: what they do, reading their outcome, cleaning up after a failed one. */
  drills: "restore-drills",
} as const;

export type RunbookAnchor = (typeof RUNBOOK_ANCHORS)[keyof typeof RUNBOOK_ANCHORS];

/** File name of the runbook in the repository. */
export const RUNBOOK_FILE = "RESTORE.md";

/**
 * Default `monitoring.runbookBaseUrl`: the runbook's path in this repository. Alert links then read
 * `RESTORE.md#tenants`; a stack sets the absolute URL of its rendered copy (e.g. the repository's web view) to make
 * them clickable.
 */
export const DEFAULT_RUNBOOK_BASE_URL = RUNBOOK_FILE;

/** `<base>#<anchor>`: the link to one runbook section. */
export function runbookUrl(baseUrl: string, anchor: RunbookAnchor): string {
  return `${baseUrl}#${anchor}`;
}
