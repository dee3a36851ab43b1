/** Bucket names each backend accepts, and kubelet pod paths node-agent can read. */
import { bucketNameError, realBucketName } from "../schema/bucket-name";
import { podVolumePathError } from "../schema/pod-volume-path";
import type { Backend } from "../config-schema";
import type { Guard, GuardProblem } from "./types";

export const bucketNameGuard: Guard = (cfg) => {
  const buckets: [string, Backend, string][] = [
    ...Object.entries(cfg.velero.locations).map(([name, loc]): [string, Backend, string] => [`velero.locations.${name}.bucket`, loc.backend, loc.bucket]),
    ...(cfg.flows.benji.enabled && cfg.flows.benji.storage ? [["flows.benji.storage.bucket", cfg.flows.benji.storage.backend, cfg.flows.benji.storage.bucket] as [string, Backend, string]] : []),
  ];
  return buckets.flatMap(([path, backend, bucket]): GuardProblem[] => {
    const real = realBucketName(cfg.storage, backend, bucket);
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
