/**
 * The one place where the stack config becomes component args: each function below reads config keys and returns a
 * component's own typed args (config key → argument, one line each). Components never see the stack config; index.ts
 * calls these and wires the components with the results. Pure except where an arg is a Pulumi output of a secret.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config";
import type { ClusterAccess } from "./cluster";
import type { AdmissionPoliciesArgs } from "./admission/admission-policies";
import type { DeclaredContext } from "../policy/rules/context";
import { benjiCoverageNote, benjiCronJobs, benjiDatabaseNote, type BenjiArgs } from "./benji/benji";
import { benjiPvcNamespaces } from "./benji/access";
import { databaseNamespace } from "./benji/benji-config";
import { benjiIntegrityNote, type BenjiIntegritySettings } from "./benji/integrity";
import { parseBenjiEncryption } from "./key-material";
import { parseGoDuration } from "./schema/duration";
import type { S3Target } from "./storage/types";
import type { StorageArgs } from "./storage";
import { ZREPL_K8S, zreplSinkAddress, type ZreplReplicationArgs } from "./zrepl/replication";
import { benjiCronJobsByRole } from "./flows/benji";
import { buildFlowInventory, type FlowInventoryArgs } from "./flows/inventory";
import type { FlowInventory } from "./flows/types";
import { sinkCheckDatasets } from "./zrepl/sink-check";
import { parseZreplDuration } from "./zrepl/grid";
import type { StaleKey } from "./monitoring/stale";
import { buildScheduleSpecs, type ScheduleSpec } from "./velero/schedule-specs";
import type { DrillSpec } from "./drills/spec";
import { restoreDrillsArgs, type RestoreDrillsArgs } from "./drills/drills";
import { veleroLocationNames } from "./velero/values";
import { OPTOUT_ACTIVE_DEADLINE_SECONDS, OPTOUT_NAME, optOutSyncRuns, type TenantOptOutSyncArgs } from "./velero/optout";
import type { VeleroArgs, VeleroLocation } from "./velero/velero";
import type { SnapshotClassesArgs } from "./velero/snapshot-classes";
import { postgresHookOptions, type PostgresBackupArgs } from "./postgres/postgres-backup";
import type { DemoArgs } from "./demo/demo";
import type { BackupAlertsArgs } from "./monitoring/alerts";
import { buildDashboard } from "./dashboard/dashboard";
import type { GrafanaDashboardArgs } from "./dashboard/grafana-dashboard";

/** `kubernetes` → the cluster provider's access. */
export function clusterAccess(cfg: Pick<StackConfig, "kubernetes">): ClusterAccess {
  return cfg.kubernetes;
}

/**
 * Storage ← `production`; `storage.<backend>` → `backends`; `velero.locations.<name>.{backend,bucket}` →
 * `veleroLocations`; `flows.benji.storage` (when `flows.benji.enabled`) → `benji`; secret `garageAdminToken`.
 */
export function storageArgsFromConfig(cfg: StackConfig): StorageArgs {
  const benji = cfg.flows.benji;
  return {
    production: cfg.production,
    backends: cfg.storage,
    veleroLocations: cfg.velero.locations,
    benji: benji.enabled ? benji.storage : undefined,
    garageAdminToken: cfg.secrets.garageAdminToken,
  };
}

/**
 * Velero's locations ← `velero.locations.<name>.{prefix,default}` of each location Velero renders (used by an enabled
 * flow, or the default), with the bucket storage provisioned for it.
 */
export function veleroLocationsFromConfig(cfg: Pick<StackConfig, "velero" | "flows">, buckets: Readonly<Record<string, S3Target>>): Record<string, VeleroLocation> {
  return Object.fromEntries(
    veleroLocationNames(cfg).map((name) => {
      const target = buckets[name];
      if (!target) throw new Error(`velero.locations.${name}: no bucket was provisioned for it`);
      return [name, { target, prefix: cfg.velero.locations[name].prefix, default: cfg.velero.locations[name].default }];
    }),
  );
}

/** Velero ← `velero.*` (one to one), `monitoring.ruleLabels` → `serviceMonitorLabels`, secret `veleroRepositoryPassword`, `production`. */
export function veleroArgsFromConfig(cfg: StackConfig, locations: Record<string, VeleroLocation>, enableCsi: boolean): VeleroArgs {
  return {
    locations,
    namespace: cfg.velero.namespace,
    chartVersion: cfg.velero.chartVersion,
    image: cfg.velero.image,
    awsPluginImage: cfg.velero.awsPluginImage,
    nodeAgent: cfg.velero.nodeAgent,
    concurrentBackups: cfg.velero.concurrentBackups,
    fsBackupTimeout: cfg.velero.fsBackupTimeout,
    serviceMonitor: cfg.velero.serviceMonitor,
    serviceMonitorLabels: cfg.monitoring.ruleLabels,
    enableCsi,
    repositoryPassword: cfg.velero.repositoryPassword,
    existingRepositoryPassword: cfg.secrets.veleroRepositoryPassword,
    extraValues: cfg.velero.extraValues,
    production: cfg.production,
  };
}

/** SnapshotClasses ← `csi.cephRbd` / `csi.zfs`, each when its `create` is set; undefined when neither is. */
export function snapshotClassesArgsFromConfig(cfg: Pick<StackConfig, "csi">): SnapshotClassesArgs | undefined {
  const csi = cfg.csi;
  if (!(csi.cephRbd?.create || csi.zfs?.create)) return undefined;
  return { cephRbd: csi.cephRbd?.create ? csi.cephRbd : undefined, zfs: csi.zfs?.create ? csi.zfs : undefined };
}

/**
 * TenantOptOutSync ← `velero.namespace`, `flows.tenants.{optOutSchedule,namespaceGlob,optOutImage}`, `timeZone`; only
 * when `flows.tenants.enabled` and the sync runs (`flows.tenants.optOutSync`, else off under `policy.admission` Deny).
 */
export function optOutArgsFromConfig(cfg: StackConfig, dependsOn: TenantOptOutSyncArgs["dependsOn"]): TenantOptOutSyncArgs | undefined {
  const tenants = cfg.flows.tenants;
  if (!optOutSyncRuns(tenants, cfg.policy.admission)) return undefined;
  return { namespace: cfg.velero.namespace, schedule: tenants.optOutSchedule, timeZone: cfg.timeZone, tenantGlob: tenants.namespaceGlob, image: tenants.optOutImage, dependsOn };
}

/** PostgresBackup ← `flows.postgres.{workload,patchWorkload,dumpVolumeSizeLimit,hookTimeout,postHookTimeout}`. */
export function postgresArgsFromConfig(cfg: Pick<StackConfig, "flows">): PostgresBackupArgs {
  const pg = cfg.flows.postgres;
  return { workload: pg.workload, patchWorkload: pg.patchWorkload, dumpVolumeSizeLimit: pg.dumpVolumeSizeLimit, hookTimeout: pg.hookTimeout, postHookTimeout: pg.postHookTimeout };
}

/** Demo ← `demo.{appImage,storageClassName,postgresImage}`; with `flows.postgres` on, the Postgres its workload names, with the dump hooks. */
export function demoArgsFromConfig(cfg: Pick<StackConfig, "demo" | "flows">): DemoArgs {
  const pg = cfg.flows.postgres;
  return {
    appImage: cfg.demo.appImage,
    storageClassName: cfg.demo.storageClassName,
    postgres: pg.enabled ? { name: pg.workload.name, namespace: pg.workload.namespace, image: cfg.demo.postgresImage, hooks: postgresHookOptions(pg) } : undefined,
  };
}

/** Where the alerts go ← `monitoring.{prometheusOperator,namespace}` (defaults: `production`, `velero.namespace`). */
export function alertsPlacementFromConfig(cfg: Pick<StackConfig, "monitoring" | "production" | "velero">): { deployed: boolean; namespace: string } {
  return { deployed: cfg.monitoring.prometheusOperator ?? cfg.production, namespace: cfg.monitoring.namespace ?? cfg.velero.namespace };
}

/** BackupAlerts ← the rule groups, `monitoring.ruleLabels`, `flows.zrepl.namespace` (when zrepl runs). */
export function alertsArgsFromConfig(cfg: StackConfig, groups: BackupAlertsArgs["groups"], namespace: string, dependsOn: BackupAlertsArgs["dependsOn"]): BackupAlertsArgs {
  return { groups, namespace, ruleLabels: cfg.monitoring.ruleLabels, zreplNamespace: cfg.flows.zrepl.enabled ? cfg.flows.zrepl.namespace : undefined, zreplSinkCheck: cfg.flows.zrepl.sinkCheck.enabled, dependsOn };
}

/** The policy context of a stack (the pack reads it; the admission CEL embeds it). */
function policyContextOf(cfg: StackConfig): DeclaredContext {
  const garage = [cfg.storage.garage?.namespace, cfg.flows.garageMetaCeph.namespace, cfg.flows.garageDataZfs.namespace];
  return {
    production: cfg.production,
    garageNamespaces: [...new Set(garage.filter((n): n is string => n !== undefined))],
    cephRbdStorageClasses: [...(cfg.policy.admission.cephRbdStorageClasses ?? cfg.csi.cephRbd?.storageClasses ?? [])],
    privilegedNamespaces: [...new Set([cfg.velero.namespace, cfg.flows.benji.namespace, cfg.flows.zrepl.namespace])],
  };
}

/** AdmissionPolicies ← `policy.admission.{enabled,action}` and the policy context above. */
export function admissionArgsFromConfig(cfg: StackConfig): AdmissionPoliciesArgs {
  return { context: policyContextOf(cfg), enabled: cfg.policy.admission.enabled, action: cfg.policy.admission.action };
}

/**
 * Benji ← `flows.benji.*`, `timeZone`, secrets `benjiDatabaseUrl`/`benjiCephKey`/`benjiEncryption`, `production`,
 * `policy.admission`. Config validation (config-rules.ts `benjiRule`) already refuses Benji without storage, Ceph,
 * `benjiDatabaseUrl` or `benjiCephKey`; the checks here only narrow the types.
 */
export function benjiArgsFromConfig(cfg: StackConfig, storage: S3Target | undefined, provider: k8s.Provider): BenjiArgs {
  const b = cfg.flows.benji;
  const databaseUrl = cfg.secrets.benjiDatabaseUrl;
  const cephKey = cfg.secrets.benjiCephKey;
  if (!storage || !b.ceph || !databaseUrl || !cephKey) {
    throw new Error("flows.benji is enabled without storage, ceph, benjiDatabaseUrl or benjiCephKey; config validation should have refused it");
  }
  return {
    provider,
    namespace: b.namespace,
    image: b.image,
    instance: b.instance,
    retention: b.retention,
    timeZone: cfg.timeZone,
    schedules: { backup: b.backupSchedule, enforce: b.enforceSchedule, cleanup: b.cleanupSchedule },
    storage,
    databaseUrl,
    ceph: { monHost: b.ceph.monHost, clientId: b.ceph.clientId, key: cephKey, pools: b.ceph.pools },
    protect: cfg.production,
    encryption: cfg.secrets.benjiEncryption?.apply((text) => {
      const parsed = parseBenjiEncryption(text);
      if (typeof parsed === "string") throw new Error(`benjiEncryption: ${parsed}; config validation should have refused it`);
      return parsed;
    }),
    pushGateway: b.pushGateway,
    pvcNamespaces: benjiPvcNamespaces(b.pvcNamespaces, cfg.flows.garageMetaCeph.namespace),
    admission: { enabled: cfg.policy.admission.enabled, action: cfg.policy.admission.action },
    integrity: benjiIntegrityFromConfig(b),
  };
}

/** Benji's integrity CronJobs ← `flows.benji.{scrub,drill,metadataBackup}` (drill.timeout in seconds). */
export function benjiIntegrityFromConfig(b: Pick<StackConfig["flows"]["benji"], "scrub" | "drill" | "metadataBackup">): BenjiIntegritySettings {
  const { scrub, drill, metadataBackup } = b;
  return {
    scrub: { enabled: scrub.enabled, schedule: scrub.schedule, versionPercentage: scrub.versionPercentage, blockPercentage: scrub.blockPercentage },
    drill: { enabled: drill.enabled, schedule: drill.schedule, timeoutSeconds: parseGoDuration(drill.timeout) ?? 0 },
    metadataBackup: { enabled: metadataBackup.enabled, schedule: metadataBackup.schedule },
  };
}

/**
 * The plan-summary lines of the Benji flow. The database line depends on the (secret) database URL, so it is an
 * output; only the namespace of its host is revealed, never the URL.
 */
export function benjiSummaryNotes(cfg: StackConfig): pulumi.Input<string>[] {
  const b = cfg.flows.benji;
  const notes: pulumi.Input<string>[] = [
    benjiCoverageNote(cfg.csi.cephRbd?.storageClasses, b.ceph?.pools ?? [], benjiPvcNamespaces(b.pvcNamespaces, cfg.flows.garageMetaCeph.namespace)),
    benjiIntegrityNote(benjiIntegrityFromConfig(b), cfg.timeZone),
  ];
  const url = cfg.secrets.benjiDatabaseUrl;
  if (url) {
    const postgres = { enabled: cfg.flows.postgres.enabled, namespace: cfg.flows.postgres.workload.namespace };
    notes.push(pulumi.unsecret(url.apply((u) => benjiDatabaseNote(databaseNamespace(u, b.namespace), postgres))));
  }
  return notes;
}

/** The validated `flows.zrepl` (image and nodes are optional there; config-rules require them when enabled). */
export type ZreplFlowConfig = Omit<StackConfig["flows"]["zrepl"], "enabled" | "lagThreshold">;

/** ZreplReplication ← `flows.zrepl.*` (one to one), `production` → `protect`. */
export function zreplArgsFromConfig(flow: ZreplFlowConfig, production: boolean): ZreplReplicationArgs {
  const { image, sourceNode, sinkNode } = flow;
  if (!image || !sourceNode || !sinkNode) {
    throw new Error("flows.zrepl: image, sourceNode and sinkNode are required when zrepl is enabled");
  }
  return {
    namespace: flow.namespace,
    image,
    sourceNode,
    sinkNode,
    sourceFilesystems: flow.sourceFilesystems,
    sinkRootFs: flow.sinkRootFs,
    clientCn: flow.clientCn,
    serverCn: flow.serverCn,
    snapshotInterval: flow.snapshotInterval,
    keepSenderLastN: flow.keepSenderLastN,
    receiverGrid: flow.receiverGrid,
    ...(flow.sinkCheck.enabled ? { sinkCheck: { exporterImage: flow.sinkCheck.exporterImage, interval: flow.sinkCheck.interval } } : {}),
    protect: production,
  };
}

type ConfigStaleKey = keyof StackConfig["monitoring"]["staleAfter"];
/** Compile-time check: the schema's `monitoring.staleAfter` keys are monitoring's `STALE_KEYS`, no more, no fewer. */
export const STALE_KEYS_MATCH_SCHEMA: [ConfigStaleKey] extends [StaleKey] ? ([StaleKey] extends [ConfigStaleKey] ? true : never) : never = true;

/**
 * Velero Schedules ← `timeZone`, `velero.namespace`, `flows.{tenants,system,garageMetaCeph,garageDataZfs,postgres}.*`
 * (enabled, schedule, location, ttl and each flow's selection), `flows.zrepl.namespace` and `storage.minio.namespace`
 * (left out of system-daily). The config's shape is the builder's {@link ScheduleConfig}: passed as is.
 */
export function scheduleSpecsFromConfig(cfg: StackConfig): ScheduleSpec[] {
  return buildScheduleSpecs(cfg);
}

/**
 * RestoreDrills ← `timeZone`, `velero.namespace`, `drills.*`, `monitoring.grace`, `flows.tenants.{enabled,schedule,namespaceGlob}`,
 * `flows.postgres.{enabled,schedule,workload}` (the builder's `DrillConfig`, passed as is); undefined without a drill.
 */
export function drillArgsFromConfig(cfg: StackConfig, dependsOn: pulumi.Input<pulumi.Resource>[]): RestoreDrillsArgs | undefined {
  return restoreDrillsArgs(cfg, dependsOn);
}

/**
 * The flow inventory ← `timeZone`, `velero.{namespace,repositoryPassword}`, the rendered locations,
 * `monitoring.{staleAfter,grace}`, the Velero Schedules and drills built, `flows.postgres.workload` (where the dump hooks
 * sit), `flows.tenants.optOutSchedule` (when the opt-out sync runs), `flows.benji.{namespace,retention,pvcNamespaces,*Schedule,scrub,drill,metadataBackup}`
 * with its CronJob names (when enabled), `flows.zrepl.*` with its DaemonSet names and sink address (when enabled).
 */
export function flowInventoryArgsFromConfig(cfg: StackConfig, schedules: readonly ScheduleSpec[], drills: readonly DrillSpec[]): FlowInventoryArgs {
  const { benji: b, zrepl: z, tenants: t, postgres: pg } = cfg.flows;
  const pvcNamespaces = benjiPvcNamespaces(b.pvcNamespaces, cfg.flows.garageMetaCeph.namespace);
  return {
    timeZone: cfg.timeZone,
    veleroNamespace: cfg.velero.namespace,
    staleAfter: cfg.monitoring.staleAfter,
    grace: cfg.monitoring.grace,
    schedules,
    velero: {
      repositoryPassword: cfg.velero.repositoryPassword,
      postgresWorkload: pg.enabled ? { namespace: pg.workload.namespace, name: pg.workload.name } : undefined,
      locationNames: veleroLocationNames(cfg),
      optOut: optOutSyncRuns(t, cfg.policy.admission) ? { name: OPTOUT_NAME, cron: t.optOutSchedule, activeDeadlineSeconds: OPTOUT_ACTIVE_DEADLINE_SECONDS } : undefined,
      extraValues: cfg.velero.extraValues,
    },
    benji: b.enabled
      ? {
          namespace: b.namespace,
          instance: b.instance,
          pools: [...(b.ceph?.pools ?? [])],
          retention: b.retention,
          pvcNamespaces,
          cronJobs: benjiCronJobsByRole(benjiCronJobs(b.instance, b.retention, { backup: b.backupSchedule, enforce: b.enforceSchedule, cleanup: b.cleanupSchedule }, pvcNamespaces)),
          integrity: benjiIntegrityFromConfig(b),
        }
      : undefined,
    zrepl: z.enabled
      ? {
          namespace: z.namespace,
          pushDaemonSet: ZREPL_K8S.push,
          sinkDaemonSet: ZREPL_K8S.sink,
          sinkAddress: zreplSinkAddress(z.namespace),
          serverCn: z.serverCn,
          sourceNode: required(z.sourceNode, "flows.zrepl.sourceNode"),
          sinkNode: required(z.sinkNode, "flows.zrepl.sinkNode"),
          sourceFilesystems: z.sourceFilesystems,
          sinkRootFs: z.sinkRootFs,
          clientCn: z.clientCn,
          snapshotInterval: z.snapshotInterval,
          lagThreshold: z.lagThreshold,
          keepSenderLastN: z.keepSenderLastN,
          receiverGrid: z.receiverGrid,
          ...(z.sinkCheck.enabled
            ? { sinkCheck: { intervalSeconds: parseZreplDuration(z.sinkCheck.interval) ?? 0, datasets: sinkCheckDatasets(z.sourceFilesystems, z.sinkRootFs, z.clientCn) } }
            : {}),
        }
      : undefined,
    drills,
  };
}

/** A value config validation requires when its flow is enabled (config-rules.ts refuses its absence first). */
function required(value: string | undefined, key: string): string {
  if (value === undefined) throw new Error(`${key} is required when the flow is enabled; config validation should have refused it`);
  return value;
}

/** The stack's flow inventory: {@link flowInventoryArgsFromConfig} built. */
export function flowInventoryFromConfig(cfg: StackConfig, schedules: readonly ScheduleSpec[], drills: readonly DrillSpec[]): FlowInventory {
  return buildFlowInventory(flowInventoryArgsFromConfig(cfg, schedules, drills));
}

/**
 * The Grafana dashboard ConfigMap ← `environment` (uid, title), the flow inventory, `monitoring.runbookBaseUrl` (panel links,
 * when absolute), `monitoring.dashboard.*`: `enabled`
 * (default: where the alerts are deployed), `namespace` (default: the alerts' namespace), `labelKey`/`labelValue`,
 * `folderAnnotation`/`folder`; undefined when it is off. index.ts adds `dependsOn` (Velero's namespace when it is that).
 */
export function dashboardArgsFromConfig(
  cfg: Pick<StackConfig, "environment" | "monitoring">,
  inventory: FlowInventory,
  alerts: { deployed: boolean; namespace: string },
): GrafanaDashboardArgs | undefined {
  const d = cfg.monitoring.dashboard;
  if (!(d.enabled ?? alerts.deployed)) return undefined;
  return {
    dashboard: buildDashboard(inventory, {
      uid: `cluster-backup-${cfg.environment}`,
      title: `Backup flows (${cfg.environment})`,
      tags: ["cluster-backup", "backup", cfg.environment],
      // A repository path such as the default `RESTORE.md` would resolve against Grafana's own URL: no links then.
      runbookBaseUrl: /^https?:\/\//.test(cfg.monitoring.runbookBaseUrl) ? cfg.monitoring.runbookBaseUrl : undefined,
    }),
    namespace: d.namespace ?? alerts.namespace,
    label: { key: d.labelKey, value: d.labelValue },
    folder: { annotation: d.folderAnnotation, name: d.folder },
  };
}
