/** Mistaken and hostile configs for the guards (components/guards), as overrides of a dev-like base or the prod stack. */
import { readStackFile } from "../scripts/lib/stack-file";
import { ROOT } from "./harness";

export interface GuardCase {
  /** What the operator got wrong. */
  readonly name: string;
  /** `dev`: the literal base below with these keys replaced; `prod`: Pulumi.prod.yaml with these keys replaced. */
  readonly stack: "dev" | "prod";
  readonly config: Record<string, unknown>;
}

export const DEV_BASE = {
  environment: "dev",
  kubernetes: { context: "kind-cluster-backup" },
  storage: { minio: { deploy: true } },
  velero: {
    locations: {
      default: { backend: "minio", bucket: "velero", prefix: "tenants", default: true },
      system: { backend: "minio", bucket: "velero", prefix: "system" },
      postgres: { backend: "minio", bucket: "velero", prefix: "postgres" },
    },
  },
};

const prod = readStackFile(ROOT, "prod").config;
const PROD_FLOWS = JSON.parse(prod["cluster-backup:flows"]);
const PROD_VELERO = JSON.parse(prod["cluster-backup:velero"]);
const PROD_STORAGE = JSON.parse(prod["cluster-backup:storage"]);

const devVelero = (extra: Record<string, unknown>) => ({ velero: { ...DEV_BASE.velero, ...extra } });
const devFlows = (flows: Record<string, unknown>) => ({ flows });
const prodFlow = (flow: string, extra: Record<string, unknown>) => ({ flows: { ...PROD_FLOWS, [flow]: { ...PROD_FLOWS[flow], ...extra } } });
const devSystem = (excludedNamespaces: string[]) => devFlows({ system: { enabled: true, excludedNamespaces } });
const devBucket = (bucket: string) => devVelero({ locations: { ...DEV_BASE.velero.locations, default: { backend: "minio", bucket, prefix: "tenants", default: true } } });
const awsBucket = (bucket: string, bucketPrefix = "acme") => ({
  storage: { minio: { deploy: true }, aws: { region: "eu-west-1", bucketPrefix } },
  ...devVelero({ locations: { ...DEV_BASE.velero.locations, default: { backend: "aws", bucket, prefix: "tenants", default: true } } }),
});
const dashboard = (settings: Record<string, unknown>) => ({ monitoring: { dashboard: settings } });
const podPath = (podVolumePath: string) => devVelero({ nodeAgent: { podVolumePath } });
const extra = (extraValues: Record<string, unknown>) => devVelero({ extraValues });

export const BAD: GuardCase[] = [
  // Retention: ttl ≥ 2 × the longest interval + velero.fsBackupTimeout
  { name: "tenants ttl of one day (one backup kept)", stack: "dev", config: devFlows({ tenants: { ttl: "24h" } }) },
  { name: "tenants ttl of two days, no room for the run time", stack: "dev", config: devFlows({ tenants: { ttl: "48h" } }) },
  { name: "postgres ttl of 30h", stack: "dev", config: devFlows({ postgres: { enabled: true, ttl: "30h0m0s" } }) },
  { name: "weekly system backup kept 200h", stack: "dev", config: devFlows({ system: { enabled: true, schedule: "0 5 * * 0", ttl: "200h" } }) },
  { name: "a 12h fs-backup timeout raises the floor", stack: "dev", config: { ...devVelero({ fsBackupTimeout: "12h" }), ...devFlows({ tenants: { ttl: "59h" } }) } },
  { name: "prod Garage ZFS metadata kept 36h", stack: "prod", config: prodFlow("garageDataZfs", { ttl: "36h" }) },
  // Schedule frequency
  { name: "system backup every 5 minutes", stack: "dev", config: devFlows({ system: { enabled: true, schedule: "*/5 * * * *" } }) },
  { name: "system backup every minute of 05:xx", stack: "dev", config: devFlows({ system: { enabled: true, schedule: "* 5 * * *" } }) },
  { name: "Garage ZFS snapshots every 20 minutes", stack: "prod", config: prodFlow("garageDataZfs", { schedule: "*/20 * * * *" }) },
  { name: "Benji backups every 30 minutes", stack: "prod", config: prodFlow("benji", { backupSchedule: "*/30 * * * *" }) },
  // Benji and zrepl retention
  { name: "Benji latest1", stack: "prod", config: prodFlow("benji", { retention: "latest1" }) },
  { name: "Benji days1", stack: "prod", config: prodFlow("benji", { retention: "days1" }) },
  { name: "Benji hours24 of daily backups", stack: "prod", config: prodFlow("benji", { retention: "hours24" }) },
  { name: "zrepl grid of one hour", stack: "prod", config: prodFlow("zrepl", { receiverGrid: "6x10m" }) },
  { name: "zrepl grid of 13 hours", stack: "prod", config: prodFlow("zrepl", { receiverGrid: "1x1h(keep=all) | 12x1h" }) },
  { name: "zrepl grid of a day of weekly snapshots", stack: "prod", config: prodFlow("zrepl", { receiverGrid: "1x1d", snapshotInterval: "1w", lagThreshold: "2w" }) },
  // Timeouts
  { name: "fs-backup timeout of 30 minutes", stack: "dev", config: devVelero({ fsBackupTimeout: "30m" }) },
  { name: "dump hook timeout of 10 seconds", stack: "dev", config: devFlows({ postgres: { enabled: true, hookTimeout: "10s" } }) },
  { name: "post-hook timeout of 5 seconds", stack: "dev", config: devFlows({ postgres: { enabled: true, postHookTimeout: "5s" } }) },
  { name: "CSI snapshot timeout of one minute", stack: "prod", config: prodFlow("garageMetaCeph", { csiSnapshotTimeout: "1m" }) },
  // Units and sizes
  { name: "dump volume '20' (20 bytes)", stack: "dev", config: devFlows({ postgres: { dumpVolumeSizeLimit: "20" } }) },
  { name: "dump volume '20m' (milli-bytes)", stack: "dev", config: devFlows({ postgres: { dumpVolumeSizeLimit: "20m" } }) },
  { name: "dump volume '20GB'", stack: "dev", config: devFlows({ postgres: { dumpVolumeSizeLimit: "20GB" } }) },
  { name: "dump volume '20gi'", stack: "dev", config: devFlows({ postgres: { dumpVolumeSizeLimit: "20gi" } }) },
  { name: "dump volume '0Gi'", stack: "dev", config: devFlows({ postgres: { dumpVolumeSizeLimit: "0Gi" } }) },
  { name: "dump volume '-20Gi'", stack: "dev", config: devFlows({ postgres: { dumpVolumeSizeLimit: "-20Gi" } }) },
  { name: "dump volume of 100Mi", stack: "dev", config: devFlows({ postgres: { enabled: true, dumpVolumeSizeLimit: "100Mi" } }) },
  { name: "node-agent memory '2048'", stack: "dev", config: devVelero({ nodeAgent: { memoryLimit: "2048" } }) },
  { name: "node-agent memory below its request", stack: "dev", config: devVelero({ nodeAgent: { memoryLimit: "256Mi" } }) },
  { name: "node-agent memory of 768Mi", stack: "dev", config: devVelero({ nodeAgent: { memoryLimit: "768Mi" } }) },
  { name: "MinIO volume '10'", stack: "dev", config: { storage: { minio: { deploy: true, size: "10" } } } },
  { name: "MinIO volume of 500Mi", stack: "dev", config: { storage: { minio: { deploy: true, size: "500Mi" } } } },
  // Namespaces
  { name: "Velero in kube-system", stack: "dev", config: devVelero({ namespace: "kube-system" }) },
  { name: "Velero in default", stack: "dev", config: devVelero({ namespace: "default" }) },
  { name: "Velero in kube-public", stack: "dev", config: devVelero({ namespace: "kube-public" }) },
  { name: "Velero in a kube- namespace", stack: "dev", config: devVelero({ namespace: "kube-backup" }) },
  { name: "MinIO in kube-node-lease", stack: "dev", config: { storage: { minio: { deploy: true, namespace: "kube-node-lease" } } } },
  { name: "MinIO in Velero's namespace", stack: "dev", config: { storage: { minio: { deploy: true, namespace: "backup-system" } } } },
  { name: "Benji in Velero's namespace", stack: "prod", config: prodFlow("benji", { namespace: "backup-system" }) },
  { name: "zrepl in Garage's namespace", stack: "prod", config: prodFlow("zrepl", { namespace: "garage" }) },
  { name: "Velero in Rook's namespace", stack: "prod", config: { velero: { ...PROD_VELERO, namespace: "rook-ceph" } } },
  { name: "Velero in the Postgres namespace", stack: "prod", config: { velero: { ...PROD_VELERO, namespace: "postgres" } } },
  // system-daily exclusions
  { name: "system excludes '*'", stack: "dev", config: devSystem(["*"]) },
  { name: "system excludes '?*'", stack: "dev", config: devSystem(["?*", "postgres"]) },
  { name: "system exclusions reduced to postgres", stack: "dev", config: devSystem(["postgres"]) },
  { name: "prod system exclusions without Garage and zrepl", stack: "prod", config: prodFlow("system", { excludedNamespaces: ["cust-*", "postgres", "backup-system", "kube-public"] }) },
  // Bucket names
  { name: "MinIO bucket shaped like an IP address", stack: "dev", config: devBucket("192.168.1.10") },
  { name: "MinIO bucket with '..'", stack: "dev", config: devBucket("a..b") },
  { name: "MinIO bucket with '.-'", stack: "dev", config: devBucket("a.-b") },
  { name: "AWS bucket with a dot", stack: "dev", config: awsBucket("backups.velero") },
  { name: "AWS bucket ending in -s3alias", stack: "dev", config: awsBucket("x-s3alias") },
  { name: "AWS bucket ending in --ol-s3", stack: "dev", config: awsBucket("x--ol-s3") },
  { name: "AWS bucket prefix 'xn--'", stack: "dev", config: awsBucket("velero", "xn--acme") },
  { name: "AWS bucket prefix 'sthree-'", stack: "dev", config: awsBucket("velero", "sthree-acme") },
  { name: "Garage bucket 'xn--'", stack: "prod", config: { velero: { ...PROD_VELERO, locations: { ...PROD_VELERO.locations, postgres: { backend: "garage", bucket: "xn--pg", prefix: "postgres" } } } } },
  { name: "Scaleway bucket with '..'", stack: "prod", config: { velero: { ...PROD_VELERO, locations: { ...PROD_VELERO.locations, system: { backend: "scaleway", bucket: "sys..tem", prefix: "system" } } } } },
  { name: "Benji bucket on Garage shaped like an IP address", stack: "prod", config: prodFlow("benji", { storage: { backend: "garage", bucket: "10.1.2.3" } }) },
  // Pod volume paths
  { name: "pod volume path /etc", stack: "dev", config: podPath("/etc") },
  { name: "pod volume path without /pods", stack: "dev", config: podPath("/var/lib/kubelet") },
  { name: "pod volume path with a trailing slash", stack: "dev", config: podPath("/var/lib/kubelet/pods/") },
  { name: "pod volume path climbing out with ..", stack: "dev", config: podPath("/var/lib/../../etc/pods") },
  { name: "pod volume path under /proc", stack: "dev", config: podPath("/proc/1/root/pods") },
  // Pass-through chart values the program owns
  { name: "extraValues image tag", stack: "dev", config: extra({ image: { tag: "v1.12.0" } }) },
  { name: "extraValues credentials", stack: "dev", config: extra({ credentials: { useSecret: false, secretContents: { cloud: "x" } } }) },
  { name: "extraValues storage locations", stack: "dev", config: extra({ configuration: { backupStorageLocation: [{ name: "x", bucket: "y" }], logLevel: "debug" } }) },
  { name: "extraValues volume snapshot locations", stack: "dev", config: extra({ configuration: { volumeSnapshotLocation: [{ name: "x" }] } }) },
  { name: "extraValues schedules", stack: "dev", config: extra({ schedules: { nightly: { schedule: "0 0 * * *" } } }) },
  { name: "extraValues initContainers", stack: "dev", config: extra({ initContainers: [] }) },
  { name: "extraValues node-agent pod path", stack: "dev", config: extra({ nodeAgent: { podVolumePath: "/etc", tolerations: [{ operator: "Exists" }] } }) },
  { name: "extraValues node-agent memory limit", stack: "dev", config: extra({ nodeAgent: { resources: { limits: { memory: "128Mi" } } } }) },
  { name: "extraValues pod security context", stack: "dev", config: extra({ podSecurityContext: { runAsUser: 0 } }) },
  { name: "extraValues feature flags", stack: "dev", config: extra({ configuration: { features: "" } }) },
  { name: "extraValues ServiceMonitor labels", stack: "dev", config: extra({ metrics: { serviceMonitor: { additionalLabels: { a: "b" } } } }) },
  { name: "extraValues replacing nodeAgent by null", stack: "dev", config: extra({ nodeAgent: null }) },
  // Benji integrity CronJobs (flows.benji.scrub, drill, metadataBackup)
  { name: "Benji scrub of 0% of the versions", stack: "prod", config: prodFlow("benji", { scrub: { versionPercentage: 0 } }) },
  { name: "Benji scrub of 101% of the blocks", stack: "prod", config: prodFlow("benji", { scrub: { blockPercentage: 101 } }) },
  { name: "Benji scrub percentage with decimals", stack: "prod", config: prodFlow("benji", { scrub: { blockPercentage: 33.5 } }) },
  { name: "Benji scrub percentage as a string", stack: "prod", config: prodFlow("benji", { scrub: { versionPercentage: "10" } }) },
  { name: "Benji scrub with a misspelt key", stack: "prod", config: prodFlow("benji", { scrub: { percentage: 10 } }) },
  { name: "Benji deep scrub every 10 minutes", stack: "prod", config: prodFlow("benji", { scrub: { schedule: "*/10 * * * *" } }) },
  { name: "Benji restore drill every 30 minutes", stack: "prod", config: prodFlow("benji", { drill: { schedule: "*/30 * * * *" } }) },
  { name: "Benji drill timeout in words", stack: "prod", config: prodFlow("benji", { drill: { timeout: "6 hours" } }) },
  { name: "Benji metadata backup at hour 25", stack: "prod", config: prodFlow("benji", { metadataBackup: { schedule: "0 25 * * *" } }) },
  // The Grafana dashboard ConfigMap (monitoring.dashboard)
  { name: "dashboard label key with a space", stack: "dev", config: dashboard({ labelKey: "grafana dashboard" }) },
  { name: "dashboard label key replacing an ownership label", stack: "dev", config: dashboard({ labelKey: "app.kubernetes.io/part-of" }) },
  { name: "dashboard label value too long", stack: "dev", config: dashboard({ labelValue: "x".repeat(64) }) },
  { name: "dashboard folder climbing out of the sidecar's directory", stack: "dev", config: dashboard({ folder: "../etc" }) },
  { name: "dashboard folder with a slash", stack: "dev", config: dashboard({ folder: "Backups/Prod" }) },
  { name: "dashboard folder annotation with two slashes", stack: "prod", config: { monitoring: { dashboard: { folderAnnotation: "a/b/c" } } } },
  { name: "dashboard namespace not a Kubernetes name", stack: "prod", config: { monitoring: { dashboard: { namespace: "Monitoring" } } } },
  { name: "dashboard enabled as a string", stack: "dev", config: dashboard({ enabled: "yes" }) },
  { name: "dashboard key misspelt", stack: "dev", config: dashboard({ lableKey: "grafana_dashboard" }) },
  // Overrides themselves
  { name: "an override that lifts nothing", stack: "dev", config: { overrides: { "flows.tenants.ttl": "dev laptop, a day is enough" } } },
  { name: "an override without a reason", stack: "dev", config: { ...devFlows({ tenants: { ttl: "24h" } }), overrides: { "flows.tenants.ttl": "ok" } } },
  { name: "an override of a guard that has none", stack: "dev", config: { ...devVelero({ namespace: "kube-system" }), overrides: { "velero.namespace": "we really want kube-system" } } },
];

/** Configs that must still pass. */
export const GOOD: GuardCase[] = [
  { name: "the dev base", stack: "dev", config: {} },
  { name: "the prod stack file as it is", stack: "prod", config: {} },
  { name: "tenants ttl 52h, exactly the floor", stack: "dev", config: devFlows({ tenants: { ttl: "52h" } }) },
  { name: "hourly system backups kept 30 days", stack: "dev", config: devFlows({ system: { enabled: true, schedule: "0 * * * *" } }) },
  { name: "a short ttl lifted by an override with its reason", stack: "dev", config: { ...devFlows({ tenants: { ttl: "24h" } }), overrides: { "flows.tenants.ttl": "dev laptop: a day of history is enough" } } },
  { name: "system exclusions dropping MinIO, lifted by an override", stack: "dev", config: { ...devSystem(["cust-*", "postgres", "backup-system"]), overrides: { "flows.system.excludedNamespaces": "dev: MinIO's test data may be copied" } } },
  { name: "Benji latest3,days7,weeks4", stack: "prod", config: prodFlow("benji", { retention: "latest3,days7,weeks4" }) },
  { name: "Benji hours48 of daily backups", stack: "prod", config: prodFlow("benji", { retention: "hours48" }) },
  { name: "Benji full deep scrub weekly, drill and metadata backup off", stack: "prod", config: prodFlow("benji", { scrub: { schedule: "0 1 * * 0", versionPercentage: 100, blockPercentage: 100 }, drill: { enabled: false, schedule: "*/5 * * * *" }, metadataBackup: { enabled: false } }) },
  { name: "Benji scrub of 1% of the versions and blocks", stack: "prod", config: prodFlow("benji", { scrub: { versionPercentage: 1, blockPercentage: 1 } }) },
  { name: "zrepl grid of one day", stack: "prod", config: prodFlow("zrepl", { receiverGrid: "1x1h(keep=all) | 23x1h" }) },
  { name: "sizes with decimals and decimal units", stack: "dev", config: { ...devFlows({ postgres: { dumpVolumeSizeLimit: "1.5Gi" } }), ...devVelero({ nodeAgent: { memoryLimit: "4G" } }) } },
  { name: "k3s before v0.10 pod path", stack: "dev", config: podPath("/var/lib/rancher/k3s/agent/kubelet/pods") },
  { name: "custom kubelet root", stack: "dev", config: podPath("/data/kubelet/pods") },
  { name: "dotted MinIO bucket", stack: "dev", config: devBucket("velero.backups") },
  { name: "extraValues the program leaves open", stack: "dev", config: extra({ configuration: { logLevel: "debug", extraEnvVars: { TZ: "UTC" } }, resources: { limits: { memory: "2Gi" } }, nodeAgent: { tolerations: [{ operator: "Exists" }], resources: { requests: { cpu: "200m" } } }, podLabels: { team: "platform" }, podAnnotations: { "example.com/owner": "platform" } }) },
  { name: "Velero in its own custom namespace", stack: "prod", config: { velero: { ...PROD_VELERO, namespace: "velero" }, flows: { ...PROD_FLOWS, system: { ...PROD_FLOWS.system, excludedNamespaces: ["cust-*", "garage", "postgres", "velero", "zrepl", "kube-node-lease", "kube-public"] } } } },
  { name: "the prod storage unchanged", stack: "prod", config: { storage: PROD_STORAGE } },
  { name: "dashboard with its own label, folder and annotation", stack: "dev", config: dashboard({ enabled: true, namespace: "monitoring", labelKey: "example.com/dashboard", labelValue: "", folder: "Cluster backups v2.0", folderAnnotation: "grafana_folder" }) },
];
