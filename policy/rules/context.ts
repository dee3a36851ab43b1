/**
 * Builds the {@link PolicyContext} of a stack from three sources, merged: the pack's defaults, the policy config
 * (Pulumi `--policy-pack-config` / `npm run policy -- --config`), and what the stack itself declares — StorageClasses
 * with a Ceph RBD provisioner, and the `policyContext` of this program's AdmissionPolicies component (the stack's own
 * namespaces and storage classes from its config). Under the Pulumi CLI a resource policy sees one resource, so only
 * the first two reach it; a stack policy sees the component's registered outputs, which repeat its `policyContext`.
 */
import { isObj, list, obj, str, TYPES } from "./k8s";
import type { PolicyContext, PolicyResource, PolicySettings, SettingKey } from "./types";

/** Type token of the component that deploys the in-cluster policies and declares the stack's policy context. */
export const ADMISSION_COMPONENT_TYPE = "cluster-backup:policy:AdmissionPolicies";

/** What a stack declares about itself (input and output `policyContext` of the AdmissionPolicies component). */
export interface DeclaredContext {
  /** The stack is a production stack (config `environment: prod`). */
  readonly production: boolean;
  readonly garageNamespaces: readonly string[];
  readonly cephRbdStorageClasses: readonly string[];
  readonly privilegedNamespaces: readonly string[];
}

export const DEFAULT_SETTINGS: PolicySettings = {
  productionStacks: ["prod", "production"],
  garageNamespaces: ["garage"],
  cephRbdStorageClasses: [],
  privilegedNamespaces: ["backup-system", "benji", "zrepl"],
};

/** JSON schema of each setting, for the policies' `configSchema`. */
export const SETTING_SCHEMAS: Record<SettingKey, { type: "array"; items: { type: "string" }; description: string }> = {
  productionStacks: { type: "array", items: { type: "string" }, description: "Stack names treated as production." },
  garageNamespaces: { type: "array", items: { type: "string" }, description: "Namespaces holding Garage's volumes." },
  cephRbdStorageClasses: { type: "array", items: { type: "string" }, description: "StorageClass names backed by Ceph RBD, beside those defined in the stack." },
  privilegedNamespaces: { type: "array", items: { type: "string" }, description: "Namespaces meant for privileged pods (Velero node-agent, Benji, zrepl)." },
};

/** Provisioners of Ceph RBD volumes: in-tree rbd, Rook flex, ceph-csi (`rbd.csi.ceph.com`, `<ns>.rbd.csi.ceph.com`). */
function isCephRbdProvisioner(provisioner: string): boolean {
  return provisioner === "rbd.csi.ceph.com" || provisioner.endsWith(".rbd.csi.ceph.com") || provisioner === "kubernetes.io/rbd" || provisioner === "ceph.rook.io/block";
}

/** Stack name of a URN `urn:pulumi:<stack>::<project>::<type>::<name>`. */
function stackOfUrn(urn: string): string {
  return /^urn:pulumi:([^:]+)::/.exec(urn)?.[1] ?? "";
}

function strings(value: unknown): string[] {
  return list(value).filter((v): v is string => typeof v === "string");
}

/** Merges partial settings (policy config of any policy) over the defaults; unknown or malformed keys are ignored. */
export function settingsFrom(...configs: readonly unknown[]): PolicySettings {
  const out: Record<string, readonly string[]> = { ...DEFAULT_SETTINGS };
  for (const config of configs) {
    if (!isObj(config)) continue;
    for (const key of Object.keys(DEFAULT_SETTINGS)) if (Array.isArray(config[key])) out[key] = strings(config[key]);
  }
  return out as unknown as PolicySettings;
}

/** The declared context of the stack, when it holds this program's AdmissionPolicies component. */
function declaredContext(resources: readonly PolicyResource[]): DeclaredContext | undefined {
  const component = resources.find((r) => r.type === ADMISSION_COMPONENT_TYPE);
  const declared = component && obj(component.inputs.policyContext);
  if (!declared || Object.keys(declared).length === 0) return undefined;
  return {
    production: declared.production === true,
    garageNamespaces: strings(declared.garageNamespaces),
    cephRbdStorageClasses: strings(declared.cephRbdStorageClasses),
    privilegedNamespaces: strings(declared.privilegedNamespaces),
  };
}

/** Names of StorageClasses in the stack whose provisioner is Ceph RBD. */
function stackCephRbdClasses(resources: readonly PolicyResource[]): string[] {
  return resources
    .filter((r) => r.type === TYPES.storageClass && isCephRbdProvisioner(str(r.inputs.provisioner) ?? ""))
    .map((r) => str(obj(r.inputs.metadata).name))
    .filter((n): n is string => n !== undefined);
}

function union(...lists: (readonly string[] | undefined)[]): string[] {
  return [...new Set(lists.flatMap((l) => l ?? []))];
}

/** The context of a stack: settings, plus what its resources declare. */
export function buildContext(resources: readonly PolicyResource[], settings: PolicySettings = DEFAULT_SETTINGS): PolicyContext {
  const stack = resources.map((r) => stackOfUrn(r.urn)).find((s) => s !== "") ?? "";
  const declared = declaredContext(resources);
  return {
    stack,
    production: settings.productionStacks.includes(stack) || declared?.production === true,
    garageNamespaces: union(settings.garageNamespaces, declared?.garageNamespaces),
    cephRbdStorageClasses: union(settings.cephRbdStorageClasses, declared?.cephRbdStorageClasses, stackCephRbdClasses(resources)),
    privilegedNamespaces: union(settings.privilegedNamespaces, declared?.privilegedNamespaces),
    resources,
  };
}
