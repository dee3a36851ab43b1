/**
 * cluster-backup: reads the stack config once, wires the components, exports what other stacks read.
 */
import "./components/promise-stack-traces";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./components/config";
import { provisionStorage, type S3Target } from "./components/storage";
import { clusterProvider } from "./components/cluster";
import {
  admissionArgsFromConfig,
  alertsArgsFromConfig,
  alertsPlacementFromConfig,
  benjiArgsFromConfig,
  benjiSummaryNotes,
  clusterAccess,
  dashboardArgsFromConfig,
  demoArgsFromConfig,
  drillArgsFromConfig,
  flowInventoryFromConfig,
  optOutArgsFromConfig,
  postgresArgsFromConfig,
  scheduleSpecsFromConfig,
  snapshotClassesArgsFromConfig,
  storageArgsFromConfig,
  veleroArgsFromConfig,
  veleroLocationsFromConfig,
  zreplArgsFromConfig,
} from "./components/stack-args";
import { PostgresBackup } from "./components/postgres/postgres-backup";
import { Demo } from "./components/demo/demo";
import { ZreplReplication } from "./components/zrepl/replication";
import { Velero } from "./components/velero/velero";
import { csiFlowEnabled } from "./components/velero/values";
import { SnapshotClasses } from "./components/velero/snapshot-classes";
import { Schedules } from "./components/velero/schedules";
import { TenantOptOutSync } from "./components/velero/optout";
import { Benji } from "./components/benji/benji";
import { AdmissionPolicies } from "./components/admission/admission-policies";
import { RestoreDrills } from "./components/drills/drills";
import { buildAlertGroups } from "./components/monitoring/rules";
import { BackupAlerts } from "./components/monitoring/alerts";
import { alertTargetsOf } from "./components/flows/alert-targets";
import { GrafanaDashboard } from "./components/dashboard/grafana-dashboard";
import { monitoringSummaryNotes } from "./components/monitoring/summary";
import { acceptedOverrides, overrideSummaryNotes } from "./components/guards";
import { imageWaiverNotes, imageWaivers } from "./components/image-pins";

const cfg = loadConfig();
const provider = clusterProvider(clusterAccess(cfg));

/** The environment this stack deploys (`dev`, `staging`, `prod`). */
export const environment = cfg.environment;
/** Namespace of Velero; the velero CLI needs `-n <it>`. */
export const veleroNamespace = cfg.velero.namespace;
/** Lines the offline plan adds to summary.md. */
export const summaryNotes: pulumi.Input<string>[] = [];
/** Guards lifted by `overrides` (key, reason, what was lifted): summary.md notes and coverage.md gaps. */
export const configOverrides = acceptedOverrides(cfg);
summaryNotes.push(...overrideSummaryNotes(configOverrides));

// Object storage (docs/design.md §3.3): buckets and one scoped credential per consumer and backend; consumers build their
// Secrets from these targets and dependsOn `target.ready`.
const storage = provisionStorage(storageArgsFromConfig(cfg), provider);
summaryNotes.push(...storage.summaryNotes);
summaryNotes.push(...imageWaiverNotes(cfg));
/** Privileged or secret-handling images running by tag only under the config's `images.allowTagOnly` waiver: `{key, image, why}`. */
export const imageTagOnly = imageWaivers(cfg);
const storageTargets: [string, S3Target][] = [...Object.entries(storage.veleroLocations), ...(storage.benji ? [["benji", storage.benji] as [string, S3Target]] : [])];
/** Bucket per Velero location and for Benji: `{backend, bucket, endpoint, region, versioned, noncurrentVersionDays, objectLock}` (no credentials). */
export const buckets = pulumi.output(
  Object.fromEntries(
    storageTargets.map(([name, t]) => [
      name,
      { backend: t.backend, bucket: t.bucket, endpoint: t.endpoint, region: t.region, versioned: t.versioned, noncurrentVersionDays: t.noncurrentVersionDays, objectLock: t.objectLock },
    ]),
  ),
);
/** Credentials per consumer and backend (`velero/scaleway`, `benji/scaleway`, ...): a secret. */
export const s3Credentials = pulumi.secret(storage.credentials);

// Velero (docs/design.md §3.4): namespace, credentials, kopia password and chart; then the snapshot classes, one Schedule per
// enabled flow, and the tenant opt-out safety net. Only locations used by enabled flows (and the default) are rendered.
const veleroLocations = veleroLocationsFromConfig(cfg, storage.veleroLocations);
const csiEnabled = csiFlowEnabled(cfg.flows);
const velero = Object.keys(veleroLocations).length > 0 ? new Velero("velero", veleroArgsFromConfig(cfg, veleroLocations, csiEnabled), { provider }) : undefined;
const snapshotClassesArgs = snapshotClassesArgsFromConfig(cfg);
const snapshotClasses = velero && csiEnabled && snapshotClassesArgs ? new SnapshotClasses("snapshot-classes", snapshotClassesArgs, { provider }) : undefined;
const scheduleSpecs = velero ? scheduleSpecsFromConfig(cfg) : [];
if (velero && scheduleSpecs.length > 0) {
  new Schedules("schedules", { schedules: scheduleSpecs, dependsOn: [velero.chart, ...(snapshotClasses ? [snapshotClasses] : [])] }, { provider });
}
const optOutArgs = velero ? optOutArgsFromConfig(cfg, [velero.namespace]) : undefined;
if (optOutArgs) new TenantOptOutSync("tenant-optout", optOutArgs, { provider });
if (velero) {
  summaryNotes.push(
    `Velero runs in namespace ${cfg.velero.namespace}: use \`velero -n ${cfg.velero.namespace} ...\` or \`velero client config set namespace=${cfg.velero.namespace}\``,
    cfg.velero.repositoryPassword === "random"
      ? "kopia repository password: generated (Secret velero-repo-credentials; output kopiaRepositoryPassword); keep it: a rebuilt cluster needs the same value before Velero starts, and changing it orphans existing repositories"
      : cfg.velero.repositoryPassword === "existing"
        ? "kopia repository password: the existing repositories' password (secret veleroRepositoryPassword) in Secret velero-repo-credentials; output kopiaRepositoryPassword"
        : "kopia repository password: Velero's built-in default (velero.repositoryPassword: legacy-default); anyone with bucket access can decrypt the fs-backups",
  );
  if (cfg.flows.system.enabled && (cfg.velero.concurrentBackups ?? 1) > 1) {
    summaryNotes.push("system-daily covers all namespaces: while it runs no other backup runs in parallel (concurrent backups need non-overlapping namespaces)");
  }
}
/** Velero backup storage locations: name → {backend, bucket, prefix, endpoint, region} (undefined without Velero). */
export const backupStorageLocations = velero?.backupStorageLocations;
/** Names of the Velero Schedules (`velero backup get -l velero.io/schedule-name=<name>`). */
export const schedules = scheduleSpecs.map((s) => s.name);
/** The kopia repository password (secret): restore tooling and a rebuilt cluster need it. */
export const kopiaRepositoryPassword = velero?.repositoryPassword;

// Benji: block backups of Ceph RBD PVCs labelled backup-this-pvc=true, all namespaces (docs/design.md §3.6).
const benji = cfg.flows.benji.enabled ? new Benji("benji", benjiArgsFromConfig(cfg, storage.benji, provider)) : undefined;
if (benji) summaryNotes.push(...benjiSummaryNotes(cfg));
/** Benji's AES key material `{kdfSalt, kdfIterations, password}` (secret); a rebuilt installation needs it to read any block. */
export const benjiEncryption = benji?.encryption;

// zrepl: off-node ZFS replication of the Garage data datasets (docs/design.md §3.7).
const zrepl = cfg.flows.zrepl.enabled ? new ZreplReplication("zrepl", zreplArgsFromConfig(cfg.flows.zrepl, cfg.production), { provider }) : undefined;
/** PEM of the CA behind the zrepl sink and client certificates (public; undefined when zrepl is off). */
export const zreplCaCertPem = zrepl?.caCertPem;
/** host:port of the zrepl sink Service the push job dials (undefined when zrepl is off). */
export const zreplSinkAddress = zrepl?.sinkAddress;

// postgres-backup: pg_dumpall hooks on the Postgres pods (docs/design.md §3.5); its Schedule comes with the Velero schedules.
const pg = cfg.flows.postgres;
const postgresBackup = pg.enabled ? new PostgresBackup("postgres", postgresArgsFromConfig(cfg), { provider }) : undefined;
/** The Postgres workload's `spec.template` fragment with the dump hooks, for its owner (undefined when the flow is off). */
export const podTemplatePatch = postgresBackup?.podTemplatePatch;

// Dev demo (docs/design.md §5): tenant cust-demo with an app writing to a PVC, and, with the postgres flow, the Postgres
// StatefulSet the flow targets, owned by the program (hooks in its own pod template, no Patch).
const demo = cfg.demo.enabled ? new Demo("demo", demoArgsFromConfig(cfg), { provider }) : undefined;
/** Namespace of the demo tenant (undefined when the demo is off). */
export const demoTenantNamespace = demo?.tenantNamespace.metadata.name;

// Policies (docs/design.md §4.9): the policy pack's rules about panel-created objects (tenant namespaces, Garage and Benji PVCs)
// enforced at admission as ValidatingAdmissionPolicies, and the stack's policy context the pack reads.
const admission = new AdmissionPolicies("admission-policies", admissionArgsFromConfig(cfg), { provider });
/** Names of the in-cluster ValidatingAdmissionPolicies (empty when policy.admission.enabled is false). */
export const admissionPolicies = admission.policyNames;

// Restore drills and alerts: CronJobs restoring the newest tenants/Postgres backup into scratch namespaces and
// checking it, and PrometheusRule alerts on every Schedule, location, CronJob and DaemonSet of the backup system with
// thresholds derived from their crons (deployed when the Prometheus operator is there: monitoring.prometheusOperator).
const drillArgs = velero ? drillArgsFromConfig(cfg, [velero.namespace]) : undefined;
if (drillArgs) new RestoreDrills("restore-drills", drillArgs, { provider });
const drillSpecs = drillArgs?.drills ?? [];
/**
 * The flow inventory (components/flows): one record per backup flow (id, config path, mechanism, the objects that
 * implement it, selection, schedule, RPO, retention, destination as a location or store key into `buckets` and
 * `backupStorageLocations`, encryption, the watches Prometheus alerts on, the drills that verify it, the metrics that
 * prove it ran, runbook anchor) and the watches the flows share. Plain data, no secrets. Alerts, the Grafana
 * dashboard, coverage.md, RESTORE.md and the plan summary derive from it.
 */
export const flows = flowInventoryFromConfig(cfg, scheduleSpecs, drillSpecs);
const watched = alertTargetsOf(flows, cfg.monitoring.runbookBaseUrl);
const alertGroups = buildAlertGroups(watched);
const { deployed: alertsDeployed, namespace: monitoringNamespace } = alertsPlacementFromConfig(cfg);
/** What an object placed in `namespace` waits for: Velero's namespace when it is that one (created with Velero). */
const onVeleroNamespace = (namespace: string) => (velero && namespace === cfg.velero.namespace ? [velero.namespace] : []);
if (alertsDeployed && alertGroups.length > 0) {
  new BackupAlerts("alerts", alertsArgsFromConfig(cfg, alertGroups, monitoringNamespace, onVeleroNamespace(monitoringNamespace)), { provider });
}
// Grafana dashboard of the flows (from the flow inventory) in a ConfigMap for Grafana's dashboard sidecar, beside the alerts.
const dashboardArgs = dashboardArgsFromConfig(cfg, flows, { deployed: alertsDeployed, namespace: monitoringNamespace });
const dashboard = dashboardArgs
  ? new GrafanaDashboard("dashboard", { ...dashboardArgs, dependsOn: onVeleroNamespace(dashboardArgs.namespace) }, { provider })
  : undefined;
/** The Grafana dashboard ConfigMap `{namespace, name}` (undefined when monitoring.dashboard is off). */
export const grafanaDashboard = dashboard?.configMap;
summaryNotes.push(...monitoringSummaryNotes(watched, alertGroups, drillSpecs, { deployed: alertsDeployed, namespace: monitoringNamespace, ruleLabels: cfg.monitoring.ruleLabels }, cfg.timeZone));
/** Names of the alerting rules deployed (empty without the Prometheus operator). */
export const alerts = alertsDeployed ? [...new Set(alertGroups.flatMap((g) => g.rules.map((r) => r.alert)))] : [];
/** Names of the restore-drill CronJobs. */
export const restoreDrills = drillSpecs.map((d) => d.cronJob);
