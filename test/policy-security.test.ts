/**
 * The least-privilege rules of the pack (policy/rules/security.ts): this program's stacks pass, crafted resources of
 * another stack are caught, and the Pulumi CLI gets them as resource policies.
 */
import { describe, expect, it } from "vitest";
import type { ResourceValidationArgs } from "@pulumi/policy";
import { policies } from "../policy/policies";
import { ADMISSION_POLICY_ANNOTATION } from "../policy/shared/labels";
import { BENJI_LABEL_NOT_ON_TENANTS, RBAC_NO_ESCALATION, RBAC_UNNARROWABLE_GRANTS_GUARDED, SECURITY_RULES } from "../policy/rules/security";
import type { PolicyContext, PolicyResource } from "../policy/rules/types";
import { resource } from "./policy-fixtures";
import { planStack, type Obj } from "./harness";

const res = (type: string, name: string, inputs: Obj): PolicyResource => ({ ...resource(type, name, inputs), name });
/** The least-privilege rules read only the resource itself. */
const NO_CONTEXT = {} as PolicyContext;
const validate = (rule: (typeof SECURITY_RULES)[number], r: PolicyResource) => rule.validate(r, NO_CONTEXT);
const pvc = (namespace: string, labels: Record<string, string>) => res("kubernetes:core/v1:PersistentVolumeClaim", "data", { metadata: { name: "data", namespace, labels } });
const clusterRole = (rules: Obj[], annotations?: Record<string, string>) => res("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "r", { metadata: { name: "r", ...(annotations ? { annotations } : {}) }, rules });
const violations = (r: PolicyResource) => SECURITY_RULES.flatMap((rule) => rule.validate(r, NO_CONTEXT).map((m) => `${rule.name}: ${m}`));

describe("security rules on this program's stacks", () => {
  it("prod and dev pass every rule", async () => {
    for (const stack of ["prod", "dev"]) {
      const plan = await planStack(stack);
      const found = plan.registrations.filter((r) => r.custom).flatMap((r) => violations(res(r.type, r.name, r.inputs as Obj)));
      expect(found, stack).toEqual([]);
    }
  });

  it("the drill and opt-out ClusterRoles name the admission policy that narrows them", async () => {
    const plan = await planStack("prod");
    expect(plan.object("ClusterRole", "cluster-backup-restore-drill").metadata.annotations).toEqual({ [ADMISSION_POLICY_ANNOTATION]: "cluster-backup-restore-drill" });
    expect(plan.object("ClusterRole", "tenant-backup-optout").metadata.annotations).toEqual({ [ADMISSION_POLICY_ANNOTATION]: "cluster-backup-tenant-backup-optout" });
    for (const name of ["cluster-backup-restore-drill", "cluster-backup-tenant-backup-optout"]) expect(plan.object("ValidatingAdmissionPolicy", name).metadata.name).toBe(name);
  });
});

describe("benji-label-not-on-tenants", () => {
  it("refuses the label on a tenant PVC, a workload, its pod template and its volume claim templates; allows it on the platform's", () => {
    expect(validate(BENJI_LABEL_NOT_ON_TENANTS, pvc("cust-1001", { "backup-this-pvc": "true" }))).toEqual([
      "data in tenant namespace cust-1001 carries backup-this-pvc=true (metadata.labels): Benji backs up only the namespaces the platform owns (flows.benji.pvcNamespaces) and tenant data is backed up by tenants-daily. Remove the label.",
    ]);
    expect(validate(BENJI_LABEL_NOT_ON_TENANTS, pvc("garage", { "backup-this-pvc": "true" }))).toEqual([]);
    expect(validate(BENJI_LABEL_NOT_ON_TENANTS, pvc("cust-1001", { "backup-this-pvc": "false" }))).toEqual([]);
    const sts = res("kubernetes:apps/v1:StatefulSet", "db", {
      metadata: { name: "db", namespace: "cust-7", labels: { "backup-this-pvc": "true" } },
      spec: { template: { metadata: { labels: { "backup-this-pvc": "true" } } }, volumeClaimTemplates: [{ metadata: { name: "a" } }, { metadata: { name: "b", labels: { "backup-this-pvc": "true" } } }] },
    });
    expect(validate(BENJI_LABEL_NOT_ON_TENANTS, sts).map((m) => /\(([^)]+)\)/.exec(m)![1])).toEqual(["metadata.labels", "spec.template.metadata.labels", "spec.volumeClaimTemplates[1].metadata.labels"]);
    const cron = res("kubernetes:batch/v1:CronJob", "c", { metadata: { namespace: "cust-7" }, spec: { jobTemplate: { spec: { template: { metadata: { labels: { "backup-this-pvc": "true" } } } } } } });
    expect(validate(BENJI_LABEL_NOT_ON_TENANTS, cron)).toHaveLength(1);
  });
});

describe("rbac-unnarrowable-grants-guarded and rbac-no-escalation", () => {
  it("a role that may patch namespaces or create RoleBindings must name its admission policy", () => {
    const patchNs = [{ apiGroups: [""], resources: ["namespaces"], verbs: ["get", "patch"] }];
    expect(validate(RBAC_UNNARROWABLE_GRANTS_GUARDED, clusterRole(patchNs))).toEqual([
      `r grants patch namespaces, which RBAC cannot limit to particular namespaces or labels: a stolen token could change any namespace. Guard it with a ValidatingAdmissionPolicy matching the account and name that policy in metadata.annotations["cluster-backup.io/admission-policy"], or drop the grant.`,
    ]);
    expect(validate(RBAC_UNNARROWABLE_GRANTS_GUARDED, clusterRole(patchNs, { [ADMISSION_POLICY_ANNOTATION]: "guard" }))).toEqual([]);
    expect(validate(RBAC_UNNARROWABLE_GRANTS_GUARDED, clusterRole([{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ["create"] }]))[0]).toMatch(/^r grants create rolebindings, /);
    expect(validate(RBAC_UNNARROWABLE_GRANTS_GUARDED, clusterRole([{ apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list", "watch"] }]))).toEqual([]);
  });

  it("wildcards, escalate, impersonate and an unnamed bind are refused", () => {
    expect(validate(RBAC_NO_ESCALATION, clusterRole([{ apiGroups: ["*"], resources: ["pods"], verbs: ["*"] }]))).toEqual(["r rules[0] uses '*' in apiGroups, verbs: list the groups, resources and verbs the account needs."]);
    expect(validate(RBAC_NO_ESCALATION, clusterRole([{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["escalate", "bind"] }]))).toEqual([
      "r rules[0] grants 'escalate': no backup account needs it.",
      "r rules[0] grants 'bind' on every role: limit it with resourceNames to the role the account binds.",
    ]);
    expect(validate(RBAC_NO_ESCALATION, clusterRole([{ apiGroups: [""], resources: ["users"], verbs: ["impersonate"] }]))).toEqual(["r rules[0] grants 'impersonate': no backup account needs it."]);
    expect(validate(RBAC_NO_ESCALATION, clusterRole([{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], resourceNames: ["x"], verbs: ["bind"] }]))).toEqual([]);
  });
});

describe("under the Pulumi CLI", () => {
  it("the pack holds them as mandatory resource policies that report on the resource", () => {
    const SECURITY_POLICIES = policies.filter((p) => SECURITY_RULES.some((r) => r.name === p.name));
    expect(SECURITY_POLICIES.map((p) => [p.name, p.enforcementLevel, typeof (p as { validateResource?: unknown }).validateResource])).toEqual([
      ["benji-label-not-on-tenants", "mandatory", "function"],
      ["rbac-unnarrowable-grants-guarded", "mandatory", "function"],
      ["rbac-no-escalation", "mandatory", "function"],
    ]);
    const reported: [string, string | undefined][] = [];
    const args = { type: "kubernetes:core/v1:PersistentVolumeClaim", name: "data", urn: "urn:pulumi:s::p::kubernetes:core/v1:PersistentVolumeClaim::data", props: pvc("cust-1", { "backup-this-pvc": "true" }).inputs, opts: {}, getConfig: () => ({}) } as unknown as ResourceValidationArgs;
    const validate = (SECURITY_POLICIES[0] as { validateResource: unknown }).validateResource as (a: ResourceValidationArgs, r: (m: string, urn?: string) => void) => void;
    validate(args, (message, urn) => reported.push([message.split(" (")[0], urn]));
    expect(reported).toEqual([["data in tenant namespace cust-1 carries backup-this-pvc=true", "urn:pulumi:s::p::kubernetes:core/v1:PersistentVolumeClaim::data"]]);
  });
});
