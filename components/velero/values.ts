/**
 * The Velero chart values (vmware-tanzu/helm-charts `velero` 12.x) as a pure function of plain inputs (docs/design.md §3.4.3,
 * §3.4.4), plus the small pure helpers that decide which locations and features a stack needs. Nothing here touches
 * Pulumi: tests call these functions with literals and compare fields.
 */
import { createHash } from "node:crypto";
import { stringify } from "yaml";
import type { Backend } from "../schema/backends";

/** Default namespace of Velero. */
export const DEFAULT_VELERO_NAMESPACE = "backup-system";

/** Helm release name; with the chart name `velero` the chart's fullname is `velero` too. */
export const VELERO_RELEASE = "velero";
/** `configMaps` key of the node-agent configuration; the chart renders it as `<fullname>-<key>`. */
export const NODE_AGENT_CONFIG_KEY = "node-agent-config";
/** The ConfigMap the chart renders from {@link NODE_AGENT_CONFIG_KEY} (`velero-node-agent-config`). */
export const NODE_AGENT_CONFIGMAP = `${VELERO_RELEASE}-${NODE_AGENT_CONFIG_KEY}`;
/** The single data key of the node-agent ConfigMap (Velero requires exactly one key; its name is free). */
export const NODE_AGENT_CONFIG_FILE = "node-agent-config.json";
/** Pod annotation carrying the sha256 of the node-agent configuration, so a change rolls the pods. */
export const NODE_AGENT_CONFIG_CHECKSUM_ANNOTATION = "checksum/node-agent-config";
/** `configMaps` key of the fs-restore action configuration (rendered `velero-fs-restore-action-config`). */
export const FS_RESTORE_CONFIG_KEY = "fs-restore-action-config";
/** Labels by which Velero finds the fs-restore action's ConfigMap (`docs/v1.18/file-system-backup.md`). */
export const FS_RESTORE_CONFIG_LABELS: Readonly<Record<string, string>> = {
  "velero.io/plugin-config": "",
  "velero.io/pod-volume-restore": "RestoreItemAction",
};
/**
 * securityContext of the `restore-wait` init container Velero injects into restored pods: Pod Security `restricted`
 * and uid 1000, as Velero's own default. Without the ConfigMap Velero copies the first container's securityContext,
 * which a tenant namespace enforcing `restricted` rejects when that context is partial (velero#8229, #10224).
 */
export const RESTORE_WAIT_SECURITY_CONTEXT = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  runAsNonRoot: true,
  runAsUser: 1000,
  seccompProfile: { type: "RuntimeDefault" },
} as const;
/** ConfigMap of the repository-maintenance Job settings (the chart does not prefix this name). */
export const REPO_MAINTENANCE_CONFIGMAP = "velero-repo-maintenance";
/** Key of the AWS shared-credentials file in every Velero credentials Secret. */
export const CREDENTIALS_KEY = "cloud";
/** Secret Velero reads the kopia repository password from (created by Velero with a static value when missing). */
export const REPO_CREDENTIALS_SECRET = "velero-repo-credentials";
/** Key of the kopia password in {@link REPO_CREDENTIALS_SECRET}. */
export const REPO_PASSWORD_KEY = "repository-password";
/** The password Velero writes when it creates {@link REPO_CREDENTIALS_SECRET} itself (`pkg/repository/keys/keys.go`). */
export const LEGACY_REPO_PASSWORD = "static-passw0rd";
/** Velero's object-store provider name for every S3-compatible backend (velero-plugin-for-aws). */
export const AWS_PROVIDER = "aws";
/** Velero's server default ttl; every Schedule sets its own (docs/design.md §2(g)9). */
export const DEFAULT_BACKUP_TTL = "720h";
/** Velero feature flag needed for CSI snapshots and the data mover. */
export const CSI_FEATURE = "EnableCSI";

/** Name of the credentials Secret of a backend; `suffix` distinguishes a second key on the same backend. */
export function credentialSecretName(backend: Backend, suffix?: string): string {
  return suffix ? `velero-cred-${backend}-${suffix}` : `velero-cred-${backend}`;
}

/** One BackupStorageLocation with everything resolved to plain values. */
export interface VeleroLocationValues {
  /** The backend holding the bucket (decides nothing here except the credentials Secret name). */
  readonly backend: Backend;
  /** The bucket's real name. */
  readonly bucket: string;
  /** Key prefix inside the bucket; none by default. */
  readonly prefix?: string;
  /** Whether this is Velero's default location (exactly one). */
  readonly default: boolean;
  /** Scheme and host[:port] of the S3 endpoint; undefined for AWS. */
  readonly endpoint?: string;
  /** Region requests are signed with. */
  readonly region: string;
  /** Path-style addressing (every S3 clone). */
  readonly forcePathStyle: boolean;
  /** BSL `checksumAlgorithm`; undefined keeps the plugin default (CRC32). `""` is a real value (no checksum). */
  readonly checksumAlgorithm?: string;
  /** Name of the Secret (key `cloud`) holding this location's credentials. */
  readonly credentialSecret: string;
}

/** Everything {@link buildVeleroValues} needs. */
export interface VeleroValuesInput {
  /** Velero server image, `repository:tag` or `repository@sha256:…`. */
  readonly image: string;
  /** velero-plugin-for-aws image (init container copying the plugin to /target). */
  readonly awsPluginImage: string;
  /** node-agent settings. */
  readonly nodeAgent: {
    /** kubelet pods directory on the nodes (k3s: /var/lib/rancher/k3s/agent/kubelet/pods). */
    readonly podVolumePath: string;
    /** Privileged node-agent and fs-backup pods (SELinux, block volumes). */
    readonly privileged: boolean;
    /** Memory limit of node-agent and of the per-volume data-path pods (kopia needs ≥ 2Gi on large volumes). */
    readonly memoryLimit: string;
  };
  /** `--concurrent-backups`; unset keeps Velero's one-at-a-time. */
  readonly concurrentBackups?: number;
  /** `--fs-backup-timeout` (Go duration). */
  readonly fsBackupTimeout: string;
  /** Render a ServiceMonitor (needs the prometheus-operator CRDs). */
  readonly serviceMonitor: boolean;
  /** Labels the Prometheus operator selects ServiceMonitors by (monitoring.ruleLabels); default none. */
  readonly serviceMonitorLabels?: Readonly<Record<string, string>>;
  /** Turn on `EnableCSI` (a flow takes CSI snapshots). */
  readonly enableCsi: boolean;
  /** The locations to render, by BSL name. */
  readonly locations: Readonly<Record<string, VeleroLocationValues>>;
  /** Pass-through chart values, deep-merged over the generated ones (removed keys are rejected by config-rules.ts). */
  readonly extraValues?: Readonly<Record<string, unknown>>;
}

type Values = Record<string, unknown>;

/** Splits an image reference into the chart's `image` block (`digest` wins over `tag` in the chart). */
export function imageValues(image: string): { repository: string; tag: string; digest?: string; pullPolicy: string } {
  const at = image.indexOf("@");
  if (at >= 0) {
    // `repository:tag@sha256:…`: the chart renders `repository@digest` and ignores the tag, kept for the reader
    // (vmware-tanzu/helm-charts charts/velero/templates/deployment.yaml, `if .Values.image.digest`).
    const name = image.slice(0, at);
    const colon = name.lastIndexOf(":");
    const tagged = colon > name.lastIndexOf("/");
    return { repository: tagged ? name.slice(0, colon) : name, tag: tagged ? name.slice(colon + 1) : "", digest: image.slice(at + 1), pullPolicy: "IfNotPresent" };
  }
  const colon = image.lastIndexOf(":");
  if (colon <= image.lastIndexOf("/")) throw new Error(`image '${image}' has no tag or digest; expected e.g. 'docker.io/velero/velero:v1.18.2'`);
  return { repository: image.slice(0, colon), tag: image.slice(colon + 1), pullPolicy: "IfNotPresent" };
}

/** The node-agent configuration (`docs/v1.18/supported-configmaps/node-agent-configmap.md`). */
export function nodeAgentConfig(nodeAgent: VeleroValuesInput["nodeAgent"]): Values {
  return {
    loadConcurrency: { globalConfig: 1 },
    podResources: { cpuRequest: "500m", memoryRequest: "512Mi", memoryLimit: nodeAgent.memoryLimit },
    privilegedFsBackup: nodeAgent.privileged,
  };
}

/** The JSON document stored in the node-agent ConfigMap. */
export function nodeAgentConfigJson(nodeAgent: VeleroValuesInput["nodeAgent"]): string {
  return JSON.stringify(nodeAgentConfig(nodeAgent));
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** `s3Url` must be scheme+host[:port] only: kopia refuses a path ("path is not expected in s3Url"). */
function s3Url(location: string, endpoint: string): string {
  const url = new URL(endpoint);
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash || endpoint.endsWith("/")) {
    throw new Error(`location '${location}': endpoint '${endpoint}' has a path; expected scheme and host[:port] only, e.g. 'https://s3.fr-par.scw.cloud'`);
  }
  return endpoint;
}

/** BSL `config`: every value a string (CRD field `map[string]string`; the AWS plugin rejects unknown keys). */
export function bslConfig(name: string, location: VeleroLocationValues): Record<string, string> {
  const config: Record<string, string> = { region: location.region };
  if (location.endpoint !== undefined) config.s3Url = s3Url(name, location.endpoint);
  if (location.forcePathStyle) config.s3ForcePathStyle = "true";
  if (location.checksumAlgorithm !== undefined) config.checksumAlgorithm = location.checksumAlgorithm;
  return config;
}

/** The default location's name; throws unless exactly one location is the default. */
export function defaultLocationName(locations: Readonly<Record<string, { readonly default: boolean }>>): string {
  const defaults = Object.keys(locations).filter((name) => locations[name].default);
  if (defaults.length !== 1) {
    throw new Error(`Velero needs exactly one default backup storage location, got ${defaults.length} (${defaults.join(", ") || "none"}) among: ${Object.keys(locations).join(", ") || "none"}`);
  }
  return defaults[0];
}

/** A JSON-like object; class instances (a pulumi.Output holding a secret extraValues value) are values, not maps. */
function isPlainObject(value: unknown): value is Values {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Deep merge: objects merge key by key, anything else (arrays, scalars, null) in `over` replaces. */
export function deepMerge(base: Values, over: Readonly<Values>): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? deepMerge(out[key] as Values, value) : value;
  }
  return out;
}

/** The chart values of docs/design.md §3.4.4. Pure. */
export function buildVeleroValues(input: VeleroValuesInput): Values {
  const defaultLocation = defaultLocationName(input.locations);
  const names = [defaultLocation, ...Object.keys(input.locations).filter((n) => n !== defaultLocation)];
  const agentJson = nodeAgentConfigJson(input.nodeAgent);

  const configuration: Values = {
    uploaderType: "kopia",
    ...(input.enableCsi ? { features: CSI_FEATURE } : {}),
    defaultVolumesToFsBackup: false,
    defaultBackupStorageLocation: defaultLocation,
    defaultBackupTTL: DEFAULT_BACKUP_TTL,
    fsBackupTimeout: input.fsBackupTimeout,
    ...(input.concurrentBackups !== undefined ? { extraArgs: [`--concurrent-backups=${input.concurrentBackups}`] } : {}),
    volumeSnapshotLocation: [],
    backupStorageLocation: names.map((name) => {
      const location = input.locations[name];
      return {
        name,
        provider: AWS_PROVIDER,
        bucket: location.bucket,
        ...(location.prefix ? { prefix: location.prefix } : {}),
        default: location.default,
        credential: { name: location.credentialSecret, key: CREDENTIALS_KEY },
        config: bslConfig(name, location),
      };
    }),
    repositoryMaintenanceJob: {
      repositoryConfigData: {
        name: REPO_MAINTENANCE_CONFIGMAP,
        global: {
          podResources: { cpuRequest: "100m", memoryRequest: "512Mi", memoryLimit: "2Gi" },
          keepLatestMaintenanceJobs: 3,
        },
      },
    },
  };

  const values: Values = {
    image: imageValues(input.image),
    podAnnotations: { [NODE_AGENT_CONFIG_CHECKSUM_ANNOTATION]: sha256(agentJson) },
    resources: { requests: { cpu: "500m", memory: "128Mi" }, limits: { memory: "1Gi" } },
    initContainers: [
      {
        name: "velero-plugin-for-aws",
        image: input.awsPluginImage,
        imagePullPolicy: "IfNotPresent",
        volumeMounts: [{ mountPath: "/target", name: "plugins" }],
      },
    ],
    upgradeCRDs: false,
    credentials: { useSecret: true, existingSecret: input.locations[defaultLocation].credentialSecret },
    backupsEnabled: true,
    snapshotsEnabled: false,
    deployNodeAgent: true,
    nodeAgent: {
      podVolumePath: input.nodeAgent.podVolumePath,
      ...(input.nodeAgent.privileged ? { containerSecurityContext: { privileged: true } } : {}),
      resources: { requests: { cpu: "100m", memory: "512Mi" }, limits: { memory: input.nodeAgent.memoryLimit } },
      extraArgs: [`--node-agent-configmap=${NODE_AGENT_CONFIGMAP}`],
    },
    configMaps: {
      [NODE_AGENT_CONFIG_KEY]: { data: { [NODE_AGENT_CONFIG_FILE]: agentJson } },
      [FS_RESTORE_CONFIG_KEY]: { labels: { ...FS_RESTORE_CONFIG_LABELS }, data: { secCtx: stringify(RESTORE_WAIT_SECURITY_CONTEXT) } },
    },
    configuration,
    metrics: {
      enabled: true,
      serviceMonitor: {
        enabled: input.serviceMonitor,
        autodetect: false,
        ...(input.serviceMonitor && Object.keys(input.serviceMonitorLabels ?? {}).length ? { additionalLabels: { ...input.serviceMonitorLabels } } : {}),
      },
    },
    schedules: {},
    rbac: { create: true, clusterAdministrator: true },
  };
  return deepMerge(values, input.extraValues ?? {});
}

/** A Velero flow as far as locations go: whether it runs, and the location it writes to. */
export interface FlowLocation {
  readonly enabled: boolean;
  readonly location: string;
}

/** The Velero flows (each enabled flow writes to its `location`). */
type VeleroFlows = Readonly<Record<"tenants" | "system" | "garageMetaCeph" | "garageDataZfs" | "postgres", FlowLocation>>;

/** Whether an enabled flow takes CSI snapshots (then `EnableCSI` and the VolumeSnapshotClasses are needed). */
export function csiFlowEnabled(flows: { readonly garageMetaCeph: { readonly enabled: boolean }; readonly garageDataZfs: { readonly enabled: boolean } }): boolean {
  return flows.garageMetaCeph.enabled || flows.garageDataZfs.enabled;
}

/**
 * The locations Velero renders: those an enabled flow writes to, plus the default one; the default first, the rest in
 * config order.
 */
export function veleroLocationNames(cfg: { readonly velero: { readonly locations: Readonly<Record<string, { readonly default: boolean }>> }; readonly flows: VeleroFlows }): string[] {
  const locations = cfg.velero.locations;
  const names = Object.keys(locations);
  if (names.length === 0) return [];
  const defaultName = defaultLocationName(locations);
  const f = cfg.flows;
  const used = new Set([f.tenants, f.system, f.garageMetaCeph, f.garageDataZfs, f.postgres].filter((flow) => flow.enabled).map((flow) => flow.location));
  return [defaultName, ...names.filter((name) => name !== defaultName && used.has(name))];
}
