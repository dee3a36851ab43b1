/**
 * Object storage entry point: one component per backend and consumer (Velero, Benji), each bucket created once, and
 * one S3Target per Velero location and for Benji.
 */
import type { Provider as AwsProvider } from "@pulumi/aws/provider";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Backend } from "../schema/backends";
import type { ConsumerBuckets, S3Target } from "./types";
import type { ObjectLockArgs } from "./common";
import { iamPrincipalName, prefixedBucketName, versionedFor, type Consumer } from "./common";
import { realBucketName } from "../schema/bucket-name";
import { SCALEWAY_PERMISSION_SETS, ScalewayBucket, type ScalewayBucketArgs } from "./scaleway";
import { AwsBucket, loadAws, type AwsBucketArgs } from "./aws";
import { GarageBucket, garageKeyName, type GarageBucketArgs } from "./garage";
import { DevMinio, MinioBucket, minioPolicyName, type DevMinioArgs, type MinioBucketArgs } from "./minio";

export type { S3Target } from "./types";

/** A bucket of one backend, by its configured (unprefixed) name. */
export interface BucketRef {
  readonly backend: Backend;
  readonly bucket: string;
}

/** Settings of each backend in use. */
export interface StorageBackends {
  readonly scaleway?: Pick<ScalewayBucketArgs, "region" | "projectId" | "adminPrincipal" | "bucketPrefix" | "noncurrentVersionDays" | "objectLock">;
  readonly aws?: Pick<AwsBucketArgs, "region" | "bucketPrefix" | "noncurrentVersionDays" | "objectLock">;
  readonly garage?: Pick<GarageBucketArgs, "s3Endpoint" | "adminEndpoint" | "adminApiVersion" | "region" | "namespace" | "jobImage"> & {
    /** An existing Secret holding the admin token; without it the token comes from {@link StorageArgs.garageAdminToken}. */
    readonly adminTokenSecret?: { readonly name: string; readonly key: string };
  };
  readonly minio?: Pick<MinioBucketArgs, "noncurrentVersionDays" | "region" | "mcImage"> &
    Pick<DevMinioArgs, "size" | "image"> & {
      /** Deploy the dev MinIO server itself. */
      readonly deploy: boolean;
      readonly namespace: string;
    };
}

export interface StorageArgs {
  /** Production: buckets and credentials are protected and retained on delete. */
  readonly production: boolean;
  /** The backends' settings. */
  readonly backends: StorageBackends;
  /** Bucket per Velero location name. */
  readonly veleroLocations: Readonly<Record<string, BucketRef>>;
  /** Benji's bucket, when Benji runs. */
  readonly benji?: BucketRef;
  /** Garage admin token (secret), when no `adminTokenSecret` is given. */
  readonly garageAdminToken?: pulumi.Output<string>;
}

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
export function bucketRequests(args: Pick<StorageArgs, "veleroLocations" | "benji">): { backend: Backend; consumer: Consumer; buckets: string[] }[] {
  const requests: { backend: Backend; consumer: Consumer; buckets: string[] }[] = [];
  const add = (backend: Backend, consumer: Consumer, bucket: string) => {
    let request = requests.find((r) => r.backend === backend && r.consumer === consumer);
    if (!request) requests.push((request = { backend, consumer, buckets: [] }));
    if (!request.buckets.includes(bucket)) request.buckets.push(bucket);
  };
  for (const location of Object.values(args.veleroLocations)) add(location.backend, "velero", location.bucket);
  if (args.benji) add(args.benji.backend, "benji", args.benji.bucket);
  return requests;
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
export function objectLockAdvice(args: Pick<StorageArgs, "production" | "backends" | "veleroLocations">): string[] {
  if (!args.production) return [];
  return (["scaleway", "aws"] as const)
    .filter((backend) => args.backends[backend] && !args.backends[backend]!.objectLock)
    .map((backend) => [backend, [...new Set(Object.values(args.veleroLocations).filter((l) => l.backend === backend).map((l) => realBucketName(args.backends, backend, l.bucket)))]] as const)
    .filter(([, buckets]) => buckets.length > 0)
    .map(
      ([backend, buckets]) =>
        `object lock is off on the Velero bucket(s) ${buckets.join(", ")}: versioning keeps what a stolen consumer key deletes, not what the deployer's key or the Organization owner deletes; where your retention rules allow, set storage.${backend}.objectLock {mode: COMPLIANCE, days} (at bucket creation only; Velero calls locked buckets an expert setup)`,
    );
}

/** Creates every bucket and credential the config asks for; consumers build their Secrets from the returned targets. */
export function provisionStorage(args: StorageArgs, provider: k8s.Provider): StorageTargets {
  const production = args.production;
  const targets = new Map<string, S3Target>(); // `${backend}/${bucket}` → target
  const credentials: StorageTargets["credentials"] = {};
  const credentialNotes: string[] = [];
  let devMinio: DevMinio | undefined;
  let awsProvider: AwsProvider | undefined;

  for (const { backend, consumer, buckets } of bucketRequests(args)) {
    const name = `${backend}-${consumer}`;
    const versioned = versionedFor(consumer);
    let component: ConsumerBuckets;
    switch (backend) {
      case "scaleway": {
        const s = args.backends.scaleway!;
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
        const a = args.backends.aws!;
        awsProvider ??= new (loadAws().Provider)("aws", { region: a.region });
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
        const g = args.backends.garage!;
        const adminToken = g.adminTokenSecret
          ? { secretName: g.adminTokenSecret.name, secretKey: g.adminTokenSecret.key }
          : { value: args.garageAdminToken! };
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
        const m = args.backends.minio!;
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
    const s = args.backends[backend] as { noncurrentVersionDays?: number; objectLock?: ObjectLockArgs } | undefined;
    return { noncurrentVersionDays: s?.noncurrentVersionDays, lockDays: s?.objectLock?.days, lockMode: s?.objectLock?.mode };
  };
  const veleroLocations: Record<string, S3Target> = {};
  const locationNotes: string[] = [];
  for (const [name, location] of Object.entries(args.veleroLocations)) {
    const target = targets.get(`${location.backend}/${location.bucket}`)!;
    veleroLocations[name] = target;
    locationNotes.push(protectionNote(`location ${name}`, target, realBucketName(args.backends, location.backend, location.bucket), extra(location.backend)));
  }
  const benjiStorage = args.benji;
  const benji = benjiStorage ? targets.get(`${benjiStorage.backend}/${benjiStorage.bucket}`) : undefined;
  if (benji && benjiStorage) locationNotes.push(protectionNote("benji", benji, realBucketName(args.backends, benjiStorage.backend, benjiStorage.bucket), extra(benjiStorage.backend)));
  return { veleroLocations, benji, summaryNotes: [...locationNotes, ...credentialNotes, ...objectLockAdvice(args)], credentials };
}
