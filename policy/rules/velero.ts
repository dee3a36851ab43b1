/** Rules about Velero objects: Schedules, pod annotations (hooks, fs-backup volumes), the chart, snapshot classes. */
import { BACKUP_LABEL, TENANT_LABEL, TENANT_NAMESPACE_PREFIX, VELERO_ANNOTATIONS, VELERO_EXCLUDE_LABEL, VELERO_VSC_LABEL } from "../shared/labels";
import { REMOVED_CHART_KEYS } from "../shared/velero-chart";
import { parseGoDuration } from "../shared/go-duration";
import { annotationsOf, at, chartOf, containersOf, describeObject, isObj, isVeleroChart, labelsOf, list, metadataOf, obj, podTemplateOf, str, TYPES, type Obj } from "./k8s";
import { resourceRule, type PolicyResource, type Rule } from "./types";

/** A Velero Schedule, either a `velero.io/v1` object or an entry of the Velero chart's `schedules` values. */
interface ScheduleView {
  /** How messages name it. */
  readonly label: string;
  /** Path prefix of the schedule's spec in messages (`spec` or `values.schedules.<name>`). */
  readonly at: string;
  readonly spec: Obj;
  readonly template: Obj;
}

function schedulesOf(r: PolicyResource): ScheduleView[] {
  if (r.type === TYPES.schedule) {
    const spec = obj(r.inputs.spec);
    return [{ label: `Schedule ${str(metadataOf(r).name) ?? r.name}`, at: "spec", spec, template: obj(spec.template) }];
  }
  const chart = chartOf(r);
  if (!chart || !isVeleroChart(chart)) return [];
  return Object.entries(obj(chart.values.schedules))
    .filter(([, s]) => isObj(s) && s.disabled !== true)
    .map(([name, s]) => ({ label: `Schedule ${name} (Velero chart values)`, at: `values.schedules.${name}`, spec: obj(s), template: obj(obj(s).template) }));
}

function scheduleRule(name: string, description: string, check: (s: ScheduleView) => string[]): Rule {
  return resourceRule(name, description, (r) => schedulesOf(r).flatMap(check));
}

/** Label keys of a Velero label selector (matchLabels and matchExpressions). */
function selectorKeys(selector: unknown): string[] {
  const s = obj(selector);
  return [...Object.keys(obj(s.matchLabels)), ...list(s.matchExpressions).map((e) => str(obj(e).key)).filter((k): k is string => k !== undefined)];
}

const TENANT_SELECTOR_KEYS = [TENANT_LABEL, BACKUP_LABEL];

export const SCHEDULE_NO_TENANT_SELECTOR = scheduleRule(
  "schedule-no-tenant-selector",
  `A Velero Schedule never selects tenants with a labelSelector on ${TENANT_LABEL}/${BACKUP_LABEL}: Velero filters objects by it, not namespaces.`,
  (s) => {
    const selectors: [string, unknown][] = [["labelSelector", s.template.labelSelector], ...list(s.template.orLabelSelectors).map((sel, i): [string, unknown] => [`orLabelSelectors[${i}]`, sel])];
    return selectors.flatMap(([where, selector]) =>
      selectorKeys(selector)
        .filter((key) => TENANT_SELECTOR_KEYS.includes(key))
        .map(
          (key) =>
            `${s.label} selects on label '${key}' in ${s.at}.template.${where}: Velero applies a label selector to every object, not to namespaces, so the tenants' Pods, PVCs and Secrets (with their fs-backups and hooks) are skipped. ` +
            `Remove the selector; select tenant namespaces with includedNamespaces: ["${TENANT_NAMESPACE_PREFIX}*"] (Velero >= v1.18.2) and let opted-out tenants carry ${VELERO_EXCLUDE_LABEL}=true.`,
        ),
    );
  },
);

export const SCHEDULE_TTL = scheduleRule("schedule-ttl", "Every Velero Schedule sets its backups' ttl.", (s) => {
  const ttl = s.template.ttl;
  if (ttl === undefined || ttl === null || ttl === "") {
    return [`${s.label} has no ${s.at}.template.ttl: its backups then live for the server default (720h), whatever the chart's comments say. Set ${s.at}.template.ttl, e.g. "720h0m0s".`];
  }
  const seconds = typeof ttl === "string" ? parseGoDuration(ttl) : undefined;
  return seconds ? [] : [`${s.label} has ${s.at}.template.ttl ${JSON.stringify(ttl)}, which is not a positive Go duration; use hours, minutes and seconds such as "720h0m0s".`];
});

export const SCHEDULE_NO_OWNER_REFERENCES = scheduleRule("schedule-no-owner-references", "A Velero Schedule does not own its backups (useOwnerReferencesInBackup: false).", (s) =>
  s.spec.useOwnerReferencesInBackup === true
    ? [`${s.label} sets ${s.at}.useOwnerReferencesInBackup: true, so deleting or replacing the Schedule deletes every backup it made; set it to false.`]
    : [],
);

export const SCHEDULE_NO_SKIP_IMMEDIATELY = scheduleRule("schedule-no-skip-immediately", "A Velero Schedule never sets skipImmediately (the controller resets it: perpetual drift).", (s) =>
  "skipImmediately" in s.spec && s.spec.skipImmediately !== undefined
    ? [`${s.label} sets ${s.at}.skipImmediately: the Velero controller resets it after the first run, so every preview shows drift. Remove the field.`]
    : [],
);

const OLD_FILTERS = ["includedResources", "excludedResources", "includeClusterResources"];
const NEW_FILTERS = ["includedClusterScopedResources", "excludedClusterScopedResources", "includedNamespaceScopedResources", "excludedNamespaceScopedResources"];

function filterSet(template: Obj, key: string): boolean {
  const value = template[key];
  return Array.isArray(value) ? value.length > 0 : value !== undefined && value !== null;
}

export const SCHEDULE_FILTERS_NOT_MIXED = scheduleRule("schedule-filters-not-mixed", "A Velero Schedule uses either the old resource filters or the new scoped ones, never both.", (s) => {
  const old = OLD_FILTERS.filter((k) => filterSet(s.template, k));
  const scoped = NEW_FILTERS.filter((k) => filterSet(s.template, k));
  return old.length && scoped.length
    ? [`${s.label} mixes the old resource filters (${old.join(", ")}) with the scoped ones (${scoped.join(", ")}) in ${s.at}.template; Velero fails such backups at validation. Use one kind only.`]
    : [];
});

// ---------------------------------------------------------------------------------------------------------------
// Pod annotations

const A = VELERO_ANNOTATIONS;
const POD_ANNOTATIONS: string[] = [A.backupVolumes, A.backupVolumesExcludes, A.preHookContainer, A.preHookCommand, A.preHookOnError, A.preHookTimeout, A.postHookContainer, A.postHookCommand, A.postHookOnError, A.postHookTimeout];

export const VELERO_HOOKS_PAIRED = resourceRule(
  "velero-hooks-paired",
  "A pod template with a Velero pre-hook also has the post-hook; hook containers exist; Velero annotations sit on the pod template, not on the workload.",
  (r) => {
    const template = podTemplateOf(r);
    if (!template) return [];
    const messages: string[] = [];
    const what = describeObject(r);
    if (r.type !== TYPES.pod) {
      const misplaced = Object.keys(annotationsOf(metadataOf(r))).filter((k) => POD_ANNOTATIONS.includes(k));
      if (misplaced.length) {
        messages.push(`${what} carries Velero pod annotations (${misplaced.join(", ")}) on its own metadata, where Velero never reads them: move them to the pod template's metadata.annotations.`);
      }
    }
    const annotations = annotationsOf(template.metadata);
    if (annotations[A.preHookCommand] !== undefined && annotations[A.postHookCommand] === undefined) {
      messages.push(`${what} has a Velero pre-hook (${A.preHookCommand}) but no post-hook: add ${A.postHookCommand} (e.g. removing the dump the pre-hook wrote), with ${A.postHookContainer} naming the same container.`);
    }
    if (!template.partial) {
      const names = containersOf(template.spec)
        .filter((c) => c.field === "containers")
        .map((c) => str(c.container.name))
        .filter((n): n is string => n !== undefined);
      for (const key of [A.preHookContainer, A.postHookContainer]) {
        const container = annotations[key];
        if (container !== undefined && !names.includes(container)) {
          messages.push(`${what}: ${key} names container '${container}', which the pod does not have (containers: ${names.join(", ") || "none"}); Velero would fail the hook with "container not found". Name one of the pod's containers.`);
        }
      }
    }
    return messages;
  },
);

export const VELERO_BACKUP_VOLUMES_EXIST = resourceRule(
  "velero-backup-volumes-exist",
  `The fs-backup annotation ${A.backupVolumes} names volumes the pod has (pod volume names, not PVC names; never hostPath).`,
  (r) => {
    const template = podTemplateOf(r);
    const value = template && annotationsOf(template.metadata)[A.backupVolumes];
    // A patch is merged into the live object: volumes it does not list may exist there.
    if (!template || template.partial || typeof value !== "string") return [];
    const volumes = new Map(list(template.spec.volumes).filter(isObj).map((v) => [str(v.name) ?? "", v]));
    const what = describeObject(r);
    return value
      .split(",")
      .map((v) => v.trim())
      .filter((v) => v !== "")
      .flatMap((name) => {
        const volume = volumes.get(name);
        if (!volume) {
          return [`${what}: ${A.backupVolumes} names volume '${name}', which the pod does not have (volumes: ${[...volumes.keys()].join(", ") || "none"}); the annotation takes pod volume names from spec.volumes, not PVC names. Fix the annotation or add the volume.`];
        }
        return volume.hostPath !== undefined ? [`${what}: ${A.backupVolumes} names hostPath volume '${name}', which fs-backup never backs up; remove it from the annotation.`] : [];
      });
  },
);

// ---------------------------------------------------------------------------------------------------------------
// Chart and node-agent

function removedKeysIn(values: Obj): string[] {
  return Object.keys(REMOVED_CHART_KEYS).filter((key) => at(values, key.split(".")) !== undefined);
}

/** A Schedule that backs up pod volumes with the node-agent (fs-backup). */
function usesFsBackup(s: ScheduleView): boolean {
  return s.template.defaultVolumesToFsBackup === true;
}

export const NODE_AGENT_KOPIA: Rule = {
  name: "node-agent-kopia",
  description: "Velero runs the node-agent with kopia: no restic keys, uploaderType kopia, deployNodeAgent when a Schedule of the chart uses fs-backup.",
  enforcementLevel: "mandatory",
  stackWide: false,
  settings: [],
  validate: (r) => {
    const messages = schedulesOf(r)
      .filter((s) => s.template.defaultVolumesToRestic !== undefined)
      .map((s) => `${s.label} sets ${s.at}.template.defaultVolumesToRestic, which Velero removed with restic; use defaultVolumesToFsBackup (kopia).`);
    const chart = chartOf(r);
    if (!chart || !isVeleroChart(chart)) return messages;
    const uploader = at(chart.values, ["configuration", "uploaderType"]);
    if (uploader !== undefined && uploader !== "kopia") {
      messages.push(`The Velero chart sets configuration.uploaderType ${JSON.stringify(uploader)}: Velero 1.17+ can no longer take restic backups. Set it to "kopia" or remove it.`);
    }
    for (const key of removedKeysIn(chart.values)) messages.push(`The Velero chart values set '${key}', removed from the chart (rendering aborts); use ${REMOVED_CHART_KEYS[key]}.`);
    if (chart.values.deployNodeAgent !== true) {
      // The chart's own schedules: a resource policy sees this resource only (the program always deploys the node-agent).
      const fsBackup = schedulesOf(r).filter(usesFsBackup).map((s) => s.label);
      const verb = fsBackup.length > 1 ? "back up" : "backs up";
      if (fsBackup.length) messages.push(`${fsBackup.join(", ")} ${verb} pod volumes (defaultVolumesToFsBackup: true) but the Velero chart does not deploy the node-agent: set deployNodeAgent: true.`);
    }
    return messages;
  },
};

export const VSC_VELERO_LABEL: Rule = {
  name: "vsc-velero-label",
  description: `At most one VolumeSnapshotClass per CSI driver carries ${VELERO_VSC_LABEL}=true.`,
  enforcementLevel: "mandatory",
  stackWide: true,
  settings: [],
  validate: (r, context) => {
    const labelled = (x: PolicyResource) => x.type === TYPES.volumeSnapshotClass && labelsOf(metadataOf(x))[VELERO_VSC_LABEL] === "true";
    if (!labelled(r)) return [];
    const driver = str(r.inputs.driver) ?? "";
    const same = context.resources.filter((x) => labelled(x) && (str(x.inputs.driver) ?? "") === driver);
    if (same.length < 2) return [];
    const names = same.map((x) => str(metadataOf(x).name) ?? x.name);
    return [`VolumeSnapshotClasses ${names.join(", ")} all carry ${VELERO_VSC_LABEL}=true for driver ${driver}: Velero needs exactly one per driver. Keep the label on one class (override per PVC with the ${VELERO_ANNOTATIONS.pvcSnapshotClass} annotation).`];
  },
};
