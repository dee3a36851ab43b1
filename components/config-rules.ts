/**
 * Rules that span several config keys (docs/design.md §2, §7): each returns problems as {path, message, value} so the loader
 * reports them in the same one-line-per-problem form as schema errors.
 */
import type { ParsedConfig } from "./config-schema";
import type { ConfigProblem } from "./config-problem";
import { cronMaxIntervalSeconds } from "./schema/cron";
import { parseGoDuration, humanDuration } from "./schema/duration";
import { globToRegExp, namespaceGlobMatches } from "./schema/namespace-glob";
import { FLOW_LABEL, OWNERSHIP_LABELS, TENANT_NAMESPACE_PREFIX } from "./labels";
import { REMOVED_CHART_KEYS } from "../policy/shared/velero-chart";
import { parseZreplDuration } from "./zrepl/grid";
import { staleAfterProblems } from "./monitoring/stale";
import { drillConfigProblems } from "./drills/spec";
import { benjiPvcNamespaceProblems } from "./benji/access";
import { prefixedBucketName } from "./schema/bucket-name";
import { keyMaterialProblems } from "./key-material";
import { imageDigestProblems } from "./image-pins";
import { repoMaintenanceProblems } from "./monitoring/repo-maintenance";
import { sinkCheckProblems } from "./zrepl/sink-check";
import { parseImageReference } from "./schema/image";
import { MIN_AWS_PLUGIN, MIN_VELERO, releaseBelow } from "../policy/shared/velero-versions";

export type { ConfigProblem };

/** docs/design.md §2(b)'s message for `uploaderType: restic`, without its leading key: problem lines start with their path. */
const RESTIC_REASON =
  "'restic' is not supported. Velero 1.17+ can no longer take restic backups (kopia is the only uploader); " +
  "restic remains only to restore backups taken before the upgrade, and not after Velero 1.19. Remove the key or set 'kopia'.";


/** Namespaces that a tenant glob must never match: system ones and those of this program's own flows. */
const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease", "backup-system", "garage", "postgres", "zrepl", "minio", "benji", "rook-ceph", "openebs", "cert-manager", "monitoring"];

type Rule = (cfg: ParsedConfig) => ConfigProblem[];

const uploaderRule: Rule = (cfg) => {
  if (cfg.velero.uploaderType === "kopia") return [];
  if (cfg.velero.uploaderType === "restic") return [{ path: "velero.uploaderType", value: "restic", message: RESTIC_REASON }];
  return [{ path: "velero.uploaderType", value: cfg.velero.uploaderType, message: "expected 'kopia' (the only uploader of Velero 1.17+)" }];
};

const imageRule: Rule = (cfg) => {
  const problems: ConfigProblem[] = [];
  const plugin = cfg.velero.awsPluginImage;
  if (/velero-plugin-for-csi/.test(plugin) || /velero-plugin-for-csi/.test(cfg.velero.image)) {
    problems.push({ path: "velero.awsPluginImage", value: plugin, message: "velero-plugin-for-csi is built into Velero since 1.14 and breaks start-up ('registered twice'); use velero-plugin-for-aws" });
  }
  const pluginRef = parseImageReference(plugin);
  if (pluginRef && /(^|\/)velero-plugin-for-aws$/.test(pluginRef.name) && releaseBelow(pluginRef.tag, MIN_AWS_PLUGIN)) {
    problems.push({ path: "velero.awsPluginImage", value: plugin, message: "velero-plugin-for-aws before v1.14.3 corrupts or rejects uploads to S3-compatible stores (velero#9951, #9804); expected v1.14.3 or later" });
  }
  if (releaseBelow(parseImageReference(cfg.velero.image)?.tag, MIN_VELERO)) {
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
  if (uploader === "restic") problems.push({ path: "velero.extraValues.configuration.uploaderType", value: "restic", message: RESTIC_REASON });
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

/** Two locations on the same bucket and prefix would sync each other's backups and share kopia repositories. */
const locationOverlapRule: Rule = (cfg) => {
  const seen = new Map<string, string>();
  const problems: ConfigProblem[] = [];
  for (const [name, loc] of Object.entries(cfg.velero.locations)) {
    const key = `${loc.backend}/${loc.bucket}/${loc.prefix ?? ""}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ path: `velero.locations.${name}.prefix`, value: loc.prefix ?? null, message: `same backend, bucket and prefix as velero.locations.${first}; Velero would mix the two locations' backups; expected a distinct prefix` });
    } else seen.set(key, name);
  }
  return problems;
};

/** A snapshotting flow needs Velero's VolumeSnapshotClass for its CSI driver. */
const veleroCsiRule: Rule = (cfg) => {
  const problems: ConfigProblem[] = [];
  if (cfg.flows.garageMetaCeph.enabled && !cfg.csi.cephRbd) {
    problems.push({ path: "csi.cephRbd", message: "flows.garageMetaCeph takes Ceph RBD CSI snapshots; expected csi.cephRbd {driver, clusterID, snapshotterSecret} (create: false to use an existing class labelled velero.io/csi-volumesnapshot-class=true)" });
  }
  if (cfg.flows.garageDataZfs.enabled && !cfg.csi.zfs) {
    problems.push({ path: "csi.zfs", message: "flows.garageDataZfs takes ZFS-LocalPV CSI snapshots; expected csi.zfs {driver} (create: false to use an existing class labelled velero.io/csi-volumesnapshot-class=true)" });
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
    problems.push({ path: "storage.garage.objectLock", value: cfg.storage.garage.objectLock, message: "Garage has no object lock (nor versioning); remove the key or store on scaleway/aws" });
  }
  if (cfg.storage.garage && !cfg.storage.garage.adminTokenSecret && cfg.garageAdminToken === undefined) {
    problems.push({ path: "garageAdminToken", message: "Garage needs its admin token: set storage.garage.adminTokenSecret {name, key} or `pulumi config set --secret garageAdminToken <token>`" });
  }
  // aws/scaleway bucket names are global and get the stack's prefix: `<bucketPrefix>-<bucket>` must stay a bucket name.
  const prefixed = (backend: string, bucket: string): string | undefined => {
    const prefix = backend === "aws" ? cfg.storage.aws?.bucketPrefix : backend === "scaleway" ? cfg.storage.scaleway?.bucketPrefix : undefined;
    return prefix === undefined ? undefined : prefixedBucketName(prefix, bucket);
  };
  const tooLong = (path: string, backend: string, bucket: string) => {
    const real = prefixed(backend, bucket);
    if (real && real.length > 63) problems.push({ path, value: bucket, message: `gives the ${backend} bucket name '${real}' (${real.length} characters); expected at most 63 with storage.${backend}.bucketPrefix: shorten the bucket or the prefix` });
  };
  for (const [name, loc] of Object.entries(cfg.velero.locations)) tooLong(`velero.locations.${name}.bucket`, loc.backend, loc.bucket);
  const benji = cfg.flows.benji;
  if (benji.enabled && benji.storage) {
    const { backend, bucket } = benji.storage;
    tooLong("flows.benji.storage.bucket", backend, bucket);
    const shared = Object.entries(cfg.velero.locations).filter(([, loc]) => loc.backend === backend && loc.bucket === bucket).map(([name]) => name);
    if (shared.length > 0) {
      problems.push({ path: "flows.benji.storage.bucket", value: bucket, message: `is also the ${backend} bucket of Velero location(s) ${shared.join(", ")}; expected a bucket of its own (Velero's is versioned, Benji's must not be, and each consumer's key is limited to its buckets)` });
    }
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
  const pools = b.ceph?.pools ?? [];
  const repeated = pools.filter((pool, i) => pools.indexOf(pool) !== i);
  if (repeated.length) problems.push({ path: "flows.benji.ceph.pools", value: pools, message: `lists ${[...new Set(repeated)].map((p) => `'${p}'`).join(", ")} more than once; each pool names one Benji io, expected each pool once` });
  if (cfg.benjiDatabaseUrl === undefined) problems.push({ path: "benjiDatabaseUrl", message: "Benji needs a persistent PostgreSQL database; set it with `pulumi config set --secret benjiDatabaseUrl postgresql://benji:<pw>@<host>:5432/benji`" });
  if (cfg.benjiCephKey === undefined) problems.push({ path: "benjiCephKey", message: "Benji needs the Ceph key of its client; set it with `pulumi config set --secret benjiCephKey <key>`" });
  problems.push(...benjiPvcNamespaceProblems(b.pvcNamespaces, (ns) => ns.startsWith(TENANT_NAMESPACE_PREFIX) || namespaceGlobMatches(cfg.flows.tenants.namespaceGlob, ns)));
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
  const interval = parseZreplDuration(z.snapshotInterval) ?? 0;
  if ((parseZreplDuration(z.lagThreshold) ?? 0) <= interval) {
    problems.push({ path: "flows.zrepl.lagThreshold", value: z.lagThreshold, message: `is not longer than flows.zrepl.snapshotInterval '${z.snapshotInterval}': replication runs once per interval, so the lag alert would fire between runs; expected a zrepl duration longer than ${z.snapshotInterval}` });
  }
  return problems;
};

/** postgres-backup flow and the dev demo (docs/design.md §3.5, §5). */
const postgresRule: Rule = (cfg) => {
  const problems: ConfigProblem[] = [];
  const pg = cfg.flows.postgres;
  if (cfg.demo.enabled && cfg.environment === "prod") {
    problems.push({ path: "demo.enabled", value: true, message: "the demo creates tenant namespace 'cust-demo' and a Postgres StatefulSet owned by this program, beside the real ones; expected false in prod" });
  }
  if (cfg.demo.enabled && pg.enabled && pg.patchWorkload) {
    problems.push({
      path: "flows.postgres.patchWorkload",
      value: true,
      message: "the demo Postgres (demo.enabled) is owned by this program and carries the dump hooks in its own pod template; a Patch of the same StatefulSet would fight over the same fields; expected false while demo.enabled is true",
    });
  }
  if (cfg.demo.enabled && pg.enabled && pg.workload.kind !== "StatefulSet") {
    problems.push({ path: "flows.postgres.workload.kind", value: pg.workload.kind, message: "the demo Postgres (demo.enabled) is a StatefulSet; expected 'StatefulSet' while demo.enabled is true" });
  }
  const ns = pg.workload.namespace;
  if (pg.enabled && cfg.flows.system.enabled && !cfg.flows.system.excludedNamespaces.some((glob) => namespaceGlobMatches(glob, ns))) {
    problems.push({
      path: "flows.system.excludedNamespaces",
      value: cfg.flows.system.excludedNamespaces,
      message: `does not exclude '${ns}' (flows.postgres.workload.namespace): system-daily would run the dump hooks a second time and copy the live PGDATA file by file; add '${ns}'`,
    });
  }
  return problems;
};

/**
 * In prod the Garage admin token (and S3 signatures) may only travel to an in-cluster Service or over https: a plain
 * `http://` host elsewhere would carry the token across the network in clear.
 */
export const IN_CLUSTER_SERVICE_URL = /^http:\/\/[a-z0-9]([-a-z0-9]*[a-z0-9])?\.[a-z0-9]([-a-z0-9]*[a-z0-9])?\.svc(\.cluster\.local)?(:\d{1,5})?$/;
const endpointRule: Rule = (cfg) => {
  const garage = cfg.storage.garage;
  if (cfg.environment !== "prod" || !garage) return [];
  const carries = { adminEndpoint: "carries the Garage admin token", s3Endpoint: "carries the backups and the keys' signatures" } as const;
  return (Object.keys(carries) as (keyof typeof carries)[])
    .filter((key) => !garage[key].startsWith("https://") && !IN_CLUSTER_SERVICE_URL.test(garage[key]))
    .map((key) => ({
      path: `storage.garage.${key}`,
      value: garage[key],
      message: `${carries[key]}: in prod expected https:// or an in-cluster Service address 'http://<service>.<namespace>.svc[.cluster.local][:port]'`,
    }));
};

/** The last two live beside what they check: alert thresholds (monitoring/stale.ts), drill windows (drills/spec.ts). */
/** Staleness thresholds shorter than the interval of the cron they watch (each `monitoring.staleAfter` key and its cron). */
function monitoringRule(cfg: ParsedConfig): ConfigProblem[] {
  const f = cfg.flows;
  return staleAfterProblems(cfg.monitoring, [
    { key: "tenants", path: "flows.tenants.schedule", cron: f.tenants.schedule, enabled: f.tenants.enabled },
    { key: "system", path: "flows.system.schedule", cron: f.system.schedule, enabled: f.system.enabled },
    { key: "garageMetaCeph", path: "flows.garageMetaCeph.schedule", cron: f.garageMetaCeph.schedule, enabled: f.garageMetaCeph.enabled },
    { key: "garageDataZfs", path: "flows.garageDataZfs.schedule", cron: f.garageDataZfs.schedule, enabled: f.garageDataZfs.enabled },
    { key: "postgres", path: "flows.postgres.schedule", cron: f.postgres.schedule, enabled: f.postgres.enabled },
    { key: "benjiBackup", path: "flows.benji.backupSchedule", cron: f.benji.backupSchedule, enabled: f.benji.enabled },
    { key: "benjiEnforce", path: "flows.benji.enforceSchedule", cron: f.benji.enforceSchedule, enabled: f.benji.enabled },
    { key: "benjiCleanup", path: "flows.benji.cleanupSchedule", cron: f.benji.cleanupSchedule, enabled: f.benji.enabled },
    { key: "benjiScrub", path: "flows.benji.scrub.schedule", cron: f.benji.scrub.schedule, enabled: f.benji.enabled && f.benji.scrub.enabled },
    { key: "benjiDrill", path: "flows.benji.drill.schedule", cron: f.benji.drill.schedule, enabled: f.benji.enabled && f.benji.drill.enabled },
    { key: "benjiMetadataBackup", path: "flows.benji.metadataBackup.schedule", cron: f.benji.metadataBackup.schedule, enabled: f.benji.enabled && f.benji.metadataBackup.enabled },
    { key: "tenantsDrill", path: "drills.tenants.schedule", cron: cfg.drills.tenants.schedule, enabled: true },
    { key: "postgresDrill", path: "drills.postgres.schedule", cron: cfg.drills.postgres.schedule, enabled: true },
  ]);
}

/** The dashboard ConfigMap's sidecar label must not replace a label this program puts on its objects. */
function dashboardRule(cfg: ParsedConfig): ConfigProblem[] {
  const owned = [...Object.keys(OWNERSHIP_LABELS), FLOW_LABEL];
  const key = cfg.monitoring.dashboard.labelKey;
  if (!owned.includes(key)) return [];
  return [{ path: "monitoring.dashboard.labelKey", value: key, message: `is a label this program sets on its own objects (${owned.join(", ")}); expected the label Grafana's dashboard sidecar selects by, e.g. 'grafana_dashboard'` }];
}

const RULES: Rule[] = [uploaderRule, imageRule, extraValuesRule, locationRule, locationOverlapRule, veleroCsiRule, retentionRule, tenantGlobRule, storageRule, benjiRule, zreplRule, postgresRule, monitoringRule, drillConfigProblems, keyMaterialProblems, endpointRule, imageDigestProblems, repoMaintenanceProblems, sinkCheckProblems, dashboardRule];

/** Every cross-field problem of an otherwise well-formed config. */
export function crossFieldProblems(cfg: ParsedConfig): ConfigProblem[] {
  return RULES.flatMap((rule) => rule(cfg));
}
