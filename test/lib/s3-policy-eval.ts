/**
 * Minimal evaluators of the access rules each storage backend applies to one S3 request, for the "stolen key" tests.
 * No well-kept permissively licensed npm library evaluates IAM policies offline (@cloud-copilot/iam-simulate is
 * AGPL-3.0 and knows AWS only), and none knows Scaleway's or Garage's rules, so each is written here from its source:
 *
 * - AWS IAM and MinIO (`evaluateIam`): AWS "Policy evaluation logic" (an explicit Deny wins, then an Allow, otherwise
 *   implicit deny) and "IAM JSON policy elements: Action / Resource" (`*` any run of characters, `?` one; actions
 *   case-insensitive, resources case-sensitive); MinIO applies the same order (minio/pkg v3 `policy/policy.go`
 *   IsAllowed: Deny statements first) and the same wildcard (`wildcard.Match`).
 * - Scaleway (`evaluateScaleway`): scaleway/docs-content `object-storage/api-cli/combining-iam-and-object-storage.mdx`
 *   and `bucket-policy.mdx`: a request needs its IAM permission set AND, when the bucket has a policy (version
 *   2023-04-17), an Allow statement naming the principal; Deny statements have no effect. The permission-set table is
 *   `reference-content/s3-iam-permissions-equivalence.mdx`, cut to the actions the tests use.
 * - Garage (`evaluateGarage`): deuxfleurs-org/garage `src/api/s3/router.rs` `authorization_type`: read, write or
 *   owner per endpoint, checked against the key's flags on that bucket.
 */

/** One S3 request: who, which bucket-policy action name, which bucket and (object actions) key. */
export interface S3Request {
  readonly principal: string;
  readonly action: string;
  readonly bucket: string;
  readonly key?: string;
}

export type Decision = "allow" | "explicit-deny" | "implicit-deny";

/** `*` and `?` wildcards; `caseInsensitive` for action names. */
export function wildcardMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, caseInsensitive ? "i" : "").test(value);
}

interface IamStatement {
  readonly Effect: "Allow" | "Deny";
  readonly Action: readonly string[] | string;
  readonly Resource: readonly string[] | string;
}

const many = (v: readonly string[] | string): readonly string[] => (typeof v === "string" ? [v] : v);

/** The ARN of a request's resource: `arn:aws:s3:::<bucket>` or `arn:aws:s3:::<bucket>/<key>`. */
function arnOf(req: S3Request): string {
  return `arn:aws:s3:::${req.bucket}${req.key !== undefined ? `/${req.key}` : ""}`;
}

/** An identity policy (AWS IAM user policy, MinIO user policy) applied to a request of its user. */
export function evaluateIam(doc: { readonly Statement: readonly IamStatement[] }, req: S3Request): Decision {
  const arn = arnOf(req);
  const matching = doc.Statement.filter((s) => many(s.Action).some((a) => wildcardMatch(a, req.action, true)) && many(s.Resource).some((r) => wildcardMatch(r, arn)));
  if (matching.some((s) => s.Effect === "Deny")) return "explicit-deny";
  return matching.some((s) => s.Effect === "Allow") ? "allow" : "implicit-deny";
}

/** Bucket-policy action names each Scaleway permission set authorises (the equivalence table, for the tested actions). */
export const SCALEWAY_PERMISSION_SET_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  ObjectStorageFullAccess: ["s3:*"],
  ObjectStorageBucketsRead: ["s3:GetBucketLocation", "s3:ListBucket", "s3:GetBucketVersioning", "s3:GetLifecycleConfiguration", "s3:GetBucketTagging"],
  ObjectStorageBucketsWrite: ["s3:CreateBucket", "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning", "s3:PutBucketTagging", "s3:PutBucketAcl", "s3:PutBucketCORS", "s3:PutBucketWebsite"],
  ObjectStorageBucketsDelete: ["s3:DeleteBucket"],
  ObjectStorageObjectsRead: ["s3:GetObject", "s3:ListBucket", "s3:ListMultipartUploadParts", "s3:GetObjectRetention", "s3:GetObjectLegalHold"],
  ObjectStorageObjectsWrite: ["s3:PutObject", "s3:PutObjectRetention", "s3:PutObjectLegalHold", "s3:PutObjectTagging"],
  ObjectStorageObjectsDelete: ["s3:DeleteObject", "s3:AbortMultipartUpload"],
};

interface ScalewayStatement {
  readonly Effect: string;
  readonly Principal: "*" | { readonly SCW: string | readonly string[] };
  readonly Action: readonly string[] | string;
  readonly Resource: readonly string[] | string;
}

/** What a Scaleway principal holds: its IAM permission sets on the project, and the policy of each bucket. */
export interface ScalewayWorld {
  /** principal (`application_id:<id>` or `user_id:<id>`) → permission set names on the buckets' project. */
  readonly iam: Readonly<Record<string, readonly string[]>>;
  /** bucket name → its bucket policy (absent: none). */
  readonly bucketPolicies: Readonly<Record<string, { readonly Version: string; readonly Statement: readonly ScalewayStatement[] }>>;
}

/** Scaleway's two gates: IAM permission set, then (when the bucket has one) an Allow of its 2023-04-17 policy. */
export function evaluateScaleway(world: ScalewayWorld, req: S3Request): { iam: Decision; bucketPolicy: Decision | "no-policy"; decision: Decision } {
  const sets = world.iam[req.principal] ?? [];
  const iam: Decision = sets.some((set) => (SCALEWAY_PERMISSION_SET_ACTIONS[set] ?? []).some((a) => wildcardMatch(a, req.action, true))) ? "allow" : "implicit-deny";
  const policy = world.bucketPolicies[req.bucket];
  let bucketPolicy: Decision | "no-policy" = "no-policy";
  if (policy) {
    if (policy.Version !== "2023-04-17") throw new Error(`bucket ${req.bucket}: only the 2023-04-17 semantics are modelled`);
    const resource = req.key !== undefined ? `${req.bucket}/${req.key}` : req.bucket;
    const allows = policy.Statement.some((s) => {
      if (s.Effect !== "Allow") return false; // 2023-04-17: Deny statements are useless
      const principals = s.Principal === "*" ? ["*"] : many(s.Principal.SCW);
      return (principals.includes("*") || principals.includes(req.principal)) && many(s.Action).some((a) => wildcardMatch(a, req.action, true)) && many(s.Resource).some((r) => wildcardMatch(r, resource));
    });
    bucketPolicy = allows ? "allow" : "implicit-deny";
  }
  return { iam, bucketPolicy, decision: iam === "allow" && bucketPolicy !== "implicit-deny" ? "allow" : "implicit-deny" };
}

/** Garage's authorisation of each S3 operation, by the bucket-policy action name of the request. */
export const GARAGE_REQUIRED_PERMISSION: Readonly<Record<string, "read" | "write" | "owner">> = {
  "s3:GetObject": "read",
  "s3:ListBucket": "read",
  "s3:GetBucketLocation": "read",
  "s3:ListMultipartUploadParts": "read",
  "s3:PutObject": "write",
  "s3:DeleteObject": "write",
  "s3:AbortMultipartUpload": "write",
  // Garage has no versioning: the write permission is all a lifecycle rule needs (router.rs: not in the owner list).
  "s3:PutLifecycleConfiguration": "write",
  "s3:DeleteBucket": "owner",
  "s3:PutBucketWebsite": "owner",
  "s3:PutBucketCORS": "owner",
};

/** A Garage key's flags per bucket (absent bucket: no permission at all). */
export type GarageGrants = Readonly<Record<string, { readonly read: boolean; readonly write: boolean; readonly owner: boolean }>>;

export function evaluateGarage(grants: GarageGrants, req: S3Request): Decision {
  const needed = GARAGE_REQUIRED_PERMISSION[req.action];
  if (!needed) throw new Error(`no Garage authorisation modelled for ${req.action}`);
  return grants[req.bucket]?.[needed] === true ? "allow" : "implicit-deny";
}
