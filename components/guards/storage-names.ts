/** Bucket names each backend accepts, and kubelet pod paths node-agent can read. */
import { bucketNameError } from "../schema/bucket-name";
import { podVolumePathError } from "../schema/pod-volume-path";
import { prefixedBucketName } from "../schema/bucket-name";
import type { Backend } from "../config-schema";
import type { Guard, GuardConfig, GuardProblem } from "./types";

/** The name the bucket gets on its backend: aws and scaleway names are global and get the stack's prefix. */
function realBucketName(cfg: GuardConfig, backend: Backend, bucket: string): string {
  const prefix = backend === "aws" ? cfg.storage.aws?.bucketPrefix : backend === "scaleway" ? cfg.storage.scaleway?.bucketPrefix : undefined;
  return prefix === undefined ? bucket : prefixedBucketName(prefix, bucket);
}

export const bucketNameGuard: Guard = (cfg) => {
  const buckets: [string, Backend, string][] = [
    ...Object.entries(cfg.velero.locations).map(([name, loc]): [string, Backend, string] => [`velero.locations.${name}.bucket`, loc.backend, loc.bucket]),
    ...(cfg.flows.benji.enabled && cfg.flows.benji.storage ? [["flows.benji.storage.bucket", cfg.flows.benji.storage.backend, cfg.flows.benji.storage.bucket] as [string, Backend, string]] : []),
  ];
  return buckets.flatMap(([path, backend, bucket]): GuardProblem[] => {
    const real = realBucketName(cfg, backend, bucket);
    // Longer than 63 with the prefix is reported by config-rules.ts (storageRule) with the prefix to shorten.
    if (real !== bucket && real.length > 63) return [];
    const error = bucketNameError(backend, real);
    return error ? [{ path, value: bucket, message: `${backend} bucket '${real}' ${error}` }] : [];
  });
};

export const podVolumePathGuard: Guard = (cfg) => {
  const path = cfg.velero.nodeAgent.podVolumePath;
  const error = podVolumePathError(path);
  return error ? [{ path: "velero.nodeAgent.podVolumePath", value: path, message: error }] : [];
};
