import type * as pulumi from "@pulumi/pulumi";
import type { Backend } from "../schema/backends";

/**
 * How a consumer reaches one bucket: the same shape for every backend (docs/design.md §3.2), so Velero and Benji never branch on
 * the backend except through these fields.
 */
export interface S3Target {
  /** The backend that holds the bucket. */
  readonly backend: Backend;
  /** The bucket's real name (with the stack's prefix where the namespace is global). */
  readonly bucket: pulumi.Output<string>;
  /** Scheme and host[:port] only, e.g. `https://s3.fr-par.scw.cloud`; undefined for AWS (the SDK derives it). */
  readonly endpoint: string | undefined;
  /** The region requests are signed with (Garage: its `s3_region`). */
  readonly region: string;
  /** Path-style addressing (all S3 clones here; AWS: false). */
  readonly forcePathStyle: boolean;
  /** Velero BSL `checksumAlgorithm`; undefined keeps the plugin default (CRC32), which every supported store accepts. */
  readonly checksumAlgorithm: string | undefined;
  /** Whether the bucket keeps noncurrent object versions (Garage cannot). */
  readonly versioned: boolean;
  /** Days a noncurrent (deleted or overwritten) version is kept before the lifecycle rule expires it; undefined when unversioned. */
  readonly noncurrentVersionDays: number | undefined;
  /** Whether deletion is blocked by object lock. */
  readonly objectLock: boolean;
  /** Access key id of the credentials scoped to this bucket (a secret for generated keys). */
  readonly accessKeyId: pulumi.Output<string>;
  /** Secret access key (always a Pulumi secret). */
  readonly secretAccessKey: pulumi.Output<string>;
  /** Resources consumers must wait for before using the bucket (in-cluster provisioning Jobs). */
  readonly ready: pulumi.Resource[];
}

/** What every bucket component (one consumer on one backend) hands back. */
export interface ConsumerBuckets {
  /** One S3Target per bucket name of the args. */
  readonly targets: Readonly<Record<string, S3Target>>;
  /** Access key id of the consumer's credential (a secret). */
  readonly accessKeyId: pulumi.Output<string>;
  /** Secret access key of the consumer's credential (a secret). */
  readonly secretAccessKey: pulumi.Output<string>;
}
