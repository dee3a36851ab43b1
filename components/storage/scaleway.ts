/**
 * Scaleway Object Storage (docs/design.md §3.3): the buckets of one consumer plus its own IAM application, policy and API key,
 * all from the Pulumi host through @pulumiverse/scaleway.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ConsumerBuckets, S3Target } from "./types";
import {
  ABORT_MULTIPART_DAYS,
  bucketTags,
  checkBucketArgs,
  iamPrincipalName,
  LIFECYCLE_RULE_MULTIPART,
  LIFECYCLE_RULE_NONCURRENT,
  prefixedBucketName,
  protection,
  S3_BUCKET_ACTIONS,
  S3_OBJECT_ACTIONS,
  type Consumer,
  type ObjectLockArgs,
} from "./common";

/**
 * The permission sets of the consumer's IAM policy, on the buckets' project: objects read/write/delete and bucket
 * read, never `ObjectStorageFullAccess` (scaleway/docs-content `object-storage/reference-content/
 * s3-iam-permissions-equivalence.mdx`): bucket deletion (`ObjectStorageBucketsDelete`), bucket settings
 * (`ObjectStorageBucketsWrite`: lifecycle, versioning, ACL) and bucket policies stay with the deployer.
 */
export const SCALEWAY_PERMISSION_SETS = ["ObjectStorageBucketsRead", "ObjectStorageObjectsRead", "ObjectStorageObjectsWrite", "ObjectStorageObjectsDelete"] as const;

/** Bucket policy version where only what a statement allows is permitted (Deny statements have no effect). */
export const SCALEWAY_BUCKET_POLICY_VERSION = "2023-04-17";

/** A Scaleway bucket policy (scaleway/docs-content `object-storage/api-cli/bucket-policy.mdx`). */
export interface ScalewayBucketPolicyDocument {
  readonly Version: typeof SCALEWAY_BUCKET_POLICY_VERSION;
  readonly Id: string;
  readonly Statement: readonly {
    readonly Sid: string;
    readonly Effect: "Allow";
    /** `user_id:<id>` or `application_id:<id>`. */
    readonly Principal: { readonly SCW: string };
    readonly Action: readonly string[];
    /** `<bucket>` (the bucket) or `<bucket>/*` (its objects): bucket names, not ARNs. */
    readonly Resource: readonly string[];
  }[];
}

/**
 * The policy of one bucket (version 2023-04-17: everything not allowed here is refused, whatever IAM allows). The
 * deployer keeps every action; the consumer's application gets the object actions and list/location of docs/design.md §3.3 and
 * nothing else: no DeleteObjectVersion, PutLifecycleConfiguration, PutBucketVersioning, object lock or retention, and
 * no bucket or policy deletion. Any other principal of the project, the other consumer included, gets nothing.
 */
export function scalewayBucketPolicy(bucket: string, consumerApplicationId: string, adminPrincipal: string): ScalewayBucketPolicyDocument {
  const consumer = `application_id:${consumerApplicationId}`;
  return {
    Version: SCALEWAY_BUCKET_POLICY_VERSION,
    Id: `cluster-backup-${bucket}`,
    Statement: [
      { Sid: "Deployer", Effect: "Allow", Principal: { SCW: adminPrincipal }, Action: ["s3:*"], Resource: [bucket, `${bucket}/*`] },
      { Sid: "BackupObjects", Effect: "Allow", Principal: { SCW: consumer }, Action: [...S3_OBJECT_ACTIONS], Resource: [`${bucket}/*`] },
      { Sid: "BackupBucket", Effect: "Allow", Principal: { SCW: consumer }, Action: [...S3_BUCKET_ACTIONS], Resource: [bucket] },
    ],
  };
}

/** S3 endpoint of a Scaleway region (scheme and host only). */
export function scalewayEndpoint(region: string): string {
  return `https://s3.${region}.scw.cloud`;
}

export interface ScalewayBucketArgs {
  /** Who uses the buckets; it gets its own IAM application and API key. */
  readonly consumer: Consumer;
  /** Bucket names from the config (at least one); each is created once as `<bucketPrefix>-<name>`. */
  readonly buckets: readonly string[];
  /** Scaleway region of the buckets (`fr-par`, `nl-ams`, `pl-waw`); also the S3 signing region. */
  readonly region: string;
  /** Project of the buckets; the IAM policy and the API key's default project. */
  readonly projectId: string;
  /** Who runs `pulumi up` (`user_id:<id>` or `application_id:<id>`): the bucket policies allow it everything. */
  readonly adminPrincipal: string;
  /** Prefix of the global bucket names, e.g. `acme-k8s-prod`. */
  readonly bucketPrefix: string;
  /** Keep noncurrent object versions (Velero: true; Benji: false, so that its cleanup frees space). */
  readonly versioned: boolean;
  /** Days a noncurrent version is kept before it expires; only with `versioned`. Default 14. */
  readonly noncurrentVersionDays?: number;
  /** Object lock default retention (set at creation only; needs `versioned`). Default: no lock. */
  readonly objectLock?: ObjectLockArgs;
  /** Production: buckets and API key protected and retained on delete, never force-destroyed. Default false. */
  readonly production?: boolean;
}

/** `cluster-backup:storage:ScalewayBucket` — one consumer's buckets and scoped credential on Scaleway. */
export class ScalewayBucket extends pulumi.ComponentResource implements ConsumerBuckets {
  /** One S3Target per bucket name of the args. */
  readonly targets: Readonly<Record<string, S3Target>>;
  /** The API key's access key (a secret). */
  readonly accessKeyId: pulumi.Output<string>;
  /** The API key's secret key (a secret). */
  readonly secretAccessKey: pulumi.Output<string>;

  constructor(name: string, args: ScalewayBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cluster-backup:storage:ScalewayBucket", name, {}, opts);
    // Loaded on first use: only stacks with a Scaleway location need the provider SDK. Typed by the two modules used,
    // not the package index, whose declarations (every Scaleway product) would be checked by tsc.
    const scaleway: { readonly iam: typeof import("@pulumiverse/scaleway/iam"); readonly object: typeof import("@pulumiverse/scaleway/object") } = require("@pulumiverse/scaleway");
    checkBucketArgs("ScalewayBucket", name, args);
    const production = args.production ?? false;
    const noncurrentDays = args.noncurrentVersionDays ?? 14;
    const principal = iamPrincipalName(args.bucketPrefix, args.consumer);

    const application = new scaleway.iam.Application(
      `${name}-application`,
      { name: principal, description: `cluster-backup: ${args.consumer} access to its backup buckets`, tags: ["cluster-backup", args.consumer] },
      { parent: this },
    );
    const policy = new scaleway.iam.Policy(
      `${name}-policy`,
      {
        name: principal,
        description: `cluster-backup: ${args.consumer} reads, writes and deletes objects in the backup project; its bucket policies narrow that to its own buckets`,
        applicationId: application.id,
        rules: [{ projectIds: [args.projectId], permissionSetNames: [...SCALEWAY_PERMISSION_SETS] }],
        tags: ["cluster-backup", args.consumer],
      },
      { parent: this },
    );
    const apiKey = new scaleway.iam.ApiKey(
      `${name}-api-key`,
      { applicationId: application.id, defaultProjectId: args.projectId, description: `cluster-backup ${args.consumer} (S3)` },
      { parent: this, ...protection(production) },
    );
    this.accessKeyId = pulumi.secret(apiKey.accessKey);
    this.secretAccessKey = pulumi.secret(apiKey.secretKey);

    const lifecycleRules = args.versioned
      ? [{ id: LIFECYCLE_RULE_NONCURRENT, enabled: true, noncurrentVersionExpiration: { noncurrentDays }, abortIncompleteMultipartUploadDays: ABORT_MULTIPART_DAYS }]
      : [{ id: LIFECYCLE_RULE_MULTIPART, enabled: true, abortIncompleteMultipartUploadDays: ABORT_MULTIPART_DAYS }];

    const targets: Record<string, S3Target> = {};
    for (const logical of args.buckets) {
      const bucket = new scaleway.object.Bucket(
        `${name}-${logical}`,
        {
          name: prefixedBucketName(args.bucketPrefix, logical),
          region: args.region,
          projectId: args.projectId,
          versioning: { enabled: args.versioned },
          lifecycleRules,
          ...(args.objectLock ? { objectLockEnabled: true } : {}),
          forceDestroy: !production,
          tags: bucketTags(args.consumer),
        },
        { parent: this, ...protection(production) },
      );
      const realName = prefixedBucketName(args.bucketPrefix, logical);
      const bucketPolicy = new scaleway.object.BucketPolicy(
        `${name}-${logical}-policy`,
        { bucket: bucket.name, region: args.region, projectId: args.projectId, policy: application.id.apply((id) => JSON.stringify(scalewayBucketPolicy(realName, id, args.adminPrincipal))) },
        { parent: this },
      );
      const ready: pulumi.Resource[] = [bucket, policy, bucketPolicy];
      if (args.objectLock) {
        ready.push(
          new scaleway.object.BucketLockConfiguration(
            `${name}-${logical}-lock`,
            { bucket: bucket.name, region: args.region, projectId: args.projectId, rule: { defaultRetention: { mode: args.objectLock.mode, days: args.objectLock.days } } },
            { parent: this, ...protection(production) },
          ),
        );
      }
      targets[logical] = {
        backend: "scaleway",
        bucket: bucket.name,
        endpoint: scalewayEndpoint(args.region),
        region: args.region,
        forcePathStyle: true,
        checksumAlgorithm: undefined,
        versioned: args.versioned,
        noncurrentVersionDays: args.versioned ? noncurrentDays : undefined,
        objectLock: args.objectLock !== undefined,
        accessKeyId: this.accessKeyId,
        secretAccessKey: this.secretAccessKey,
        ready,
      };
    }
    this.targets = targets;
    this.registerOutputs({ buckets: Object.values(targets).map((t) => t.bucket), accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey });
  }
}
