/**
 * Least-privilege rules as resource policies: each reads only the resource's own inputs, so they run on
 * any stack under `pulumi preview --policy-pack policy`.
 *
 * - benji-label-not-on-tenants: no PVC or workload in a tenant namespace (`cust-*`) carries `backup-this-pvc=true`:
 *   Benji's block backups are the platform's, a tenant opting in would hold the Benji CronJob for hours.
 * - rbac-unnarrowable-grants-guarded: a Role or ClusterRole that grants what RBAC cannot narrow to a name or a
 *   field — writes to namespaces, creating or changing (Cluster)RoleBindings — names the ValidatingAdmissionPolicy
 *   that narrows it in the annotation `cluster-backup.io/admission-policy`.
 * - rbac-no-escalation: no wildcard apiGroup, resource or verb; never `escalate` or `impersonate`; `bind` only on
 *   named roles.
 */
import { ADMISSION_POLICY_ANNOTATION, BACKUP_THIS_PVC_LABEL as BENJI_LABEL, TENANT_NAMESPACE_PREFIX as TENANT_PREFIX } from "../shared/labels";
import { isObj, list, obj, TYPES, type Obj } from "./k8s";
import { resourceRule, type Rule } from "./types";

const strings = (v: unknown): string[] => list(v).filter((x): x is string => typeof x === "string");
const ROLE_TYPES: readonly string[] = [TYPES.role, TYPES.clusterRole];
/** Workload types and the path of their pod template. */
const WORKLOADS: Record<string, string[]> = {
  "kubernetes:apps/v1:Deployment": ["spec", "template"],
  "kubernetes:apps/v1:StatefulSet": ["spec", "template"],
  "kubernetes:apps/v1:DaemonSet": ["spec", "template"],
  "kubernetes:apps/v1:ReplicaSet": ["spec", "template"],
  "kubernetes:batch/v1:Job": ["spec", "template"],
  "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template"],
};

function at(value: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((v, key) => (isObj(v) ? v[key] : undefined), value);
}

const labelled = (meta: unknown) => obj(obj(meta).labels)[BENJI_LABEL] === "true";

export const BENJI_LABEL_NOT_ON_TENANTS: Rule = resourceRule(
  "benji-label-not-on-tenants",
  `No PVC or workload in a tenant namespace (${TENANT_PREFIX}*) carries ${BENJI_LABEL}=true: Benji backs up the platform's namespaces only.`,
  (r) => {
    const meta = obj(r.inputs.metadata);
    const namespace = meta.namespace;
    if (typeof namespace !== "string" || !namespace.startsWith(TENANT_PREFIX)) return [];
    const where: string[] = [];
    if (r.type === TYPES.pvc || r.type === TYPES.pod || r.type in WORKLOADS) {
      if (labelled(meta)) where.push("metadata.labels");
    }
    const template = WORKLOADS[r.type];
    if (template) {
      if (labelled(at(r.inputs, [...template, "metadata"]))) where.push(`${template.join(".")}.metadata.labels`);
      list(at(r.inputs, ["spec", "volumeClaimTemplates"])).forEach((t, i) => {
        if (labelled(obj(t).metadata)) where.push(`spec.volumeClaimTemplates[${i}].metadata.labels`);
      });
    }
    return where.map(
      (w) =>
        `${r.name} in tenant namespace ${namespace} carries ${BENJI_LABEL}=true (${w}): Benji backs up only the namespaces the platform owns (flows.benji.pvcNamespaces) and tenant data is backed up by tenants-daily. Remove the label.`,
    );
  },
);

const WRITE_VERBS = new Set(["create", "update", "patch", "delete", "deletecollection", "*"]);
/** Grants RBAC cannot narrow to what the account needs: an admission policy must. */
function unnarrowable(rule: Obj): string[] {
  const groups = strings(rule.apiGroups);
  const resources = strings(rule.resources);
  const verbs = strings(rule.verbs).filter((v) => WRITE_VERBS.has(v));
  const found: string[] = [];
  const core = groups.includes("") || groups.includes("*");
  const rbac = groups.includes("rbac.authorization.k8s.io") || groups.includes("*");
  for (const verb of verbs) {
    if (core && (resources.includes("namespaces") || resources.includes("*"))) found.push(`${verb} namespaces`);
    for (const res of ["rolebindings", "clusterrolebindings"]) if (rbac && (resources.includes(res) || resources.includes("*"))) found.push(`${verb} ${res}`);
  }
  return found;
}

export const RBAC_UNNARROWABLE_GRANTS_GUARDED: Rule = resourceRule(
  "rbac-unnarrowable-grants-guarded",
  `A Role or ClusterRole that may write namespaces or RoleBindings names the ValidatingAdmissionPolicy narrowing it (annotation ${ADMISSION_POLICY_ANNOTATION}).`,
  (r) => {
    if (!ROLE_TYPES.includes(r.type)) return [];
    const found = list(r.inputs.rules).flatMap((rule) => unnarrowable(obj(rule)));
    if (found.length === 0) return [];
    const annotation = obj(obj(r.inputs.metadata).annotations)[ADMISSION_POLICY_ANNOTATION];
    if (typeof annotation === "string" && annotation !== "") return [];
    return [
      `${r.name} grants ${[...new Set(found)].join(", ")}, which RBAC cannot limit to particular namespaces or labels: a stolen token could change any namespace. ` +
        `Guard it with a ValidatingAdmissionPolicy matching the account and name that policy in metadata.annotations["${ADMISSION_POLICY_ANNOTATION}"], or drop the grant.`,
    ];
  },
);

export const RBAC_NO_ESCALATION: Rule = resourceRule(
  "rbac-no-escalation",
  "Roles grant no wildcard apiGroup, resource or verb, never escalate or impersonate, and bind only named roles.",
  (r) => {
    if (!ROLE_TYPES.includes(r.type)) return [];
    return list(r.inputs.rules).flatMap((raw, i) => {
      const rule = obj(raw);
      const verbs = strings(rule.verbs);
      const problems: string[] = [];
      const wild = (["apiGroups", "resources", "verbs"] as const).filter((k) => strings(rule[k]).includes("*"));
      if (wild.length) problems.push(`${r.name} rules[${i}] uses '*' in ${wild.join(", ")}: list the groups, resources and verbs the account needs.`);
      for (const verb of ["escalate", "impersonate"]) if (verbs.includes(verb)) problems.push(`${r.name} rules[${i}] grants '${verb}': no backup account needs it.`);
      if (verbs.includes("bind") && strings(rule.resourceNames).length === 0) problems.push(`${r.name} rules[${i}] grants 'bind' on every role: limit it with resourceNames to the role the account binds.`);
      return problems;
    });
  },
);

/** The least-privilege rules, in order (mandatory resource policies: the offline runner and the Pulumi CLI run them alike). */
export const SECURITY_RULES: readonly Rule[] = [BENJI_LABEL_NOT_ON_TENANTS, RBAC_UNNARROWABLE_GRANTS_GUARDED, RBAC_NO_ESCALATION];
