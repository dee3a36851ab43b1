/**
 * The Velero flows (one per Schedule of components/velero/schedule-specs.ts) and the watches they share: the backup
 * storage locations, Velero's node-agent and the tenant opt-out sync. Pure.
 */
import { VELERO_RELEASE } from "../velero/values";
import { REPO_MAINTENANCE_METRICS, repoMaintenanceTarget } from "../monitoring/repo-maintenance";
import { METRICS, selector } from "../monitoring/rules";
import { staleAfterSeconds, type StaleKey, type StaleSettings } from "../monitoring/stale";
import { RUNBOOK_ANCHORS, type RunbookAnchor } from "../runbook-anchors";
import { cronMaxIntervalSeconds } from "../schema/cron";
import { parseGoDuration } from "../schema/duration";
import { REPO_CREDENTIALS_SECRET } from "../velero/values";
import { veleroCron, type ScheduleSpec } from "../velero/schedule-specs";
import { matchLabelsText } from "./text";
import { cronJobWatch, daemonSetWatch, objectRef } from "./watches";
import type { Flow, LocationWatch, Mechanism, RepoMaintenanceWatch, ScheduleWatch, Selection, Watch } from "./types";

/** Velero's node-agent DaemonSet: the chart names it `node-agent`, whatever the release (chart 12.1.0 templates/node-agent-daemonset.yaml). */
export const VELERO_NODE_AGENT_DAEMONSET = "node-agent";

/** What the Velero flows are built from besides their Schedules. */
export interface VeleroFlowArgs extends StaleSettings {
  /** IANA zone of every cron. */
  readonly timeZone: string;
  /** velero.repositoryPassword: `legacy-default` leaves the kopia repository on Velero's well-known password. */
  readonly repositoryPassword: "random" | "existing" | "legacy-default";
  /** flows.postgres.workload: the workload whose pod template carries the dump hooks. */
  readonly postgresWorkload?: { readonly namespace: string; readonly name: string };
}

/** What Velero's shared watches are built from. */
export interface VeleroInfrastructureArgs {
  readonly veleroNamespace: string;
  /** The backup storage locations Velero renders. */
  readonly locationNames: readonly string[];
  /** The tenant opt-out CronJob, when it runs. */
  readonly optOut?: { readonly name: string; readonly cron: string; readonly activeDeadlineSeconds: number };
  /** velero.extraValues: its `configuration.defaultRepoMaintainFrequency` sets the kopia maintenance interval. */
  readonly extraValues: Readonly<Record<string, unknown>>;
  /** monitoring.grace, added to the maintenance interval. */
  readonly grace: string;
}

/** Runbook section of each Velero flow key (flows.<key>). */
const SCHEDULE_ANCHORS: Record<string, RunbookAnchor> = {
  tenants: RUNBOOK_ANCHORS.tenants,
  system: RUNBOOK_ANCHORS.system,
  garageMetaCeph: RUNBOOK_ANCHORS.garageMetaCeph,
  garageDataZfs: RUNBOOK_ANCHORS.garageDataZfs,
  postgres: RUNBOOK_ANCHORS.postgres,
};

/** How each mechanism captures volumes (coverage matches data classes against it). */
export const MECHANISM_VOLUMES: Record<Mechanism, Selection["volumes"]> = {
  "velero-fs": "files",
  "velero-csi-datamover": "block",
  "velero-csi-local": "zfs",
  "velero-hooks": "annotated-files",
  "velero-objects": "none",
  "benji-rbd": "block",
  zrepl: "zfs",
};

/** The cron of a Schedule without Velero's `CRON_TZ=<zone> ` prefix. */
export function scheduleCron(spec: ScheduleSpec, timeZone: string): string {
  const prefix = veleroCron("", timeZone);
  if (!spec.spec.schedule.startsWith(prefix)) throw new Error(`Schedule ${spec.name}: '${spec.spec.schedule}' does not start with '${prefix}'`);
  return spec.spec.schedule.slice(prefix.length);
}

/** Encryption of a Velero flow's copy, by how it captures volumes. */
export function veleroEncryption(volumes: Selection["volumes"], legacyPassword: boolean): string {
  const objects = "Kubernetes objects (Secrets included): not encrypted by Velero";
  if (volumes === "none") return objects;
  if (volumes === "zfs") return `${objects}; volume data: none (ZFS snapshot in the source pool)`;
  const key = legacyPassword ? "with Velero's well-known default password: readable by anyone with bucket access" : `key in Secret ${REPO_CREDENTIALS_SECRET} (output kopiaRepositoryPassword)`;
  if (volumes === "block") return `${objects}; volume data: kopia repository (AES-256-GCM) via the data mover, ${key}`;
  return `${objects}; volume data: kopia repository (AES-256-GCM)${legacyPassword ? " " : ", "}${key}`;
}

function mechanismOf(spec: ScheduleSpec, hooked: boolean): Mechanism {
  const t = spec.spec.template;
  if (t.snapshotVolumes) return t.snapshotMoveData ? "velero-csi-datamover" : "velero-csi-local";
  if (t.defaultVolumesToFsBackup) return "velero-fs";
  return hooked ? "velero-hooks" : "velero-objects";
}

function selectionOf(spec: ScheduleSpec, volumes: Selection["volumes"]): Selection {
  const t = spec.spec.template;
  const include = t.includedNamespaces.length ? t.includedNamespaces : ["*"];
  const exclude = t.excludedNamespaces ?? [];
  const labels = t.labelSelector?.matchLabels;
  const clusterResources = t.includeClusterResources === true || (t.includeClusterResources === undefined && include.includes("*"));
  return {
    include: [...include],
    exclude: [...exclude],
    ...(labels ? { labels: { ...labels } } : {}),
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
}

/** One flow per Schedule, in the Schedules' order. */
export function veleroFlows(specs: readonly ScheduleSpec[], args: VeleroFlowArgs): Flow[] {
  return specs.map((spec): Flow => {
    const key = spec.configPath.replace(/^flows\./, "");
    const anchor = SCHEDULE_ANCHORS[key];
    if (!anchor) throw new Error(`Schedule ${spec.name}: no runbook section for ${spec.configPath}; add it to components/runbook-anchors.ts`);
    const t = spec.spec.template;
    const hooks = key === "postgres" && args.postgresWorkload ? { namespace: args.postgresWorkload.namespace, workload: args.postgresWorkload.name } : undefined;
    const mechanism = mechanismOf(spec, hooks !== undefined);
    const volumes = MECHANISM_VOLUMES[mechanism];
    const cron = scheduleCron(spec, args.timeZone);
    const intervalSeconds = cronMaxIntervalSeconds(cron);
    const ttlSeconds = parseGoDuration(t.ttl) ?? 0;
    const points = intervalSeconds > 0 ? Math.max(1, Math.round(ttlSeconds / intervalSeconds)) : 0;
    const object = objectRef("Schedule", spec.namespace, spec.name);
    const watch: ScheduleWatch = {
      kind: "schedule",
      flow: spec.flow,
      object,
      cron,
      intervalSeconds,
      staleAfterSeconds: staleAfterSeconds(args, key as StaleKey, intervalSeconds),
      location: t.storageLocation,
      anchor,
      metric: selector(METRICS.veleroLastSuccess, { schedule: spec.name }),
    };
    return {
      id: spec.flow,
      configPath: spec.configPath,
      mechanism,
      objects: [object],
      selection: selectionOf(spec, volumes),
      schedule: { cron, timeZone: args.timeZone, text: `\`${cron}\` ${args.timeZone}` },
      rpoSeconds: intervalSeconds,
      retention: { text: `ttl ${t.ttl} (≈${points} backups)`, oldestRestorePointSeconds: ttlSeconds },
      destination:
        mechanism === "velero-csi-local"
          ? { kind: "node-local", location: t.storageLocation, immutability: "none: the snapshots live in the source pool and go with it (deletionPolicy Retain survives namespace loss only)" }
          : { kind: "velero-location", location: t.storageLocation },
      encryption: veleroEncryption(volumes, args.repositoryPassword === "legacy-default"),
      ...(hooks ? { hooks } : {}),
      watches: [watch],
      verifiedBy: [],
      metrics: [watch.metric],
      anchor,
    };
  });
}

/** The locations Velero writes to, its node-agent and the opt-out sync; none without a Schedule. */
export function veleroInfrastructure(specs: readonly ScheduleSpec[], args: VeleroInfrastructureArgs): Watch[] {
  if (specs.length === 0) return [];
  const ns = args.veleroNamespace;
  const locations = args.locationNames.map(
    (name): LocationWatch => ({
      kind: "location",
      flow: "velero",
      object: objectRef("BackupStorageLocation", ns, name, "velero-chart"),
      schedules: specs.filter((s) => s.spec.template.storageLocation === name).map((s) => s.name),
      anchor: RUNBOOK_ANCHORS.storageLocations,
      metric: selector(METRICS.veleroLocationStatus, { backup_location_name: name }),
    }),
  );
  const nodeAgent = daemonSetWatch("velero", objectRef("DaemonSet", ns, VELERO_NODE_AGENT_DAEMONSET, "velero-chart"), "Velero's file-system backup and restore on every node", RUNBOOK_ANCHORS.nodeAgent);
  const o = args.optOut;
  // The opt-out job runs every few minutes and takes seconds: one missed run plus its deadline is late enough.
  const interval = o ? cronMaxIntervalSeconds(o.cron) : 0;
  const optOut = o
    ? [
        cronJobWatch({
          flow: "tenant-optout",
          namespace: ns,
          name: o.name,
          role: "sync",
          cron: o.cron,
          intervalSeconds: interval,
          staleAfterSeconds: 2 * interval + o.activeDeadlineSeconds,
          purpose: "keeps velero.io/exclude-from-backup in step with the tenants' backup label",
          severity: "warning",
          anchor: RUNBOOK_ANCHORS.tenants,
        }),
      ]
    : [];
  const maintenance: RepoMaintenanceWatch = {
    kind: "repo-maintenance",
    flow: "velero",
    // The chart names the server's Deployment after the release (chart 12.1.0 templates/deployment.yaml, velero.fullname).
    object: objectRef("Deployment", ns, VELERO_RELEASE, "velero-chart"),
    anchor: RUNBOOK_ANCHORS.storageLocations,
    metric: REPO_MAINTENANCE_METRICS.success,
    target: repoMaintenanceTarget(ns, args.extraValues, args.grace, RUNBOOK_ANCHORS.storageLocations),
  };
  return [...locations, nodeAgent, ...optOut, maintenance];
}
