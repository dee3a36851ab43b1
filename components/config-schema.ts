/**
 * The stack configuration schema (namespace `cluster-backup:`). Every object is strict: an unknown key is an error,
 * because a typo such as `flows.tenant` must never silently disable a backup. Defaults are those of docs/design.md §1/§3.1.
 * Cross-field rules live in config-rules.ts.
 */
import { z } from "zod";
import { cronError, isTimeZone } from "./schema/cron";
import { parseGoDuration } from "./schema/duration";
import { namespaceGlobError } from "./schema/namespace-glob";
import { ZREPL_DEFAULTS } from "./zrepl/defaults";
import { parseGrid, parseZreplDuration } from "./zrepl/grid";
import { DEFAULT_RUNBOOK_BASE_URL } from "./runbook-anchors";
import { BENJI_FILE_IO, BENJI_POOL } from "./benji/benji-config";
import { BENJI_RETENTION_EXAMPLE, parseBenjiRetention } from "./benji/retention";
import { BENJI_INTEGRITY_DEFAULTS } from "./benji/integrity";
import { byteQuantityError } from "./schema/quantity";
import { parseImageReference } from "./schema/image";
import { PINS } from "./pins";
import { BACKENDS } from "./schema/backends";
import { SYSTEM_EXCLUDED_NAMESPACES } from "./velero/schedule-specs";

export { PINS } from "./pins";

/** A Kubernetes object name of the DNS-label form (namespaces, most names); at most 63 characters, checked apart. */
export const KUBERNETES_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const k8sName = z
  .string()
  .max(63)
  .regex(KUBERNETES_NAME, { error: "expected a Kubernetes name (lowercase letters, digits and '-', at most 63 characters)" });
/** A size (bytes) with a unit: `"20"` would be 20 bytes (components/schema/quantity.ts). */
const quantity = z.string().superRefine((value, ctx) => {
  const message = byteQuantityError(value);
  if (message) ctx.addIssue({ code: "custom", message });
});
const url = z.string().refine((v) => /^https?:\/\/[^/\s]+$/.test(v), {
  error: "expected an http(s) URL of scheme and host[:port] only, without a path, e.g. 'http://garage.garage.svc.cluster.local:3900'",
});
const image = z
  .string()
  .refine((v) => { const ref = parseImageReference(v); return ref !== undefined && (ref.tag !== undefined || ref.digest !== undefined); }, {
    error: "expected a fully qualified image with a tag or digest, e.g. 'docker.io/velero/velero:v1.18.2' (no ':latest', no untagged images)",
  })
  .refine((v) => { const ref = parseImageReference(v); return ref?.tag !== "latest" || ref.digest !== undefined; }, { error: "':latest' is not a pin; use a version tag or a sha256 digest" });

export const cron = z.string().superRefine((value, ctx) => {
  const message = cronError(value);
  if (message) ctx.addIssue({ code: "custom", message });
});

/** A Velero ttl: Go duration, at least one hour, at most ten years. */
export const ttl = z.string().superRefine((value, ctx) => {
  const seconds = parseGoDuration(value);
  if (seconds === undefined) {
    ctx.addIssue({ code: "custom", message: "expected a Go duration with units h, m, s such as '720h0m0s' (30 days) or '168h' (7 days)" });
  } else if (seconds < 3600 || seconds > 87600 * 3600) {
    ctx.addIssue({ code: "custom", message: "expected a ttl between 1h and 87600h (10 years)" });
  }
});

const goDuration = z.string().refine((v) => (parseGoDuration(v) ?? 0) > 0, {
  error: "expected a positive Go duration such as '30m', '4h' or '1h30m'",
});

const zreplDuration = z.string().refine((v) => parseZreplDuration(v) !== undefined, {
  error: "expected a zrepl duration: one positive number with unit s, m, h, d or w, e.g. '10m' (no compound values such as '1h30m')",
});

/** zrepl `filesystems` keys (internal/daemon/filters): a dataset path, `<` suffix for it and everything below; `<` alone = all. */
const ZREPL_FILTER_KEY = /^(<|[A-Za-z0-9_.:-]+(\/[A-Za-z0-9_.:-]+)*<?)$/;
const zreplFilesystems = z.record(z.string(), z.boolean()).superRefine((value, ctx) => {
  for (const key of Object.keys(value).filter((k) => !ZREPL_FILTER_KEY.test(k))) {
    ctx.addIssue({ code: "custom", path: [key], input: key, message: "is not a zrepl dataset filter; expected a dataset path, optionally ending in '<' for the dataset and everything below it, e.g. 'tank/garage<'" });
  }
});
const nodeName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
  error: "expected a node name (the node's kubernetes.io/hostname label), e.g. 'backup-1'",
});

const grid = z.string().superRefine((value, ctx) => {
  try {
    parseGrid(value);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: `${(err as Error).message}; expected e.g. '1x1h(keep=all) | 24x1h | 30x1d | 6x30d'` });
  }
});

export { BACKENDS, type Backend } from "./schema/backends";
const backend = z.enum(BACKENDS, { error: `expected one of the storage backends: ${BACKENDS.join(", ")}` });

const SCALEWAY_ADMIN_PRINCIPAL_ERROR =
  "expected the Scaleway principal that runs `pulumi up`, 'user_id:<uuid>' or 'application_id:<uuid>' (the bucket policies allow it everything and each consumer only its objects; a deployer left out is locked out of the buckets)";

const objectLock = z.strictObject({
  /** GOVERNANCE lets an admin with the bypass permission still delete; COMPLIANCE does not. */
  mode: z.enum(["GOVERNANCE", "COMPLIANCE"], { error: "expected GOVERNANCE (an admin with the bypass permission can still delete) or COMPLIANCE (nobody can)" }).default("GOVERNANCE"),
  days: z.number().int().min(1).max(3650),
});

const storage = z
  .strictObject({
    minio: z
      .strictObject({
        deploy: z.boolean().default(true),
        namespace: k8sName.default("minio"),
        size: quantity.default("10Gi"),
        region: z.string().min(1).default("us-east-1"),
        image: image.default(PINS.minioImage),
        mcImage: image.default(PINS.mcImage),
        noncurrentVersionDays: z.number().int().min(1).max(3650).default(14),
      })
      .optional(),
    scaleway: z
      .strictObject({
        region: z.enum(["fr-par", "nl-ams", "pl-waw"], { error: "expected a Scaleway region: fr-par, nl-ams or pl-waw" }),
        bucketPrefix: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, { error: "expected a lowercase bucket name prefix" }),
        /** Project of the backup buckets: the IAM policies (project-wide permission sets) and API keys are scoped to it. */
        projectId: z.uuid({ error: "expected the UUID of the Scaleway project holding the backup buckets (a dedicated project: IAM permission sets are project-wide)" }),
        /** Who runs `pulumi up`: the bucket policies allow it everything and the consumers only their object operations. */
        adminPrincipal: z.string({ error: SCALEWAY_ADMIN_PRINCIPAL_ERROR }).regex(/^(user_id|application_id):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { error: SCALEWAY_ADMIN_PRINCIPAL_ERROR }),
        noncurrentVersionDays: z.number().int().min(1).max(3650).default(14),
        objectLock: objectLock.optional(),
      })
      .optional(),
    garage: z
      .strictObject({
        s3Endpoint: url,
        adminEndpoint: url,
        adminApiVersion: z.enum(["v1", "v2"]).default("v2"),
        region: z.string().min(1).default("garage"),
        namespace: k8sName.default("garage"),
        adminTokenSecret: z.strictObject({ name: k8sName, key: z.string().min(1) }).optional(),
        jobImage: image.default(PINS.curlImage),
        objectLock: z.unknown().optional(),
      })
      .optional(),
    aws: z
      .strictObject({
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: "expected an AWS region such as 'eu-west-1'" }),
        bucketPrefix: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, { error: "expected a lowercase bucket name prefix" }),
        noncurrentVersionDays: z.number().int().min(1).max(3650).default(14),
        objectLock: objectLock.optional(),
      })
      .optional(),
  })
  .prefault({});

const location = z.strictObject({
  backend,
  bucket: z.string().regex(S3_BUCKET, { error: "expected an S3 bucket name (3-63 lowercase letters, digits, '.', '-')" }),
  prefix: z.string().regex(/^[a-z0-9][a-z0-9/_-]*$/, { error: "expected a key prefix without leading '/'" }).optional(),
  default: z.boolean().default(false),
});

const velero = z
  .strictObject({
    namespace: k8sName.default("backup-system"),
    chartVersion: z.string().default(PINS.veleroChart),
    image: image.default(PINS.veleroImage),
    awsPluginImage: image.default(PINS.awsPluginImage),
    uploaderType: z.string().default("kopia"),
    repositoryPassword: z.enum(["random", "legacy-default", "existing"]).default("random"),
    nodeAgent: z
      .strictObject({
        podVolumePath: z.string().regex(/^\/\S+$/, { error: "expected an absolute path such as /var/lib/kubelet/pods" }).default("/var/lib/kubelet/pods"),
        privileged: z.boolean().default(false),
        memoryLimit: quantity.default("2Gi"),
      })
      .prefault({}),
    concurrentBackups: z.number().int().min(1).max(16).optional(),
    fsBackupTimeout: goDuration.default("4h"),
    serviceMonitor: z.boolean().default(false),
    locations: z.record(k8sName, location).default({}),
    extraValues: z.record(z.string(), z.unknown()).default({}),
  })
  .prefault({});

const csi = z
  .strictObject({
    cephRbd: z
      .strictObject({
        create: z.boolean().default(true),
        driver: z.string().default("rook-ceph.rbd.csi.ceph.com"),
        clusterID: z.string().default("rook-ceph"),
        snapshotterSecret: z.strictObject({ name: k8sName, namespace: k8sName }).default({
          name: "rook-csi-rbd-provisioner",
          namespace: "rook-ceph",
        }),
        storageClasses: z.array(k8sName).default(["ceph-block"]),
      })
      .optional(),
    zfs: z
      .strictObject({
        create: z.boolean().default(true),
        driver: z.string().default("zfs.csi.openebs.io"),
      })
      .optional(),
  })
  .prefault({});

function veleroFlow(defaults: { schedule: string; ttl: string; location: string; enabled: boolean }) {
  return {
    enabled: z.boolean().default(defaults.enabled),
    schedule: cron.default(defaults.schedule),
    ttl: ttl.default(defaults.ttl),
    location: k8sName.default(defaults.location),
  };
}

export { SYSTEM_EXCLUDED_NAMESPACES } from "./velero/schedule-specs";

/** `benji enforce` rules, checked with Benji's own grammar (components/benji/retention.ts). */
const benjiRetention = z.string().superRefine((value, ctx) => {
  try {
    parseBenjiRetention(value);
  } catch (err) {
    ctx.addIssue({
      code: "custom",
      message: `${(err as Error).message}; expected Benji retention rules such as ${BENJI_RETENTION_EXAMPLE} (comma-separated, no spaces: latestN, hoursN, daysN, weeksN, monthsN, yearsN, each category at most once, N at least 1)`,
    });
  }
});

/** A Ceph pool Benji reads from: it names a Benji io, so it must be a valid io name and not the `file` io. */
const benjiPool = z
  .string()
  .regex(BENJI_POOL, { error: "expected a Ceph pool name of letters, digits, '-', '_', '.' without leading or trailing '-' (it names a Benji io)" })
  .refine((v) => v !== BENJI_FILE_IO, { error: `'${BENJI_FILE_IO}' is the name of Benji's file io; a Ceph pool of that name cannot be backed up` });

/** A `benji batch-deep-scrub` percentage: a whole number 1..100 (Benji 0.17.0 src/benji/scripts/benji.py `integer_range(1, 100)`). */
function benjiPercentage(flag: string, example: number) {
  const error = `expected a whole percentage from 1 to 100 (benji batch-deep-scrub ${flag}), e.g. ${example}`;
  return z.number({ error }).int({ error }).min(1, { error }).max(100, { error }).default(example);
}

/** flows.benji.{scrub,drill,metadataBackup}: the integrity CronJobs (components/benji/integrity.ts). */
const BI = BENJI_INTEGRITY_DEFAULTS;
const benjiIntegrity = {
  scrub: z
    .strictObject({
      enabled: z.boolean().default(BI.scrub.enabled),
      schedule: cron.default(BI.scrub.schedule),
      versionPercentage: benjiPercentage("--version-percentage", BI.scrub.versionPercentage),
      blockPercentage: benjiPercentage("--block-percentage", BI.scrub.blockPercentage),
    })
    .prefault({}),
  drill: z
    .strictObject({
      enabled: z.boolean().default(BI.drill.enabled),
      schedule: cron.default(BI.drill.schedule),
      /** activeDeadlineSeconds of a drill Job (BENJI_INTEGRITY_DEFAULTS.drill.timeoutSeconds). */
      timeout: goDuration.default("6h"),
    })
    .prefault({}),
  metadataBackup: z.strictObject({ enabled: z.boolean().default(BI.metadataBackup.enabled), schedule: cron.default(BI.metadataBackup.schedule) }).prefault({}),
};

const flows = z
  .strictObject({
    tenants: z
      .strictObject({
        ...veleroFlow({ schedule: "0 1 * * *", ttl: "720h0m0s", location: "default", enabled: true }),
        namespaceGlob: z.string().superRefine((v, ctx) => {
          const message = namespaceGlobError(v);
          if (message) ctx.addIssue({ code: "custom", message });
        }).default("cust-*"),
        /** The opt-out safety-net CronJob; default on, unless policy.admission runs in Deny mode (which already refuses a `backup=false` tenant without the exclude label). */
        optOutSync: z.boolean().optional(),
        optOutSchedule: cron.default("*/15 * * * *"),
        /** kubectl image of the opt-out CronJob (its account may patch every namespace: pin by digest in prod). */
        optOutImage: image.default(PINS.kubectlImage),
      })
      .prefault({}),
    system: z
      .strictObject({
        ...veleroFlow({ schedule: "0 5 * * *", ttl: "720h0m0s", location: "system", enabled: false }),
        excludedNamespaces: z.array(z.string().min(1)).default(SYSTEM_EXCLUDED_NAMESPACES),
      })
      .prefault({}),
    garageMetaCeph: z
      .strictObject({
        ...veleroFlow({ schedule: "0 3 * * *", ttl: "720h0m0s", location: "garage-backups", enabled: false }),
        namespace: k8sName.default("garage"),
        csiSnapshotTimeout: goDuration.default("10m"),
      })
      .prefault({}),
    garageDataZfs: z
      .strictObject({
        ...veleroFlow({ schedule: "0 3 * * *", ttl: "168h0m0s", location: "garage-backups", enabled: false }),
        namespace: k8sName.default("garage"),
      })
      .prefault({}),
    postgres: z
      .strictObject({
        ...veleroFlow({ schedule: "0 4 * * *", ttl: "720h0m0s", location: "postgres", enabled: false }),
        patchWorkload: z.boolean().default(false),
        /** The dump emptyDir's sizeLimit: at least twice the dump; exceeding it evicts the Postgres pod. */
        dumpVolumeSizeLimit: quantity.default("20Gi"),
        hookTimeout: goDuration.default("30m"),
        postHookTimeout: goDuration.default("2m"),
        workload: z
          .strictObject({
            kind: z.enum(["StatefulSet", "Deployment"]).default("StatefulSet"),
            name: k8sName.default("postgres"),
            namespace: k8sName.default("postgres"),
            container: k8sName.default("postgres"),
          })
          .prefault({}),
      })
      .prefault({}),
    benji: z
      .strictObject({
        enabled: z.boolean().default(false),
        namespace: k8sName.default("benji"),
        storage: z.strictObject({ backend, bucket: z.string().regex(S3_BUCKET, { error: "expected an S3 bucket name" }) }).optional(),
        instance: z
          .string()
          .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { error: "expected a Benji instance name usable as a label value (lowercase letters, digits, '-', at most 63), e.g. 'benji-k8s'" })
          .default("benji-k8s"),
        retention: benjiRetention.default("latest7"),
        image: image.default(PINS.benjiImage),
        backupSchedule: cron.default("30 7 * * *"),
        enforceSchedule: cron.default("0 6 * * *"),
        cleanupSchedule: cron.default("0 5 * * *"),
        /** Prod: generate new AES key material (a first deploy) rather than take `benjiEncryption` (existing or escrowed). */
        generateEncryption: z.boolean().default(false),
        /** Namespaces the platform owns whose `backup-this-pvc=true` PVCs Benji backs up; default the Garage metadata namespace. */
        pvcNamespaces: z.array(k8sName).min(1).optional(),
        pushGateway: z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, { error: "expected the Prometheus Pushgateway as host:port, e.g. 'pushgateway.monitoring.svc:9091'" }).optional(),
        ceph: z
          .strictObject({
            monHost: z.string().regex(/^[^\s;#]+$/, { error: "expected the Ceph monitor addresses without spaces, e.g. '10.0.0.1:6789,10.0.0.2:6789'" }),
            clientId: z.string().regex(/^(?!client\.)[a-z0-9._-]+$/, { error: "expected a Ceph client id without the 'client.' prefix (lowercase letters, digits, '.', '_', '-'), e.g. 'benji'" }).default("benji"),
            pools: z.array(benjiPool).min(1, { error: "expected at least one Ceph RBD pool name" }),
          })
          .optional(),
        ...benjiIntegrity,
      })
      .prefault({}),
    zrepl: z
      .strictObject({
        enabled: z.boolean().default(false),
        namespace: k8sName.default(ZREPL_DEFAULTS.namespace),
        image: image.optional(),
        sourceNode: nodeName.optional(),
        sinkNode: nodeName.optional(),
        sourceFilesystems: zreplFilesystems.default(ZREPL_DEFAULTS.sourceFilesystems),
        sinkRootFs: z.string().regex(/^[A-Za-z0-9_.:-]+(\/[A-Za-z0-9_.:-]+)*$/, { error: "expected a ZFS dataset path such as 'wdc/zrepl'" }).default(ZREPL_DEFAULTS.sinkRootFs),
        clientCn: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: "expected a client identity, one ZFS dataset name component (letters, digits, '.', '_', '-'; no '/'), e.g. 'garage'" }).default(ZREPL_DEFAULTS.clientCn),
        serverCn: z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, { error: "expected a DNS name for the sink certificate (CN and DNS SAN), e.g. 'zrepl-sink'" })
          .default(ZREPL_DEFAULTS.serverCn),
        snapshotInterval: zreplDuration.default(ZREPL_DEFAULTS.snapshotInterval),
        keepSenderLastN: z.number().int().min(1).max(1000).default(ZREPL_DEFAULTS.keepSenderLastN),
        receiverGrid: grid.default(ZREPL_DEFAULTS.receiverGrid),
        lagThreshold: zreplDuration.default("1h"),
        /** The sink readability check (components/zrepl/sink-check.ts): `zfs list` of the received datasets every `interval`. */
        sinkCheck: z
          .strictObject({
            enabled: z.boolean().default(true),
            /** node_exporter serving the check's result (textfile collector only). */
            exporterImage: image.default(PINS.nodeExporterImage),
            interval: zreplDuration.default("5m"),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .prefault({});

/** A Kubernetes label key (`[prefix/]name`) and value, for the labels the Prometheus operator selects objects by. */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const labelValue = z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, { error: "expected a Kubernetes label value (at most 63 letters, digits, '-', '_', '.')" });
const labels = z.record(z.string(), labelValue).superRefine((value, ctx) => {
  for (const key of Object.keys(value).filter((k) => !LABEL_KEY.test(k))) {
    ctx.addIssue({ code: "custom", path: [key], input: key, message: "expected a Kubernetes label key such as 'release' or 'example.com/team'" });
  }
});

/**
 * The flows' Grafana dashboard in a ConfigMap for Grafana's dashboard sidecar. Defaults are the sidecar's as
 * kube-prometheus-stack 88.5.3 sets them (values.yaml `grafana.sidecar.dashboards`: label `grafana_dashboard`, labelValue
 * "1") and k8s-sidecar 2.10.1's folder annotation (src/sidecar.py: FOLDER_ANNOTATION unset → `k8s-sidecar-target-directory`).
 */
const dashboard = z
  .strictObject({
    /** Ship the ConfigMap; default: as monitoring.prometheusOperator (a kube-prometheus-stack brings Grafana and its sidecar). */
    enabled: z.boolean().optional(),
    /** Namespace of the ConfigMap; default: the alerts' (monitoring.namespace, else velero.namespace). */
    namespace: k8sName.optional(),
    /** Label the sidecar selects dashboards by (grafana chart `sidecar.dashboards.label`). */
    labelKey: z.string().regex(LABEL_KEY, { error: "expected a Kubernetes label key such as 'grafana_dashboard' or 'example.com/dashboard' (the grafana chart's sidecar.dashboards.label)" }).default("grafana_dashboard"),
    /** Its value (grafana chart `sidecar.dashboards.labelValue`). */
    labelValue: labelValue.default("1"),
    /** Grafana folder: the directory the sidecar writes the dashboard to (the provider's foldersFromFilesStructure makes it a folder). */
    folder: z
      .string()
      .regex(/^[A-Za-z0-9]([A-Za-z0-9 _.-]{0,61}[A-Za-z0-9])?$/, { error: "expected a Grafana folder name of letters, digits, spaces, '.', '_' and '-' (one directory, no '/'), e.g. 'Backups'" })
      .default("Backups"),
    /** Annotation holding the folder (grafana chart `sidecar.dashboards.folderAnnotation`). */
    folderAnnotation: z
      .string()
      .regex(LABEL_KEY, { error: "expected an annotation key such as 'k8s-sidecar-target-directory' or 'example.com/grafana-folder' (the grafana chart's sidecar.dashboards.folderAnnotation)" })
      .default("k8s-sidecar-target-directory"),
  })
  .prefault({});

/** Alerts (components/monitoring): thresholds derive from each schedule's cron plus `grace`, unless set in `staleAfter`. */
const monitoring = z
  .strictObject({
    /** Deploy PrometheusRule/PodMonitor objects (needs the Prometheus operator CRDs); default: true in prod, false otherwise. */
    prometheusOperator: z.boolean().optional(),
    /** Namespace of the PrometheusRule and PodMonitor; default: velero.namespace. */
    namespace: k8sName.optional(),
    /** Labels the Prometheus operator selects rules and monitors by, e.g. {release: kube-prometheus-stack}. */
    ruleLabels: labels.default({}),
    /** Base of every alert's runbook_url (`<base>#<anchor>`); default the repository's RESTORE.md. */
    runbookBaseUrl: z
      .string()
      .regex(/^(https?:\/\/[^\s#]+|[^\s#:]+)$/, { error: "expected the URL (or repository path) of RESTORE.md without a '#fragment', e.g. 'https://git.example.com/ops/cluster-backup/-/blob/main/RESTORE.md'" })
      .default(DEFAULT_RUNBOOK_BASE_URL),
    /** Time a scheduled run may take (and be late) before it counts as missing; added to each schedule's interval. */
    grace: goDuration.default("4h"),
    /** Explicit staleness thresholds (Go durations) overriding interval + grace; each at least its schedule's interval. */
    staleAfter: z
      .strictObject({
        tenants: goDuration.optional(),
        system: goDuration.optional(),
        garageMetaCeph: goDuration.optional(),
        garageDataZfs: goDuration.optional(),
        postgres: goDuration.optional(),
        benjiBackup: goDuration.optional(),
        benjiEnforce: goDuration.optional(),
        benjiCleanup: goDuration.optional(),
        benjiScrub: goDuration.optional(),
        benjiDrill: goDuration.optional(),
        benjiMetadataBackup: goDuration.optional(),
        tenantsDrill: goDuration.optional(),
        postgresDrill: goDuration.optional(),
      })
      .prefault({}),
    dashboard,
  })
  .prefault({});

/** Restore drills (components/drills): weekly restores into scratch namespaces, checked and deleted again. */
const drills = z
  .strictObject({
    /** Image with a shell, kubectl and jq. */
    image: image.default(PINS.drillImage),
    /** Longest a drill may run (the Job's activeDeadlineSeconds); also the window that must miss the backup window. */
    timeout: goDuration.default("2h"),
    /** Server-side guard (ValidatingAdmissionPolicy, Kubernetes >= 1.30): the drill account may only create/delete/exec in scratch namespaces. */
    admissionPolicy: z.boolean().default(true),
    tenants: z
      .strictObject({
        /** Default: on when flows.tenants is enabled. */
        enabled: z.boolean().optional(),
        schedule: cron.default("0 10 * * 6"),
        /** The tenant namespace to restore; unset = this week's rotation group of tenants (rotating). */
        namespace: k8sName.optional(),
        /** Rotating: every tenant is restored at least once per this many weeks (components/drills/rotation.ts). */
        rotationWeeks: z
          .number({ error: "expected a whole number of weeks from 1 to 52, e.g. 4 (every tenant restored at least once per 4 weeks)" })
          .int({ error: "expected a whole number of weeks from 1 to 52, e.g. 4 (every tenant restored at least once per 4 weeks)" })
          .min(1, { error: "expected a whole number of weeks from 1 to 52, e.g. 4 (every tenant restored at least once per 4 weeks)" })
          .max(52, { error: "expected a whole number of weeks from 1 to 52, e.g. 4 (every tenant restored at least once per 4 weeks)" })
          .default(4),
        /** Resources the drill leaves out of the scratch copy: they would act outside it (IPs, hostnames, certificates, jobs). */
        excludedResources: z
          .array(z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { error: "expected a resource name such as 'services' or 'ingresses.networking.k8s.io'" }))
          .default(["services", "ingresses.networking.k8s.io", "httproutes.gateway.networking.k8s.io", "certificates.cert-manager.io", "cronjobs.batch", "jobs.batch"]),
      })
      .prefault({}),
    postgres: z
      .strictObject({
        /** Default: on when flows.postgres is enabled. */
        enabled: z.boolean().optional(),
        schedule: cron.default("0 11 * * 6"),
        /** Database the query runs in. */
        database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/, { error: "expected a PostgreSQL database name such as 'postgres' or 'app'" }).default("postgres"),
        /** An extra SQL query that must succeed against the restored database, e.g. 'SELECT count(*) FROM users'. */
        query: z.string().min(1).optional(),
      })
      .prefault({}),
  })
  .prefault({});

/** Policy enforcement inside the cluster (ValidatingAdmissionPolicies generated from the policy pack's rules 1-4). */
const policy = z
  .strictObject({
    admission: z
      .strictObject({
        /** Deploy the in-cluster ValidatingAdmissionPolicies (tenant namespace labels, Garage/Benji PVC labels). */
        enabled: z.boolean().default(true),
        /** Warn (warn + audit; default), Audit (audit log only) or Deny (reject the request). */
        action: z.enum(["Warn", "Audit", "Deny"], { error: "expected 'Warn' (warn and audit), 'Audit' (audit only) or 'Deny' (reject)" }).default("Warn"),
        /** StorageClasses backed by Ceph RBD; default: csi.cephRbd.storageClasses. */
        cephRbdStorageClasses: z.array(k8sName).optional(),
      })
      .prefault({}),
  })
  .prefault({});

/** The whole `cluster-backup:` namespace. Secret keys are validated for presence here and wrapped later. */
export const stackConfigSchema = z.strictObject({
  environment: z.enum(["dev", "staging", "prod"], { error: "expected 'dev', 'staging' or 'prod'" }),
  timeZone: z.string().refine(isTimeZone, { error: "expected an IANA time zone name such as 'UTC' or 'Europe/Paris'" }).default("UTC"),
  kubernetes: z.union(
    [
      z.strictObject({ context: z.string().min(1), adoptExisting: z.boolean().default(false) }),
      z.strictObject({
        stackReference: z.string().regex(/^[^/\s]+\/[^/\s]+\/[^/\s]+$/, { error: "expected '<org>/<project>/<stack>'" }),
        kubeconfigOutput: z.string().default("kubeconfig"),
        adoptExisting: z.boolean().default(false),
      }),
    ],
    { error: "expected either {context: <kubeconfig context>} or {stackReference: <org>/<project>/<stack>, kubeconfigOutput: kubeconfig}" },
  ),
  storage,
  velero,
  csi,
  flows,
  monitoring,
  drills,
  policy,
  /** Image pinning: keys of privileged or secret-handling images allowed without a digest in prod (a named waiver). */
  images: z.strictObject({ allowTagOnly: z.array(z.string()).default([]) }).prefault({}),
  demo: z
    .strictObject({
      /** Deploy the demo tenant `cust-demo` and, with flows.postgres, a Postgres StatefulSet owned by the program. */
      enabled: z.boolean().default(false),
      appImage: image.default(PINS.demoAppImage),
      postgresImage: image.default(PINS.postgresImage),
      /** StorageClass of the demo PVCs; unset = the cluster's default class. */
      storageClassName: k8sName.optional(),
    })
    .prefault({}),
  /** Guard floors lifted on purpose: config key → reason (components/guards); each shows in summary.md and coverage.md. */
  overrides: z
    .record(
      z.string().regex(/^[A-Za-z][A-Za-z0-9-]*(\.[A-Za-z0-9-]+)*$/, { error: "expected the config key whose floor to lift, e.g. 'flows.tenants.ttl'" }),
      z.string().trim().min(10, { error: "expected the reason for lifting this guard (at least 10 characters); it is printed in summary.md and coverage.md" }),
    )
    .default({}),
  garageAdminToken: z.string().min(1).optional(),
  benjiDatabaseUrl: z.string().regex(/^postgresql(\+\w+)?:\/\/\S+$/, { error: "expected a PostgreSQL URL 'postgresql://user:password@host:5432/benji'" }).optional(),
  benjiCephKey: z.string().min(1).optional(),
  veleroRepositoryPassword: z.string().min(1).optional(),
  benjiEncryption: z.string().min(1).optional(),
});

/** Config keys that hold credentials and must be set with `pulumi config set --secret`. */
export const SECRET_KEYS = ["garageAdminToken", "benjiDatabaseUrl", "benjiCephKey", "veleroRepositoryPassword", "benjiEncryption"] as const;
/** Top-level keys whose value is a plain string rather than a structured (JSON) value. */
export const STRING_KEYS = new Set<string>(["environment", "timeZone", ...SECRET_KEYS]);

export type ParsedConfig = z.infer<typeof stackConfigSchema>;
