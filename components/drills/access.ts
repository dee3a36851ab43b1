/**
 * What the restore-drill account may do, and the ValidatingAdmissionPolicy that narrows it to exactly what a drill
 * does. Pure: components/drills/drills.ts creates the objects.
 *
 * RBAC cannot limit namespace creation and deletion, or the creation of RoleBindings, to a name prefix, so the
 * account's cluster-wide rights are kept to those three and the policy checks every such request. Everything the
 * drill does inside a scratch namespace (read the restored pods and PVCs, scale restored workloads to zero, create
 * the deny-all NetworkPolicy) comes from the ClusterRole `cluster-backup-restore-drill-scratch`, which the drill binds
 * to itself in each scratch namespace (RBAC `bind` on that one ClusterRole) and which dies with the namespace: the
 * account can read no tenant's pods or PVCs.
 */
import type * as k8s from "@pulumi/kubernetes";
import { DRILL_LABEL, DRILL_NAMESPACE_PREFIX, PSA_LABELS, TENANT_NAMESPACE_PREFIX } from "../labels";
import { globToRegExp } from "../schema/namespace-glob";
import { SCHEDULE_NAMES } from "../velero/schedules";
import { celList, celStr, serviceAccountUser } from "../admission/cel";
import { DRILL_K8S, drillRestoreTemplate, type DrillSpec } from "./spec";

const RBAC_GROUP = "rbac.authorization.k8s.io";

/**
 * Cluster-wide rights of the drill account, each checked by the admission policy where RBAC cannot narrow it:
 * - namespaces get/list/watch: find the tenants and the leftovers of earlier runs, wait for a deletion;
 * - namespaces create/delete: the scratch namespace (name, label and Pod Security level guarded by the policy);
 * - rolebindings create + bind on the scratch ClusterRole only: grant itself the scratch rights in the scratch
 *   namespace (namespace, role and subject guarded by the policy).
 */
export const DRILL_CLUSTER_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
  { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list", "watch", "create", "delete"] },
  { apiGroups: [RBAC_GROUP], resources: ["rolebindings"], verbs: ["create"] },
  { apiGroups: [RBAC_GROUP], resources: ["clusterroles"], resourceNames: [DRILL_K8S.scratchRole], verbs: ["bind"] },
];

/**
 * Rights inside one scratch namespace only (bound there by the drill, never cluster-wide):
 * - pods, PVCs get/list: which PVCs the restored pods use and whether they are Bound;
 * - deployments, statefulsets get/list and their scale subresource patch: `kubectl scale --all --replicas=0`;
 * - networkpolicies create: the deny-all policy, before the Restore.
 */
export const DRILL_SCRATCH_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
  { apiGroups: [""], resources: ["pods", "persistentvolumeclaims"], verbs: ["get", "list"] },
  { apiGroups: ["apps"], resources: ["deployments", "statefulsets"], verbs: ["get", "list"] },
  { apiGroups: ["apps"], resources: ["deployments/scale", "statefulsets/scale"], verbs: ["patch"] },
  { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["create"] },
];

/** Rights in Velero's namespace: read Backups and PodVolumeRestores, create/read/delete Restores, record Events. */
export function drillRoleRules(cronJobs: readonly string[]): k8s.types.input.rbac.v1.PolicyRule[] {
  return [
    { apiGroups: ["velero.io"], resources: ["backups"], verbs: ["get", "list"] },
    { apiGroups: ["velero.io"], resources: ["restores"], verbs: ["get", "list", "create", "delete"] },
    { apiGroups: ["velero.io"], resources: ["podvolumerestores"], verbs: ["get", "list"] },
    // To judge a PartiallyFailed backup per namespace: its failed PodVolumeBackups and its results file (a
    // DownloadRequest; Velero deletes it when it expires).
    { apiGroups: ["velero.io"], resources: ["podvolumebackups"], verbs: ["list"] },
    { apiGroups: ["velero.io"], resources: ["downloadrequests"], verbs: ["get", "create"] },
    { apiGroups: [""], resources: ["events"], verbs: ["create"] },
    { apiGroups: ["batch"], resources: ["cronjobs"], resourceNames: [...cronJobs], verbs: ["get"] },
  ];
}

/** The service account's user name as the API server sees it. */
export function drillUserName(veleroNamespace: string): string {
  return serviceAccountUser(veleroNamespace, DRILL_K8S.serviceAccount);
}

/** Pod Security levels a scratch namespace may carry (the script lowers a source's `privileged` to `baseline`). */
export const DRILL_PSA_LEVELS = ["restricted", "baseline"] as const;

/** Restore fields a drill never sets (velero.io/v1 RestoreSpec of Velero v1.18, test/fixtures/velero-crds). */
export const DRILL_FORBIDDEN_RESTORE_FIELDS = [
  "excludedNamespaces",
  "includedResources",
  "itemOperationTimeout",
  "labelSelector",
  "orLabelSelectors",
  "preserveNodePorts",
  "resourceModifier",
  "restoreStatus",
  "scheduleName",
  "uploaderConfig",
] as const;

/** Restore fields a drill sets; each is checked for its exact value. */
export const DRILL_RESTORE_FIELDS = ["backupName", "includedNamespaces", "namespaceMapping", "excludedResources", "restorePVs", "existingResourcePolicy", "includeClusterResources", "hooks"] as const;

/** A DNS label (RFC 1123): a concrete namespace name, no glob. */
const DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
/** Backups of a Schedule are named `<schedule>-<yyyyMMddHHmmss>` (velero v1.18.1 pkg/builder + schedule_controller getBackupName). */
const scheduledBackup = (schedule: string) => `^${schedule}-[0-9]{14}$`;

/** Messages of the drill policy's validations (tests compare against them). */
export const DRILL_POLICY_MESSAGES = {
  name: `the restore-drill account may only create and delete namespaces and Restores named ${DRILL_NAMESPACE_PREFIX}*`,
  label: `the restore-drill account may only create and delete namespaces and Restores labelled ${DRILL_LABEL}`,
  noChanges: "the restore-drill account never changes a Restore or a RoleBinding, and never deletes a RoleBinding",
  podSecurity: `a drill namespace must carry ${PSA_LABELS[0]} restricted or baseline and no Pod Security level other than restricted or baseline: restored pods never run privileged`,
  oneNamespace: "a drill Restore includes exactly one namespace, by its name (no glob, no '*')",
  mapping: `a drill Restore maps its one namespace to the scratch namespace it is named after (${DRILL_NAMESPACE_PREFIX}<source>-<yyyymmddhhmm>)`,
  clusterResources: "a drill Restore never restores cluster-scoped resources (includeClusterResources must not be true)",
  forbidden: `a drill Restore sets none of ${DRILL_FORBIDDEN_RESTORE_FIELDS.join(", ")} (no resource modifiers, selectors or status restores)`,
  existing: "a drill Restore must never update existing objects (existingResourcePolicy: none)",
  rolebinding: `the restore-drill account may only bind the ClusterRole ${DRILL_K8S.scratchRole} to itself, in a namespace named ${DRILL_NAMESPACE_PREFIX}* labelled ${DRILL_LABEL}`,
} as const;

/** The message about where a drill Restore may restore from, for the configured drills. */
export function drillSourceMessage(specs: readonly DrillSpec[]): string {
  const what = specs.map((s) =>
    s.kind === "tenants"
      ? `${s.sourceNamespace ? `the tenant namespace ${s.sourceNamespace}` : `one tenant namespace (${s.tenantGlob})`} from a ${SCHEDULE_NAMES.tenants} backup`
      : `the namespace ${s.sourceNamespace} from a ${SCHEDULE_NAMES.postgres} backup`,
  );
  return `a drill Restore labelled ${DRILL_LABEL}=<drill> restores ${what.join(", or ")}`;
}

/** The message about the Restore's content, for the configured drills. */
export function drillContentMessage(specs: readonly DrillSpec[]): string {
  const excluded = specs[0]?.excludedResources ?? [];
  const hooks = specs.some((s) => s.postgresCheck) ? `no hooks except the postgres drill's own ${DRILL_K8S.postgresHook} exec hook` : "no hooks";
  return `a drill Restore leaves out exactly [${excluded.join(", ")}] (drills.tenants.excludedResources), restores volume data (restorePVs: true) and has ${hooks}`;
}

/**
 * CEL: `object.spec.hooks` is exactly the drill's own hooks, field by field (typed objects are never compared with map
 * literals): one resource hook with its name and `includedResources`, no other selector, one exec post-hook with the
 * drill's container, command and timeouts, no init hook (init containers would run any image the Restore names).
 */
function hooksEqual(hooks: NonNullable<ReturnType<typeof drillRestoreTemplate>["spec"]["hooks"]>): string {
  if (hooks.resources.length !== 1 || hooks.resources[0].postHooks.length !== 1) throw new Error("hooksEqual: the drill has one hook");
  const r = hooks.resources[0];
  const e = r.postHooks[0].exec;
  // has() takes a field selection on a name, so each level is reached through all() over a list of one.
  const exec = [
    `x.container == ${celStr(e.container)} && x.command == ${celList(e.command)} && x.onError == ${celStr(e.onError)}`,
    `x.execTimeout == ${celStr(e.execTimeout)} && x.waitTimeout == ${celStr(e.waitTimeout)} && x.waitForReady == true`,
  ].join(" && ");
  const hook = `!has(p.init) && has(p.exec) && [p.exec].all(x, ${exec})`;
  const resource = [
    `r.name == ${celStr(r.name)} && has(r.includedResources) && r.includedResources == ${celList(r.includedResources)}`,
    ["excludedNamespaces", "excludedResources", "includedNamespaces", "labelSelector"].map((f) => `!has(r.${f})`).join(" && "),
    `has(r.postHooks) && size(r.postHooks) == 1 && r.postHooks.all(p, ${hook})`,
  ].join(" && ");
  return `has(object.spec.hooks) && has(object.spec.hooks.resources) && size(object.spec.hooks.resources) == 1 && object.spec.hooks.resources.all(r, ${resource})`;
}

/** CEL (ValidatingAdmissionPolicy) checks on what the drill account creates, changes and deletes. Pure. */
export function drillAdmissionValidations(specs: readonly DrillSpec[], veleroNamespace: string): { expression: string; message: string }[] {
  if (specs.length === 0) throw new Error("drillAdmissionValidations: no drill");
  const prefix = celStr(DRILL_NAMESPACE_PREFIX);
  const tenantPrefix = celStr(TENANT_NAMESPACE_PREFIX);
  const drillLabel = celStr(DRILL_LABEL);
  const resource = (r: string) => `(request.resource.resource == ${celStr(r)})`;
  const operation = (o: string) => `(request.operation == ${celStr(o)})`;
  const isRoleBinding = resource("rolebindings");
  const restoreCreate = `(${resource("restores")} && ${operation("CREATE")})`;
  const onRestoreCreate = (expr: string) => `!${restoreCreate} || (${expr})`;
  const spec = "object.spec";
  const labels = "object.metadata.labels";

  const kindBranch = (s: DrillSpec): string => {
    const source = "variables.source";
    const sourceOk =
      s.kind === "tenants"
        ? s.sourceNamespace
          ? `${source} == ${celStr(s.sourceNamespace)}`
          : `${source}.startsWith(${tenantPrefix}) && ${source}.matches(${celStr(globToRegExp(s.tenantGlob).source)})`
        : `${source} == ${celStr(s.sourceNamespace ?? "")}`;
    return `(variables.drill == ${celStr(s.kind)} && ${spec}.backupName.matches(${celStr(scheduledBackup(s.scheduleName))}) && ${sourceOk})`;
  };
  const sourceExpr = `has(${spec}.backupName) && (${specs.map(kindBranch).join(" || ")})`;
  const hooksExpr = specs
    .map((s) => {
      const hooks = drillRestoreTemplate(s, veleroNamespace).spec.hooks;
      return `(variables.drill == ${celStr(s.kind)} && ${hooks ? hooksEqual(hooks) : `!has(${spec}.hooks)`})`;
    })
    .join(" || ");
  const excluded = specs[0].excludedResources;
  const psa = celList(PSA_LABELS);
  const levels = celList(DRILL_PSA_LEVELS);

  return [
    { expression: `${isRoleBinding} || (variables.subject.metadata.name.startsWith(${prefix}) && !variables.subject.metadata.name.startsWith(${tenantPrefix}))`, message: DRILL_POLICY_MESSAGES.name },
    { expression: `${isRoleBinding} || (has(variables.subject.metadata.labels) && ${drillLabel} in variables.subject.metadata.labels)`, message: DRILL_POLICY_MESSAGES.label },
    { expression: `${resource("namespaces")} || ${operation("CREATE")} || (${resource("restores")} && ${operation("DELETE")})`, message: DRILL_POLICY_MESSAGES.noChanges },
    {
      expression:
        `!${resource("namespaces")} || ${operation("DELETE")} || (has(${labels}) && ${celStr(PSA_LABELS[0])} in ${labels} && ` +
        `${psa}.all(k, !(k in ${labels}) || ${labels}[k] in ${levels}))`,
      message: DRILL_POLICY_MESSAGES.podSecurity,
    },
    {
      expression: onRestoreCreate(`has(${spec}.includedNamespaces) && size(${spec}.includedNamespaces) == 1 && ${spec}.includedNamespaces[0].matches(${celStr(DNS_LABEL)})`),
      message: DRILL_POLICY_MESSAGES.oneNamespace,
    },
    { expression: onRestoreCreate(sourceExpr), message: drillSourceMessage(specs) },
    {
      expression: onRestoreCreate(
        `has(${spec}.namespaceMapping) && size(${spec}.namespaceMapping) == 1 && variables.source in ${spec}.namespaceMapping && ` +
          `${spec}.namespaceMapping[variables.source] == object.metadata.name && object.metadata.name.matches(${celStr(`^${DRILL_NAMESPACE_PREFIX}[a-z0-9]([-a-z0-9]*[a-z0-9])?-[0-9]{12}$`)}) && size(object.metadata.name) <= 63`,
      ),
      message: DRILL_POLICY_MESSAGES.mapping,
    },
    // Not `== false`: with false Velero skips the PVs of restored PVCs and so never resets them for dynamic provisioning
    // (velero v1.18.1 pkg/restore/restore.go restoreItem: the cluster-scoped early return precedes the pvsToProvision
    // logic), leaving the scratch PVCs bound to the source's volume names. Unset, with one included namespace, Velero
    // restores no cluster-scoped resource beyond those PVs (restore.go, "only specific namespaces are included").
    { expression: onRestoreCreate(`!has(${spec}.includeClusterResources) || ${spec}.includeClusterResources != true`), message: DRILL_POLICY_MESSAGES.clusterResources },
    { expression: onRestoreCreate(DRILL_FORBIDDEN_RESTORE_FIELDS.map((f) => `!has(${spec}.${f})`).join(" && ")), message: DRILL_POLICY_MESSAGES.forbidden },
    { expression: onRestoreCreate(`has(${spec}.existingResourcePolicy) && ${spec}.existingResourcePolicy == 'none'`), message: DRILL_POLICY_MESSAGES.existing },
    {
      expression: onRestoreCreate(`has(${spec}.excludedResources) && ${spec}.excludedResources == ${celList(excluded)} && has(${spec}.restorePVs) && ${spec}.restorePVs == true && (${hooksExpr})`),
      message: drillContentMessage(specs),
    },
    {
      expression:
        `!(${isRoleBinding} && ${operation("CREATE")}) || (request.namespace.startsWith(${prefix}) && !request.namespace.startsWith(${tenantPrefix}) && ` +
        `has(namespaceObject.metadata.labels) && ${drillLabel} in namespaceObject.metadata.labels && ` +
        `object.roleRef.apiGroup == ${celStr(RBAC_GROUP)} && object.roleRef.kind == 'ClusterRole' && object.roleRef.name == ${celStr(DRILL_K8S.scratchRole)} && ` +
        `has(object.subjects) && size(object.subjects) == 1 && object.subjects.all(s, s.kind == 'ServiceAccount' && ` +
        `s.name == ${celStr(DRILL_K8S.serviceAccount)} && has(s.namespace) && s.namespace == ${celStr(veleroNamespace)}))`,
      message: DRILL_POLICY_MESSAGES.rolebinding,
    },
  ];
}

/** The ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1, Kubernetes >= 1.30) guarding the drill account. */
export function drillAdmissionPolicySpec(specs: readonly DrillSpec[], veleroNamespace: string): k8s.types.input.admissionregistration.v1.ValidatingAdmissionPolicySpec {
  const ops = ["CREATE", "UPDATE", "DELETE"];
  return {
    failurePolicy: "Fail",
    matchConstraints: {
      resourceRules: [
        { apiGroups: [""], apiVersions: ["v1"], operations: ops, resources: ["namespaces"] },
        { apiGroups: ["velero.io"], apiVersions: ["v1"], operations: ops, resources: ["restores"] },
        { apiGroups: [RBAC_GROUP], apiVersions: ["v1"], operations: ops, resources: ["rolebindings"] },
      ],
    },
    matchConditions: [{ name: "restore-drill-account", expression: `request.userInfo.username == ${celStr(drillUserName(veleroNamespace))}` }],
    variables: [
      { name: "subject", expression: "request.operation == 'DELETE' ? oldObject : object" },
      {
        name: "source",
        expression: "has(object.spec.includedNamespaces) && size(object.spec.includedNamespaces) == 1 ? object.spec.includedNamespaces[0] : ''",
      },
      {
        name: "drill",
        expression: `has(object.metadata.labels) && ${celStr(DRILL_LABEL)} in object.metadata.labels ? object.metadata.labels[${celStr(DRILL_LABEL)}] : ''`,
      },
    ],
    validations: drillAdmissionValidations(specs, veleroNamespace),
  };
}
