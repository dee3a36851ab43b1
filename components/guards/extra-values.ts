/**
 * `velero.extraValues` is merged over the chart values this program builds. Keys the program sets are refused with
 * the config key to use instead: a pass-through value would otherwise silently replace a storage location, the
 * credentials, the node-agent settings or a security context. The owned set is derived from buildVeleroValues itself
 * (every value it can set, with all optional features on), minus the tunables it only gives defaults for.
 */
import { REMOVED_CHART_KEYS } from "../../policy/shared/velero-chart";
import { buildVeleroValues } from "../velero/values";
import type { Guard, GuardProblem } from "./types";

/** Values the builder sets as defaults only: resources (no config key), repository-maintenance pod settings. */
const TUNABLE = ["resources", "nodeAgent.resources", "configuration.repositoryMaintenanceJob.repositoryConfigData.global"];
/** Owned although the builder leaves them to the chart's defaults: security contexts of Velero and node-agent. */
const OWNED_CHART_DEFAULTS = ["securityContext", "podSecurityContext", "containerSecurityContext", "nodeAgent.podSecurityContext", "kubectl"];

/** The config key to use instead, by owned path prefix (the longest prefix wins). */
const INSTEAD: Record<string, string> = {
  image: "velero.image",
  initContainers: "velero.awsPluginImage",
  credentials: "velero.locations and storage.<backend> (one generated credential per backend)",
  "configuration.backupStorageLocation": "velero.locations",
  "configuration.defaultBackupStorageLocation": "velero.locations.<name>.default",
  "configuration.volumeSnapshotLocation": "csi and flows.garageMetaCeph/garageDataZfs (CSI snapshots, no volume snapshot locations)",
  "configuration.uploaderType": "velero.uploaderType",
  "configuration.fsBackupTimeout": "velero.fsBackupTimeout",
  "configuration.extraArgs": "velero.concurrentBackups",
  "configuration.features": "flows.garageMetaCeph/garageDataZfs (EnableCSI follows them)",
  "configuration.defaultVolumesToFsBackup": "flows.<flow> (each Schedule sets it)",
  "configuration.defaultBackupTTL": "flows.<flow>.ttl",
  schedules: "flows.<flow> (the Schedules are objects of this program)",
  "nodeAgent.podVolumePath": "velero.nodeAgent.podVolumePath",
  "nodeAgent.containerSecurityContext": "velero.nodeAgent.privileged",
  "nodeAgent.resources.limits.memory": "velero.nodeAgent.memoryLimit",
  "nodeAgent.extraArgs": "velero.nodeAgent (the node-agent ConfigMap is generated from it)",
  "configMaps.node-agent-config": "velero.nodeAgent (the node-agent ConfigMap is generated from it)",
  "podAnnotations.checksum/node-agent-config": "velero.nodeAgent (the checksum follows the generated ConfigMap)",
  "metrics.serviceMonitor.additionalLabels": "monitoring.ruleLabels",
  "metrics.serviceMonitor": "velero.serviceMonitor",
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Maps the builder fills as a whole: an extra key in them is as much the program's as the keys it writes. */
const WHOLE = ["metrics.serviceMonitor.additionalLabels", "configMaps.node-agent-config", "configMaps.fs-restore-action-config"];

/** Paths of the values a builder output sets: objects are walked, anything else (arrays, `{}`, WHOLE maps) is one value. */
function valuePaths(value: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(value).flatMap(([key, v]) => {
    const path = `${prefix}${key}`;
    return isPlainObject(v) && Object.keys(v).length > 0 && !WHOLE.includes(path) ? valuePaths(v, `${path}.`) : [path];
  });
}

const under = (path: string, root: string) => path === root || path.startsWith(`${root}.`);

/** Every chart value path this program owns. */
export const OWNED_CHART_PATHS: readonly string[] = (() => {
  const location = { backend: "aws" as const, bucket: "b", default: true, region: "r", forcePathStyle: true, endpoint: "https://s3.example.com", checksumAlgorithm: "", credentialSecret: "c" };
  const everything = buildVeleroValues({
    image: "docker.io/velero/velero:v1.18.2",
    awsPluginImage: "docker.io/velero/velero-plugin-for-aws:v1.14.3",
    nodeAgent: { podVolumePath: "/var/lib/kubelet/pods", privileged: true, memoryLimit: "2Gi" },
    concurrentBackups: 2,
    fsBackupTimeout: "4h",
    serviceMonitor: true,
    serviceMonitorLabels: { release: "x" },
    enableCsi: true,
    locations: { default: location },
  });
  const built = valuePaths(everything).filter((p) => !TUNABLE.some((t) => under(p, t)) || p === "nodeAgent.resources.limits.memory");
  return [...built, ...OWNED_CHART_DEFAULTS];
})();

function instead(path: string): string {
  const key = Object.keys(INSTEAD)
    .filter((prefix) => under(path, prefix))
    .sort((a, b) => b.length - a.length)[0];
  return key ? `use ${INSTEAD[key]} instead` : "it has no pass-through; open an issue if it must change";
}

/** The owned path an extraValues entry at `path` with `value` would overwrite, or undefined. */
function overwrites(path: string, value: unknown): string | undefined {
  const owner = OWNED_CHART_PATHS.find((owned) => under(path, owned));
  if (owner) return owner;
  return isPlainObject(value) ? undefined : OWNED_CHART_PATHS.find((owned) => owned.startsWith(`${path}.`));
}

function walk(value: Record<string, unknown>, prefix: string, out: GuardProblem[]): void {
  for (const [key, v] of Object.entries(value)) {
    const path = `${prefix}${key}`;
    // Removed chart keys and `uploaderType: restic` have their own message (config-rules.ts extraValuesRule).
    if (path in REMOVED_CHART_KEYS || (path === "configuration.uploaderType" && v === "restic")) continue;
    const owned = overwrites(path, v);
    if (owned) out.push({ path: `velero.extraValues.${path}`, value: v, message: `${owned === path || under(path, owned) ? `is set by this program (chart value ${owned})` : `would replace ${owned}, set by this program`}; ${instead(owned)}` });
    else if (isPlainObject(v)) walk(v, `${path}.`, out);
  }
}

export const extraValuesOwnedGuard: Guard = (cfg) => {
  const problems: GuardProblem[] = [];
  walk(cfg.velero.extraValues, "", problems);
  return problems;
};
