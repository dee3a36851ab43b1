/**
 * Object storage entry point: from the stack config, one component per backend and consumer (Velero, Benji), each
 * bucket created once, and one S3Target per Velero location and for Benji.
 */
import type * as aws from "@pulumi/aws";
import type * as k8s from "@pulumi/kubernetes";
import type { StackConfig } from "../config";
import type { Backend } from "../config-schema";
import type { ConsumerBuckets, S3Target } from "./types";
import { iamPrincipalName, prefixedBucketName, versionedFor, type Consumer } from "./common";
import { SCALEWAY_PERMISSION_SETS, ScalewayBucket } from "./scaleway";
import { AwsBucket, loadAws } from "./aws";
import { GarageBucket, garageKeyName } from "./garage";
import { DevMinio, MinioBucket, minioPolicyName } from "./minio";

export type { S3Target } from "./types";

export interface StorageTargets {
  /** S3Target per Velero location name (velero.locations in config). */
  readonly veleroLocations: Record<string, S3Target>;
  /** Benji's bucket, when flows.benji is enabled. */
  readonly benji?: S3Target;
  /** Lines for the plan summary (e.g. "location postgres (garage bucket velero-postgres): no versioning, no object lock"). */
  readonly summaryNotes: string[];
  /** The credential of each consumer per backend, keyed `<consumer>/<backend>` (values are secrets). */
  readonly credentials: Record<string, Pick<ConsumerBuckets, "accessKeyId" | "secretAccessKey">>;
}

/** The buckets each consumer needs on each backend, in config order, each bucket once. */
export function bucketRequests(cfg: StackConfig): { backend: Backend; consumer: Consumer; buckets: string[] }[] {
  const requests: { backend: Backend; consumer: Consumer; buckets: string[] }[] = [];
  const add = (backend: Backend, consumer: Consumer, bucket: string) => {
    let request = requests.find((r) => r.backend === backend && r.consumer === consumer);
    if (!request) requests.push((request = { backend, consumer, buckets: [] }));
    if (!request.buckets.includes(bucket)) request.buckets.push(bucket);
  };
  for (const location of Object.values(cfg.velero.locations)) add(location.backend, "velero", location.bucket);
  const benji = cfg.flows.benji;
  if (benji.enabled && benji.storage) add(benji.storage.backend, "benji", benji.storage.bucket);
  return requests;
}

/** The real bucket name on a backend (aws/scaleway names are global and carry the stack's prefix). */
export function realBucketName(cfg: StackConfig, backend: Backend, bucket: string): string {
  if (backend === "scaleway") return prefixedBucketName(cfg.storage.scaleway!.bucketPrefix, bucket);
  if (backend === "aws") return prefixedBucketName(cfg.storage.aws!.bucketPrefix, bucket);
  return bucket;
}

/** One plan-summary line describing how a bucket protects its objects. */
export function protectionNote(what: string, target: Pick<S3Target, "backend" | "versioned" | "objectLock">, realName: string, extra: { noncurrentVersionDays?: number; lockDays?: number; lockMode?: string }): string {
  const versioning = target.versioned
    ? `versioned, noncurrent versions expire after ${extra.noncurrentVersionDays} days`
    : target.backend === "garage"
      ? "no versioning (Garage has none: a deleted or overwritten object is gone at once)"
      : "no versioning (Benji's cleanup must free space)";
  const lock = target.objectLock ? `object lock ${extra.lockMode} ${extra.lockDays} days` : "no object lock";
  return `${what} (${target.backend} bucket ${realName}): ${versioning}, ${lock}`;
}

/**
 * Production: Velero buckets on a backend with object lock (scaleway, aws) but without it. Versioning protects against a
 * stolen consumer key, not against the deployer's key or the Organization owner; COMPLIANCE lock does, where the
 * retention rules allow keeping every backup for the lock period.
 */
export function objectLockAdvice(cfg: StackConfig): string[] {
  if (!cfg.production) return [];
  return (["scaleway", "aws"] as const)
    .filter((backend) => cfg.storage[backend] && !cfg.storage[backend]!.objectLock)
    .map((backend) => [backend, [...new Set(Object.values(cfg.velero.locations).filter((l) => l.backend === backend).map((l) => realBucketName(cfg, backend, l.bucket)))]] as const)
    .filter(([, buckets]) => buckets.length > 0)
    .map(
      ([backend, buckets]) =>
        `object lock is off on the Velero bucket(s) ${buckets.join(", ")}: versioning keeps what a stolen consumer key deletes, not what the deployer's key or the Organization owner deletes; where your retention rules allow, set storage.${backend}.objectLock {mode: COMPLIANCE, days} (at bucket creation only; Velero calls locked buckets an expert setup)`,
    );
}

/** Creates every bucket and credential the config asks for; consumers build their Secrets from the returned targets. */
export function provisionStorage(cfg: StackConfig, provider: k8s.Provider): StorageTargets {
  const production = cfg.production;
  const targets = new Map<string, S3Target>(); // `${backend}/${bucket}` → target
  const credentials: StorageTargets["credentials"] = {};
  const credentialNotes: string[] = [];
  let devMinio: DevMinio | undefined;
  let awsProvider: aws.Provider | undefined;

  for (const { backend, consumer, buckets } of bucketRequests(cfg)) {
    const name = `${backend}-${consumer}`;
    const versioned = versionedFor(consumer);
    let component: ConsumerBuckets;
    switch (backend) {
      case "scaleway": {
        const s = cfg.storage.scaleway!;
        component = new ScalewayBucket(name, {
          consumer,
          buckets,
          region: s.region,
          projectId: s.projectId,
          adminPrincipal: s.adminPrincipal,
          bucketPrefix: s.bucketPrefix,
          versioned,
          noncurrentVersionDays: s.noncurrentVersionDays,
          objectLock: consumer === "velero" ? s.objectLock : undefined,
          production,
        });
        credentialNotes.push(`credentials ${consumer} on scaleway: IAM application ${iamPrincipalName(s.bucketPrefix, consumer)} with ${SCALEWAY_PERMISSION_SETS.join(", ")} on project ${s.projectId}, narrowed by bucket policies to object read/write/delete on ${buckets.map((b) => prefixedBucketName(s.bucketPrefix, b)).join(", ")} (no version delete, no lifecycle, versioning, policy or bucket change; ${s.adminPrincipal} keeps all; IAM changes take up to 5 minutes)`);
        break;
      }
      case "aws": {
        const a = cfg.storage.aws!;
        awsProvider ??= new (loadAws().Provider)("aws", { region: a.region as aws.Region });
        component = new AwsBucket(name, {
          consumer,
          buckets,
          region: a.region,
          bucketPrefix: a.bucketPrefix,
          versioned,
          noncurrentVersionDays: a.noncurrentVersionDays,
          objectLock: consumer === "velero" ? a.objectLock : undefined,
          production,
          provider: awsProvider,
        });
        credentialNotes.push(`credentials ${consumer} on aws: IAM user ${iamPrincipalName(a.bucketPrefix, consumer)} limited to ${buckets.map((b) => prefixedBucketName(a.bucketPrefix, b)).join(", ")}, explicitly denied version deletes and bucket setting changes`);
        break;
      }
      case "garage": {
        const g = cfg.storage.garage!;
        const adminToken = g.adminTokenSecret
          ? { secretName: g.adminTokenSecret.name, secretKey: g.adminTokenSecret.key }
          : { value: cfg.secrets.garageAdminToken! };
        component = new GarageBucket(name, {
          consumer,
          buckets,
          s3Endpoint: g.s3Endpoint,
          adminEndpoint: g.adminEndpoint,
          adminApiVersion: g.adminApiVersion,
          region: g.region,
          namespace: g.namespace,
          adminToken,
          jobImage: g.jobImage,
          production,
          provider,
        });
        credentialNotes.push(`credentials ${consumer} on garage: key ${garageKeyName(consumer)} allowed read+write on ${buckets.join(", ")} only, owner denied (no bucket delete, website or CORS)`);
        break;
      }
      case "minio": {
        const m = cfg.storage.minio!;
        if (m.deploy && !devMinio) devMinio = new DevMinio("minio", { namespace: m.namespace, size: m.size, image: m.image, production, provider });
        component = new MinioBucket(name, {
          consumer,
          buckets,
          versioned,
          noncurrentVersionDays: m.noncurrentVersionDays,
          namespace: m.namespace,
          region: m.region,
          mcImage: m.mcImage,
          serverReady: devMinio?.ready,
          production,
          provider,
        });
        credentialNotes.push(`credentials ${consumer} on minio: user with policy ${minioPolicyName(consumer)} limited to ${buckets.join(", ")}, explicitly denied version deletes and bucket setting changes`);
        break;
      }
    }
    credentials[`${consumer}/${backend}`] = { accessKeyId: component.accessKeyId, secretAccessKey: component.secretAccessKey };
    for (const bucket of buckets) targets.set(`${backend}/${bucket}`, component.targets[bucket]);
  }

  const extra = (backend: Backend) => {
    const s = cfg.storage[backend] as { noncurrentVersionDays?: number; objectLock?: { mode: string; days: number } } | undefined;
    return { noncurrentVersionDays: s?.noncurrentVersionDays, lockDays: s?.objectLock?.days, lockMode: s?.objectLock?.mode };
  };
  const veleroLocations: Record<string, S3Target> = {};
  const locationNotes: string[] = [];
  for (const [name, location] of Object.entries(cfg.velero.locations)) {
    const target = targets.get(`${location.backend}/${location.bucket}`)!;
    veleroLocations[name] = target;
    locationNotes.push(protectionNote(`location ${name}`, target, realBucketName(cfg, location.backend, location.bucket), extra(location.backend)));
  }
  const benjiStorage = cfg.flows.benji.enabled ? cfg.flows.benji.storage : undefined;
  const benji = benjiStorage ? targets.get(`${benjiStorage.backend}/${benjiStorage.bucket}`) : undefined;
  if (benji && benjiStorage) locationNotes.push(protectionNote("benji", benji, realBucketName(cfg, benjiStorage.backend, benjiStorage.bucket), extra(benjiStorage.backend)));
  return { veleroLocations, benji, summaryNotes: [...locationNotes, ...credentialNotes, ...objectLockAdvice(cfg)], credentials };
}
