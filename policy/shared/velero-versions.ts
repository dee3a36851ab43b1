/**
 * Minimum versions of Velero's images, shared by the stack config's rules and the pack's images-pinned rule.
 */

/** Velero: namespace globs (`cust-*`) are unreliable before v1.18.2 (velero#9743, #9870). */
export const MIN_VELERO = [1, 18, 2] as const;
/** velero-plugin-for-aws: before v1.14.3 it corrupts or rejects uploads to S3-compatible stores (velero#9951, #9804). */
export const MIN_AWS_PLUGIN = [1, 14, 3] as const;

/** True when `tag` is a `vX.Y.Z` release older than `min`; false for any other tag form (not a release to judge). */
export function releaseBelow(tag: string | undefined, min: readonly [number, number, number]): boolean {
  const m = /^v(\d+)\.(\d+)\.(\d+)$/.exec(tag ?? "");
  if (!m) return false;
  const version = [Number(m[1]), Number(m[2]), Number(m[3])];
  const i = version.findIndex((part, k) => part !== min[k]);
  return i >= 0 && version[i] < min[i];
}
