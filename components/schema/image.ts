/**
 * Image references of the config: `registry[:port]/path[:tag][@sha256:<64 hex>]`, pinned by a tag, a digest or both.
 * A tag can be moved to other content by whoever can push to the repository; a digest cannot, so production refuses
 * tag-only images for what runs privileged or is handed a secret (see {@link sensitiveImages}).
 */

/** `registry[:port]/path[:tag][@sha256:<digest>]`: the tag and the digest are each optional here, one is required. */
export const IMAGE_REFERENCE = /^(?<name>[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+)(:(?<tag>[A-Za-z0-9._-]+))?(@sha256:(?<digest>[a-f0-9]{64}))?$/;

/** The parts of an image reference, or undefined when it is not one. */
export function parseImageReference(ref: string): { name: string; tag?: string; digest?: string } | undefined {
  const groups = IMAGE_REFERENCE.exec(ref)?.groups;
  if (!groups) return undefined;
  return { name: groups.name, ...(groups.tag ? { tag: groups.tag } : {}), ...(groups.digest ? { digest: groups.digest } : {}) };
}

/** Whether a reference pins its content by digest (`@sha256:<64 hex>`). */
export function hasDigest(ref: string): boolean {
  return parseImageReference(ref)?.digest !== undefined;
}

/** The form production expects for an image: the tag for people, the digest for the runtime. */
export const DIGEST_FORM = "'<registry>/<repository>:<tag>@sha256:<64 hex>'";

/** The images of a config that run privileged or are handed a secret, with the reason, when they are in use. */
export interface SensitiveImage {
  /** Config path below `cluster-backup:`, e.g. `flows.benji.image`. */
  readonly path: string;
  /** The reference configured (or defaulted). */
  readonly image: string;
  /** What the image gets: privileges or secrets. */
  readonly why: string;
}
