/**
 * The restore drills (components/drills/spec.ts): a ServiceAccount with only the rights a drill needs
 * (components/drills/access.ts), the ConfigMap with the script and object templates, one CronJob per drill in
 * Velero's namespace and the ValidatingAdmissionPolicy that confines the drill account to exactly what a drill does
 * (always created: without it the account's cluster-wide namespace rights would be unguarded).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ADMISSION_POLICY_ANNOTATION } from "../labels";
import { objectMeta, requireProvider } from "../k8s";
import { admissionGuard } from "../admission/guard";
import { drillAdmissionPolicySpec, DRILL_CLUSTER_RULES, drillRoleRules, DRILL_SCRATCH_RULES } from "./access";
import { buildDrillSpecs, drillConfigMapData, drillCronJobSpec, DRILL_K8S, drillLabels, type DrillConfig, type DrillSpec } from "./spec";

export interface RestoreDrillsArgs {
  /** The drills to run, from {@link buildDrillSpecs}; at least one. */
  readonly drills: readonly DrillSpec[];
  /** Velero's namespace: the CronJobs, Restores and Events live there. */
  readonly veleroNamespace: string;
  /** Image with a shell, kubectl and jq. */
  readonly image: string;
  /** IANA time zone of the CronJobs. Default `UTC`. */
  readonly timeZone?: string;
  /** What the drills wait for (Velero's namespace, chart and Schedules); default none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class RestoreDrills extends pulumi.ComponentResource {
  /** Names of the drill CronJobs. */
  readonly cronJobNames: string[];

  constructor(name: string, args: RestoreDrillsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cluster-backup:drills:RestoreDrills", name, {}, opts);
    const provider = requireProvider("RestoreDrills", opts);
    if (args.drills.length === 0) throw new Error("RestoreDrills: no drill to create; leave the component out instead");
    const child = { parent: this, provider };
    const ns = args.veleroNamespace;
    const timeZone = args.timeZone ?? "UTC";
    // The account, its RBAC, the guard and the ConfigMap carry the ownership labels only; CronJobs add the drill label.
    const meta = (metaName: string, namespace?: string) => objectMeta(metaName, namespace);
    this.cronJobNames = args.drills.map((d) => d.cronJob);

    const account = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: meta(DRILL_K8S.serviceAccount, ns) }, { ...child, dependsOn: args.dependsOn ?? [] });
    const clusterRole = new k8s.rbac.v1.ClusterRole(
      `${name}-cluster-role`,
      { metadata: objectMeta(DRILL_K8S.clusterRole, undefined, undefined, { annotations: { [ADMISSION_POLICY_ANNOTATION]: DRILL_K8S.admissionPolicy } }), rules: DRILL_CLUSTER_RULES },
      child,
    );
    // Bound by the drill in each scratch namespace only; no binding here.
    const scratchRole = new k8s.rbac.v1.ClusterRole(`${name}-scratch-role`, { metadata: meta(DRILL_K8S.scratchRole), rules: DRILL_SCRATCH_RULES }, child);
    const clusterBinding = new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-cluster-role-binding`,
      {
        metadata: meta(DRILL_K8S.clusterRole),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: DRILL_K8S.clusterRole },
        subjects: [{ kind: "ServiceAccount", name: DRILL_K8S.serviceAccount, namespace: ns }],
      },
      { ...child, dependsOn: [clusterRole, account] },
    );
    const role = new k8s.rbac.v1.Role(`${name}-role`, { metadata: meta(DRILL_K8S.role, ns), rules: drillRoleRules(this.cronJobNames) }, { ...child, dependsOn: args.dependsOn ?? [] });
    const roleBinding = new k8s.rbac.v1.RoleBinding(
      `${name}-role-binding`,
      {
        metadata: meta(DRILL_K8S.role, ns),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: DRILL_K8S.role },
        subjects: [{ kind: "ServiceAccount", name: DRILL_K8S.serviceAccount, namespace: ns }],
      },
      { ...child, dependsOn: [role, account] },
    );

    const { binding: guard } = admissionGuard(`${name}-admission-policy`, DRILL_K8S.admissionPolicy, meta(DRILL_K8S.admissionPolicy), drillAdmissionPolicySpec(args.drills, ns), ["Deny"], child);

    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      { metadata: meta(DRILL_K8S.configMap, ns), data: drillConfigMapData(args.drills, ns) },
      { ...child, dependsOn: args.dependsOn ?? [] },
    );
    for (const drill of args.drills) {
      new k8s.batch.v1.CronJob(
        `${name}-${drill.kind}`,
        { metadata: objectMeta(drill.cronJob, ns, undefined, { labels: drillLabels(drill.kind) }), spec: drillCronJobSpec(drill, { image: args.image, veleroNamespace: ns, timeZone }) },
        { ...child, dependsOn: [configMap, clusterBinding, roleBinding, scratchRole, guard, ...(args.dependsOn ?? [])] },
      );
    }
    this.registerOutputs({ cronJobNames: this.cronJobNames });
  }
}

/** The component's args from the stack config (undefined when no drill is on). */
export function restoreDrillsArgs(cfg: DrillConfig, dependsOn: pulumi.Input<pulumi.Resource>[]): RestoreDrillsArgs | undefined {
  const drills = buildDrillSpecs(cfg);
  if (drills.length === 0) return undefined;
  return { drills, veleroNamespace: cfg.velero.namespace, image: cfg.drills.image, timeZone: cfg.timeZone, dependsOn };
}
