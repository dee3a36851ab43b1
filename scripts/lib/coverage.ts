/**
 * What the stack backs up, read off the flow inventory the program exports (`flows`, components/flows) with its
 * destinations resolved against the exports `backupStorageLocations` and `buckets`. One row per flow (selection,
 * mechanism, schedule, RPO, retention and oldest restore point, destination, encryption, immutability), then the data
 * classes of docs/design.md §1 with the flows covering each, and the gaps. The registered objects serve two checks: the
 * Postgres dump hooks must sit in a registered pod template, and every registered Schedule, CronJob and DaemonSet
 * carrying the flow label must be one the inventory names, and every object it names must be registered (a mismatch
 * is a {@link FlowDriftError}). Pure: `plan` writes the result as coverage.md and coverage.json.
 */
import { BACKUP_STRATEGY_LABEL, BACKUP_STRATEGY_ZFS_LOCAL, BACKUP_THIS_PVC_LABEL, FLOW_LABEL, TENANT_NAMESPACE_PREFIX, VELERO_ANNOTATIONS, type FlowName } from "../../components/labels";
import { namespaceGlobMatches } from "../../components/schema/namespace-glob";
import { MECHANISM_VOLUMES, veleroEncryption } from "../../components/flows/velero";
import { matchLabelsText, roughDuration } from "../../components/flows/text";
import { objectRefText } from "../../components/flows/watches";
import type { Flow, FlowInventory, Mechanism, ObjectRef, Selection } from "../../components/flows/types";
import { DRILL_KINDS } from "../../components/drills/spec";
export type { Selection } from "../../components/flows/types";

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
  /** What reads its copies back on a schedule (the flow's `verifiedBy`): restore drills, scrubs; empty = nothing. */
  readonly verifiedBy: readonly VerifiedBy[];
}

/** One verification of a flow, as coverage lists it. */
export interface VerifiedBy {
  readonly kind: "drill" | "scrub";
  readonly name: string;
  /** The CronJob running it, `Kind namespace/name`. */
  readonly object: string;
  /** Its cron with the time zone, as the flow's schedule is written. */
  readonly schedule: string;
  /** A rotating drill: every tenant restored at least once per this many weeks. */
  readonly rotationWeeks?: number;
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
  readonly kind: "uncovered" | "node-local-only" | "in-cluster-only" | "unversioned" | "overlap" | "hooks-missing" | "unverified" | "guard-lifted" | "image-tag-only";
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

/** `metadata.labels` of a Kubernetes object (empty when it has none). */
export const labelsOf = (o: Obj): Record<string, string> => (o.metadata?.labels ?? {}) as Record<string, string>;
const ref = (o: Obj) => `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name}`;

/** `CRON_TZ=UTC 0 1 * * *` → `{cron: "0 1 * * *", timeZone: "UTC"}`. */
export function splitVeleroCron(schedule: string): { cron: string; timeZone?: string } {
  const match = /^CRON_TZ=(\S+)\s+(.*)$/.exec(schedule.trim());
  return match ? { cron: match[2], timeZone: match[1] } : { cron: schedule.trim() };
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

/** What each mechanism's row says it does (velero-hooks: from the pod templates carrying the hooks). */
const MECHANISM_TEXT: Record<Exclude<Mechanism, "velero-hooks" | "zrepl">, string> = {
  "velero-fs": "Velero: objects + fs-backup of every pod volume (node-agent, kopia)",
  "velero-csi-datamover": "Velero: objects + CSI snapshot moved to the bucket (data mover, kopia)",
  "velero-csi-local": "Velero: objects + CSI snapshot kept on the node (no data move)",
  "velero-objects": "Velero: Kubernetes objects only",
  "benji-rbd": "Benji: RBD snapshot + block-level diff (benji-backup-pvc)",
};

function benjiDestination(input: CoverageInput): Destination {
  const bucket = ((input.exports.buckets ?? {}) as Record<string, Obj>).benji ?? {};
  return {
    kind: "bucket",
    ...(bucket.backend ? { backend: bucket.backend as string } : {}),
    ...(bucket.bucket ? { bucket: bucket.bucket as string } : {}),
    ...(bucket.endpoint ? { endpoint: bucket.endpoint as string } : {}),
    ...bucketProtection(bucket),
    inCluster: IN_CLUSTER_BACKENDS.has(String(bucket.backend)),
    text: bucket.backend ? `Benji storage → ${bucket.backend} \`${bucket.bucket}\`` : "Benji storage (not in the buckets export)",
  };
}

function destinationOf(f: Flow, input: CoverageInput): Destination {
  const d = f.destination;
  switch (d.kind) {
    case "velero-location":
      return destinationOfLocation(d.location, input);
    case "benji-storage":
      return benjiDestination(input);
    case "node-local":
      return { kind: "node-local", inCluster: true, text: `volume snapshots in the source node's ZFS pool; objects → ${destinationOfLocation(d.location, input).text}` };
    case "zfs-sink":
      return { kind: "zfs-sink", node: d.node, dataset: d.dataset, inCluster: false, text: `ZFS on node \`${d.node}\`: \`${d.dataset}\` (TLS to ${d.address})` };
  }
}

/** A flow's coverage row; the pod templates among `input.objects` say whether a hooks flow's dump is there. */
function rowOf(f: Flow, input: CoverageInput, timeZone: string): FlowRow {
  const hooks = f.mechanism === "velero-hooks" ? hookedTemplates(input.objects, f.selection.include, f.selection.exclude) : [];
  const volumes: Selection["volumes"] = f.mechanism === "velero-hooks" && hooks.length === 0 ? "none" : MECHANISM_VOLUMES[f.mechanism];
  const zreplJob = f.watches.find((w) => w.kind === "zrepl-job");
  const mechanism =
    f.mechanism === "velero-hooks"
      ? hooks.length
        ? `Velero: objects + ${hooks.map((h) => `${dumpTool(h.command)} pre-hook in ${h.ref}, fs-backup of its volume \`${h.volumes}\``).join("; ")}`
        : MECHANISM_TEXT["velero-objects"]
      : f.mechanism === "zrepl"
        ? `zrepl push job \`${zreplJob?.kind === "zrepl-job" ? zreplJob.job : "?"}\`: periodic snapshots replicated with zfs send/recv`
        : MECHANISM_TEXT[f.mechanism];
  const destination = destinationOf(f, input);
  const oldest = f.retention.oldestRestorePointSeconds;
  return {
    flow: f.id,
    objects: f.objects.map(objectRefText),
    selection: { ...f.selection, volumes },
    mechanism,
    schedule: f.schedule.text,
    rpoSeconds: f.rpoSeconds,
    rpo: f.mechanism === "zrepl" ? `${roughDuration(f.rpoSeconds)} + transfer` : roughDuration(f.rpoSeconds),
    retention: f.retention.text,
    oldestRestorePointSeconds: oldest,
    oldestRestorePoint: f.mechanism === "zrepl" ? `≈${roughDuration(oldest)} ago (sink)` : `≈${roughDuration(oldest)} ago`,
    destination,
    // Without the dump hooks the Schedule stores objects only, whatever the repository password.
    encryption: volumes === "none" ? veleroEncryption("none", false) : f.encryption,
    immutability:
      f.destination.kind === "node-local" || f.destination.kind === "zfs-sink"
        ? f.destination.immutability
        : bucketImmutability(destination, f.mechanism === "benji-rbd" ? "by design: Benji's cleanup must free space" : undefined),
    verifiedBy: f.verifiedBy.map((v) => ({
      kind: v.kind,
      name: v.name,
      object: objectRefText(v.watch.object),
      schedule: `\`${v.watch.cron}\` ${timeZone}`,
      ...(v.rotationWeeks === undefined ? {} : { rotationWeeks: v.rotationWeeks }),
    })),
  };
}

/**
 * The flow inventory the program exported (`flows`). A run without one (a test program registering a single
 * component) has no flows: an empty inventory, and nothing to check for drift.
 */
export function flowInventoryOf(exports: Readonly<Record<string, unknown>>): FlowInventory | undefined {
  const inventory = exports.flows as FlowInventory | undefined;
  if (inventory === undefined) return undefined;
  if (!Array.isArray(inventory.flows) || !Array.isArray(inventory.infrastructure)) {
    throw new Error("coverage: the export `flows` is not a flow inventory ({timeZone, veleroNamespace, flows[], infrastructure[]}, components/flows/types.ts)");
  }
  return inventory;
}

/** A registered Schedule, CronJob or DaemonSet and the inventory's objects disagree. */
export class FlowDriftError extends Error {}

const DRIFT_KINDS = new Set(["Schedule", "CronJob", "DaemonSet"]);

/** Every object the inventory names: the flows' objects and watches, their verifications, the shared watches. */
export function inventoryObjects(inventory: FlowInventory): ObjectRef[] {
  const refs = [
    ...inventory.flows.flatMap((f) => [...f.objects, ...f.watches.map((w) => w.object), ...f.verifiedBy.map((v) => v.watch.object)]),
    ...inventory.infrastructure.map((w) => w.object),
  ];
  return [...new Map(refs.map((r) => [objectRefText(r), r])).values()];
}

/**
 * The drift between the inventory and the registered objects, as one line (undefined when none): Schedules, CronJobs
 * and DaemonSets carrying the flow label that the inventory does not name, and objects it names (other than those a
 * chart renders) that the program does not register.
 */
export function flowDrift(inventory: FlowInventory, objects: readonly Obj[]): string | undefined {
  const named = inventoryObjects(inventory);
  const namedKeys = new Set(named.map(objectRefText));
  const refOf = (o: Obj) => objectRefText({ kind: o.kind as ObjectRef["kind"], namespace: String(o.metadata?.namespace ?? ""), name: String(o.metadata?.name) });
  const registered = objects.filter((o) => DRIFT_KINDS.has(String(o.kind)));
  const registeredKeys = new Set(registered.map(refOf));
  const unnamed = registered.filter((o) => labelsOf(o)[FLOW_LABEL] !== undefined && !namedKeys.has(refOf(o))).map((o) => `${refOf(o)} (flow ${labelsOf(o)[FLOW_LABEL]})`);
  const missing = named.filter((r) => DRIFT_KINDS.has(r.kind) && !r.renderedBy && !registeredKeys.has(objectRefText(r))).map(objectRefText);
  if (unnamed.length === 0 && missing.length === 0) return undefined;
  return [
    "flow inventory drift (components/flows vs the registered objects):",
    [
      unnamed.length ? `registered with the ${FLOW_LABEL} label but in no flow's objects, watches or verifiedBy: ${unnamed.join(", ")}` : "",
      missing.length ? `named by the inventory but not registered: ${missing.join(", ")}` : "",
    ]
      .filter(Boolean)
      .join("; "),
  ].join(" ");
}

/** Every backup flow of the inventory, in the order of docs/design.md §1. Throws a {@link FlowDriftError} on drift. Pure. */
function flowRows(input: CoverageInput): FlowRow[] {
  const inventory = flowInventoryOf(input.exports);
  if (!inventory) return [];
  const drift = flowDrift(inventory, input.objects);
  if (drift) throw new FlowDriftError(drift);
  const rank = (flow: string) => (FLOW_ORDER.includes(flow as FlowName) ? FLOW_ORDER.indexOf(flow as FlowName) : FLOW_ORDER.length);
  return inventory.flows.map((f) => rowOf(f, input, inventory.timeZone)).sort((a, b) => rank(a.flow) - rank(b.flow) || a.flow.localeCompare(b.flow));
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
  // A flow nothing reads back on a schedule: its first failed restore would be the one that was needed.
  for (const f of flows.filter((x) => x.verifiedBy.length === 0)) {
    const drill = (DRILL_KINDS as readonly string[]).includes(f.flow) ? `; enable drills.${f.flow}` : "";
    gaps.push({ kind: "unverified", subject: f.flow, message: `${f.flow}: no restore drill or scrub reads its backups back on a schedule, so a backup that cannot be restored goes unnoticed until it is needed${drill}` });
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

/** The "verified by" cell: each drill or scrub with its CronJob and schedule, or `none`. */
export function verifiedByText(f: FlowRow): string {
  const rotation = (v: VerifiedBy) => (v.rotationWeeks === undefined ? "" : `; every tenant at least once per ${v.rotationWeeks} weeks`);
  return f.verifiedBy.length ? f.verifiedBy.map((v) => `${v.kind} \`${v.object.replace(/^CronJob /, "")}\` (${v.schedule}${rotation(v)})`).join("<br>") : "none";
}

/** coverage.md. */
export function coverageMarkdown(c: Coverage): string {
  const flowTable = [
    "| flow | objects | selects | mechanism | schedule | RPO | retention | oldest restore point | destination | encryption | immutability | verified by |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...c.flows.map((f) =>
      `| ${[f.flow, f.objects.map((o) => `\`${o}\``).join("<br>"), f.selection.text, f.mechanism, f.schedule, f.rpo, f.retention, f.oldestRestorePoint, f.destination.text, f.encryption, f.immutability, verifiedByText(f)].map(cell).join(" | ")} |`,
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
    "Derived from the flow inventory this stack exports (`flows`), checked against the objects this plan registers (Velero Schedules, Benji CronJobs, zrepl DaemonSets, restore drills), and the `backupStorageLocations` / `buckets` exports. RPO is the longest gap between two runs of the flow's schedule; the oldest restore point is what its retention still keeps; \"verified by\" names the restore drills and scrubs that read its backups back on a schedule (none: an `unverified` gap).",
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
