/** Rules about pods, images, ConfigMaps and namespaces' Pod Security labels. */
import { FLOW_LABEL, OWNERSHIP_LABELS, PART_OF_LABEL, PSA_LABELS } from "../shared/labels";
import { REDACTED } from "../shared/redaction";
import { MIN_AWS_PLUGIN, releaseBelow } from "../shared/velero-versions";
import { chartOf, containerKind, containersOf, describeObject, isObj, isVeleroChart, labelsOf, list, metadataOf, obj, podTemplateOf, str, TYPES, type Obj } from "./k8s";
import { resourceRule, type PolicyResource, type Rule } from "./types";

// ---------------------------------------------------------------------------------------------------------------
// images-pinned

/** Tag and digest of an image reference (`registry[:port]/path[:tag][@sha256:...]`). */
export function parseImage(ref: string): { name: string; tag?: string; digest?: string } {
  const [rest, digest] = ref.split("@", 2);
  const slash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  return colon > slash ? { name: rest.slice(0, colon), tag: rest.slice(colon + 1), digest } : { name: rest, digest };
}

/** velero-plugin-for-aws: releases before {@link MIN_AWS_PLUGIN} corrupt or reject uploads to S3-compatible stores. */
const AWS_PLUGIN = /(^|\/)velero-plugin-for-aws$/;

/** Problems of one image reference found at `where`. */
function imageProblems(ref: string, where: string): string[] {
  const { name, tag, digest } = parseImage(ref);
  const problems: string[] = [];
  if (!tag && !digest) problems.push(`image '${ref}' (${where}) is not pinned: add a version tag or a sha256 digest.`);
  else if (tag === "latest" && !digest) problems.push(`image '${ref}' (${where}) uses ':latest', which is not a pin: use a version tag or a sha256 digest.`);
  if (/(^|\/)velero-plugin-for-csi$/.test(name)) {
    problems.push(`image '${ref}' (${where}): velero-plugin-for-csi is built into Velero since 1.14 and breaks start-up ("registered twice"); remove it.`);
  }
  if (AWS_PLUGIN.test(name) && releaseBelow(tag, MIN_AWS_PLUGIN)) {
    problems.push(`image '${ref}' (${where}): velero-plugin-for-aws before v1.14.3 corrupts or rejects uploads to S3-compatible stores (velero#9951, #9804); use v1.14.3 or later.`);
  }
  return problems;
}

/** Images named in Helm values: `image: "<ref>"` and `image: {repository, tag, digest}` at any depth. */
function chartImages(values: unknown, path = "values"): { ref: string; where: string; defaulted: boolean }[] {
  if (Array.isArray(values)) return values.flatMap((v, i) => chartImages(v, `${path}[${i}]`));
  if (!isObj(values)) return [];
  const found: { ref: string; where: string; defaulted: boolean }[] = [];
  for (const [key, value] of Object.entries(values)) {
    const where = `${path}.${key}`;
    if (key === "image" && typeof value === "string") found.push({ ref: value, where, defaulted: false });
    else if (key === "image" && isObj(value) && typeof value.repository === "string") {
      const tag = str(value.tag);
      const digest = str(value.digest);
      // Without tag or digest a chart uses its appVersion: pinned by the chart version.
      const ref = `${value.repository}${tag ? `:${tag}` : ""}${digest ? `@${digest}` : ""}`;
      found.push({ ref, where, defaulted: !tag && !digest });
    } else found.push(...chartImages(value, where));
  }
  return found;
}

export const IMAGES_PINNED = resourceRule(
  "images-pinned",
  "Every image is pinned (tag or digest, never :latest); no velero-plugin-for-aws before v1.14.3; no velero-plugin-for-csi. Pod templates and Helm chart values.",
  (r) => {
    const template = podTemplateOf(r);
    if (template) {
      return containersOf(template.spec).flatMap(({ field, container }) => {
        const image = str(container.image);
        // A patch may leave the image to the live object.
        const which = `${containerKind(field)} '${str(container.name) ?? "?"}'`;
        if (image === undefined) return template.partial ? [] : [`${describeObject(r)}: ${which} has no image; set a pinned image.`];
        return imageProblems(image, `${describeObject(r)}, ${which}`);
      });
    }
    const chart = chartOf(r);
    if (!chart) return [];
    return chartImages(chart.values).flatMap(({ ref, where, defaulted }) => {
      const problems = imageProblems(ref, `chart ${chart.chart}, ${where}`);
      return defaulted ? problems.filter((p) => !p.includes("is not pinned")) : problems;
    });
  },
);

// ---------------------------------------------------------------------------------------------------------------
// no-credentials-in-configmaps

/** Data keys that name a credential (`password`, `db-password`, `token`, `aws_secret_access_key`, ...). */
const CREDENTIAL_KEY = /(^|[-_.])(password|passwd|secret|token|credentials?|private[-_.]?key|api[-_.]?key|secret[-_.]?access[-_.]?key)$/i;

/** Content that is a credential, whatever the key. */
const CREDENTIAL_CONTENT: { pattern: RegExp; what: string }[] = [
  { pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/, what: "a PEM private key" },
  { pattern: /aws_secret_access_key\s*=\s*\S/i, what: "an AWS secret access key" },
  { pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:[^\s@/]+@/i, what: "a URL with a password" },
];

/** `password: x`, `"token": "x"`, `secretKey=x`; values that are paths, variables or nested objects are no secrets. */
const CREDENTIAL_ASSIGNMENT = /["']?\b(password|passwd|secret|token|secretKey|secret_key|secretAccessKey|apiKey|api_key|client-key-data)["']?\s*[:=]\s*["']?([^\s"',}]+)/gi;

function credentialIn(key: string, value: string): string | undefined {
  if (value.includes(REDACTED)) return "a value the plan redacted as a secret";
  if (CREDENTIAL_KEY.test(key) && value.trim() !== "") return "a credential (by its key name)";
  const content = CREDENTIAL_CONTENT.find((c) => c.pattern.test(value));
  if (content) return content.what;
  for (const match of value.matchAll(CREDENTIAL_ASSIGNMENT)) {
    if (!/^[/${[]/.test(match[2])) return `a ${match[1]} assignment`;
  }
  return undefined;
}

/** ConfigMaps of a resource: a ConfigMap object, or the Velero chart's `configMaps` values. */
function configMapsOf(r: PolicyResource): { label: string; data: Obj }[] {
  if (r.type === TYPES.configMap) return [{ label: describeObject(r), data: { ...obj(r.inputs.data), ...obj(r.inputs.binaryData) } }];
  const chart = chartOf(r);
  if (!chart || !isVeleroChart(chart)) return [];
  return Object.entries(obj(chart.values.configMaps)).map(([name, cm]) => ({ label: `ConfigMap ${name} (Velero chart values)`, data: obj(obj(cm).data) }));
}

export const NO_CREDENTIALS_IN_CONFIGMAPS = resourceRule(
  "no-credentials-in-configmaps",
  "No credential in a ConfigMap (passwords, tokens, keys, URLs with passwords): ConfigMaps are not secret.",
  (r) =>
    configMapsOf(r).flatMap(({ label, data }) =>
      Object.entries(data).flatMap(([key, value]) => {
        const what = typeof value === "string" ? credentialIn(key, value) : undefined;
        return what ? [`${label} holds ${what} in data key '${key}': ConfigMaps are readable by anyone who may list them and are not encrypted. Move it to a Secret (stringData) and mount or reference that.`] : [];
      }),
    ),
);

// ---------------------------------------------------------------------------------------------------------------
// privileged pods

export const PRIVILEGED_PODS_IN_THEIR_NAMESPACES: Rule = {
  name: "privileged-pods-in-their-namespaces",
  description: "No privileged pod outside the namespaces meant for it (Velero node-agent, Benji, zrepl).",
  enforcementLevel: "mandatory",
  stackWide: false,
  settings: ["privilegedNamespaces"],
  validate: (r, context) => {
    const allowed = context.privilegedNamespaces;
    const fix = `drop securityContext.privileged, or run it in one of the namespaces meant for privileged pods (${allowed.join(", ") || "none"}; policy config privilegedNamespaces)`;
    const template = podTemplateOf(r);
    if (template) {
      if (allowed.includes(template.namespace)) return [];
      return containersOf(template.spec)
        .filter(({ container }) => obj(container.securityContext).privileged === true)
        .map(({ field, container }) => `${describeObject(r)} runs privileged ${containerKind(field)} '${str(container.name) ?? "?"}' in namespace '${template.namespace}': ${fix}.`);
    }
    const chart = chartOf(r);
    if (chart && isVeleroChart(chart) && !allowed.includes(chart.namespace) && obj(obj(chart.values.nodeAgent).containerSecurityContext).privileged === true) {
      return [`The Velero chart runs a privileged node-agent in namespace '${chart.namespace}': ${fix}.`];
    }
    return [];
  },
};

// ---------------------------------------------------------------------------------------------------------------
// privileged-namespaces-psa

function ownedByProgram(labels: Record<string, string>): boolean {
  return labels[PART_OF_LABEL] === OWNERSHIP_LABELS[PART_OF_LABEL];
}

export const PRIVILEGED_NAMESPACES_PSA: Rule = {
  name: "privileged-namespaces-psa",
  description: "The namespaces meant for privileged pods allow them (Pod Security enforce/audit/warn: privileged); no other namespace of this program does.",
  enforcementLevel: "mandatory",
  stackWide: false,
  settings: ["privilegedNamespaces"],
  validate: (r, context) => {
    if (r.type !== TYPES.namespace) return [];
    const name = str(metadataOf(r).name) ?? r.name;
    const labels = labelsOf(metadataOf(r));
    if (context.privilegedNamespaces.includes(name)) {
      const missing = PSA_LABELS.filter((key) => labels[key] !== "privileged");
      return missing.length
        ? [`Namespace ${name} is meant for privileged pods (node-agent hostPath mounts, Benji and zrepl privileged containers) but ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not 'privileged', so Pod Security Admission rejects or flags those pods. Set ${PSA_LABELS.join(", ")} to "privileged".`]
        : [];
    }
    const relaxed = PSA_LABELS.filter((key) => labels[key] === "privileged");
    return ownedByProgram(labels) && relaxed.length
      ? [`Namespace ${name} sets ${relaxed.join(", ")} to 'privileged' but is not meant for privileged pods (${context.privilegedNamespaces.join(", ")}): use "baseline" or "restricted", or list it in policy config privilegedNamespaces.`]
      : [];
  },
};

// ---------------------------------------------------------------------------------------------------------------
// cronjob-timezone

export const CRONJOB_TIMEZONE = resourceRule(
  "cronjob-timezone",
  "CronJobs of this program set spec.timeZone (and any TZ env agrees with it); no CRON_TZ/TZ in the schedule.",
  (r) => {
    if (r.type !== TYPES.cronJob) return [];
    const labels = labelsOf(metadataOf(r));
    if (!ownedByProgram(labels) && labels[FLOW_LABEL] === undefined) return [];
    const spec = obj(r.inputs.spec);
    const what = describeObject(r);
    const zone = str(spec.timeZone);
    const messages: string[] = [];
    if (!zone) messages.push(`${what} sets no spec.timeZone: its schedule then follows the controller manager's local time. Set spec.timeZone to the stack's timeZone (e.g. "UTC").`);
    if (/^\s*(CRON_)?TZ=/.test(str(spec.schedule) ?? "")) messages.push(`${what} puts a time zone in spec.schedule (${JSON.stringify(spec.schedule)}), which Kubernetes rejects; move it to spec.timeZone.`);
    const template = podTemplateOf(r);
    for (const { container } of template ? containersOf(template.spec) : []) {
      const tz = list(container.env).filter(isObj).find((e) => e.name === "TZ");
      if (zone && tz && typeof tz.value === "string" && tz.value !== zone) {
        messages.push(`${what}: container '${str(container.name) ?? "?"}' has env TZ=${tz.value} but spec.timeZone is ${zone}; use the same zone so logs and retention agree with the schedule.`);
      }
    }
    return messages;
  },
);
