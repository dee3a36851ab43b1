/**
 * Safety net for the tenant opt-out (docs/design.md §3.4.7): a CronJob that keeps Velero's namespace exclude label in step with
 * the panel's `backup` label. A tenant namespace with `backup=false` gets `velero.io/exclude-from-backup=true` (Velero
 * then leaves it out of every backup); a tenant whose `backup` is not `false` (missing = back up) loses it.
 *
 * RBAC cannot narrow `patch namespaces` to one label, so the ValidatingAdmissionPolicy of
 * components/velero/optout-admission.ts (always created, Deny) refuses every other change by this account.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PINS } from "../pins";
import { objectMeta, requireProvider, RESTRICTED_CONTAINER, restrictedPodSecurity } from "../k8s";
import { ADMISSION_POLICY_ANNOTATION, BACKUP_LABEL, standardLabels, TENANT_LABEL, TENANT_NAMESPACE_PREFIX, VELERO_EXCLUDE_LABEL } from "../labels";
import { OPTOUT_ADMISSION_POLICY, optOutAdmissionPolicySpec } from "./optout-admission";
import { admissionGuard } from "../admission/guard";

/** Name of the CronJob, its ServiceAccount, ClusterRole and ClusterRoleBinding. */
export const OPTOUT_NAME = "tenant-backup-optout";
const FLOW = "tenant-optout" as const;
/** The kubectl image's non-root user (distroless `nonroot`). */
const NON_ROOT_UID = 65532;
const TMP_VOLUME = "tmp";
const TMP_PATH = "/tmp";
/** Longest run of one Job (activeDeadlineSeconds); the staleness alert allows for it. */
export const OPTOUT_ACTIVE_DEADLINE_SECONDS = 600;

/** The two kubectl invocations (no shell: the kubectl image has none). Pure. */
export function optOutCommands(): { label: string[]; unlabel: string[] } {
  return {
    label: ["kubectl", "label", "namespace", "-l", `${TENANT_LABEL}=true,${BACKUP_LABEL}=false`, `${VELERO_EXCLUDE_LABEL}=true`, "--overwrite"],
    unlabel: ["kubectl", "label", "namespace", "-l", `${TENANT_LABEL}=true,${BACKUP_LABEL}!=false,${VELERO_EXCLUDE_LABEL}=true`, `${VELERO_EXCLUDE_LABEL}-`],
  };
}

export { optOutSyncRuns } from "./optout-admission";

/** The only permissions the job needs: find tenant namespaces (list, get) and patch their labels (guarded by the policy). */
export const OPTOUT_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [{ apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list", "patch"] }];

export interface TenantOptOutSyncArgs {
  /** Namespace of the CronJob (Velero's). */
  readonly namespace: string;
  /** Cron schedule; default `*\/15 * * * *`. */
  readonly schedule?: string;
  /** IANA time zone of the schedule; default `UTC`. */
  readonly timeZone?: string;
  /** flows.tenants.namespaceGlob: the namespaces the account may change. Default `cust-*`. */
  readonly tenantGlob?: string;
  /** kubectl image; default PINS.kubectlImage. */
  readonly image?: string;
  /** What the namespaced objects wait for (the namespace); default none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class TenantOptOutSync extends pulumi.ComponentResource {
  /** The CronJob. */
  readonly cronJob: k8s.batch.v1.CronJob;

  constructor(name: string, args: TenantOptOutSyncArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cluster-backup:velero:TenantOptOutSync", name, {}, opts);
    const provider = requireProvider("TenantOptOutSync", opts);
    const child = { parent: this, provider };
    const timeZone = args.timeZone ?? "UTC";
    const image = args.image ?? PINS.kubectlImage;

    const account = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: objectMeta(OPTOUT_NAME, args.namespace, FLOW) }, { ...child, dependsOn: args.dependsOn ?? [] });
    const role = new k8s.rbac.v1.ClusterRole(
      `${name}-role`,
      { metadata: objectMeta(OPTOUT_NAME, undefined, FLOW, { annotations: { [ADMISSION_POLICY_ANNOTATION]: OPTOUT_ADMISSION_POLICY } }), rules: OPTOUT_RULES },
      child,
    );
    const binding = new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-binding`,
      {
        metadata: objectMeta(OPTOUT_NAME, undefined, FLOW),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: OPTOUT_NAME },
        subjects: [{ kind: "ServiceAccount", name: OPTOUT_NAME, namespace: args.namespace }],
      },
      { ...child, dependsOn: [role, account] },
    );
    const { binding: guard } = admissionGuard(
      `${name}-admission-policy`,
      OPTOUT_ADMISSION_POLICY,
      objectMeta(OPTOUT_ADMISSION_POLICY, undefined, FLOW),
      optOutAdmissionPolicySpec(args.namespace, OPTOUT_NAME, args.tenantGlob ?? `${TENANT_NAMESPACE_PREFIX}*`),
      ["Deny"],
      child,
    );

    const commands = optOutCommands();
    const container = (containerName: string, command: string[]): k8s.types.input.core.v1.Container => ({
      name: containerName,
      image,
      imagePullPolicy: "IfNotPresent",
      command,
      // kubectl writes its discovery cache under $HOME; the root filesystem is read-only.
      env: [
        { name: "TZ", value: timeZone },
        { name: "HOME", value: TMP_PATH },
      ],
      resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
      securityContext: { ...RESTRICTED_CONTAINER, readOnlyRootFilesystem: true },
      volumeMounts: [{ name: TMP_VOLUME, mountPath: TMP_PATH }],
    });
    const labels = standardLabels(FLOW);

    this.cronJob = new k8s.batch.v1.CronJob(
      `${name}-cronjob`,
      {
        metadata: objectMeta(OPTOUT_NAME, args.namespace, FLOW),
        spec: {
          schedule: args.schedule ?? "*/15 * * * *",
          timeZone,
          concurrencyPolicy: "Forbid",
          startingDeadlineSeconds: 300,
          successfulJobsHistoryLimit: 1,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            metadata: { labels },
            spec: {
              backoffLimit: 2,
              activeDeadlineSeconds: OPTOUT_ACTIVE_DEADLINE_SECONDS,
              template: {
                metadata: { labels },
                spec: {
                  serviceAccountName: OPTOUT_NAME,
                  restartPolicy: "Never",
                  securityContext: restrictedPodSecurity(NON_ROOT_UID),
                  initContainers: [container("label-opted-out", commands.label)],
                  containers: [container("unlabel-opted-in", commands.unlabel)],
                  volumes: [{ name: TMP_VOLUME, emptyDir: {} }],
                },
              },
            },
          },
        },
      },
      { ...child, dependsOn: [binding, account, guard] },
    );
    this.registerOutputs({ cronJob: this.cronJob.metadata.name });
  }
}
