/** Literal S3Targets for component tests that build a consumer (Velero, Benji) without a storage backend. */
import * as pulumi from "@pulumi/pulumi";
import type { S3Target } from "../../components/storage/types";

/** A provisioned Garage bucket at the usual in-cluster endpoint (region `garage`, path style, no versioning). */
export function fakeGarageTarget(bucket: string, accessKeyId: string, secretAccessKey: string, ready: pulumi.Resource[] = []): S3Target {
  return {
    backend: "garage",
    bucket: pulumi.output(bucket),
    endpoint: "http://garage.garage.svc.cluster.local:3900",
    region: "garage",
    forcePathStyle: true,
    checksumAlgorithm: undefined,
    versioned: false,
    noncurrentVersionDays: undefined,
    objectLock: false,
    accessKeyId: pulumi.secret(accessKeyId),
    secretAccessKey: pulumi.secret(secretAccessKey),
    ready,
  };
}
