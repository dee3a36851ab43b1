/**
 * What the stack backs up, derived from what the program registered (never a hand-kept list, so it cannot drift):
 * the Velero Schedules, the Benji CronJobs and the zrepl DaemonSets + ConfigMaps among the run's Kubernetes objects,
 * and the exports `backupStorageLocations` and `buckets`. One row per flow (selection, mechanism, schedule, RPO,
 * retention and oldest restore point, destination, encryption, immutability), then the data classes of docs/design.md §1 with
 * the flows covering each, and the gaps. Pure: `plan` writes the result as coverage.md and coverage.json.
 */
import { parse } from "yaml";
import { BACKUP_STRATEGY_LABEL, BACKUP_STRATEGY_ZFS_LOCAL, BACKUP_THIS_PVC_LABEL, FLOW_LABEL, TENANT_NAMESPACE_PREFIX, VELERO_ANNOTATIONS, type FlowName } from "../../components/labels";
import { cronMaxIntervalSeconds } from "../../components/schema/cron";
import { parseGoDuration } from "../../components/schema/duration";
import { namespaceGlobMatches } from "../../components/schema/namespace-glob";
import { parseBenjiRetention, type BenjiRetentionCategory } from "../../components/benji/retention";
import { gridSpanSeconds, parseGrid, parseZreplDuration } from "../../components/zrepl/grid";
import { REPO_CREDENTIALS_SECRET } from "../../components/velero/values";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** docs/design.md §1 default namespaces, used only when no flow of the stack names them (the data class still exists). */
const DESIGN_DEFAULT_NAMESPACES = { garage: "garage", postgres: "postgres", system: "kube-system" } as const;
/** Rows are listed in the order of docs/design.md §1; flows it does not name follow, by name. */
const FLOW_ORDER: readonly FlowName[] = ["tenants", "system", "garage-meta-ceph", "garage-data-zfs", "postgres", "benji", "zrepl"];
/** Backends that live inside the cluster they protect. */
const IN_CLUSTER_BACKENDS = new Set(["garage", "minio"]);

/** Where a flow's copy lands. */
export interface Destination {
  /** `bucket`: an S3 bucket (Velero location or Benji storage); `node-local`: snapshots in the source ZFS pool; `zfs-sink`: a ZFS pool on another node. */
  readonly kind: "bucket" | "node-local" | "zfs-sink";
  /** Velero location name (bucket kind, Velero flows). */
  readonly location?: string;
  readonly backend?: string;
  readonly bucket?: string;
  readonly prefix?: string;
  readonly endpoint?: string;
  /** Whether the bucket keeps noncurrent versions (from the `buckets` export). */
  readonly versioned?: boolean;
  /** Whether the bucket has object lock (when the `buckets` export says). */
  readonly objectLock?: boolean;
  /** Days noncurrent versions are kept (when the `buckets` export says). */
  readonly noncurrentVersionDays?: number;
  /** The node holding the copy (zfs-sink: the sink node). */
  readonly node?: string;
  /** ZFS dataset receiving the copy (zfs-sink). */
  readonly dataset?: string;
  /** Whether the copy stays inside the cluster (in-cluster backend, same node). */
  readonly inCluster: boolean;
  /** Human form. */
  readonly text: string;
}

/** What a flow selects, in a form data classes can be matched against. */
export interface Selection {
  /** Namespace globs included (`*` = all). */
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /** Object label selector (matchLabels); undefined = every object. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Cluster-scoped resources included. */
  readonly clusterResources: boolean;
  /** How volume data is captured: pod volume files, CSI/RBD block snapshots, ZFS datasets, or none. */
  readonly volumes: "files" | "block" | "zfs" | "annotated-files" | "none";
  /** Storage the flow can read volumes of (`rbd` for Benji, `zfs` for zrepl); undefined = any. */
  readonly storage?: "rbd" | "zfs";
  /** Human form. */
  readonly text: string;
}

export interface FlowRow {
  /** Flow label value (`tenants`, `garage-meta-ceph`, `benji`, `zrepl`...). */
  readonly flow: string;
  /** The objects that implement it, e.g. `Schedule backup-system/tenants-daily`. */
  readonly objects: readonly string[];
  readonly selection: Selection;
  readonly mechanism: string;
  /** Cron (with its time zone) or interval. */
  readonly schedule: string;
  /** Worst-case gap between two runs, in seconds (zrepl: snapshot interval; transfer time comes on top). */
  readonly rpoSeconds: number;
  readonly rpo: string;
  readonly retention: string;
  /** Age of the oldest restore point the retention keeps, in seconds. */
  readonly oldestRestorePointSeconds: number;
  readonly oldestRestorePoint: string;
  readonly destination: Destination;
  readonly encryption: string;
  readonly immutability: string;
}

/** A class of data docs/design.md §1 says must be backed up. */
export interface DataClassRow {
  readonly id: string;
  readonly title: string;
  /** Flows whose selection covers it. */
  readonly coveredBy: readonly string[];
  /** Best protection: `off-site` (outside the cluster), `in-cluster` (bucket inside the cluster), `node-local`, `none`. */
  readonly level: "off-site" | "in-cluster" | "node-local" | "none";
}

export interface Gap {
  readonly kind: "uncovered" | "node-local-only" | "in-cluster-only" | "unversioned" | "overlap" | "hooks-missing" | "guard-lifted" | "image-tag-only";
  /** The data class or flow concerned. */
  readonly subject: string;
  readonly message: string;
}

export interface Coverage {
  readonly stack: string;
  readonly veleroNamespace?: string;
  readonly flows: readonly FlowRow[];
  readonly dataClasses: readonly DataClassRow[];
  readonly gaps: readonly Gap[];
}

/** The run as coverage reads it: Kubernetes objects applied directly, and the stack exports. */
export interface CoverageInput {
  readonly stack: string;
  readonly objects: readonly Obj[];
  readonly exports: Readonly<Record<string, unknown>>;
}

/** `24h`, `7d`, `211d`, `100m`: whole units, rounded where a duration is not a whole number of them. */
export function roughDuration(seconds: number): string {
  if (seconds >= 2 * 86400) return `${Math.round(seconds / 86400)}d`;
  if (seconds >= 2 * 3600) return `${Math.round(seconds / 3600)}h`;
  if (seconds >= 120) return `${Math.round(seconds / 60)}m`;
  return `${seconds}s`;
}

/** `metadata.labels` of a Kubernetes object (empty when it has none). */
export const labelsOf = (o: Obj): Record<string, string> => (o.metadata?.labels ?? {}) as Record<string, string>;
const ref = (o: Obj) => `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name}`;

/** `CRON_TZ=UTC 0 1 * * *` → `{cron: "0 1 * * *", timeZone: "UTC"}`. */
export function splitVeleroCron(schedule: string): { cron: string; timeZone?: string } {
  const match = /^CRON_TZ=(\S+)\s+(.*)$/.exec(schedule.trim());
  return match ? { cron: match[2], timeZone: match[1] } : { cron: schedule.trim() };
}

/** A label selector's matchLabels in `k=v,k2=v2` form (as `velero --selector` and `kubectl -l` take it). */
export function matchLabelsText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/** What the `buckets` export says of a bucket's protection (fields it leaves out stay unknown). */
function bucketProtection(bucket: Obj): Pick<Destination, "versioned" | "objectLock" | "noncurrentVersionDays"> {
  return {
    ...(typeof bucket.versioned === "boolean" ? { versioned: bucket.versioned } : {}),
    ...(typeof bucket.objectLock === "boolean" ? { objectLock: bucket.objectLock } : {}),
    ...(typeof bucket.noncurrentVersionDays === "number" ? { noncurrentVersionDays: bucket.noncurrentVersionDays } : {}),
  };
}

function destinationOfLocation(location: string, input: CoverageInput): Destination {
  const bsls = (input.exports.backupStorageLocations ?? {}) as Record<string, Obj>;
  const buckets = (input.exports.buckets ?? {}) as Record<string, Obj>;
  const bsl = bsls[location] ?? {};
  const bucket = buckets[location] ?? {};
  const backend = (bsl.backend ?? bucket.backend) as string | undefined;
  const name = (bsl.bucket ?? bucket.bucket) as string | undefined;
  const prefix = bsl.prefix as string | undefined;
  return {
    kind: "bucket",
    location,
    ...(backend ? { backend } : {}),
    ...(name ? { bucket: name } : {}),
    ...(prefix ? { prefix } : {}),
    ...((bsl.endpoint ?? bucket.endpoint) ? { endpoint: (bsl.endpoint ?? bucket.endpoint) as string } : {}),
    ...bucketProtection(bucket),
    inCluster: backend !== undefined && IN_CLUSTER_BACKENDS.has(backend),
    text: `BSL \`${location}\`${backend ? ` → ${backend} \`${name}${prefix ? `/${prefix}` : ""}\`` : " (not in the backupStorageLocations export)"}`,
  };
}

function bucketImmutability(d: Destination, unversionedReason?: string): string {
  if (d.versioned === undefined) return "unknown (bucket not in the buckets export)";
  const lock = d.objectLock === true ? "; object lock on" : d.objectLock === false ? "; no object lock" : "";
  if (d.versioned) {
    return `versioned bucket: a deleted or overwritten object stays recoverable as a noncurrent version${d.noncurrentVersionDays ? ` for ${d.noncurrentVersionDays} days` : ""}${lock}`;
  }
  if (d.backend === "garage") return "none: Garage has no versioning and no object lock; a deleted or overwritten object is gone at once";
  return `none: unversioned bucket${unversionedReason ? ` (${unversionedReason})` : ""}${lock}`;
}

function veleroEncryption(volumes: Selection["volumes"], legacyPassword: boolean): string {
  const objects = "Kubernetes objects (Secrets included): not encrypted by Velero";
  if (volumes === "none") return objects;
  if (volumes === "zfs") return `${objects}; volume data: none (ZFS snapshot in the source pool)`;
  const key = legacyPassword ? "with Velero's well-known default password: readable by anyone with bucket access" : `key in Secret ${REPO_CREDENTIALS_SECRET} (output kopiaRepositoryPassword)`;
  if (volumes === "block") return `${objects}; volume data: kopia repository (AES-256-GCM) via the data mover, ${key}`;
  return `${objects}; volume data: kopia repository (AES-256-GCM)${legacyPassword ? " " : ", "}${key}`;
}

/** Pod templates (workloads or patches) in a namespace that carry Velero pre-backup hook annotations. */
function hookedTemplates(objects: readonly Obj[], namespaces: readonly string[], exclude: readonly string[]): { ref: string; volumes: string; command: string }[] {
  return objects
    .filter((o) => ["StatefulSet", "Deployment", "DaemonSet"].includes(String(o.kind)))
    .filter((o) => namespaces.some((g) => namespaceGlobMatches(g, String(o.metadata?.namespace))) && !exclude.some((g) => namespaceGlobMatches(g, String(o.metadata?.namespace))))
    .map((o) => ({ o, annotations: (o.spec?.template?.metadata?.annotations ?? {}) as Record<string, string> }))
    .filter(({ annotations }) => annotations[VELERO_ANNOTATIONS.preHookCommand] !== undefined)
    .map(({ o, annotations }) => ({ ref: ref(o), volumes: annotations[VELERO_ANNOTATIONS.backupVolumes] ?? "", command: annotations[VELERO_ANNOTATIONS.preHookCommand] }));
}

function dumpTool(command: string): string {
  for (const tool of ["pg_dumpall", "pg_dump", "mysqldump", "mariadb-dump"]) if (command.includes(tool)) return tool;
  return "a pre-backup hook";
}

function veleroRows(input: CoverageInput, legacyPassword: boolean): FlowRow[] {
  return input.objects
    .filter((o) => o.kind === "Schedule" && String(o.apiVersion).startsWith("velero.io/"))
    .map((o): FlowRow => {
      const t = (o.spec?.template ?? {}) as Obj;
      const { cron, timeZone } = splitVeleroCron(String(o.spec?.schedule));
      const include = (t.includedNamespaces as string[] | undefined)?.length ? (t.includedNamespaces as string[]) : ["*"];
      const exclude = (t.excludedNamespaces as string[] | undefined) ?? [];
      const labels = (t.labelSelector as Obj | undefined)?.matchLabels as Record<string, string> | undefined;
      const hooks = hookedTemplates(input.objects, include, exclude);
      const volumes: Selection["volumes"] = t.snapshotVolumes ? (t.snapshotMoveData ? "block" : "zfs") : t.defaultVolumesToFsBackup ? "files" : hooks.length ? "annotated-files" : "none";
      const clusterResources = t.includeClusterResources === true || (t.includeClusterResources === undefined && include.includes("*"));
      const selection: Selection = {
        include,
        exclude,
        ...(labels ? { labels } : {}),
        clusterResources,
        volumes,
        text: [
          `${include.length === 1 && include[0] !== "*" ? "namespace" : "namespaces"} ${include.map((g) => `\`${g}\``).join(", ")}${exclude.length ? ` except ${exclude.map((g) => `\`${g}\``).join(", ")}` : ""}`,
          labels ? `objects labelled \`${matchLabelsText(labels)}\`` : "",
          clusterResources ? "cluster-scoped resources" : "",
        ]
          .filter(Boolean)
          .join("; "),
      };
      const mechanism = {
        files: "Velero: objects + fs-backup of every pod volume (node-agent, kopia)",
        block: "Velero: objects + CSI snapshot moved to the bucket (data mover, kopia)",
        zfs: "Velero: objects + CSI snapshot kept on the node (no data move)",
        "annotated-files": `Velero: objects + ${hooks.map((h) => `${dumpTool(h.command)} pre-hook in ${h.ref}, fs-backup of its volume \`${h.volumes}\``).join("; ")}`,
        none: "Velero: Kubernetes objects only",
      }[volumes];
      const rpoSeconds = cronMaxIntervalSeconds(cron);
      const ttlSeconds = parseGoDuration(String(t.ttl)) ?? 0;
      const bucket = destinationOfLocation(String(t.storageLocation), input);
      const destination: Destination =
        volumes === "zfs"
          ? { kind: "node-local", inCluster: true, text: `volume snapshots in the source node's ZFS pool; objects → ${bucket.text}` }
          : bucket;
      const points = rpoSeconds > 0 ? Math.max(1, Math.round(ttlSeconds / rpoSeconds)) : 0;
      return {
        flow: labelsOf(o)[FLOW_LABEL] ?? String(o.metadata?.name),
        objects: [ref(o)],
        selection,
        mechanism,
        schedule: `\`${cron}\` ${timeZone ?? "UTC"}`,
        rpoSeconds,
        rpo: roughDuration(rpoSeconds),
        retention: `ttl ${t.ttl} (≈${points} backups)`,
        oldestRestorePointSeconds: ttlSeconds,
        oldestRestorePoint: `≈${roughDuration(ttlSeconds)} ago`,
        destination,
        encryption: veleroEncryption(volumes, legacyPassword),
        immutability:
          volumes === "zfs"
            ? "none: the snapshots live in the source pool and go with it (deletionPolicy Retain survives namespace loss only)"
            : bucketImmutability(bucket),
      };
    });
}

function container(o: Obj): Obj | undefined {
  return (o.spec?.jobTemplate?.spec?.template?.spec?.containers as Obj[] | undefined)?.[0];
}

function commandOf(o: Obj): string[] {
  const c = container(o);
  return [...((c?.command as string[]) ?? []), ...((c?.args as string[]) ?? [])];
}

/** Seconds of the longest window a Benji retention spec keeps, given the backup interval for `latestN`. */
export function benjiRetentionSpanSeconds(spec: string, backupIntervalSeconds: number): number {
  const rules = parseBenjiRetention(spec);
  const unit: Record<BenjiRetentionCategory, number> = { latest: backupIntervalSeconds, hours: 3600, days: 86400, weeks: 7 * 86400, months: 30 * 86400, years: 365 * 86400 };
  return Math.max(0, ...Object.entries(rules).map(([category, count]) => unit[category as BenjiRetentionCategory] * (count ?? 0)));
}

function benjiRows(input: CoverageInput): FlowRow[] {
  const cronJobs = input.objects.filter((o) => o.kind === "CronJob" && labelsOf(o)[FLOW_LABEL] === "benji");
  // benji-backup-pvc directly, or the component's loop over the platform's namespaces (`bash -c <script> <name> <ns>...`).
  const backup = cronJobs.find((o) => commandOf(o).some((c) => c.includes("benji-backup-pvc")));
  if (!backup) return [];
  const enforce = cronJobs.find((o) => commandOf(o)[0] === "benji-command" && commandOf(o)[1] === "enforce");
  const cleanup = cronJobs.find((o) => commandOf(o)[0] === "benji-command" && commandOf(o)[1] === "cleanup");
  const command = commandOf(backup);
  const looped = command[0] === "bash" && command[1] === "-c";
  const args = looped ? command[2].split(/\s+/) : command;
  const selectorIndex = args.findIndex((a) => a === "--selector" || a === "-l");
  const selector = selectorIndex >= 0 ? args[selectorIndex + 1] : undefined;
  const labels = selector ? Object.fromEntries(selector.split(",").map((kv) => kv.split("=") as [string, string])) : undefined;
  const nsIndex = args.findIndex((a) => a === "--namespace" || a === "-n");
  const include = looped ? command.slice(4) : nsIndex >= 0 ? [args[nsIndex + 1]] : ["*"];
  const rpoSeconds = cronMaxIntervalSeconds(String(backup.spec?.schedule));
  const rules = enforce ? commandOf(enforce)[2] : undefined;
  const span = rules ? benjiRetentionSpanSeconds(rules, rpoSeconds) : 0;
  const secret = input.objects.find((o) => o.kind === "Secret" && o.metadata?.namespace === backup.metadata?.namespace && o.stringData?.["benji.yaml"]);
  let encryption = "unknown (no benji.yaml Secret in the plan)";
  if (secret) {
    const config = parse(String(secret.stringData["benji.yaml"])) as Obj;
    const storage = (config.storages as Obj[] | undefined)?.find((s) => s.name === config.defaultStorage);
    const active = (storage?.configuration?.activeTransforms as string[] | undefined) ?? [];
    const modules = active.map((name) => (config.transforms as Obj[] | undefined)?.find((t) => t.name === name)?.module as string | undefined);
    encryption = modules.includes("aes_256_gcm")
      ? `AES-256-GCM (Benji transform \`${active[modules.indexOf("aes_256_gcm")]}\`; key material in output benjiEncryption)${modules.includes("zstd") ? ", zstd-compressed first" : ""}`
      : "none: no aes_256_gcm transform active on the storage";
  }
  const bucket = ((input.exports.buckets ?? {}) as Record<string, Obj>).benji ?? {};
  const destination: Destination = {
    kind: "bucket",
    ...(bucket.backend ? { backend: bucket.backend as string } : {}),
    ...(bucket.bucket ? { bucket: bucket.bucket as string } : {}),
    ...(bucket.endpoint ? { endpoint: bucket.endpoint as string } : {}),
    ...bucketProtection(bucket),
    inCluster: IN_CLUSTER_BACKENDS.has(String(bucket.backend)),
    text: bucket.backend ? `Benji storage → ${bucket.backend} \`${bucket.bucket}\`` : "Benji storage (not in the buckets export)",
  };
  return [
    {
      flow: "benji",
      objects: [backup, enforce, cleanup].filter((o): o is Obj => o !== undefined).map(ref),
      selection: {
        include,
        exclude: [],
        ...(labels ? { labels } : {}),
        clusterResources: false,
        volumes: "block",
        storage: "rbd",
        text: `PVCs labelled \`${selector ?? "(any)"}\` in ${include[0] === "*" ? "all namespaces" : `${include.length > 1 ? "namespaces" : "namespace"} ${include.map((n) => `\`${n}\``).join(", ")}`}, Ceph RBD volumes only`,
      },
      mechanism: "Benji: RBD snapshot + block-level diff (benji-backup-pvc)",
      schedule: `\`${backup.spec?.schedule}\` ${backup.spec?.timeZone ?? "UTC"}`,
      rpoSeconds,
      rpo: roughDuration(rpoSeconds),
      retention: rules ? `\`enforce ${rules}\` per PVC at \`${enforce!.spec?.schedule}\`${cleanup ? `; space freed by \`cleanup\` at \`${cleanup.spec?.schedule}\`` : "; no cleanup CronJob: removed versions never free space"}` : "none: no enforce CronJob, versions accumulate",
      oldestRestorePointSeconds: span,
      oldestRestorePoint: rules ? `≈${roughDuration(span)} ago` : "unbounded",
      destination,
      encryption,
      immutability: bucketImmutability(destination, "by design: Benji's cleanup must free space"),
    },
  ];
}

/** The zrepl config (parsed zrepl.yml) a zrepl DaemonSet mounts from a ConfigMap among `objects`. */
export function zreplConfig(objects: readonly Obj[], daemonSet: Obj): Obj | undefined {
  const volumes = (daemonSet.spec?.template?.spec?.volumes as Obj[] | undefined) ?? [];
  const names = volumes.map((v) => v.configMap?.name as string | undefined).filter(Boolean);
  const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata?.namespace === daemonSet.metadata?.namespace && names.includes(o.metadata?.name));
  const text = cm ? Object.values((cm.data ?? {}) as Record<string, string>)[0] : undefined;
  return text ? (parse(text) as Obj) : undefined;
}

function zreplRows(input: CoverageInput): FlowRow[] {
  const daemonSets = input.objects.filter((o) => o.kind === "DaemonSet" && labelsOf(o)[FLOW_LABEL] === "zrepl");
  const withConfig = daemonSets.map((ds) => ({ ds, config: zreplConfig(input.objects, ds) }));
  const push = withConfig.find((x) => (x.config?.jobs as Obj[] | undefined)?.some((j) => j.type === "push"));
  if (!push) return [];
  const sink = withConfig.find((x) => (x.config?.jobs as Obj[] | undefined)?.some((j) => j.type === "sink"));
  const job = (push.config!.jobs as Obj[]).find((j) => j.type === "push")!;
  const sinkJob = (sink?.config?.jobs as Obj[] | undefined)?.find((j) => j.type === "sink");
  const filesystems = Object.entries((job.filesystems ?? {}) as Record<string, boolean>).filter(([, on]) => on).map(([fs]) => fs);
  const interval = String(job.snapshotting?.interval ?? "");
  const rpoSeconds = parseZreplDuration(interval) ?? 0;
  const receiverGrid = ((job.pruning?.keep_receiver ?? []) as Obj[]).find((r) => r.type === "grid")?.grid as string | undefined;
  const lastN = ((job.pruning?.keep_sender ?? []) as Obj[]).find((r) => r.type === "last_n")?.count as number | undefined;
  const span = receiverGrid ? gridSpanSeconds(parseGrid(receiverGrid)) : 0;
  const nodeOf = (ds: Obj | undefined) => (ds?.spec?.template?.spec?.nodeSelector ?? {})["kubernetes.io/hostname"] as string | undefined;
  const identity = ((sinkJob?.serve?.client_cns ?? []) as string[])[0];
  // zrepl stores a received filesystem at <root_fs>/<client identity>/<source path> (docs/design.md §2(d)).
  const sourceRoot = filesystems.length === 1 ? filesystems[0].replace(/<$/, "") : undefined;
  const dataset = sinkJob ? `${sinkJob.root_fs}/${identity ?? "<client>"}/${sourceRoot ? `${sourceRoot}/…` : "<source dataset>"}` : undefined;
  const canmount = sinkJob?.recv?.properties?.override?.canmount as string | undefined;
  const destination: Destination = {
    kind: "zfs-sink",
    ...(nodeOf(sink?.ds) ? { node: nodeOf(sink?.ds) } : {}),
    ...(dataset ? { dataset } : {}),
    inCluster: false,
    text: `ZFS on node \`${nodeOf(sink?.ds) ?? "?"}\`: \`${dataset ?? "?"}\` (TLS to ${job.connect?.address})`,
  };
  return [
    {
      flow: "zrepl",
      objects: [push.ds, ...(sink ? [sink.ds] : [])].map(ref),
      selection: {
        include: [],
        exclude: [],
        clusterResources: false,
        volumes: "zfs",
        storage: "zfs",
        text: `ZFS datasets ${filesystems.map((f) => `\`${f}\``).join(", ")} on node \`${nodeOf(push.ds) ?? "?"}\``,
      },
      mechanism: `zrepl push job \`${job.name}\`: periodic snapshots replicated with zfs send/recv`,
      schedule: `every ${interval}`,
      rpoSeconds,
      rpo: `${roughDuration(rpoSeconds)} + transfer`,
      retention: `sink: grid \`${receiverGrid ?? "?"}\`; source: not yet replicated + last ${lastN ?? "?"} (≈${roughDuration((lastN ?? 0) * rpoSeconds)})`,
      oldestRestorePointSeconds: span,
      oldestRestorePoint: `≈${roughDuration(span)} ago (sink)`,
      destination,
      encryption: job.send?.encrypted ? "raw encrypted send: the sink stores the source's ZFS encryption, keys stay on the source" : "TLS in transit (mutual, own CA); at rest as plain datasets on the sink (send.encrypted: false)",
      immutability: `separate node; snapshots removed only by the receiver grid${canmount ? `; received datasets \`canmount=${canmount}\`` : ""}`,
    },
  ];
}

/** Every backup flow the run registered, Velero Schedules first. Pure. */
function flowRows(input: CoverageInput): FlowRow[] {
  const veleroNamespace = input.objects.find((o) => o.kind === "Schedule")?.metadata?.namespace as string | undefined;
  const legacyPassword = veleroNamespace !== undefined && !input.objects.some((o) => o.kind === "Secret" && o.metadata?.name === REPO_CREDENTIALS_SECRET && o.metadata?.namespace === veleroNamespace);
  const rank = (flow: string) => (FLOW_ORDER.includes(flow as FlowName) ? FLOW_ORDER.indexOf(flow as FlowName) : FLOW_ORDER.length);
  return [...veleroRows(input, legacyPassword), ...benjiRows(input), ...zreplRows(input)].sort((a, b) => rank(a.flow) - rank(b.flow) || a.flow.localeCompare(b.flow));
}

/** A thing to protect, described by a sample the flows' selections are matched against. */
interface DataClass {
  readonly id: string;
  readonly title: string;
  readonly sample:
    | { readonly kind: "namespace"; readonly namespace: string }
    | { readonly kind: "cluster" }
    | { readonly kind: "database"; readonly namespace: string }
    | { readonly kind: "pvc"; readonly namespace: string | "*"; readonly labels: Readonly<Record<string, string>>; readonly storage: "rbd" | "zfs" };
}

/** The data classes of docs/design.md §1, with the stack's own namespace names where a flow names them. */
export function dataClasses(flows: readonly FlowRow[]): DataClass[] {
  const firstNamespace = (flow: string) => flows.find((f) => f.flow === flow)?.selection.include[0];
  const tenantGlob = firstNamespace("tenants") ?? `${TENANT_NAMESPACE_PREFIX}*`;
  const tenant = tenantGlob.replace(/\*/g, "1001").replace(/\?/g, "1");
  const garage = firstNamespace("garage-meta-ceph") ?? firstNamespace("garage-data-zfs") ?? DESIGN_DEFAULT_NAMESPACES.garage;
  const postgres = firstNamespace("postgres") ?? DESIGN_DEFAULT_NAMESPACES.postgres;
  return [
    { id: "tenant-namespaces", title: `Tenant namespaces \`${tenantGlob}\` (objects and pod volumes)`, sample: { kind: "namespace", namespace: tenant } },
    { id: "system-namespaces", title: `System namespaces (e.g. \`${DESIGN_DEFAULT_NAMESPACES.system}\`, PowerDNS, mail, panel: objects and pod volumes)`, sample: { kind: "namespace", namespace: DESIGN_DEFAULT_NAMESPACES.system } },
    { id: "cluster-resources", title: "Cluster-scoped resources (CRDs, ClusterRoles, StorageClasses, PVs)", sample: { kind: "cluster" } },
    { id: "garage-metadata", title: `Garage metadata PVCs (\`${garage}\`, \`${BACKUP_THIS_PVC_LABEL}=true\`, Ceph RBD)`, sample: { kind: "pvc", namespace: garage, labels: { [BACKUP_THIS_PVC_LABEL]: "true" }, storage: "rbd" } },
    { id: "garage-data", title: `Garage data (\`${garage}\`, \`${BACKUP_STRATEGY_LABEL}=${BACKUP_STRATEGY_ZFS_LOCAL}\`, ZFS-LocalPV)`, sample: { kind: "pvc", namespace: garage, labels: { [BACKUP_STRATEGY_LABEL]: BACKUP_STRATEGY_ZFS_LOCAL }, storage: "zfs" } },
    { id: "postgresql", title: `PostgreSQL (\`${postgres}\`, pg_dumpall: each database consistent on its own, not across databases)`, sample: { kind: "database", namespace: postgres } },
    { id: "rbd-pvcs", title: `Ceph RBD PVCs labelled \`${BACKUP_THIS_PVC_LABEL}=true\` in the platform's namespaces (block level; e.g. \`${garage}\`)`, sample: { kind: "pvc", namespace: garage, labels: { [BACKUP_THIS_PVC_LABEL]: "true" }, storage: "rbd" } },
  ];
}

function namespaceSelected(s: Selection, namespace: string | "*"): boolean {
  if (namespace === "*") return s.include.includes("*") && s.exclude.length === 0;
  return s.include.some((g) => namespaceGlobMatches(g, namespace)) && !s.exclude.some((g) => namespaceGlobMatches(g, namespace));
}

function labelsSatisfied(s: Selection, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(s.labels ?? {}).every(([k, v]) => labels[k] === v);
}

/** Whether a flow's selection covers a data class. */
function covers(flow: FlowRow, c: DataClass): boolean {
  const s = flow.selection;
  switch (c.sample.kind) {
    case "cluster":
      return s.clusterResources;
    case "namespace":
      return s.labels === undefined && namespaceSelected(s, c.sample.namespace) && (s.volumes === "files" || s.volumes === "annotated-files");
    case "database":
      return s.labels === undefined && namespaceSelected(s, c.sample.namespace) && s.volumes === "annotated-files";
    case "pvc": {
      if (s.storage === "zfs") return c.sample.storage === "zfs";
      if (s.storage === "rbd") return c.sample.storage === "rbd" && (s.include.includes("*") || namespaceSelected(s, c.sample.namespace)) && labelsSatisfied(s, c.sample.labels);
      if (!namespaceSelected(s, c.sample.namespace) || !labelsSatisfied(s, c.sample.labels)) return false;
      if (c.sample.namespace === "*") return s.volumes === "block";
      return s.volumes === "files" || s.volumes === "block" || (s.volumes === "zfs" && c.sample.storage === "zfs");
    }
  }
}

function levelOf(flow: FlowRow): DataClassRow["level"] {
  if (flow.destination.kind === "node-local") return "node-local";
  return flow.destination.inCluster ? "in-cluster" : "off-site";
}

const LEVEL_ORDER: DataClassRow["level"][] = ["none", "node-local", "in-cluster", "off-site"];

/** The coverage report of a run. Pure. */
export function buildCoverage(input: CoverageInput): Coverage {
  const flows = flowRows(input);
  const classes = dataClasses(flows);
  const rows: DataClassRow[] = classes.map((c) => {
    const covering = flows.filter((f) => covers(f, c));
    const level = covering.map(levelOf).reduce((best, l) => (LEVEL_ORDER.indexOf(l) > LEVEL_ORDER.indexOf(best) ? l : best), "none" as DataClassRow["level"]);
    return { id: c.id, title: c.title, coveredBy: covering.map((f) => f.flow), level };
  });
  const gaps: Gap[] = [];
  for (const row of rows) {
    if (row.level === "none") gaps.push({ kind: "uncovered", subject: row.id, message: `${row.title}: no flow of this stack backs it up` });
    else if (row.level === "node-local") gaps.push({ kind: "node-local-only", subject: row.id, message: `${row.title}: only node-local snapshots (${row.coveredBy.join(", ")}); lost with the node or its pool — no off-node copy in this stack` });
    else if (row.level === "in-cluster") gaps.push({ kind: "in-cluster-only", subject: row.id, message: `${row.title}: every copy (${row.coveredBy.join(", ")}) is stored inside the cluster it protects; a cluster loss takes the backup with it` });
  }
  for (const f of flows) {
    const d = f.destination;
    if (d.kind === "bucket" && d.versioned === false) {
      const why = d.backend === "garage" ? "Garage has no versioning" : f.flow === "benji" ? "unversioned by design: Benji's cleanup must free space" : "the bucket is unversioned";
      gaps.push({ kind: "unversioned", subject: f.flow, message: `${f.flow} writes to ${d.backend} bucket \`${d.bucket}\` without versioning (${why}): whoever holds its credentials can delete or overwrite the backups for good` });
    }
  }
  for (const f of flows.filter((x) => x.selection.volumes === "none" && x.flow === "postgres")) {
    gaps.push({ kind: "hooks-missing", subject: f.flow, message: `${f.flow}: no pod template in ${f.selection.include.join(", ")} carries the dump hooks in this stack; the workload's owner must apply the podTemplatePatch output, or the backups hold no dump` });
  }
  for (const c of classes) {
    const labelled = flows.filter((f) => covers(f, c) && f.selection.labels !== undefined && levelOf(f) !== "node-local");
    if (labelled.length > 1) {
      gaps.push({
        kind: "overlap",
        subject: c.id,
        message: `${rows.find((r) => r.id === c.id)!.title}: copied by ${labelled.map((f) => `${f.flow} (${f.selection.labels ? `\`${matchLabelsText(f.selection.labels)}\`` : ""})`).join(" and ")}: the same PVCs are backed up twice`,
      });
    }
  }
  // Guards lifted on purpose in the stack config (components/guards, export configOverrides).
  for (const o of (input.exports.configOverrides as { key: string; reason: string; lifted: string[] }[] | undefined) ?? []) {
    gaps.push({ kind: "guard-lifted", subject: o.key, message: `${o.key} ${o.lifted.join("; ")} — accepted by overrides."${o.key}": ${o.reason}` });
  }
  // Waivers of the prod digest rule (config images.allowTagOnly, export imageTagOnly): whoever moves the tag runs code with that access.
  for (const w of Array.isArray(input.exports.imageTagOnly) ? (input.exports.imageTagOnly as { key: string; image: string; why: string }[]) : []) {
    gaps.push({ kind: "image-tag-only", subject: w.key, message: `${w.key} (\`${w.image}\`) is pinned by tag only (images.allowTagOnly) though it ${w.why}: whoever can move that tag runs other code with that access` });
  }
  return {
    stack: input.stack,
    ...(typeof input.exports.veleroNamespace === "string" ? { veleroNamespace: input.exports.veleroNamespace } : {}),
    flows,
    dataClasses: rows,
    gaps,
  };
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function mermaidId(text: string): string {
  return text.replace(/[^A-Za-z0-9]/g, "_");
}

function mermaidText(text: string): string {
  return text.replace(/`/g, "").replace(/"/g, "#quot;");
}

/** A Mermaid graph of the flows: sources on the left, one edge per flow, destinations grouped by where they live. */
export function coverageMermaid(c: Coverage): string {
  const lines = ["graph LR", "  subgraph Cluster"];
  for (const f of c.flows) lines.push(`    src_${mermaidId(f.flow)}["${mermaidText(f.selection.text)}"]`);
  lines.push("  end");
  const groups = new Map<string, { title: string; nodes: Map<string, string> }>();
  const destId = (f: FlowRow): string => {
    const d = f.destination;
    const [group, title, node, label] =
      d.kind === "bucket"
        ? [`${d.backend}_${d.bucket}`, `${d.backend}: ${d.bucket}`, `dst_${mermaidId(`${d.backend}_${d.bucket}_${d.prefix ?? d.location ?? f.flow}`)}`, d.location ? `BSL ${d.location}${d.prefix ? ` (prefix ${d.prefix})` : ""}` : `bucket ${d.bucket}`]
        : d.kind === "node-local"
          ? ["node_local", "source node", `dst_${mermaidId(`local_${f.flow}`)}`, "ZFS pool (local snapshots)"]
          : [`node_${d.node}`, `backup node ${d.node}`, `dst_${mermaidId(`sink_${d.dataset}`)}`, d.dataset ?? "sink"];
    const entry = groups.get(group) ?? { title, nodes: new Map() };
    entry.nodes.set(node, label);
    groups.set(group, entry);
    return node;
  };
  const edges = c.flows.map((f) => `  src_${mermaidId(f.flow)} -- "${mermaidText(`${f.flow}: ${f.schedule}`)}" --> ${destId(f)}`);
  for (const [group, { title, nodes }] of groups) {
    lines.push(`  subgraph ${mermaidId(group)}["${mermaidText(title)}"]`);
    for (const [id, label] of nodes) lines.push(`    ${id}["${mermaidText(label)}"]`);
    lines.push("  end");
  }
  return [...lines, ...edges].join("\n");
}

/** coverage.md. */
export function coverageMarkdown(c: Coverage): string {
  const flowTable = [
    "| flow | objects | selects | mechanism | schedule | RPO | retention | oldest restore point | destination | encryption | immutability |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...c.flows.map((f) =>
      `| ${[f.flow, f.objects.map((o) => `\`${o}\``).join("<br>"), f.selection.text, f.mechanism, f.schedule, f.rpo, f.retention, f.oldestRestorePoint, f.destination.text, f.encryption, f.immutability].map(cell).join(" | ")} |`,
    ),
  ];
  const classTable = [
    "| data | covered by | best copy |",
    "| --- | --- | --- |",
    ...c.dataClasses.map((d) => `| ${cell(d.title)} | ${d.coveredBy.length ? d.coveredBy.join(", ") : "—"} | ${d.level} |`),
  ];
  return [
    `# Backup coverage of stack \`${c.stack}\``,
    "",
    "Derived from the objects this plan registers (Velero Schedules, Benji CronJobs, zrepl DaemonSets and their configs) and the `backupStorageLocations` / `buckets` exports. RPO is the longest gap between two runs of the flow's schedule; the oldest restore point is what its retention still keeps.",
    "",
    "## Flows",
    "",
    ...(c.flows.length ? flowTable : ["No backup flow in this stack."]),
    "",
    "```mermaid",
    coverageMermaid(c),
    "```",
    "",
    "## Data and the flows that cover it",
    "",
    ...classTable,
    "",
    "## Gaps",
    "",
    ...(c.gaps.length ? c.gaps.map((g) => `- **${g.kind}** — ${g.message}`) : ["None found."]),
    "",
  ].join("\n");
}

/** The short flow table of summary.md: the same rows as coverage.md, the columns a reviewer checks first. */
export function coverageSummaryTable(c: Coverage): string[] {
  if (!c.flows.length) return ["No backup flow in this stack."];
  return [
    "| flow | objects | schedule | selects | stored in | retention |",
    "| --- | --- | --- | --- | --- | --- |",
    ...c.flows.map((f) => `| ${[f.flow, f.objects.map((o) => `\`${o}\``).join("<br>"), f.schedule, f.selection.text, f.destination.text, f.retention].map(cell).join(" | ")} |`),
  ];
}
