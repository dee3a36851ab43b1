/**
 * Rules that span several config keys (SPEC §2, §7): each returns problems as {path, message, value} so the loader
 * reports them in the same one-line-per-problem form as schema errors.
 */
import type { ParsedConfig } from "./config-schema";
import { cronMaxIntervalSeconds, isTimeZone } from "./schema/cron";
import { parseGoDuration, humanDuration } from "./schema/duration";
import { globToRegExp } from "./schema/namespace-glob";
import { TENANT_NAMESPACE_PREFIX } from "./labels";

export interface ConfigProblem {
  /** Dotted path below the `cluster-backup:` namespace, e.g. `flows.tenants.ttl`. */
  readonly path: string;
  /** What is wrong and the form expected. */
  readonly message: string;
  /** The value given, when there is one. */
  readonly value?: unknown;
}

export const RESTIC_MESSAGE =
  "velero.uploaderType: 'restic' is not supported. Velero 1.17+ can no longer take restic backups (kopia is the only uploader); " +
  "restic remains only to restore backups taken before the upgrade, and not after Velero 1.19. Remove the key or set 'kopia'.";

/** Chart keys removed since chart 3.0.0/6.0.0; chart 12 aborts on the first group (NOTES.txt). */
const REMOVED_CHART_KEYS: Record<string, string> = {
  deployRestic: "deployNodeAgent (set by this program)",
  restic: "nodeAgent",
  "configuration.defaultVolumesToRestic": "configuration.defaultVolumesToFsBackup",
  "configuration.resticTimeout": "configuration.fsBackupTimeout (config velero.fsBackupTimeout)",
  "configuration.defaultResticPruneFrequency": "configuration.defaultRepoMaintainFrequency",
  "configMaps.restic-restore-action-config": "configMaps.fs-restore-action-config",
  "nodeAgent.privileged": "config velero.nodeAgent.privileged (renders nodeAgent.containerSecurityContext)",
};

/** Namespaces that a tenant glob must never match: system ones and those of this program's own flows. */
const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease", "backup-system", "garage", "postgres", "zrepl", "minio", "benji", "rook-ceph", "openebs", "cert-manager", "monitoring"];

type Rule = (cfg: ParsedConfig) => ConfigProblem[];

const timeZoneRule: Rule = (cfg) =>
  isTimeZone(cfg.timeZone) ? [] : [{ path: "timeZone", value: cfg.timeZone, message: "expected an IANA time zone name such as 'UTC' or 'Europe/Paris'" }];

const uploaderRule: Rule = (cfg) => {
  if (cfg.velero.uploaderType === "kopia") return [];
  if (cfg.velero.uploaderType === "restic") return [{ path: "velero.uploaderType", value: "restic", message: RESTIC_MESSAGE }];
  return [{ path: "velero.uploaderType", value: cfg.velero.uploaderType, message: "expected 'kopia' (the only uploader of Velero 1.17+)" }];
};

const imageRule: Rule = (cfg) => {
  const problems: ConfigProblem[] = [];
  const plugin = cfg.velero.awsPluginImage;
  if (/velero-plugin-for-csi/.test(plugin) || /velero-plugin-for-csi/.test(cfg.velero.image)) {
    problems.push({ path: "velero.awsPluginImage", value: plugin, message: "velero-plugin-for-csi is built into Velero since 1.14 and breaks start-up ('registered twice'); use velero-plugin-for-aws" });
  }
  if (/:v1\.14\.[0-2]$/.test(plugin)) {
    problems.push({ path: "velero.awsPluginImage", value: plugin, message: "velero-plugin-for-aws before v1.14.3 corrupts or rejects uploads to S3-compatible stores (velero#9951, #9804); expected v1.14.3 or later" });
  }
  const tag = /:v(\d+)\.(\d+)\.(\d+)$/.exec(cfg.velero.image);
  if (tag && (Number(tag[1]) < 1 || (Number(tag[1]) === 1 && (Number(tag[2]) < 18 || (Number(tag[2]) === 18 && Number(tag[3]) < 2))))) {
    problems.push({ path: "velero.image", value: cfg.velero.image, message: "expected Velero v1.18.2 or later: namespace globs ('cust-*') are unreliable before it (velero#9743, #9870)" });
  }
  return problems;
};

function flattenKeys(value: unknown, prefix = ""): string[] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => [prefix + k, ...flattenKeys(v, `${prefix}${k}.`)]);
}

const extraValuesRule: Rule = (cfg) => {
  const keys = new Set(flattenKeys(cfg.velero.extraValues));
  const problems: ConfigProblem[] = Object.entries(REMOVED_CHART_KEYS)
    .filter(([key]) => keys.has(key))
    .map(([key, replacement]) => ({ path: `velero.extraValues.${key}`, message: `removed from the Velero chart; use ${replacement}` }));
  const uploader = (cfg.velero.extraValues as { configuration?: { uploaderType?: unknown } }).configuration?.uploaderType;
  if (uploader === "restic") problems.push({ path: "velero.extraValues.configuration.uploaderType", value: "restic", message: RESTIC_MESSAGE });
  return problems;
};

/** The flows that write to a Velero location, with their config paths. */
export function veleroFlows(cfg: ParsedConfig) {
  const f = cfg.flows;
  return [
    { key: "tenants", flow: f.tenants },
    { key: "system", flow: f.system },
    { key: "garageMetaCeph", flow: f.garageMetaCeph },
    { key: "garageDataZfs", flow: f.garageDataZfs },
    { key: "postgres", flow: f.postgres },
  ] as const;
}

const locationRule: Rule = (cfg) => {
  const problems: ConfigProblem[] = [];
  const locations = cfg.velero.locations;
  const names = Object.keys(locations);
  for (const { key, flow } of veleroFlows(cfg)) {
    if (flow.enabled && !(flow.location in locations)) {
      problems.push({ path: `flows.${key}.location`, value: flow.location, message: `names no location of velero.locations; expected one of: ${names.join(", ") || "(none defined)"}` });
    }
  }
  for (const [name, loc] of Object.entries(locations)) {
    if (!cfg.storage[loc.backend]) {
      problems.push({ path: `velero.locations.${name}.backend`, value: loc.backend, message: `backend '${loc.backend}' is not configured; add storage.${loc.backend}` });
    }
  }
  const defaults = names.filter((n) => locations[n].default);
  if (names.length > 0 && defaults.length !== 1) {
    problems.push({ path: "velero.locations", value: defaults, message: `expected exactly one location with 'default: true', found ${defaults.length}` });
  }
  return problems;
};

const retentionRule: Rule = (cfg) =>
  veleroFlows(cfg)
    .filter(({ flow }) => flow.enabled)
    .flatMap(({ key, flow }) => {
      const interval = cronMaxIntervalSeconds(flow.schedule);
      const ttl = parseGoDuration(flow.ttl) ?? 0;
      return ttl < interval
        ? [{ path: `flows.${key}.ttl`, value: flow.ttl, message: `is shorter than the ${humanDuration(interval)} between runs of '${flow.schedule}': no backup would survive to the next one; expected at least ${interval / 3600}h` }]
        : [];
    });

const tenantGlobRule: Rule = (cfg) => {
  const glob = cfg.flows.tenants.namespaceGlob;
  if (!glob.startsWith(TENANT_NAMESPACE_PREFIX)) {
    return [{ path: "flows.tenants.namespaceGlob", value: glob, message: `expected a glob that starts with '${TENANT_NAMESPACE_PREFIX}' so it matches tenant namespaces only, e.g. 'cust-*'` }];
  }
  const regex = globToRegExp(glob);
  const own = [cfg.velero.namespace, cfg.flows.benji.namespace, cfg.flows.zrepl.namespace, cfg.flows.postgres.workload.namespace];
  const hits = [...SYSTEM_NAMESPACES, ...own].filter((ns) => regex.test(ns));
  return hits.length ? [{ path: "flows.tenants.namespaceGlob", value: glob, message: `matches system namespaces (${hits.join(", ")}); expected a glob matching tenant namespaces only` }] : [];
};

const storageRule: Rule = (cfg) => {
  const problems: ConfigProblem[] = [];
  if (cfg.storage.garage?.objectLock !== undefined) {
    problems.push({ path: "storage.garage.objectLock", message: "Garage has no object lock (nor versioning); remove the key or store on scaleway/aws" });
  }
  if (cfg.storage.garage && !cfg.storage.garage.adminTokenSecret && cfg.garageAdminToken === undefined) {
    problems.push({ path: "garageAdminToken", message: "Garage needs its admin token: set storage.garage.adminTokenSecret {name, key} or `pulumi config set --secret garageAdminToken <token>`" });
  }
  return problems;
};

const benjiRule: Rule = (cfg) => {
  const b = cfg.flows.benji;
  if (!b.enabled) return [];
  const problems: ConfigProblem[] = [];
  if (!b.storage) problems.push({ path: "flows.benji.storage", message: "Benji is enabled without a storage location; expected {backend, bucket}" });
  else if (!cfg.storage[b.storage.backend]) problems.push({ path: "flows.benji.storage.backend", value: b.storage.backend, message: `backend '${b.storage.backend}' is not configured; add storage.${b.storage.backend}` });
  if (!b.ceph) problems.push({ path: "flows.benji.ceph", message: "Benji backs up Ceph RBD volumes only; expected {monHost, clientId, pools: [<pool>...]}" });
  if (cfg.benjiDatabaseUrl === undefined) problems.push({ path: "benjiDatabaseUrl", message: "Benji needs a persistent PostgreSQL database; set it with `pulumi config set --secret benjiDatabaseUrl postgresql://benji:<pw>@<host>:5432/benji`" });
  if (cfg.benjiCephKey === undefined) problems.push({ path: "benjiCephKey", message: "Benji needs the Ceph key of its client; set it with `pulumi config set --secret benjiCephKey <key>`" });
  return problems;
};

const zreplRule: Rule = (cfg) => {
  const z = cfg.flows.zrepl;
  if (!z.enabled) return [];
  const problems: ConfigProblem[] = [];
  if (!z.image) problems.push({ path: "flows.zrepl.image", message: "zrepl has no official image; expected a pinned image whose zfsutils match the nodes, e.g. 'ghcr.io/skaronator/zrepl@sha256:<digest>'" });
  if (!z.sourceNode) problems.push({ path: "flows.zrepl.sourceNode", message: "expected the node name (kubernetes.io/hostname) holding the Garage data pool" });
  if (!z.sinkNode) problems.push({ path: "flows.zrepl.sinkNode", message: "expected the node name (kubernetes.io/hostname) of the backup node" });
  if (z.sourceNode && z.sourceNode === z.sinkNode) problems.push({ path: "flows.zrepl.sinkNode", value: z.sinkNode, message: "is the same node as flows.zrepl.sourceNode; a replica on the same node is no off-node copy" });
  if (!Object.values(z.sourceFilesystems).some((included) => included)) {
    problems.push({ path: "flows.zrepl.sourceFilesystems", value: z.sourceFilesystems, message: "includes no dataset; expected e.g. {'tank/garage<': true}" });
  }
  return problems;
};

const RULES: Rule[] = [timeZoneRule, uploaderRule, imageRule, extraValuesRule, locationRule, retentionRule, tenantGlobRule, storageRule, benjiRule, zreplRule];

/** Every cross-field problem of an otherwise well-formed config. */
export function crossFieldProblems(cfg: ParsedConfig): ConfigProblem[] {
  return RULES.flatMap((rule) => rule(cfg));
}
