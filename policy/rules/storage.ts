/** Rule 8: in production, backup buckets are protected and (Velero's) versioned where the backend supports it. */
import { obj, str } from "./k8s";
import type { PolicyResource, Rule } from "./types";

/** Bucket resources of backends that support versioning (Garage has none; MinIO buckets come from a Job, dev only). */
const BUCKET_TYPES = {
  aws: "aws:s3/bucket:Bucket",
  awsV2: "aws:s3/bucketV2:BucketV2",
  scaleway: "scaleway:object/bucket:Bucket",
} as const;
const BUCKETS: ReadonlySet<string> = new Set(Object.values(BUCKET_TYPES));
/** Separate versioning resources of the AWS provider. */
const VERSIONING_TYPES: ReadonlySet<string> = new Set(["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"]);

function bucketName(r: PolicyResource): string {
  return str(r.inputs.bucket) ?? str(r.inputs.name) ?? r.name;
}

/** A bucket of this backup system: created by one of its storage components, or named after a backup tool. */
function isBackupBucket(r: PolicyResource): boolean {
  return BUCKETS.has(r.type) && (r.urn.includes("cluster-backup:storage:") || /velero|benji|backup/i.test(`${bucketName(r)} ${r.name}`));
}

/** Benji's store must stay unversioned: its `cleanup` has to free space (docs/design.md §3.3). */
function isBenjiBucket(r: PolicyResource): boolean {
  return obj(r.inputs.tags).consumer === "benji" || /benji/i.test(`${bucketName(r)} ${r.name}`);
}

function versioned(r: PolicyResource, resources: readonly PolicyResource[]): boolean {
  if (obj(r.inputs.versioning).enabled === true || r.inputs.objectLockEnabled === true) return true;
  const name = bucketName(r);
  const siblings = resources.filter((x) => BUCKETS.has(x.type) && x.parent === r.parent);
  return resources.some(
    (v) =>
      VERSIONING_TYPES.has(v.type) &&
      str(obj(v.inputs.versioningConfiguration).status) === "Enabled" &&
      (v.inputs.bucket === name || (r.parent !== undefined && v.parent === r.parent && siblings.length === 1)),
  );
}

export const PROD_BUCKETS_PROTECTED: Rule = {
  name: "prod-buckets-protected",
  description: "In production stacks, backup buckets are protected, and Velero's are versioned where the backend supports it.",
  enforcementLevel: "mandatory",
  stackWide: true,
  settings: ["productionStacks"],
  validate: (r, context) => {
    if (!context.production || !isBackupBucket(r)) return [];
    const name = bucketName(r);
    const messages: string[] = [];
    if (!r.protect) {
      messages.push(`Bucket ${name} holds backups in production stack '${context.stack}' but is not protected: set the resource options protect: true and retainOnDelete: true, so no update or destroy can delete it.`);
    }
    if (!isBenjiBucket(r) && !versioned(r, context.resources)) {
      messages.push(
        `Bucket ${name} holds Velero backups in production stack '${context.stack}' but is not versioned: enable versioning (Scaleway: versioning {enabled: true}; AWS: an aws.s3.BucketVersioning with status Enabled), so deleted or overwritten backups stay recoverable until a lifecycle rule expires them.`,
      );
    }
    return messages;
  },
};
