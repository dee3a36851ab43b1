/**
 * S3 bucket naming rules per backend, so a name the store would refuse (or that breaks TLS) is refused at preview.
 *
 * - aws: "General purpose bucket naming rules" (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html):
 *   3-63 characters of [a-z0-9.-], begin and end with a letter or digit, no two adjacent periods, not formatted as an
 *   IP address, no prefix `xn--`, `sthree-`, `amzn-s3-demo-`, no suffix `-s3alias`, `--ol-s3`, `.mrap`, `--x-s3`,
 *   `--table-s3`. Dots are refused too: velero-plugin-for-aws addresses AWS buckets virtual-hosted over HTTPS
 *   (forcePathStyle false) and `a.b.s3.amazonaws.com` does not match the `*.s3.amazonaws.com` certificate.
 * - scaleway: FAQ "Is there a limitation in the bucket name?" (scaleway.com/en/docs/faq/objectstorage): lowercase
 *   letters, digits and hyphens, no upper case or underscores, not formatted as an IP address, unique platform-wide;
 *   dotted names only work path-style (which this program uses), so dots pass.
 * - garage: `is_valid_bucket_name` (deuxfleurs-org/garage, src/model/helper/bucket.rs): 3-63 of [a-z0-9.-], no
 *   leading or trailing '-' or '.', not an IP address, no `xn--` prefix (nor `.xn--`), no `-s3alias` suffix.
 * - minio: `IsValidBucketName` (minio/minio cmd/object-api-utils.go) and `CheckValidBucketNameStrict`
 *   (minio/minio-go pkg/s3utils/utils.go): 3-63, dot-separated labels of [a-z0-9-] that neither start nor end with '-'
 *   (so no '..', '.-', '-.'), not four all-digit labels (an IP address).
 */
import type { Backend } from "./backends";

const IPV4_SHAPED = /^(\d+\.){3}\d+$/;

function common(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `is ${name.length} characters long; expected 3 to 63`;
  if (!/^[a-z0-9.-]+$/.test(name)) return "may hold only lowercase letters, digits, '.' and '-'";
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return "must begin and end with a lowercase letter or digit";
  if (IPV4_SHAPED.test(name)) return "is formatted as an IP address, which S3 stores refuse as a bucket name";
  return undefined;
}

const RULES: Record<Backend, (name: string) => string | undefined> = {
  aws: (name) => {
    if (name.includes("..")) return "has two adjacent periods";
    if (name.includes(".")) return "contains '.': AWS buckets are addressed virtual-hosted over HTTPS and a dotted name does not match the *.s3.amazonaws.com certificate; use '-'";
    for (const prefix of ["xn--", "sthree-", "amzn-s3-demo-"]) if (name.startsWith(prefix)) return `starts with the reserved prefix '${prefix}'`;
    for (const suffix of ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]) if (name.endsWith(suffix)) return `ends with the reserved suffix '${suffix}'`;
    return undefined;
  },
  scaleway: (name) => (name.includes("..") ? "has two adjacent periods" : undefined),
  garage: (name) => {
    if (name.startsWith("xn--") || name.includes(".xn--")) return "starts with the reserved prefix 'xn--'";
    if (name.endsWith("-s3alias")) return "ends with the reserved suffix '-s3alias'";
    return undefined;
  },
  minio: (name) => (/\.\.|\.-|-\./.test(name) ? "has an empty label or one starting or ending with '-' ('..', '.-' or '-.')" : undefined),
};

/** Why `name` is no bucket name `backend` accepts, or undefined. */
export function bucketNameError(backend: Backend, name: string): string | undefined {
  return common(name) ?? RULES[backend](name);
}

/** The real name of an aws or scaleway bucket: their bucket names are global, so they carry the stack's prefix. */
export function prefixedBucketName(bucketPrefix: string, bucket: string): string {
  return `${bucketPrefix}-${bucket}`;
}

/** The global-namespace backends' prefixes, where configured (`storage.aws.bucketPrefix`, `storage.scaleway.bucketPrefix`). */
export interface BucketPrefixes {
  readonly aws?: { readonly bucketPrefix: string };
  readonly scaleway?: { readonly bucketPrefix: string };
}

/** The name a bucket gets on its backend: aws and scaleway names are global and carry the stack's prefix. */
export function realBucketName(prefixes: BucketPrefixes, backend: Backend, bucket: string): string {
  const prefix = backend === "aws" || backend === "scaleway" ? prefixes[backend]?.bucketPrefix : undefined;
  return prefix === undefined ? bucket : prefixedBucketName(prefix, bucket);
}
