/**
 * The flow inventory's record types: one {@link Flow} per backup flow, computed purely from the components' plain args
 * (components/stack-args.ts maps the stack config to them). Alerts, coverage, the runbook, the plan summary and the
 * architecture diagram are all derived from one {@link FlowInventory}; the stack exports it as `flows`.
 *
 * Everything here is plain JSON data (no Pulumi outputs, no secrets) so another stack can read the export.
 */
import type { FlowName } from "../labels";
import type { RunbookAnchor } from "../runbook-anchors";
import type { RepoMaintenanceTarget } from "../monitoring/repo-maintenance";
import type { ZreplSinkTarget } from "../monitoring/zrepl-sink";

/** A Kubernetes object that implements, watches or verifies a flow. */
export interface ObjectRef {
  readonly kind: "Schedule" | "CronJob" | "DaemonSet" | "BackupStorageLocation" | "Deployment";
  /** Empty for none (every kind here is namespaced). */
  readonly namespace: string;
  readonly name: string;
  /** Set when a Helm chart renders the object (the Velero chart: node-agent, the locations), not this program directly. */
  readonly renderedBy?: "velero-chart";
}

/** How a flow copies its data. */
export type Mechanism =
  /** Velero: objects + file-system backup of every pod volume (node-agent, kopia). */
  | "velero-fs"
  /** Velero: objects + CSI snapshot moved to the bucket by the data mover. */
  | "velero-csi-datamover"
  /** Velero: objects + CSI snapshot left on the node (no data move). */
  | "velero-csi-local"
  /** Velero: objects + a dump made by pre-backup hooks, fs-backup of the dump volume. */
  | "velero-hooks"
  /** Velero: Kubernetes objects only. */
  | "velero-objects"
  /** Benji: RBD snapshot + block-level diff. */
  | "benji-rbd"
  /** zrepl: periodic ZFS snapshots replicated with zfs send/recv. */
  | "zrepl";

/** What a flow selects, in a form data classes can be matched against. */
export interface Selection {
  /** Namespace globs included (`*` = all). */
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /** Object label selector (matchLabels); undefined = every object. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Cluster-scoped resources included. */
  readonly clusterResources: boolean;
  /** How volume data is captured: pod volume files, CSI/RBD block snapshots, ZFS datasets, hook-annotated volumes, or none. */
  readonly volumes: "files" | "block" | "zfs" | "annotated-files" | "none";
  /** Storage the flow can read volumes of (`rbd` for Benji, `zfs` for zrepl); undefined = any. */
  readonly storage?: "rbd" | "zfs";
  /** Human form. */
  readonly text: string;
}

/** When a flow runs: a cron in a zone, or a fixed interval. */
export type FlowSchedule =
  | { readonly cron: string; readonly timeZone: string; readonly text: string }
  | { readonly everySeconds: number; readonly text: string };

/**
 * Where a flow's copy lands, as a key the stack's other exports resolve: a Velero location name (exports
 * `backupStorageLocations` and `buckets`), the Benji store (`buckets.benji`), or a place outside any bucket.
 */
export type FlowDestination =
  | { readonly kind: "velero-location"; readonly location: string }
  /** The Benji store; its versions carry the instance label `benji-backup.me/instance=<instance>`. */
  | { readonly kind: "benji-storage"; readonly store: "benji"; readonly instance: string }
  /** Volume snapshots stay in the source node's ZFS pool; the objects go to `location`. */
  | { readonly kind: "node-local"; readonly location: string; readonly immutability: string }
  /** A ZFS pool on another node, reached through zrepl. */
  | {
      readonly kind: "zfs-sink";
      readonly node: string;
      /** Where the copies land, e.g. `wdc/zrepl/garage/tank/garage/…`. */
      readonly dataset: string;
      /** The dataset below which the sink stores this client's filesystems (`<root_fs>/<client identity>`). */
      readonly replicaRoot: string;
      /** host:port the copies are sent to. */
      readonly address: string;
      readonly immutability: string;
    };

export type Severity = "critical" | "warning";

/** What every watch has. */
interface WatchBase {
  /** The flow label value the alerts carry (`tenants`, `benji`, `velero`, `tenant-optout`, ...). */
  readonly flow: string;
  readonly anchor: RunbookAnchor;
  /** The PromQL selector of the series that proves it works, e.g. `velero_backup_last_successful_timestamp{schedule="tenants-daily"}`. */
  readonly metric: string;
}

/** A Velero Schedule whose backups must succeed in time. */
export interface ScheduleWatch extends WatchBase {
  readonly kind: "schedule";
  readonly object: ObjectRef;
  /** The cron without time zone. */
  readonly cron: string;
  readonly intervalSeconds: number;
  readonly staleAfterSeconds: number;
  /** The backup storage location it writes to. */
  readonly location: string;
}

/** A CronJob whose Jobs must succeed in time (Benji, drills, the opt-out sync). */
export interface CronJobWatch extends WatchBase {
  readonly kind: "cronjob";
  readonly object: ObjectRef;
  /** What the job is to its flow: `backup`, `enforce`, `cleanup`, `drill`, `sync`, ... */
  readonly role: string;
  readonly cron: string;
  readonly intervalSeconds: number;
  readonly staleAfterSeconds: number;
  /** What one run does. */
  readonly purpose: string;
  /** Severity when it has not succeeded in time. */
  readonly severity: Severity;
  /** Its own alert names and what a failed Job means (Benji's integrity CronJobs); absent = its group's alerts. */
  readonly alert?: { readonly prefix: string; readonly failedSeverity: Severity; readonly failedMeaning: string };
}

/** A DaemonSet whose pods must be ready. */
export interface DaemonSetWatch extends WatchBase {
  readonly kind: "daemonset";
  readonly object: ObjectRef;
  readonly purpose: string;
}

/** A Velero backup storage location that must stay available. */
export interface LocationWatch extends WatchBase {
  readonly kind: "location";
  readonly object: ObjectRef;
  /** Schedules writing to it. */
  readonly schedules: readonly string[];
}

/** A zrepl job whose replication must succeed in time. */
export interface ZreplJobWatch extends WatchBase {
  readonly kind: "zrepl-job";
  /** zrepl job name (the `zrepl_job` metric label). */
  readonly job: string;
  /** The DaemonSet running the job (for the `zrepl status` hint). */
  readonly object: ObjectRef;
  /** Snapshot (and replication) interval. */
  readonly intervalSeconds: number;
  /** Age of the last replication that alerts (flows.zrepl.lagThreshold). */
  readonly lagSeconds: number;
}

/** Velero's kopia repository maintenance (every BackupRepository), which must succeed within its frequency. */
export interface RepoMaintenanceWatch extends WatchBase {
  readonly kind: "repo-maintenance";
  /** The Velero server, which runs the maintenance Jobs of every BackupRepository. */
  readonly object: ObjectRef;
  readonly target: RepoMaintenanceTarget;
}

/** The zrepl sink check: per expected dataset on the backup node, its newest snapshot and whether it is readable. */
export interface ZreplSinkWatch extends WatchBase {
  readonly kind: "zrepl-sink";
  /** The sink DaemonSet whose pod runs the check. */
  readonly object: ObjectRef;
  readonly target: ZreplSinkTarget;
}

/** What Prometheus sees succeed, with thresholds already derived. */
export type Watch = ScheduleWatch | CronJobWatch | DaemonSetWatch | LocationWatch | ZreplJobWatch | RepoMaintenanceWatch | ZreplSinkWatch;

/** A periodic proof that a flow's copies can be read back. */
export interface Verification {
  /** `drill`: restores a backup and checks it; `scrub`: reads the stored data back against its checksums. */
  readonly kind: "drill" | "scrub";
  /** Short name, e.g. `tenants` (the drill kind). */
  readonly name: string;
  /** What one run proves. */
  readonly purpose: string;
  /** The CronJob that runs it; its Jobs' status is the result. */
  readonly watch: CronJobWatch;
  /** A drill that rotates through the flow's namespaces: each is restored at least once per this many weeks. */
  readonly rotationWeeks?: number;
}

/** One backup flow: what it covers, how, when, where the copy lands, how its success is seen and proven. */
export interface Flow {
  /** Flow label value. */
  readonly id: FlowName;
  /** Config key of the flow, e.g. `flows.garageMetaCeph`. */
  readonly configPath: string;
  readonly mechanism: Mechanism;
  /** The objects that implement it. */
  readonly objects: readonly ObjectRef[];
  readonly selection: Selection;
  readonly schedule: FlowSchedule;
  /** Worst-case gap between two runs (zrepl: the snapshot interval; transfer time comes on top). */
  readonly rpoSeconds: number;
  readonly retention: { readonly text: string; readonly oldestRestorePointSeconds: number };
  readonly destination: FlowDestination;
  /** Encryption at rest and in transit, in words. */
  readonly encryption: string;
  /** Where the data is read, when the selection does not say it by namespace: a node's ZFS datasets, Ceph RBD pools. */
  readonly source?: { readonly node?: string; readonly datasets?: readonly string[]; readonly pools?: readonly string[] };
  /** Where the dump hooks must sit (velero-hooks): the workload whose pod template carries them. */
  readonly hooks?: { readonly namespace: string; readonly workload: string };
  readonly watches: readonly Watch[];
  readonly verifiedBy: readonly Verification[];
  /** The metric selectors that prove it ran (those of its watches). */
  readonly metrics: readonly string[];
  readonly anchor: RunbookAnchor;
}

/** Every flow of a stack, and the watches they share (locations, Velero's node-agent, the opt-out sync). */
export interface FlowInventory {
  /** IANA zone of every cron. */
  readonly timeZone: string;
  /** Velero's namespace (velero.namespace, also without a Velero flow). */
  readonly veleroNamespace: string;
  readonly flows: readonly Flow[];
  readonly infrastructure: readonly Watch[];
}
