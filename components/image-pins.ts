/**
 * Production pins images by digest where it matters: every image that runs privileged or is handed a
 * secret must be `<repository>:<tag>@sha256:<digest>` in a prod stack, unless `images.allowTagOnly` names its key
 * (an explicit, reviewed waiver, listed in the plan summary).
 */
import type { ParsedConfig } from "./config-schema";
import type { ConfigProblem } from "./config-problem";
import { DIGEST_FORM, hasDigest, type SensitiveImage } from "./schema/image";
import { optOutSyncRuns } from "./velero/optout-admission";

/** The parts of the config that name images and decide whether they are deployed. */
export type ImageConfig = Pick<ParsedConfig, "environment" | "velero" | "flows" | "drills" | "storage" | "policy" | "images">;

/** Config keys of every image that may run privileged or be handed a secret, with what it gets. */
export const SENSITIVE_IMAGE_KEYS: Readonly<Record<string, string>> = {
  "velero.image": "runs Velero (cluster-admin, the storage keys, the kopia password) and the node-agent (host paths)",
  "velero.awsPluginImage": "runs inside the Velero pod with the storage keys",
  "flows.tenants.optOutImage": "runs with a token that may patch every namespace",
  "flows.benji.image": "runs privileged with the Ceph key, the database URL and the S3 keys",
  "flows.zrepl.image": "runs privileged on the ZFS nodes with the zrepl TLS keys",
  "drills.image": "runs with the drill account's token (Restores, scratch namespaces)",
  "storage.garage.jobImage": "receives the Garage admin token",
  "storage.minio.image": "holds the MinIO root credentials and the data",
  "storage.minio.mcImage": "receives the MinIO root credentials",
};

/** The sensitive images the config actually deploys. */
export function sensitiveImages(cfg: ImageConfig): SensitiveImage[] {
  const used: [string, string | undefined, boolean][] = [];
  const velero = Object.keys(cfg.velero.locations).length > 0;
  const backends = new Set([...Object.values(cfg.velero.locations).map((l) => l.backend), ...(cfg.flows.benji.enabled && cfg.flows.benji.storage ? [cfg.flows.benji.storage.backend] : [])]);
  const tenants = cfg.flows.tenants;
  const drills = (cfg.drills.tenants.enabled ?? tenants.enabled) || (cfg.drills.postgres.enabled ?? cfg.flows.postgres.enabled);
  used.push(
    ["velero.image", cfg.velero.image, velero],
    ["velero.awsPluginImage", cfg.velero.awsPluginImage, velero],
    ["flows.tenants.optOutImage", tenants.optOutImage, velero && optOutSyncRuns(tenants, cfg.policy.admission)],
    ["flows.benji.image", cfg.flows.benji.image, cfg.flows.benji.enabled],
    ["flows.zrepl.image", cfg.flows.zrepl.image, cfg.flows.zrepl.enabled],
    ["drills.image", cfg.drills.image, velero && drills],
    ["storage.garage.jobImage", cfg.storage.garage?.jobImage, backends.has("garage")],
    ["storage.minio.image", cfg.storage.minio?.image, backends.has("minio") && cfg.storage.minio?.deploy === true],
    ["storage.minio.mcImage", cfg.storage.minio?.mcImage, backends.has("minio")],
  );
  return used.filter(([, image, inUse]) => inUse && image !== undefined).map(([path, image]) => ({ path, image: image!, why: SENSITIVE_IMAGE_KEYS[path] }));
}

/**
 * Prod: one problem per sensitive image without a digest that `images.allowTagOnly` does not waive; any stack: a waiver
 * naming no sensitive key, or an image that has a digest already (a stale waiver hides the next regression).
 */
export function imageDigestProblems(cfg: ImageConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const waived = cfg.images.allowTagOnly;
  const images = sensitiveImages(cfg);
  waived.forEach((key, i) => {
    if (!(key in SENSITIVE_IMAGE_KEYS)) {
      problems.push({ path: `images.allowTagOnly.${i}`, value: key, message: `names no image that runs privileged or is handed a secret; expected one of: ${Object.keys(SENSITIVE_IMAGE_KEYS).join(", ")}` });
    } else if (images.some((img) => img.path === key && hasDigest(img.image))) {
      problems.push({ path: `images.allowTagOnly.${i}`, value: key, message: `${key} is pinned by digest already; remove it from images.allowTagOnly` });
    }
  });
  if (cfg.environment !== "prod") return problems;
  for (const { path, image, why } of images) {
    if (hasDigest(image) || waived.includes(path)) continue;
    problems.push({ path, value: image, message: `${why}: in prod expected a digest pin ${DIGEST_FORM} (README "Pinning images by digest"), or list '${path}' in images.allowTagOnly` });
  }
  return problems;
}

/** The waivers in force: sensitive images deployed by tag only because `images.allowTagOnly` names them. */
export function imageWaivers(cfg: ImageConfig): { key: string; image: string; why: string }[] {
  const images = sensitiveImages(cfg);
  return images.filter((img) => cfg.images.allowTagOnly.includes(img.path) && !hasDigest(img.image)).map((img) => ({ key: img.path, image: img.image, why: img.why }));
}

/** Plan-summary lines naming each waiver in force. */
export function imageWaiverNotes(cfg: ImageConfig): string[] {
  return imageWaivers(cfg).map((w) => `image ${w.key} (${w.image}) is pinned by tag only (images.allowTagOnly): it ${w.why}; a moved tag would run other code with that access`);
}
