/**
 * Rules 1-4 of the pack concern objects the hosting panel creates (tenant namespaces, PVCs), so they must also
 * hold at admission inside the cluster. They are written once, as conditions of a tiny expression language that has
 * two back ends: {@link evaluate} (the policy pack and the offline runner) and {@link toCel} (the
 * ValidatingAdmissionPolicy objects built by {@link buildAdmissionPolicies}). Tests evaluate the generated CEL on the
 * same objects as the pack, so the two cannot drift apart.
 */
import {
  BACKUP_LABEL,
  BACKUP_STRATEGY_LABEL,
  BACKUP_STRATEGY_ZFS_LOCAL,
  BACKUP_THIS_PVC_LABEL,
  standardLabels,
  TENANT_LABEL,
  TENANT_NAMESPACE_PREFIX,
  VELERO_EXCLUDE_LABEL,
} from "../shared/labels";
import { at, isObj, TYPES } from "./k8s";
import type { PolicyContext, PolicyResource, Rule } from "./types";

/** A field path below the object, e.g. `["metadata", "name"]`; every segment is a CEL identifier. */
export type FieldPath = readonly string[];

/** Context lists a condition may test membership in; the CEL back end embeds them as list literals. */
export type ContextList = "garageNamespaces" | "cephRbdStorageClasses";

/** The values of the context lists (all a generated policy depends on). */
export type AdmissionContext = Pick<PolicyContext, ContextList>;

export type Condition =
  | { readonly op: "present"; readonly path: FieldPath }
  | { readonly op: "labelEquals"; readonly key: string; readonly value: string }
  | { readonly op: "startsWith"; readonly path: FieldPath; readonly prefix: string }
  | { readonly op: "in"; readonly path: FieldPath; readonly list: ContextList }
  | { readonly op: "and" | "or"; readonly of: readonly Condition[] }
  | { readonly op: "not"; readonly of: Condition };

/** One requirement of a rule: when `when` holds (default: always), `require` must hold, else `message`. */
export interface AdmissionCheck {
  readonly when?: Condition;
  readonly require: Condition;
  readonly message: (context: AdmissionContext) => string;
}

/** The API resource an admission rule concerns. */
export interface ApiResource {
  readonly group: string;
  readonly version: string;
  /** Plural resource name, e.g. `namespaces`. */
  readonly resource: string;
  /** Pulumi type token of the same objects. */
  readonly pulumiType: string;
}

/** A rule that holds both in the policy pack and at admission. */
export interface AdmissionRule {
  readonly name: string;
  readonly description: string;
  readonly target: ApiResource;
  /** Named conditions that select the objects the rule concerns (CEL `matchConditions`); all must hold. */
  readonly match: readonly { readonly name: string; readonly condition: Condition }[];
  readonly checks: readonly AdmissionCheck[];
}

// ---------------------------------------------------------------------------------------------------------------
// Condition builders

export const present = (...path: string[]): Condition => ({ op: "present", path });
export const labelEquals = (key: string, value: string): Condition => ({ op: "labelEquals", key, value });
export const startsWith = (path: FieldPath, prefix: string): Condition => ({ op: "startsWith", path, prefix });
export const inList = (path: FieldPath, list: ContextList): Condition => ({ op: "in", path, list });
export const and = (...of: Condition[]): Condition => ({ op: "and", of });
export const or = (...of: Condition[]): Condition => ({ op: "or", of });
export const not = (of: Condition): Condition => ({ op: "not", of });

// ---------------------------------------------------------------------------------------------------------------
// Back end 1: evaluation over a plain object

/** Whether `condition` holds for `object` (a Kubernetes object as sent to the API server). */
export function evaluate(condition: Condition, object: unknown, context: AdmissionContext): boolean {
  switch (condition.op) {
    case "present": {
      const value = at(object, condition.path);
      return value !== undefined && value !== null;
    }
    case "labelEquals": {
      const labels = at(object, ["metadata", "labels"]);
      return isObj(labels) && Object.hasOwn(labels, condition.key) && labels[condition.key] === condition.value;
    }
    case "startsWith": {
      const value = at(object, condition.path);
      return typeof value === "string" && value.startsWith(condition.prefix);
    }
    case "in": {
      const value = at(object, condition.path);
      return typeof value === "string" && context[condition.list].includes(value);
    }
    case "and":
      return condition.of.every((c) => evaluate(c, object, context));
    case "or":
      return condition.of.some((c) => evaluate(c, object, context));
    case "not":
      return !evaluate(condition.of, object, context);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Back end 2: CEL (Kubernetes ValidatingAdmissionPolicy)

/** A CEL string literal. */
export function celString(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t")}'`;
}

function celPath(path: FieldPath): string {
  for (const segment of path) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) throw new Error(`field '${segment}' is not a CEL identifier`);
  return ["object", ...path].join(".");
}

/** `has(object.a) && has(object.a.b)`: the field and each of its parents are set. */
function celPresent(path: FieldPath): string {
  return path.map((_, i) => `has(${celPath(path.slice(0, i + 1))})`).join(" && ");
}

/** The CEL expression of `condition`, with context lists embedded as literals. */
export function toCel(condition: Condition, context: AdmissionContext): string {
  switch (condition.op) {
    case "present":
      return celPresent(condition.path);
    case "labelEquals": {
      const labels = celPath(["metadata", "labels"]);
      const key = celString(condition.key);
      return `${celPresent(["metadata", "labels"])} && ${key} in ${labels} && ${labels}[${key}] == ${celString(condition.value)}`;
    }
    case "startsWith":
      return `${celPresent(condition.path)} && ${celPath(condition.path)}.startsWith(${celString(condition.prefix)})`;
    case "in":
      return `${celPresent(condition.path)} && ${celPath(condition.path)} in [${context[condition.list].map(celString).join(", ")}]`;
    case "and":
      return condition.of.map((c) => `(${toCel(c, context)})`).join(" && ");
    case "or":
      return condition.of.map((c) => `(${toCel(c, context)})`).join(" || ");
    case "not":
      return `!(${toCel(condition.of, context)})`;
  }
}

/** CEL of a check: `!(when) || (require)`. */
export function checkToCel(check: AdmissionCheck, context: AdmissionContext): string {
  const require = toCel(check.require, context);
  return check.when ? `!(${toCel(check.when, context)}) || (${require})` : require;
}

// ---------------------------------------------------------------------------------------------------------------
// The rules

const NAMESPACES: ApiResource = { group: "", version: "v1", resource: "namespaces", pulumiType: TYPES.namespace };
const PVCS: ApiResource = { group: "", version: "v1", resource: "persistentvolumeclaims", pulumiType: TYPES.pvc };

/** Objects being deleted only lose finalizers: never block that (a stuck PVC or namespace would follow). */
const NOT_DELETING = { name: "not-being-deleted", condition: not(present("metadata", "deletionTimestamp")) };
const TENANT_NAME = startsWith(["metadata", "name"], TENANT_NAMESPACE_PREFIX);
const EXCLUDED = labelEquals(VELERO_EXCLUDE_LABEL, "true");
const BENJI_PVC = labelEquals(BACKUP_THIS_PVC_LABEL, "true");
const ZFS_PVC = labelEquals(BACKUP_STRATEGY_LABEL, BACKUP_STRATEGY_ZFS_LOCAL);
const T = TENANT_NAMESPACE_PREFIX;

export const TENANT_NAMESPACE_LABELS: AdmissionRule = {
  name: "tenant-namespace-labels",
  description: `A namespace named ${T}<id> carries ${TENANT_LABEL}=true and ${BACKUP_LABEL}=true, or ${BACKUP_LABEL}=false together with ${VELERO_EXCLUDE_LABEL}=true.`,
  target: NAMESPACES,
  match: [NOT_DELETING, { name: "tenant-namespace", condition: TENANT_NAME }],
  checks: [
    {
      require: labelEquals(TENANT_LABEL, "true"),
      message: () => `A namespace named ${T}<id> is a tenant namespace and must carry ${TENANT_LABEL}=true: add metadata.labels.${TENANT_LABEL}: "true" (the hosting panel sets it on every tenant namespace).`,
    },
    {
      require: or(labelEquals(BACKUP_LABEL, "true"), labelEquals(BACKUP_LABEL, "false")),
      message: () => `A tenant namespace must carry ${BACKUP_LABEL}=true (backed up by tenants-daily) or ${BACKUP_LABEL}=false (the tenant opted out): set metadata.labels.${BACKUP_LABEL} to "true" or "false".`,
    },
    {
      when: labelEquals(BACKUP_LABEL, "false"),
      require: EXCLUDED,
      message: () => `A tenant namespace with ${BACKUP_LABEL}=false must also carry ${VELERO_EXCLUDE_LABEL}=true, or tenants-daily (includedNamespaces ${T}*) still backs it up: add metadata.labels["${VELERO_EXCLUDE_LABEL}"]: "true", or set ${BACKUP_LABEL}=true.`,
    },
    {
      when: labelEquals(BACKUP_LABEL, "true"),
      require: not(EXCLUDED),
      message: () => `A tenant namespace with ${BACKUP_LABEL}=true must not carry ${VELERO_EXCLUDE_LABEL}=true: Velero leaves excluded namespaces out of every backup. Remove that label, or set ${BACKUP_LABEL}=false if the tenant opted out.`,
    },
  ],
};

export const TENANT_LABEL_ONLY_ON_TENANTS: AdmissionRule = {
  name: "tenant-label-only-on-tenant-namespaces",
  description: `No namespace outside ${T}* carries ${TENANT_LABEL}=true.`,
  target: NAMESPACES,
  match: [NOT_DELETING, { name: "not-tenant-namespace", condition: not(TENANT_NAME) }],
  checks: [
    {
      require: not(labelEquals(TENANT_LABEL, "true")),
      message: () => `Only namespaces named ${T}<id> may carry ${TENANT_LABEL}=true: tenants-daily backs up ${T}* only, while the opt-out sync and tenant tooling act on every ${TENANT_LABEL}=true namespace. Remove the label, or rename the namespace to ${T}<id>.`,
    },
  ],
};

export const GARAGE_PVC_ONE_STRATEGY: AdmissionRule = {
  name: "garage-pvc-one-strategy",
  description: `A PVC in the Garage namespace carries exactly one strategy: ${BACKUP_THIS_PVC_LABEL}=true or ${BACKUP_STRATEGY_LABEL}=${BACKUP_STRATEGY_ZFS_LOCAL}.`,
  target: PVCS,
  match: [NOT_DELETING, { name: "garage-namespace", condition: inList(["metadata", "namespace"], "garageNamespaces") }],
  checks: [
    {
      require: or(BENJI_PVC, ZFS_PVC),
      message: () => `A PVC in the Garage namespace needs a backup strategy: label it ${BACKUP_THIS_PVC_LABEL}=true (Ceph RBD volume: garage-meta-ceph and Benji) or ${BACKUP_STRATEGY_LABEL}=${BACKUP_STRATEGY_ZFS_LOCAL} (ZFS-LocalPV volume: garage-data-zfs and zrepl).`,
    },
    {
      require: not(and(BENJI_PVC, ZFS_PVC)),
      message: () => `A PVC in the Garage namespace carries both ${BACKUP_THIS_PVC_LABEL}=true and ${BACKUP_STRATEGY_LABEL}=${BACKUP_STRATEGY_ZFS_LOCAL}; keep exactly one: ${BACKUP_THIS_PVC_LABEL}=true for a Ceph RBD volume, ${BACKUP_STRATEGY_LABEL}=${BACKUP_STRATEGY_ZFS_LOCAL} for a ZFS-LocalPV volume.`,
    },
  ],
};

export const BENJI_PVC_CEPH_RBD: AdmissionRule = {
  name: "benji-pvc-ceph-rbd",
  description: `A PVC labelled ${BACKUP_THIS_PVC_LABEL}=true uses a Ceph RBD storage class: Benji skips any other volume silently.`,
  target: PVCS,
  match: [NOT_DELETING, { name: "benji-pvc", condition: BENJI_PVC }],
  checks: [
    {
      require: inList(["spec", "storageClassName"], "cephRbdStorageClasses"),
      message: (context) => {
        const classes = context.cephRbdStorageClasses.length
          ? `one of: ${context.cephRbdStorageClasses.join(", ")}`
          : "none is known: list them in config policy.admission.cephRbdStorageClasses or policy config cephRbdStorageClasses";
        return `A PVC labelled ${BACKUP_THIS_PVC_LABEL}=true must use a Ceph RBD storage class (${classes}): Benji backs up RBD volumes only and skips any other PVC silently. Set spec.storageClassName to a Ceph RBD class, or remove the label.`;
      },
    },
  ],
};

/** The rules enforced both by the pack and at admission, in the pack's order (docs/design.md §4.9). */
export const ADMISSION_RULES: readonly AdmissionRule[] = [TENANT_NAMESPACE_LABELS, TENANT_LABEL_ONLY_ON_TENANTS, GARAGE_PVC_ONE_STRATEGY, BENJI_PVC_CEPH_RBD];

function listsOf(condition: Condition): ContextList[] {
  switch (condition.op) {
    case "in":
      return [condition.list];
    case "and":
    case "or":
      return condition.of.flatMap(listsOf);
    case "not":
      return listsOf(condition.of);
    default:
      return [];
  }
}

/** Context lists a rule depends on. */
function contextListsOf(rule: AdmissionRule): ContextList[] {
  const conditions = [...rule.match.map((m) => m.condition), ...rule.checks.flatMap((c) => (c.when ? [c.when, c.require] : [c.require]))];
  return [...new Set(conditions.flatMap(listsOf))];
}

/** Messages of `rule` for one object, by evaluation. */
export function admissionViolations(rule: AdmissionRule, object: unknown, context: AdmissionContext): string[] {
  if (!rule.match.every((m) => evaluate(m.condition, object, context))) return [];
  return rule.checks.filter((c) => (!c.when || evaluate(c.when, object, context)) && !evaluate(c.require, object, context)).map((c) => c.message(context));
}

/** The pack rule of an admission rule: same conditions, same messages. */
export function packRule(rule: AdmissionRule): Rule {
  const lists = contextListsOf(rule);
  return {
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory",
    stackWide: false,
    settings: lists,
    validate: (resource: PolicyResource, context: PolicyContext) => (resource.type === rule.target.pulumiType ? admissionViolations(rule, resource.inputs, context) : []),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// ValidatingAdmissionPolicy objects

/** `policy.admission.action` of the stack config. */
export type AdmissionAction = "Warn" | "Audit" | "Deny";

/** Binding `validationActions` per action: Warn also audits; Deny rejects the request. */
/** Binding `validationActions` per `policy.admission.action`. */
export const VALIDATION_ACTIONS: Record<AdmissionAction, string[]> = { Warn: ["Warn", "Audit"], Audit: ["Audit"], Deny: ["Deny"] };

/** Prefix of the generated objects' names. */
const ADMISSION_NAME_PREFIX = "cluster-backup-";

export interface ValidatingAdmissionPolicyObject {
  apiVersion: "admissionregistration.k8s.io/v1";
  kind: "ValidatingAdmissionPolicy";
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    failurePolicy: "Fail";
    matchConstraints: { resourceRules: { apiGroups: string[]; apiVersions: string[]; operations: string[]; resources: string[] }[] };
    matchConditions: { name: string; expression: string }[];
    validations: { expression: string; message: string; reason: "Invalid" }[];
  };
}

export interface ValidatingAdmissionPolicyBindingObject {
  apiVersion: "admissionregistration.k8s.io/v1";
  kind: "ValidatingAdmissionPolicyBinding";
  metadata: { name: string; labels: Record<string, string> };
  spec: { policyName: string; validationActions: string[] };
}

/** The policy and binding of one admission rule. */
export interface AdmissionObjects {
  readonly rule: AdmissionRule;
  readonly policy: ValidatingAdmissionPolicyObject;
  readonly binding: ValidatingAdmissionPolicyBindingObject;
}

/**
 * The ValidatingAdmissionPolicy + Binding of every admission rule. `failurePolicy: Fail` makes an evaluation error
 * count as a violation, enforced per `validationActions` (a warning in Warn mode).
 */
export function buildAdmissionPolicies(context: AdmissionContext, action: AdmissionAction): AdmissionObjects[] {
  return ADMISSION_RULES.map((rule) => {
    const name = `${ADMISSION_NAME_PREFIX}${rule.name}`;
    const labels = standardLabels();
    const policy: ValidatingAdmissionPolicyObject = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { name, labels },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {
          resourceRules: [{ apiGroups: [rule.target.group], apiVersions: [rule.target.version], operations: ["CREATE", "UPDATE"], resources: [rule.target.resource] }],
        },
        matchConditions: rule.match.map((m) => ({ name: m.name, expression: toCel(m.condition, context) })),
        validations: rule.checks.map((check) => ({ expression: checkToCel(check, context), message: check.message(context), reason: "Invalid" })),
      },
    };
    const binding: ValidatingAdmissionPolicyBindingObject = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name, labels: { ...labels } },
      spec: { policyName: name, validationActions: VALIDATION_ACTIONS[action] },
    };
    return { rule, policy, binding };
  });
}
