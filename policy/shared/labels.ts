/**
 * The label and annotation vocabulary of the backup system (docs/design.md §6), shared by the policy pack and the program: the pack
 * must stay self-contained, so it lives here and components/labels.ts re-exports it. No other file spells them out.
 */

/** Namespace label set by the hosting panel on every tenant namespace `cust-<id>`. */
export const TENANT_LABEL = "tenant";
/** Namespace label carrying the tenant's choice: `true` (default when missing) or `false`. */
export const BACKUP_LABEL = "backup";
/** Velero's own opt-out label: on a Namespace it adds the namespace to every backup's exclusions. */
export const VELERO_EXCLUDE_LABEL = "velero.io/exclude-from-backup";
/** PVC label selecting Benji block backups (all namespaces) and, in `garage`, garage-meta-ceph. */
export const BACKUP_THIS_PVC_LABEL = "backup-this-pvc";
/** PVC label selecting the local ZFS snapshot flow garage-data-zfs (plus zrepl off-node copies). */
export const BACKUP_STRATEGY_LABEL = "backup-strategy";
/** The only value of {@link BACKUP_STRATEGY_LABEL} this system knows. */
export const BACKUP_STRATEGY_ZFS_LOCAL = "zfs-local";
/** VolumeSnapshotClass label marking Velero's class for a CSI driver (one per driver). */
export const VELERO_VSC_LABEL = "velero.io/csi-volumesnapshot-class";
/** Benji version label scoping `enforce` to one installation. */
export const BENJI_INSTANCE_LABEL = "benji-backup.me/instance";
/**
 * DNS prefix of every label and annotation key this project defines (Kubernetes reserves unprefixed keys for the
 * user and recommends a domain the owner controls). Until the DNS-prefix migration the keys were `cluster-backup/...`;
 * docs/labels.md says what that rename changes for an existing stack.
 */
export const LABEL_PREFIX = "cluster-backup.io/";
/** The prefix the keys carried before the DNS-prefix migration (docs/labels.md, "Migration"). */
export const LEGACY_LABEL_PREFIX = "cluster-backup/";
/** Flow label on Schedules, their Backups, CronJobs and DaemonSets (monitoring, restore lookup). */
export const FLOW_LABEL = `${LABEL_PREFIX}flow`;
/** The flow label before the DNS prefix: Backups of older Schedules and plans written before it still carry it. */
export const LEGACY_FLOW_LABEL = `${LEGACY_LABEL_PREFIX}flow`;
/** Annotation on a Role or ClusterRole naming the ValidatingAdmissionPolicy that narrows its unnarrowable grants. */
export const ADMISSION_POLICY_ANNOTATION = `${LABEL_PREFIX}admission-policy`;
/**
 * Restore-drill label: on the drill CronJobs, their Restores and the scratch namespaces they create (value: the drill,
 * `tenants` or `postgres`). The drill only ever deletes a namespace that carries it.
 */
export const DRILL_LABEL = `${LABEL_PREFIX}drill`;
/** Name prefix of the drills' scratch namespaces (`drill-<source>-<yyyymmddhhmm>`); never a tenant prefix. */
export const DRILL_NAMESPACE_PREFIX = "drill-";
/**
 * On a namespace `npm run restore -- --as <namespace>` created for a tenant's copy (value: the tenant). Such a copy
 * carries Velero's exclude label and no tenant label: no Schedule, drill or opt-out sync takes it for a tenant.
 */
export const RESTORED_FROM_LABEL = `${LABEL_PREFIX}restored-from`;

/** Pod Security Admission label keys; the program sets all three on its privileged namespaces. */
export const PSA_LABELS = [
  "pod-security.kubernetes.io/enforce",
  "pod-security.kubernetes.io/audit",
  "pod-security.kubernetes.io/warn",
] as const;

/** Ownership labels carried by every object of this program. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const PART_OF_LABEL = "app.kubernetes.io/part-of";
export const OWNERSHIP_LABELS: Readonly<Record<string, string>> = {
  [MANAGED_BY_LABEL]: "pulumi",
  [PART_OF_LABEL]: "cluster-backup",
};
/** Recommended labels naming a workload's application and its role, on pods selected by Services and monitors. */
export const APP_NAME_LABEL = "app.kubernetes.io/name";
export const APP_COMPONENT_LABEL = "app.kubernetes.io/component";
export const APP_INSTANCE_LABEL = "app.kubernetes.io/instance";

/** Tenant namespaces are named `cust-<id>`; this prefix is the whole tenant contract with the panel. */
export const TENANT_NAMESPACE_PREFIX = "cust-";

/** Velero pod annotations (values are pod volume names, not PVC names). */
export const VELERO_ANNOTATIONS = {
  backupVolumes: "backup.velero.io/backup-volumes",
  backupVolumesExcludes: "backup.velero.io/backup-volumes-excludes",
  preHookContainer: "pre.hook.backup.velero.io/container",
  preHookCommand: "pre.hook.backup.velero.io/command",
  preHookOnError: "pre.hook.backup.velero.io/on-error",
  preHookTimeout: "pre.hook.backup.velero.io/timeout",
  postHookContainer: "post.hook.backup.velero.io/container",
  postHookCommand: "post.hook.backup.velero.io/command",
  postHookOnError: "post.hook.backup.velero.io/on-error",
  postHookTimeout: "post.hook.backup.velero.io/timeout",
  /** On a PVC: the VolumeSnapshotClass to use for it. */
  pvcSnapshotClass: "velero.io/csi-volumesnapshot-class",
} as const;

/** The backup flows of docs/design.md §1, as they appear in {@link FLOW_LABEL}. */
export type FlowName =
  | "tenants"
  | "system"
  | "garage-meta-ceph"
  | "garage-data-zfs"
  | "postgres"
  | "benji"
  | "zrepl"
  | "tenant-optout";

/** Ownership labels plus, where given, the flow label. */
export function standardLabels(flow?: FlowName): Record<string, string> {
  return flow ? { ...OWNERSHIP_LABELS, [FLOW_LABEL]: flow } : { ...OWNERSHIP_LABELS };
}

/** PSA labels allowing privileged and hostPath pods (Velero node-agent, Benji, zrepl). */
export function podSecurityLabels(level: "privileged" | "baseline" | "restricted"): Record<string, string> {
  return Object.fromEntries(PSA_LABELS.map((key) => [key, level]));
}
