/**
 * Scaleway Object Storage (SPEC §3.3): the buckets of one consumer plus its own IAM application, policy and API key,
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
  type Consumer,
  type ObjectLockArgs,
} from "./common";

/**
 * The permission set of the consumer's IAM policy. Scaleway permission sets are project-wide, so the policy is
 * limited to the project of the buckets: keep backup buckets in a dedicated project.
 */
export const SCALEWAY_PERMISSION_SETS = ["ObjectStorageFullAccess"] as const;

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
    // Loaded on first use: only stacks with a Scaleway location need the provider SDK.
    const scaleway: typeof import("@pulumiverse/scaleway") = require("@pulumiverse/scaleway");
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
        description: `cluster-backup: Object Storage in the backup project for ${args.consumer}`,
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
      const ready: pulumi.Resource[] = [bucket, policy];
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
