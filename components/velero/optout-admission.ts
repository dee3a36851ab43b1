/**
 * The ValidatingAdmissionPolicy that binds the opt-out CronJob's account (components/velero/optout.ts) to its one job:
 * RBAC lets it patch any namespace, so the policy refuses every request of that user except an update of a tenant
 * namespace (named by the tenants glob, labelled `tenant=true`) that adds, removes or sets to `true` the label
 * `velero.io/exclude-from-backup` and changes nothing else (oldObject vs object). A stolen token can then no longer
 * exclude system namespaces, set a privileged Pod Security level or touch annotations, finalizers or owners. Pure.
 */
import type * as k8s from "@pulumi/kubernetes";
import { celStr, serviceAccountUser } from "../admission/cel";
import { TENANT_LABEL, TENANT_NAMESPACE_PREFIX, VELERO_EXCLUDE_LABEL } from "../labels";
import { globToRegExp } from "../schema/namespace-glob";

/**
 * Whether the opt-out CronJob runs: only with the tenants flow; then as configured, else on unless the in-cluster
 * admission policy runs in Deny mode (docs/design.md §3.4.7), which already refuses a `backup=false` tenant namespace
 * without Velero's exclude label.
 */
export function optOutSyncRuns(tenants: { enabled: boolean; optOutSync?: boolean }, admission: { enabled: boolean; action: string }): boolean {
  return tenants.enabled && (tenants.optOutSync ?? !(admission.enabled && admission.action === "Deny"));
}

/** Name of the policy and its binding. */
export const OPTOUT_ADMISSION_POLICY = "cluster-backup-tenant-backup-optout";

/** Messages of the policy's validations. */
export function optOutPolicyMessages(tenantGlob: string) {
  const who = "the tenant-backup-optout account";
  return {
    update: `${who} only updates existing namespaces (never creates or deletes one)`,
    tenant: `${who} only changes tenant namespaces (${tenantGlob}, labelled ${TENANT_LABEL}=true)`,
    labels: `${who} may only add or remove the label ${VELERO_EXCLUDE_LABEL}; every other label stays as it was`,
    value: `${who} may only set ${VELERO_EXCLUDE_LABEL} to "true"`,
    rest: `${who} changes nothing but that label: annotations, finalizers, owner references and spec stay as they were`,
  } as const;
}

/** The policy spec for the opt-out account of `namespace` (Velero's). */
export function optOutAdmissionPolicySpec(namespace: string, serviceAccount: string, tenantGlob: string): k8s.types.input.admissionregistration.v1.ValidatingAdmissionPolicySpec {
  const m = optOutPolicyMessages(tenantGlob);
  const key = celStr(VELERO_EXCLUDE_LABEL);
  const isUpdate = "request.operation == 'UPDATE'";
  const onUpdate = (expr: string) => `!(${isUpdate}) || (${expr})`;
  const n = "object.metadata";
  const o = "oldObject.metadata";
  const unchanged = (a: string, b: string) => `has(${a}) == has(${b}) && (!has(${a}) || ${a} == ${b})`;
  return {
    failurePolicy: "Fail",
    matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE", "DELETE"], resources: ["namespaces"] }] },
    matchConditions: [{ name: "tenant-backup-optout-account", expression: `request.userInfo.username == ${celStr(serviceAccountUser(namespace, serviceAccount))}` }],
    validations: [
      { expression: isUpdate, message: m.update },
      {
        expression: onUpdate(
          `${o}.name.startsWith(${celStr(TENANT_NAMESPACE_PREFIX)}) && ${o}.name.matches(${celStr(globToRegExp(tenantGlob).source)}) && ` +
            `has(${o}.labels) && ${celStr(TENANT_LABEL)} in ${o}.labels && ${o}.labels[${celStr(TENANT_LABEL)}] == 'true'`,
        ),
        message: m.tenant,
      },
      {
        expression: onUpdate(
          `(!has(${n}.labels) || ${n}.labels.all(k, k == ${key} || (has(${o}.labels) && k in ${o}.labels && ${o}.labels[k] == ${n}.labels[k]))) && ` +
            `(!has(${o}.labels) || ${o}.labels.all(k, k == ${key} || (has(${n}.labels) && k in ${n}.labels)))`,
        ),
        message: m.labels,
      },
      { expression: onUpdate(`!has(${n}.labels) || !(${key} in ${n}.labels) || ${n}.labels[${key}] == 'true'`), message: m.value },
      {
        expression: onUpdate(
          [...["annotations", "finalizers", "ownerReferences"].map((f) => unchanged(`${n}.${f}`, `${o}.${f}`)), unchanged("object.spec", "oldObject.spec")].map((c) => `(${c})`).join(" && "),
        ),
        message: m.rest,
      },
    ],
  };
}

