/**
 * The Velero Schedule of each enabled flow, as data (docs/design.md §1, §2(a), §3.4.6). Pure: the Schedules component, the alert
 * targets, the coverage report and the config guards read the same specs.
 */
import { BACKUP_STRATEGY_LABEL, BACKUP_STRATEGY_ZFS_LOCAL, BACKUP_THIS_PVC_LABEL, FLOW_LABEL, type FlowName } from "../labels";
import { formatGoDuration, parseGoDuration } from "../schema/duration";
import { DEFAULT_VELERO_NAMESPACE } from "./values";

/** Namespaces a system-wide backup leaves out: tenants, flows of their own, backup data, re-created ones. */
export const SYSTEM_EXCLUDED_NAMESPACES = ["cust-*", "garage", "postgres", "backup-system", "zrepl", "minio", "kube-node-lease", "kube-public"];

/** Schedule names (Backups are `<name>-<yyyyMMddHHmmss>`; metrics carry the name in the `schedule` label). */
export const SCHEDULE_NAMES = {
  tenants: "tenants-daily",
  system: "system-daily",
  garageMetaCeph: "garage-meta-ceph",
  garageDataZfs: "garage-data-zfs",
  postgres: "postgres-backup",
} as const;

/** The Backup template fields this program sets (a subset of the velero.io/v1 BackupSpec). */
export interface BackupTemplate {
  includedNamespaces: string[];
  excludedNamespaces?: string[];
  includeClusterResources?: boolean;
  labelSelector?: { matchLabels: Record<string, string> };
  snapshotVolumes: boolean;
  snapshotMoveData?: boolean;
  defaultVolumesToFsBackup: boolean;
  storageLocation: string;
  csiSnapshotTimeout?: string;
  ttl: string;
  metadata: { labels: Record<string, string> };
}

/** `spec` of a velero.io/v1 Schedule. */
export interface VeleroScheduleSpec {
  schedule: string;
  useOwnerReferencesInBackup: false;
  template: BackupTemplate;
}

/** One Schedule to create. */
export interface ScheduleSpec {
  /** `metadata.name`. */
  readonly name: string;
  /** The flow, as in the `cluster-backup.io/flow` label (FLOW_LABEL). */
  readonly flow: FlowName;
  /** Config path of the flow, e.g. `flows.tenants`. */
  readonly configPath: string;
  /** Namespace of the Schedule (Velero's). */
  readonly namespace: string;
  readonly spec: VeleroScheduleSpec;
}

/** What every Velero flow has: whether it runs, its cron, the location it writes to and how long backups live. */
export interface VeleroFlowSettings {
  readonly enabled: boolean;
  /** Cron, without time zone. */
  readonly schedule: string;
  /** Backup storage location name. */
  readonly location: string;
  /** Go duration backups are kept. */
  readonly ttl: string;
}

/** What the Schedules are built from (the `flows.*` keys of the Velero flows, components/stack-args.ts passes them). */
export interface ScheduleConfig {
  /** IANA zone every cron runs in. */
  readonly timeZone: string;
  readonly velero: { readonly namespace: string };
  readonly flows: {
    readonly tenants: VeleroFlowSettings & { readonly namespaceGlob: string };
    readonly system: VeleroFlowSettings & { readonly excludedNamespaces: readonly string[] };
    readonly garageMetaCeph: VeleroFlowSettings & { readonly namespace: string; readonly csiSnapshotTimeout?: string };
    readonly garageDataZfs: VeleroFlowSettings & { readonly namespace: string };
    readonly postgres: VeleroFlowSettings & { readonly workload: { readonly namespace: string } };
    /** zrepl's namespace: a renamed one is still left out of system-daily. */
    readonly zrepl: { readonly namespace: string };
  };
  /** The dev MinIO's namespace, when there is one (left out of system-daily). */
  readonly storage: { readonly minio?: { readonly namespace: string } };
}

/** Velero reads `CRON_TZ=<zone> <cron>` (robfig/cron); the zone is always written, UTC included, so no run depends on the server's zone. */
export function veleroCron(schedule: string, timeZone: string): string {
  return `CRON_TZ=${timeZone} ${schedule}`;
}

/** A ttl in the canonical `XhYmZs` form Velero stores (`168h` → `168h0m0s`). */
export function canonicalTtl(ttl: string): string {
  const seconds = parseGoDuration(ttl);
  if (seconds === undefined) throw new Error(`ttl '${ttl}' is not a Go duration such as '720h0m0s'`);
  return formatGoDuration(seconds);
}

/**
 * `system-daily` exclusions: the configured list, with the default names of namespaces this program owns replaced by
 * their configured names (a renamed Velero namespace must still be left out), without duplicates.
 */
export function systemExcludedNamespaces(cfg: ScheduleConfig): string[] {
  const renamed: Record<string, string> = {
    [DEFAULT_VELERO_NAMESPACE]: cfg.velero.namespace,
    zrepl: cfg.flows.zrepl.namespace,
    ...(cfg.storage.minio ? { minio: cfg.storage.minio.namespace } : {}),
  };
  const defaults = new Set(SYSTEM_EXCLUDED_NAMESPACES);
  const names = cfg.flows.system.excludedNamespaces.map((ns) => (defaults.has(ns) && renamed[ns] ? renamed[ns] : ns));
  return [...new Set(names)];
}

/** The Schedules of every enabled Velero flow, in flow order. Pure. */
export function buildScheduleSpecs(cfg: ScheduleConfig): ScheduleSpec[] {
  const f = cfg.flows;
  const namespace = cfg.velero.namespace;
  const specs: ScheduleSpec[] = [];
  const add = (key: keyof typeof SCHEDULE_NAMES, flow: FlowName, schedule: string, template: Omit<BackupTemplate, "metadata">) =>
    specs.push({
      name: SCHEDULE_NAMES[key],
      flow,
      configPath: `flows.${key}`,
      namespace,
      spec: {
        schedule: veleroCron(schedule, cfg.timeZone),
        useOwnerReferencesInBackup: false,
        template: { ...template, metadata: { labels: { [FLOW_LABEL]: flow } } },
      },
    });

  if (f.tenants.enabled) {
    add("tenants", "tenants", f.tenants.schedule, {
      includedNamespaces: [f.tenants.namespaceGlob],
      storageLocation: f.tenants.location,
      ttl: canonicalTtl(f.tenants.ttl),
      defaultVolumesToFsBackup: true,
      snapshotVolumes: false,
    });
  }
  if (f.system.enabled) {
    add("system", "system", f.system.schedule, {
      includedNamespaces: ["*"],
      excludedNamespaces: systemExcludedNamespaces(cfg),
      includeClusterResources: true,
      storageLocation: f.system.location,
      ttl: canonicalTtl(f.system.ttl),
      defaultVolumesToFsBackup: true,
      snapshotVolumes: false,
    });
  }
  if (f.garageMetaCeph.enabled) {
    add("garageMetaCeph", "garage-meta-ceph", f.garageMetaCeph.schedule, {
      includedNamespaces: [f.garageMetaCeph.namespace],
      // Object-level on purpose: it picks the PVCs (their PVs follow), not the namespace (docs/design.md §2(a)).
      labelSelector: { matchLabels: { [BACKUP_THIS_PVC_LABEL]: "true" } },
      snapshotVolumes: true,
      snapshotMoveData: true,
      defaultVolumesToFsBackup: false,
      storageLocation: f.garageMetaCeph.location,
      csiSnapshotTimeout: f.garageMetaCeph.csiSnapshotTimeout,
      ttl: canonicalTtl(f.garageMetaCeph.ttl),
    });
  }
  if (f.garageDataZfs.enabled) {
    add("garageDataZfs", "garage-data-zfs", f.garageDataZfs.schedule, {
      includedNamespaces: [f.garageDataZfs.namespace],
      labelSelector: { matchLabels: { [BACKUP_STRATEGY_LABEL]: BACKUP_STRATEGY_ZFS_LOCAL } },
      snapshotVolumes: true,
      snapshotMoveData: false,
      defaultVolumesToFsBackup: false,
      storageLocation: f.garageDataZfs.location,
      ttl: canonicalTtl(f.garageDataZfs.ttl),
    });
  }
  if (f.postgres.enabled) {
    add("postgres", "postgres", f.postgres.schedule, {
      includedNamespaces: [f.postgres.workload.namespace],
      storageLocation: f.postgres.location,
      ttl: canonicalTtl(f.postgres.ttl),
      snapshotVolumes: false,
      defaultVolumesToFsBackup: false,
    });
  }
  return specs;
}

