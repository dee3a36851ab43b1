/**
 * AWS S3 (docs/design.md §3.3): the buckets of one consumer (private, encrypted, versioned where asked, optional object lock)
 * plus an IAM user whose inline policy covers exactly those buckets, and its access key.
 */
import * as pulumi from "@pulumi/pulumi";
// Types of the modules used, not of `@pulumi/aws` as a whole: its index re-exports every AWS service, 2,700
// declaration files that would double `tsc`'s time.
import type * as iam from "@pulumi/aws/iam";
import type * as s3 from "@pulumi/aws/s3";
import type { Provider } from "@pulumi/aws/provider";
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
  s3PolicyDocument,
  type Consumer,
  type ObjectLockArgs,
} from "./common";

/**
 * @pulumi/aws, loaded on first use: it is the largest provider SDK (about 100 MB of heap and a second of start-up) and
 * only stacks with an AWS location need it.
 */
export function loadAws(): AwsSdk {
  return require("@pulumi/aws");
}

/** The parts of `@pulumi/aws` this program uses. */
export interface AwsSdk {
  readonly iam: typeof iam;
  readonly s3: typeof s3;
  readonly Provider: typeof Provider;
}

/** IAM path of the users this program creates. */
export const AWS_IAM_PATH = "/cluster-backup/";

export interface AwsBucketArgs {
  /** Who uses the buckets; it gets its own IAM user and access key. */
  readonly consumer: Consumer;
  /** Bucket names from the config (at least one); each is created once as `<bucketPrefix>-<name>`. */
  readonly buckets: readonly string[];
  /** AWS region of the buckets (the provider passed in opts must be in it). */
  readonly region: string;
  /** Prefix of the global bucket names, e.g. `acme-k8s-prod`. */
  readonly bucketPrefix: string;
  /** Keep noncurrent object versions (Velero: true; Benji: false, so that its cleanup frees space). */
  readonly versioned: boolean;
  /** Days a noncurrent version is kept before it expires; only with `versioned`. Default 14. */
  readonly noncurrentVersionDays?: number;
  /** Object lock default retention (set at creation only; needs `versioned`). Default: no lock. */
  readonly objectLock?: ObjectLockArgs;
  /** Production: buckets and access key protected and retained on delete, never force-destroyed. Default false. */
  readonly production?: boolean;
  /** The AWS provider of the buckets' region. */
  readonly provider: Provider;
}

/** `cluster-backup:storage:AwsBucket` — one consumer's buckets and scoped IAM user on AWS S3. */
export class AwsBucket extends pulumi.ComponentResource implements ConsumerBuckets {
  /** One S3Target per bucket name of the args. */
  readonly targets: Readonly<Record<string, S3Target>>;
  /** Access key id of the IAM user (a secret). */
  readonly accessKeyId: pulumi.Output<string>;
  /** Secret access key of the IAM user (a secret). */
  readonly secretAccessKey: pulumi.Output<string>;

  constructor(name: string, args: AwsBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cluster-backup:storage:AwsBucket", name, {}, opts);
    const aws = loadAws();
    checkBucketArgs("AwsBucket", name, args);
    const production = args.production ?? false;
    const noncurrentDays = args.noncurrentVersionDays ?? 14;
    const child = { parent: this, provider: args.provider };
    const tags = bucketTags(args.consumer);
    const names = args.buckets.map((b) => prefixedBucketName(args.bucketPrefix, b));
    const principal = iamPrincipalName(args.bucketPrefix, args.consumer);

    const user = new aws.iam.User(`${name}-user`, { name: principal, path: AWS_IAM_PATH, tags }, child);
    const policy = new aws.iam.UserPolicy(
      `${name}-policy`,
      { user: user.name, name: `${principal}-s3`, policy: JSON.stringify(s3PolicyDocument(names, "aws")) },
      child,
    );
    const accessKey = new aws.iam.AccessKey(`${name}-access-key`, { user: user.name }, { ...child, ...protection(production) });
    this.accessKeyId = pulumi.secret(accessKey.id);
    this.secretAccessKey = pulumi.secret(accessKey.secret);

    const targets: Record<string, S3Target> = {};
    args.buckets.forEach((logical, i) => {
      const bucket = new aws.s3.Bucket(
        `${name}-${logical}`,
        { bucket: names[i], forceDestroy: !production, ...(args.objectLock ? { objectLockEnabled: true } : {}), tags },
        { ...child, ...protection(production) },
      );
      const publicAccess = new aws.s3.BucketPublicAccessBlock(
        `${name}-${logical}-public-access`,
        { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        child,
      );
      const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-${logical}-encryption`,
        { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }] },
        child,
      );
      const ready: pulumi.Resource[] = [bucket, publicAccess, encryption, policy];
      let lifecycleDependsOn: pulumi.Resource[] = [];
      if (args.versioned) {
        const versioning = new aws.s3.BucketVersioning(`${name}-${logical}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, child);
        ready.push(versioning);
        lifecycleDependsOn = [versioning];
        if (args.objectLock) {
          ready.push(
            new aws.s3.BucketObjectLockConfiguration(
              `${name}-${logical}-lock`,
              { bucket: bucket.id, rule: { defaultRetention: { mode: args.objectLock.mode, days: args.objectLock.days } } },
              { ...child, dependsOn: [versioning] },
            ),
          );
        }
      }
      ready.push(
        new aws.s3.BucketLifecycleConfiguration(
          `${name}-${logical}-lifecycle`,
          {
            bucket: bucket.id,
            rules: args.versioned
              ? [{ id: LIFECYCLE_RULE_NONCURRENT, status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays }, abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_MULTIPART_DAYS } }]
              : [{ id: LIFECYCLE_RULE_MULTIPART, status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_MULTIPART_DAYS } }],
          },
          { ...child, dependsOn: lifecycleDependsOn },
        ),
      );
      targets[logical] = {
        backend: "aws",
        bucket: bucket.bucket,
        endpoint: undefined,
        region: args.region,
        forcePathStyle: false,
        checksumAlgorithm: undefined,
        versioned: args.versioned,
        noncurrentVersionDays: args.versioned ? noncurrentDays : undefined,
        objectLock: args.objectLock !== undefined,
        accessKeyId: this.accessKeyId,
        secretAccessKey: this.secretAccessKey,
        ready,
      };
    });
    this.targets = targets;
    this.registerOutputs({ buckets: Object.values(targets).map((t) => t.bucket), accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey });
  }
}
