/** Reading Kubernetes objects, pod templates and Helm chart values out of resource inputs. */
import type { PolicyResource } from "./types";

export type Obj = Record<string, unknown>;

/** Pulumi type tokens the rules judge. */
export const TYPES = {
  namespace: "kubernetes:core/v1:Namespace",
  pvc: "kubernetes:core/v1:PersistentVolumeClaim",
  configMap: "kubernetes:core/v1:ConfigMap",
  pod: "kubernetes:core/v1:Pod",
  storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
  schedule: "kubernetes:velero.io/v1:Schedule",
  volumeSnapshotClass: "kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshotClass",
  cronJob: "kubernetes:batch/v1:CronJob",
  role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
  clusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
  helmChartV4: "kubernetes:helm.sh/v4:Chart",
  helmChartV3: "kubernetes:helm.sh/v3:Chart",
  helmRelease: "kubernetes:helm.sh/v3:Release",
} as const;

/** Helm charts are (remote) components, yet their values are what the cluster gets: rules read them. */
export const CHART_TYPES: ReadonlySet<string> = new Set([TYPES.helmChartV4, TYPES.helmChartV3, TYPES.helmRelease]);

/** Workloads whose pod template sits at `spec.template` (and their server-side-apply patches). */
const TEMPLATE_AT_SPEC = ["apps/v1:Deployment", "apps/v1:StatefulSet", "apps/v1:DaemonSet", "apps/v1:ReplicaSet", "batch/v1:Job", "core/v1:ReplicationController"];

export function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function obj(value: unknown): Obj {
  return isObj(value) ? value : {};
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** `metadata` of a Kubernetes object resource. */
export function metadataOf(r: PolicyResource): Obj {
  return obj(r.inputs.metadata);
}

export function labelsOf(meta: Obj): Record<string, string> {
  return obj(meta.labels) as Record<string, string>;
}

export function annotationsOf(meta: Obj): Record<string, string> {
  return obj(meta.annotations) as Record<string, string>;
}

/** `kind ns/name` of a Kubernetes object, for messages. */
export function describeObject(r: PolicyResource): string {
  const meta = metadataOf(r);
  const kind = str(r.inputs.kind) ?? r.type.split(":").pop();
  const ns = str(meta.namespace);
  return `${kind} ${ns ? `${ns}/` : ""}${str(meta.name) ?? r.name}`;
}

/** A pod template found in a resource. `partial` for patches: fields absent there may exist in the live object. */
export interface PodTemplate {
  readonly metadata: Obj;
  readonly spec: Obj;
  readonly namespace: string;
  readonly partial: boolean;
}

/** The pod template of a Pod, a workload, a Job or a CronJob (and their patches); none for anything else. */
export function podTemplateOf(r: PolicyResource): PodTemplate | undefined {
  if (!r.type.startsWith("kubernetes:")) return undefined;
  const kindToken = r.type.slice("kubernetes:".length);
  const partial = kindToken.endsWith("Patch");
  const base = partial ? kindToken.slice(0, -"Patch".length) : kindToken;
  const namespace = str(metadataOf(r).namespace) ?? "default";
  const spec = obj(r.inputs.spec);
  let template: Obj | undefined;
  if (base === "core/v1:Pod") template = { metadata: r.inputs.metadata, spec: r.inputs.spec };
  else if (TEMPLATE_AT_SPEC.includes(base)) template = obj(spec.template);
  else if (base === "batch/v1:CronJob") template = obj(obj(obj(spec.jobTemplate).spec).template);
  if (!template) return undefined;
  return { metadata: obj(template.metadata), spec: obj(template.spec), namespace, partial };
}

/** Every container of a pod spec (init, regular, ephemeral) with the field it sits in. */
export function containersOf(podSpec: Obj): { field: string; container: Obj }[] {
  return ["initContainers", "containers", "ephemeralContainers"].flatMap((field) =>
    list(podSpec[field]).filter(isObj).map((container) => ({ field, container })),
  );
}

/** How messages name a container of `field`: `container`, `init container`, `ephemeral container`. */
export function containerKind(field: string): string {
  return field === "initContainers" ? "init container" : field === "ephemeralContainers" ? "ephemeral container" : "container";
}

/** A Helm chart resource: its chart name, target namespace and values. */
export interface ChartView {
  readonly chart: string;
  readonly namespace: string;
  readonly values: Obj;
}

export function chartOf(r: PolicyResource): ChartView | undefined {
  if (!CHART_TYPES.has(r.type)) return undefined;
  return { chart: str(r.inputs.chart) ?? "", namespace: str(r.inputs.namespace) ?? "default", values: obj(r.inputs.values) };
}

/** Velero's chart (`velero`, `vmware-tanzu/velero`, `oci://.../velero`). */
export function isVeleroChart(chart: ChartView): boolean {
  return /(^|\/)velero$/.test(chart.chart);
}

/** The value at a dotted path of an object, or undefined. */
export function at(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isObj(current)) return undefined;
    current = current[key];
  }
  return current;
}
