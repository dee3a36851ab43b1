/**
 * images-digest: in production stacks, a container that runs privileged or is handed a secret runs an
 * image pinned by digest. A tag can be moved by whoever can push to the repository; a digest cannot. Advisory: the
 * program's own config refuses such images in prod unless `images.allowTagOnly` waives them by name, and a waived
 * image should stay visible in every policy run until its digest is set.
 */
import { chartOf, containerKind, containersOf, describeObject, isObj, isVeleroChart, list, obj, podTemplateOf, str, type Obj } from "./k8s";
import type { PolicyResource, Rule } from "./types";

const DIGEST = /@sha256:[a-f0-9]{64}$/;

/** Names of the Secrets a container reaches: env, envFrom, mounted secret or projected volumes. */
function secretsOf(container: Obj, podSpec: Obj): string[] {
  const names = new Set<string>();
  for (const env of list(container.env).filter(isObj)) {
    const ref = str(obj(obj(env.valueFrom).secretKeyRef).name);
    if (ref) names.add(ref);
  }
  for (const from of list(container.envFrom).filter(isObj)) {
    const ref = str(obj(from.secretRef).name);
    if (ref) names.add(ref);
  }
  const mounted = new Set(list(container.volumeMounts).filter(isObj).map((m) => str(m.name)));
  for (const volume of list(podSpec.volumes).filter(isObj).filter((v) => mounted.has(str(v.name)))) {
    const direct = str(obj(volume.secret).secretName);
    if (direct) names.add(direct);
    for (const source of list(obj(volume.projected).sources).filter(isObj)) {
      const projected = str(obj(source.secret).name);
      if (projected) names.add(projected);
    }
  }
  return [...names].sort();
}

/** What makes a container sensitive, for the message; empty when it is neither privileged nor handed a secret. */
function sensitivity(container: Obj, podSpec: Obj): string[] {
  const why: string[] = [];
  if (obj(container.securityContext).privileged === true) why.push("runs privileged");
  const secrets = secretsOf(container, podSpec);
  if (secrets.length > 0) why.push(`is handed Secret(s) ${secrets.join(", ")}`);
  // A dedicated account's token is a credential too (the opt-out job's may patch namespaces); `default` holds no rights here.
  const account = str(podSpec.serviceAccountName);
  if (account && account !== "default" && podSpec.automountServiceAccountToken !== false) why.push(`runs with the token of service account ${account}`);
  return why;
}

export const IMAGES_DIGEST: Rule = {
  name: "images-digest",
  description: "In production stacks, images of privileged containers and of containers handed a Secret or a service-account token are pinned by digest ('<image>:<tag>@sha256:<digest>'), as is Velero's (the chart hands it the storage keys).",
  enforcementLevel: "advisory",
  stackWide: false,
  settings: ["productionStacks"],
  validate: (r: PolicyResource, context) => {
    if (!context.production) return [];
    const tagOnly = (image: string) => !DIGEST.test(image);
    const advice = "pin it by digest ('<image>:<tag>@sha256:<digest>'; README \"Pinning images by digest\")";
    const template = podTemplateOf(r);
    if (template) {
      return containersOf(template.spec).flatMap(({ field, container }) => {
        const image = str(container.image);
        const why = sensitivity(container, template.spec);
        if (image === undefined || why.length === 0 || !tagOnly(image)) return [];
        return [`${describeObject(r)}, ${containerKind(field)} '${str(container.name) ?? "?"}': image '${image}' ${why.join(" and ")} but is pinned by tag only in production stack '${context.stack}'; ${advice}.`];
      });
    }
    const chart = chartOf(r);
    if (!chart || !isVeleroChart(chart)) return [];
    const image = obj(chart.values.image);
    const messages: string[] = [];
    if (str(image.repository) && !str(image.digest)) {
      messages.push(`chart ${chart.chart}, values.image: Velero (${str(image.repository)}:${str(image.tag) ?? "?"}) is handed the storage keys but is pinned by tag only in production stack '${context.stack}'; ${advice}.`);
    }
    list(chart.values.initContainers)
      .filter(isObj)
      .forEach((init, i) => {
        const ref = str(init.image);
        if (ref && tagOnly(ref)) messages.push(`chart ${chart.chart}, values.initContainers[${i}] '${str(init.name) ?? "?"}': image '${ref}' runs in the Velero pod with the storage keys but is pinned by tag only in production stack '${context.stack}'; ${advice}.`);
      });
    return messages;
  },
};
