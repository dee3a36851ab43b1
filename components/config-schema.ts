/**
 * The stack configuration schema (namespace `cluster-backup:`). Every object is strict: an unknown key is an error,
 * because a typo such as `flows.tenant` must never silently disable a backup. Defaults are those of SPEC §1/§3.1.
 * Cross-field rules live in config-rules.ts.
 */
import { z } from "zod";
import { cronError } from "./schema/cron";
import { parseGoDuration } from "./schema/duration";
import { namespaceGlobError } from "./schema/namespace-glob";
import { parseGrid, parseZreplDuration } from "./zrepl/grid";

/** Pinned versions and images (SPEC §3.1). */
export const PINS = {
  veleroChart: "12.1.0",
  veleroChartRepo: "https://vmware-tanzu.github.io/helm-charts",
  veleroImage: "docker.io/velero/velero:v1.18.2",
  awsPluginImage: "docker.io/velero/velero-plugin-for-aws:v1.14.3",
  benjiImage: "ghcr.io/elemental-lf/benji-k8s:0.17.0",
  minioImage: "quay.io/minio/minio:RELEASE.2024-12-18T13-15-44Z",
  mcImage: "quay.io/minio/mc:RELEASE.2024-11-21T17-21-54Z",
  curlImage: "docker.io/curlimages/curl:8.11.1",
  kubectlImage: "registry.k8s.io/kubectl:v1.34.2",
  postgresImage: "docker.io/library/postgres:17.6",
} as const;

const KUBERNETES_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const QUANTITY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$/;

const k8sName = z
  .string()
  .max(63)
  .regex(KUBERNETES_NAME, { error: "expected a Kubernetes name (lowercase letters, digits and '-', at most 63 characters)" });
const quantity = z.string().regex(QUANTITY, { error: "expected a Kubernetes quantity such as '10Gi' or '500m'" });
const url = z.string().refine((v) => /^https?:\/\/[^/\s]+$/.test(v), {
  error: "expected an http(s) URL of scheme and host[:port] only, without a path, e.g. 'http://garage.garage.svc.cluster.local:3900'",
});
const image = z
  .string()
  .regex(/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/, {
    error: "expected a fully qualified image with a tag or digest, e.g. 'docker.io/velero/velero:v1.18.2' (no ':latest', no untagged images)",
  })
  .refine((v) => !v.endsWith(":latest"), { error: "':latest' is not a pin; use a version tag or a sha256 digest" });

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
  error: "expected a zrepl duration: a positive number with unit s, m, h, d or w, e.g. '10m'",
});

const grid = z.string().superRefine((value, ctx) => {
  try {
    parseGrid(value);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: `${(err as Error).message}; expected e.g. '1x1h(keep=all) | 24x1h | 30x1d | 6x30d'` });
  }
});

export const BACKENDS = ["minio", "scaleway", "garage", "aws"] as const;
export type Backend = (typeof BACKENDS)[number];
const backend = z.enum(BACKENDS, { error: `expected one of the storage backends: ${BACKENDS.join(", ")}` });

const objectLock = z.strictObject({
  /** GOVERNANCE lets an admin with the bypass permission still delete; COMPLIANCE does not. */
  mode: z.enum(["GOVERNANCE", "COMPLIANCE"]).default("GOVERNANCE"),
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
        projectId: z.string().uuid({ error: "expected the Scaleway project UUID" }).optional(),
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
    repositoryPassword: z.enum(["random", "legacy-default"]).default("random"),
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

/** Namespaces a system-wide backup leaves out: tenants, flows of their own, backup data, re-created ones. */
export const SYSTEM_EXCLUDED_NAMESPACES = ["cust-*", "garage", "postgres", "backup-system", "zrepl", "minio", "kube-node-lease", "kube-public"];

const benjiRetention = z.string().regex(/^(latest|hours|days|weeks|months|years)\d+(,(latest|hours|days|weeks|months|years)\d+)*$/, {
  error: "expected Benji retention rules such as 'latest7' or 'latest3,days7,weeks4,months3' (comma-separated latestN/hoursN/daysN/weeksN/monthsN/yearsN)",
});

const flows = z
  .strictObject({
    tenants: z
      .strictObject({
        ...veleroFlow({ schedule: "0 1 * * *", ttl: "720h0m0s", location: "default", enabled: true }),
        namespaceGlob: z.string().superRefine((v, ctx) => {
          const message = namespaceGlobError(v);
          if (message) ctx.addIssue({ code: "custom", message });
        }).default("cust-*"),
        optOutSync: z.boolean().default(true),
        optOutSchedule: cron.default("*/15 * * * *"),
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
        instance: z.string().regex(/^[a-z0-9][a-z0-9-]*$/).default("benji-k8s"),
        retention: benjiRetention.default("latest7"),
        image: image.default(PINS.benjiImage),
        backupSchedule: cron.default("30 7 * * *"),
        enforceSchedule: cron.default("0 6 * * *"),
        cleanupSchedule: cron.default("0 5 * * *"),
        ceph: z
          .strictObject({
            monHost: z.string().min(1, { error: "expected the Ceph monitor addresses, e.g. '10.0.0.1:6789,10.0.0.2:6789'" }),
            clientId: z.string().regex(/^[a-z0-9._-]+$/).default("benji"),
            pools: z.array(z.string().min(1)).min(1, { error: "expected at least one Ceph RBD pool name" }),
          })
          .optional(),
      })
      .prefault({}),
    zrepl: z
      .strictObject({
        enabled: z.boolean().default(false),
        namespace: k8sName.default("zrepl"),
        image: image.optional(),
        sourceNode: z.string().min(1).optional(),
        sinkNode: z.string().min(1).optional(),
        sourceFilesystems: z.record(z.string().min(1), z.boolean()).default({ "tank/garage<": true }),
        sinkRootFs: z.string().regex(/^[A-Za-z0-9_.:-]+(\/[A-Za-z0-9_.:-]+)*$/, { error: "expected a ZFS dataset path such as 'wdc/zrepl'" }).default("wdc/zrepl"),
        clientCn: z.string().regex(/^[A-Za-z0-9_.-]+$/, { error: "expected a client identity (letters, digits, '.', '_', '-')" }).default("garage"),
        serverCn: z.string().regex(/^[a-z0-9.-]+$/).default("zrepl-sink"),
        snapshotInterval: zreplDuration.default("10m"),
        keepSenderLastN: z.number().int().min(1).max(1000).default(10),
        receiverGrid: grid.default("1x1h(keep=all) | 24x1h | 30x1d | 6x30d"),
        lagThreshold: zreplDuration.default("1h"),
      })
      .prefault({}),
  })
  .prefault({});

/** The whole `cluster-backup:` namespace. Secret keys are validated for presence here and wrapped later. */
export const stackConfigSchema = z.strictObject({
  environment: z.enum(["dev", "staging", "prod"], { error: "expected 'dev', 'staging' or 'prod'" }),
  timeZone: z.string().default("UTC"),
  kubernetes: z.union(
    [
      z.strictObject({ context: z.string().min(1) }),
      z.strictObject({ stackReference: z.string().regex(/^[^/\s]+\/[^/\s]+\/[^/\s]+$/, { error: "expected '<org>/<project>/<stack>'" }), kubeconfigOutput: z.string().default("kubeconfig") }),
    ],
    { error: "expected either {context: <kubeconfig context>} or {stackReference: <org>/<project>/<stack>, kubeconfigOutput: kubeconfig}" },
  ),
  storage,
  velero,
  csi,
  flows,
  demo: z.strictObject({ enabled: z.boolean().default(false) }).prefault({}),
  garageAdminToken: z.string().min(1).optional(),
  benjiDatabaseUrl: z.string().regex(/^postgresql(\+\w+)?:\/\/\S+$/, { error: "expected a PostgreSQL URL 'postgresql://user:password@host:5432/benji'" }).optional(),
  benjiCephKey: z.string().min(1).optional(),
});

/** Config keys that hold credentials and must be set with `pulumi config set --secret`. */
export const SECRET_KEYS = ["garageAdminToken", "benjiDatabaseUrl", "benjiCephKey"] as const;
/** Top-level keys whose value is a plain string rather than a structured (JSON) value. */
export const STRING_KEYS = new Set<string>(["environment", "timeZone", ...SECRET_KEYS]);

export type ParsedConfig = z.infer<typeof stackConfigSchema>;
