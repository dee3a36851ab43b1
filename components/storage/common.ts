/**
 * Pieces shared by the storage backends: the consumers, the least-privilege S3 policy of AWS and MinIO, lifecycle
 * constants, bucket names and tags, argument checks, Job naming and the spec of the provisioning Jobs.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { RESTRICTED_CONTAINER, restrictedPodSecurity } from "../k8s";
import { standardLabels } from "../labels";
import { prefixedBucketName } from "../schema/bucket-name";

export { prefixedBucketName };

/** Who reads and writes a bucket; each consumer gets its own credential per backend. */
export type Consumer = "velero" | "benji";

/** Object lock default retention (aws, scaleway): set at bucket creation only, forces versioning. */
export interface ObjectLockArgs {
  /** GOVERNANCE lets a principal with the bypass permission delete; COMPLIANCE does not. */
  readonly mode: "GOVERNANCE" | "COMPLIANCE";
  /** Default retention of every new object version, in days. */
  readonly days: number;
}


/** Name of a consumer's IAM user (aws) or application and policy (scaleway): `<bucketPrefix>-<consumer>`. */
export function iamPrincipalName(bucketPrefix: string, consumer: Consumer): string {
  return `${bucketPrefix}-${consumer}`;
}

/** Tags of the aws and scaleway buckets of one consumer. */
export function bucketTags(consumer: Consumer): Record<string, string> {
  return { "managed-by": "pulumi", "part-of": "cluster-backup", consumer };
}

/**
 * Refuses the args a bucket component cannot build: no bucket, or object lock without versioning. `component` names
 * the component in the message (`AwsBucket`, `GarageBucket`…).
 */
export function checkBucketArgs(
  component: string,
  name: string,
  args: { readonly consumer: Consumer; readonly buckets: readonly string[]; readonly versioned?: boolean; readonly objectLock?: ObjectLockArgs },
): void {
  if (args.buckets.length === 0) throw new Error(`${component} ${name}: expected at least one bucket`);
  if (args.objectLock && !args.versioned) throw new Error(`${component} ${name}: object lock needs a versioned bucket; drop objectLock for ${args.consumer}`);
}

/** Lifecycle rule id expiring noncurrent versions of a versioned bucket. */
export const LIFECYCLE_RULE_NONCURRENT = "expire-noncurrent-versions";
/** Lifecycle rule id aborting multipart uploads a crashed client left behind (they are billed otherwise). */
export const LIFECYCLE_RULE_MULTIPART = "abort-incomplete-multipart-uploads";
/** Days after which an unfinished multipart upload is aborted. */
export const ABORT_MULTIPART_DAYS = 7;

/** Object-level actions a backup consumer needs (docs/design.md §3.3): no DeleteObjectVersion, so versions stay recoverable. */
export const S3_OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"] as const;
/** Bucket-level actions a backup consumer needs (docs/design.md §3.3). */
export const S3_BUCKET_ACTIONS = ["s3:ListBucket", "s3:GetBucketLocation"] as const;

/**
 * What a stolen consumer key must never do, even on its own buckets: remove versions (the only copy left after an
 * overwrite or delete), change lifecycle, versioning, object lock, retention, encryption, replication or the bucket
 * policy, or delete the bucket. Valid action names of both AWS IAM and MinIO (minio/pkg v3 `policy/action.go`
 * `supportedActions`: an unknown name makes `mc admin policy create` fail).
 */
export const S3_DENIED_ACTIONS = [
  "s3:DeleteObjectVersion",
  "s3:DeleteObjectVersionTagging",
  "s3:PutLifecycleConfiguration",
  "s3:PutBucketVersioning",
  "s3:PutBucketObjectLockConfiguration",
  "s3:PutObjectRetention",
  "s3:PutObjectLegalHold",
  "s3:BypassGovernanceRetention",
  "s3:PutEncryptionConfiguration",
  "s3:PutReplicationConfiguration",
  "s3:PutBucketPolicy",
  "s3:DeleteBucketPolicy",
  "s3:DeleteBucket",
] as const;
/** Backend-only names: AWS's public-access and ACL settings; MinIO's forced (non-empty) bucket delete. */
export const S3_DENIED_ACTIONS_BY_BACKEND = {
  aws: ["s3:PutBucketPublicAccessBlock", "s3:PutBucketAcl", "s3:PutBucketOwnershipControls"],
  minio: ["s3:ForceDeleteBucket"],
} as const;

/** One statement of an IAM policy document. */
export interface S3PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
}

/** An IAM policy document (AWS and MinIO share the format). */
export interface S3PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly S3PolicyStatement[];
}

/**
 * The least-privilege policy of one consumer on AWS or MinIO: object actions on `<bucket>/*`, list/location on the
 * buckets, and an explicit Deny of {@link S3_DENIED_ACTIONS} on every bucket: a Deny wins over any Allow (AWS IAM
 * "policy evaluation logic"; MinIO `policy.IsAllowed` checks Deny statements first), so a broader policy attached
 * to the same user later cannot give those actions back.
 */
export function s3PolicyDocument(buckets: readonly string[], backend: "aws" | "minio"): S3PolicyDocument {
  if (buckets.length === 0) throw new Error("s3PolicyDocument: expected at least one bucket");
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "BackupObjects", Effect: "Allow", Action: [...S3_OBJECT_ACTIONS], Resource: buckets.map((b) => `arn:aws:s3:::${b}/*`) },
      { Sid: "BackupBuckets", Effect: "Allow", Action: [...S3_BUCKET_ACTIONS], Resource: buckets.map((b) => `arn:aws:s3:::${b}`) },
      { Sid: "NeverRewriteHistory", Effect: "Deny", Action: [...S3_DENIED_ACTIONS, ...S3_DENIED_ACTIONS_BY_BACKEND[backend]], Resource: ["arn:aws:s3:::*"] },
    ],
  };
}

/** First 8 hex characters of the sha256 of a JSON value (Job names change exactly when their inputs do). */
export function hash8(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 8);
}

/**
 * A Kubernetes Job name `<prefix>-<id>-<hash8>` of at most 63 characters (the `job-name` label limit): a long id is
 * cut, the hash keeps it unique.
 */
export function jobName(prefix: string, id: string, hash: string): string {
  const room = 63 - prefix.length - hash.length - 2;
  const cut = id.slice(0, room).replace(/[-.]+$/, "");
  return `${prefix}-${cut}-${hash}`;
}

/**
 * sha256 (16 hex) of credentials, for a pod-template annotation: a rotated credential changes the template, so the
 * Job is replaced and runs again (a Job's template is immutable). A one-way hash of random keys is no secret.
 */
export function credentialChecksum(values: pulumi.Input<string>[]): pulumi.Output<string> {
  return pulumi.unsecret(pulumi.all(values).apply((v) => createHash("sha256").update(v.join("\u0000")).digest("hex").slice(0, 16)));
}

/** Pod annotation carrying {@link credentialChecksum}. */
export const CREDENTIALS_CHECKSUM_ANNOTATION = "cluster-backup.io/credentials-sha256";

/** Resource options of what holds backup data or keys that cannot be regenerated (docs/design.md §4.6). */
export function protection(production: boolean): pulumi.CustomResourceOptions {
  return production ? { protect: true, retainOnDelete: true } : {};
}

/** Unprivileged user of the provisioning Jobs (nobody): images whose USER is a name fail runAsNonRoot otherwise. */
export const JOB_USER = 65534;

/** Pod-level securityContext of the provisioning Jobs (restricted profile). */
export const JOB_POD_SECURITY: k8s.types.input.core.v1.PodSecurityContext = restrictedPodSecurity(JOB_USER);

/** Upper bound of a provisioning Job's run (it waits for the store to answer first). */
export const JOB_ACTIVE_DEADLINE_SECONDS = 900;
/** Retries of a provisioning Job (the store may come up late). */
export const JOB_BACKOFF_LIMIT = 6;
/** Resources of a provisioning Job's one container (curl or mc). */
export const JOB_RESOURCES: k8s.types.input.core.v1.ResourceRequirements = {
  requests: { cpu: "10m", memory: "32Mi" },
  limits: { memory: "128Mi" },
};

/** What a provisioning Job runs: one container with `/bin/sh -c <script>`, a writable `/tmp` and optional volumes. */
export interface ProvisionJobArgs {
  /** Pinned image with `sh` (and curl or mc). */
  readonly image: string;
  /** The POSIX sh script. */
  readonly script: string;
  /** Environment of the container. */
  readonly env: k8s.types.input.core.v1.EnvVar[];
  /** {@link credentialChecksum} of the credentials the script provisions. */
  readonly checksum: pulumi.Input<string>;
  /** Volumes mounted before `/tmp` (e.g. a ConfigMap). Default none. */
  readonly volumes?: readonly { readonly mount: k8s.types.input.core.v1.VolumeMount; readonly volume: k8s.types.input.core.v1.Volume }[];
}

/** The spec of a provisioning Job (Garage, MinIO): restricted, read-only root, bounded retries and run time. */
export function provisionJobSpec(args: ProvisionJobArgs): k8s.types.input.batch.v1.JobSpec {
  const volumes = args.volumes ?? [];
  return {
    backoffLimit: JOB_BACKOFF_LIMIT,
    activeDeadlineSeconds: JOB_ACTIVE_DEADLINE_SECONDS,
    template: {
      metadata: { labels: standardLabels(), annotations: { [CREDENTIALS_CHECKSUM_ANNOTATION]: args.checksum } },
      spec: {
        restartPolicy: "Never",
        automountServiceAccountToken: false,
        securityContext: JOB_POD_SECURITY,
        containers: [
          {
            name: "provision",
            image: args.image,
            command: ["/bin/sh", "-c", args.script],
            env: args.env,
            resources: JOB_RESOURCES,
            securityContext: { ...RESTRICTED_CONTAINER, readOnlyRootFilesystem: true },
            volumeMounts: [...volumes.map((v) => v.mount), { name: "tmp", mountPath: "/tmp" }],
          },
        ],
        // Memory-backed: the Garage script keeps the admin token header there, and it must not land on the node's disk.
        volumes: [...volumes.map((v) => v.volume), { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } }],
      },
    },
  };
}

/** Velero buckets keep noncurrent versions where the backend can; Benji's never (its cleanup must free space). */
export function versionedFor(consumer: Consumer): boolean {
  return consumer === "velero";
}
