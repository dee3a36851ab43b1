/**
 * Restore drills (the alerts-and-drills issue): what each drill restores, the objects it is built from and the
 * config rules about it. Everything here is pure; components/drills/drills.ts creates the Kubernetes objects.
 *
 * A drill is a CronJob in Velero's namespace running restore-drill.sh (shipped in a ConfigMap, read from this
 * folder): it restores the newest completed backup of one Schedule into a scratch namespace
 * `drill-<source>-<yyyymmddhhmm>` through Velero's namespace mapping, checks the result, deletes the scratch
 * namespace and reports through its exit status (kube-state-metrics → the RestoreDrill* alerts) and an Event.
 * - tenants: one tenant namespace of `tenants-daily` (fixed by config, or a different tenant every run); checks the
 *   restore phase, item counts, pod volume restores and that the restored PVCs are Bound.
 * - postgres: the Postgres namespace of `postgres-backup`; Velero runs postgres-check.sh as a restore exec hook in
 *   the restored Postgres container (load the dump, compare databases, run the configured query), so the drill's
 *   account needs no `pods/exec`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type * as k8s from "@pulumi/kubernetes";
import type { StackConfig } from "../config";
import {
  DRILL_LABEL,
  DRILL_NAMESPACE_PREFIX,
  OWNERSHIP_LABELS,
  PSA_LABELS,
  TENANT_LABEL,
  TENANT_NAMESPACE_PREFIX,
  VELERO_EXCLUDE_LABEL,
} from "../labels";
import { restrictedPodSecurity, RESTRICTED_CONTAINER } from "../k8s";
import { DUMP_PATH } from "../postgres/hooks";
import { cronMaxIntervalSeconds } from "../schema/cron";
import { formatGoDuration, humanDuration, parseGoDuration } from "../schema/duration";
import { globToRegExp } from "../schema/namespace-glob";
import { SCHEDULE_NAMES } from "../velero/schedules";
import type { ConfigProblem } from "../config-rules";
import { firstWindowOverlap, formatRun } from "./windows";

export const DRILL_KINDS = ["tenants", "postgres"] as const;
export type DrillKind = (typeof DRILL_KINDS)[number];

/** Kubernetes names of the drill objects. */
export const DRILL_K8S = {
  serviceAccount: "restore-drill",
  /** Cluster-scoped objects are prefixed: namespaces, PVCs, pods. */
  clusterRole: "cluster-backup-restore-drill",
  /** Role in Velero's namespace: Restores, Backups, PodVolumeRestores, Events. */
  role: "restore-drill",
  configMap: "restore-drill",
  container: "drill",
  admissionPolicy: "cluster-backup-restore-drill",
  /** Where the ConfigMap is mounted in the drill pod. */
  templateDir: "/drill",
  tmpDir: "/tmp",
  /** Name of the restore exec hook of the postgres drill. */
  postgresHook: "postgres-check",
} as const;

/** Name of a drill's CronJob. */
export function drillCronJobName(kind: DrillKind): string {
  return `restore-drill-${kind}`;
}

/** File names in the ConfigMap. */
export const DRILL_FILES = {
  script: "restore-drill.sh",
  event: "event.json",
  namespace: (kind: DrillKind) => `${kind}-namespace.json`,
  restore: (kind: DrillKind) => `${kind}-restore.json`,
} as const;

/** The drill script and the Postgres check, read from this folder (readable sources, shipped verbatim). */
export const DRILL_SCRIPT = readFileSync(join(__dirname, DRILL_FILES.script), "utf8");
export const POSTGRES_CHECK_SCRIPT = readFileSync(join(__dirname, "postgres-check.sh"), "utf8");

/** Exit status of a drill that refused to touch a namespace that is not a scratch namespace. */
export const DRILL_EXIT_REFUSED = 3;
/** Time the drill keeps back from its deadline to delete the scratch namespace and record the outcome. */
export const DRILL_CLEANUP_RESERVE_SECONDS = 15 * 60;
/** Shortest `drills.timeout`: the cleanup reserve plus a quarter of an hour of restore. */
export const DRILL_MIN_TIMEOUT_SECONDS = 2 * DRILL_CLEANUP_RESERVE_SECONDS;
/** How late a drill may still start (CronJob startingDeadlineSeconds): a later run is skipped, not started into a backup window. */
export const DRILL_STARTING_DEADLINE_SECONDS = 15 * 60;
/** Seconds between two looks at the Restore and the PVCs. */
export const DRILL_POLL_SECONDS = 10;
/** The unprivileged user of the drill pod (nobody). */
const DRILL_UID = 65534;
/** Finished Jobs each drill CronJob keeps (their logs hold the details of failures). */
const HISTORY_LIMIT = 3;

/** One drill to build. */
export interface DrillSpec {
  readonly kind: DrillKind;
  /** CronJob name, `restore-drill-<kind>`. */
  readonly cronJob: string;
  /** Cron of the drill (without time zone). */
  readonly schedule: string;
  /** Longest gap between two drill runs: rotates the tenant, and the staleness alert derives from it. */
  readonly intervalSeconds: number;
  /** drills.timeout: the Job's activeDeadlineSeconds. */
  readonly timeoutSeconds: number;
  /** The Velero Schedule whose backups it restores. */
  readonly scheduleName: string;
  /** The namespace it restores; undefined: a different tenant every run. */
  readonly sourceNamespace?: string;
  /** flows.tenants.namespaceGlob: which namespaces are tenants. */
  readonly tenantGlob: string;
  /** Resources left out of the scratch copy. */
  readonly excludedResources: readonly string[];
  /** The post-restore check of the postgres drill. */
  readonly postgresCheck?: { readonly container: string; readonly database: string; readonly query?: string };
}

/** The config the drills are built from. */
export type DrillConfig = Pick<StackConfig, "timeZone" | "drills" | "monitoring"> & {
  readonly flows: Pick<StackConfig["flows"], "tenants" | "postgres">;
  readonly velero: Pick<StackConfig["velero"], "namespace">;
};

/** Whether a drill is on: its own setting, else its flow's. */
export function drillEnabled(cfg: DrillConfig, kind: DrillKind): boolean {
  return cfg.drills[kind].enabled ?? cfg.flows[kind].enabled;
}

/** The drills of the stack, for enabled flows only (config rules refuse a drill of a disabled flow). Pure. */
export function buildDrillSpecs(cfg: DrillConfig): DrillSpec[] {
  const timeoutSeconds = parseGoDuration(cfg.drills.timeout) ?? 0;
  const specs: DrillSpec[] = [];
  const t = cfg.drills.tenants;
  /** The fields every drill has; both restore with the tenants drill's excluded resources. */
  const spec = (kind: DrillKind, schedule: string, sourceNamespace: string | undefined): DrillSpec => ({
    kind,
    cronJob: drillCronJobName(kind),
    schedule,
    intervalSeconds: cronMaxIntervalSeconds(schedule),
    timeoutSeconds,
    scheduleName: SCHEDULE_NAMES[kind],
    sourceNamespace,
    tenantGlob: cfg.flows.tenants.namespaceGlob,
    excludedResources: t.excludedResources,
  });
  if (drillEnabled(cfg, "tenants") && cfg.flows.tenants.enabled) specs.push(spec("tenants", t.schedule, t.namespace));
  const p = cfg.drills.postgres;
  if (drillEnabled(cfg, "postgres") && cfg.flows.postgres.enabled) {
    specs.push({
      ...spec("postgres", p.schedule, cfg.flows.postgres.workload.namespace),
      postgresCheck: { container: cfg.flows.postgres.workload.container, database: p.database, ...(p.query ? { query: p.query } : {}) },
    });
  }
  return specs;
}

/** Labels of the drill objects (CronJob, pods, Restores, scratch namespaces). */
export function drillLabels(kind?: DrillKind): Record<string, string> {
  return kind ? { ...OWNERSHIP_LABELS, [DRILL_LABEL]: kind } : { ...OWNERSHIP_LABELS };
}

/** Annotations the drill sets on a scratch namespace. */
export const DRILL_ANNOTATIONS = { source: "cluster-backup/drill-source", backup: "cluster-backup/drill-backup" } as const;

/**
 * The scratch namespace, without its name (the script adds name, annotations and the source's Pod Security labels):
 * the drill label marks it as deletable by the drill, Velero's exclude label keeps it out of every backup.
 */
export function drillNamespaceTemplate(kind: DrillKind): { apiVersion: "v1"; kind: "Namespace"; metadata: { labels: Record<string, string> } } {
  return { apiVersion: "v1", kind: "Namespace", metadata: { labels: { ...drillLabels(kind), [VELERO_EXCLUDE_LABEL]: "true" } } };
}

/** The fields of a velero.io/v1 Restore the drill writes. */
export interface DrillRestoreTemplate {
  apiVersion: "velero.io/v1";
  kind: "Restore";
  metadata: { namespace: string; labels: Record<string, string> };
  spec: {
    excludedResources: string[];
    restorePVs: true;
    existingResourcePolicy: "none";
    hooks?: {
      resources: {
        name: string;
        includedResources: string[];
        postHooks: { exec: { container: string; command: string[]; onError: "Fail"; execTimeout: string; waitTimeout: string; waitForReady: true } }[];
      }[];
    };
  };
}

/** The command of the postgres check hook: the check script with its arguments (dump, database, query). */
export function postgresCheckCommand(check: NonNullable<DrillSpec["postgresCheck"]>): string[] {
  return ["/bin/sh", "-c", POSTGRES_CHECK_SCRIPT, DRILL_K8S.postgresHook, DUMP_PATH, check.database, ...(check.query ? [check.query] : [])];
}

/**
 * The Restore without name, backup, included namespaces and mapping (the script adds them): restores PV data
 * (`restorePVs`), never touches an existing object (`existingResourcePolicy: none`), and leaves out resources that
 * would act outside the scratch namespace. The postgres drill adds the check hook.
 */
export function drillRestoreTemplate(spec: DrillSpec, veleroNamespace: string): DrillRestoreTemplate {
  const timeout = formatGoDuration(spec.timeoutSeconds);
  return {
    apiVersion: "velero.io/v1",
    kind: "Restore",
    metadata: { namespace: veleroNamespace, labels: drillLabels(spec.kind) },
    spec: {
      excludedResources: [...spec.excludedResources],
      restorePVs: true,
      existingResourcePolicy: "none",
      ...(spec.postgresCheck
        ? {
            hooks: {
              resources: [
                {
                  name: DRILL_K8S.postgresHook,
                  includedResources: ["pods"],
                  postHooks: [
                    {
                      exec: {
                        container: spec.postgresCheck.container,
                        command: postgresCheckCommand(spec.postgresCheck),
                        onError: "Fail",
                        execTimeout: timeout,
                        waitTimeout: timeout,
                        waitForReady: true,
                      },
                    },
                  ],
                },
              ],
            },
          }
        : {}),
    },
  };
}

/** The Event the drill records on its CronJob, without what the script fills in (name, uid, type, reason, message, times). */
export function drillEventTemplate(veleroNamespace: string) {
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { generateName: `${DRILL_K8S.serviceAccount}-`, namespace: veleroNamespace, labels: drillLabels() },
    involvedObject: { apiVersion: "batch/v1", kind: "CronJob", namespace: veleroNamespace },
    source: { component: `cluster-backup-${DRILL_K8S.serviceAccount}` },
    reportingComponent: `cluster-backup/${DRILL_K8S.serviceAccount}`,
    count: 1,
  };
}

/** The ConfigMap's files: the script and the templates of every drill. Pure. */
export function drillConfigMapData(specs: readonly DrillSpec[], veleroNamespace: string): Record<string, string> {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const data: Record<string, string> = { [DRILL_FILES.script]: DRILL_SCRIPT, [DRILL_FILES.event]: json(drillEventTemplate(veleroNamespace)) };
  for (const spec of specs) {
    data[DRILL_FILES.namespace(spec.kind)] = json(drillNamespaceTemplate(spec.kind));
    data[DRILL_FILES.restore(spec.kind)] = json(drillRestoreTemplate(spec, veleroNamespace));
  }
  return data;
}

/**
 * Cluster-wide rights: create, read and delete namespaces (RBAC cannot restrict these to a name prefix: the script
 * and the admission policy do), read pods and PVCs (to check the scratch copy).
 */
export const DRILL_CLUSTER_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
  { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list", "watch", "create", "delete"] },
  { apiGroups: [""], resources: ["pods", "persistentvolumeclaims"], verbs: ["get", "list"] },
];

/**
 * Rights in Velero's namespace: read Backups and PodVolumeRestores, create/read/delete Restores, record Events; to
 * judge a PartiallyFailed backup per namespace, list its PodVolumeBackups and read its results (DownloadRequests,
 * which Velero deletes when they expire).
 */
export function drillRoleRules(cronJobs: readonly string[]): k8s.types.input.rbac.v1.PolicyRule[] {
  return [
    { apiGroups: ["velero.io"], resources: ["backups"], verbs: ["get", "list"] },
    { apiGroups: ["velero.io"], resources: ["restores"], verbs: ["get", "list", "create", "delete"] },
    { apiGroups: ["velero.io"], resources: ["podvolumerestores"], verbs: ["get", "list"] },
    { apiGroups: ["velero.io"], resources: ["podvolumebackups"], verbs: ["list"] },
    { apiGroups: ["velero.io"], resources: ["downloadrequests"], verbs: ["get", "create"] },
    { apiGroups: [""], resources: ["events"], verbs: ["create"] },
    { apiGroups: ["batch"], resources: ["cronjobs"], resourceNames: [...cronJobs], verbs: ["get"] },
  ];
}

/** The service account's user name as the API server sees it. */
export function drillUserName(veleroNamespace: string): string {
  return `system:serviceaccount:${veleroNamespace}:${DRILL_K8S.serviceAccount}`;
}

/** CEL (ValidatingAdmissionPolicy) checks on what the drill account creates and deletes. Pure. */
export function drillAdmissionValidations(): { expression: string; message: string }[] {
  const prefix = DRILL_NAMESPACE_PREFIX;
  const restoreCreate = "request.resource.resource != 'restores' || request.operation != 'CREATE'";
  return [
    {
      expression: `variables.subject.metadata.name.startsWith('${prefix}') && !variables.subject.metadata.name.startsWith('${TENANT_NAMESPACE_PREFIX}')`,
      message: `the restore-drill account may only create and delete namespaces and Restores named ${prefix}*`,
    },
    {
      expression: `has(variables.subject.metadata.labels) && '${DRILL_LABEL}' in variables.subject.metadata.labels`,
      message: `the restore-drill account may only create and delete namespaces and Restores labelled ${DRILL_LABEL}`,
    },
    {
      expression:
        `${restoreCreate} || (has(object.spec.includedNamespaces) && has(object.spec.namespaceMapping) && size(object.spec.includedNamespaces) > 0 && ` +
        `object.spec.includedNamespaces.all(ns, ns in object.spec.namespaceMapping && object.spec.namespaceMapping[ns].startsWith('${prefix}')))`,
      message: `a drill Restore must map every namespace it includes to a ${prefix}* namespace`,
    },
    {
      expression: `${restoreCreate} || !has(object.spec.existingResourcePolicy) || object.spec.existingResourcePolicy == 'none'`,
      message: "a drill Restore must never update existing objects (existingResourcePolicy: none)",
    },
  ];
}

/** The ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1, Kubernetes >= 1.30) guarding the drill account. */
export function drillAdmissionPolicySpec(veleroNamespace: string): k8s.types.input.admissionregistration.v1.ValidatingAdmissionPolicySpec {
  return {
    failurePolicy: "Fail",
    matchConstraints: {
      resourceRules: [
        { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "DELETE"], resources: ["namespaces"] },
        { apiGroups: ["velero.io"], apiVersions: ["v1"], operations: ["CREATE", "DELETE"], resources: ["restores"] },
      ],
    },
    matchConditions: [{ name: "restore-drill-account", expression: `request.userInfo.username == '${drillUserName(veleroNamespace)}'` }],
    variables: [{ name: "subject", expression: "request.operation == 'DELETE' ? oldObject : object" }],
    validations: drillAdmissionValidations(),
  };
}

/**
 * The label prefix a scratch namespace copies from its source: Pod Security Admission only, so the restored pods run
 * under the same rules as in the source (the source's other labels, `tenant` among them, stay behind).
 */
export const COPIED_LABEL_PREFIX = PSA_LABELS[0].slice(0, PSA_LABELS[0].indexOf("/") + 1);

/** The drill container's environment: what restore-drill.sh reads. */
export function drillEnv(spec: DrillSpec, veleroNamespace: string, timeZone: string): k8s.types.input.core.v1.EnvVar[] {
  const values: [string, string][] = [
    ["DRILL_KIND", spec.kind],
    ["VELERO_NAMESPACE", veleroNamespace],
    ["SCHEDULE_NAME", spec.scheduleName],
    ["SOURCE_NAMESPACE", spec.sourceNamespace ?? ""],
    ["TENANT_PREFIX", TENANT_NAMESPACE_PREFIX],
    ["TENANT_GLOB", spec.tenantGlob],
    ["TENANT_SELECTOR", `${TENANT_LABEL}=true`],
    ["EXCLUDE_LABEL", VELERO_EXCLUDE_LABEL],
    ["SCRATCH_PREFIX", DRILL_NAMESPACE_PREFIX],
    ["DRILL_LABEL", DRILL_LABEL],
    ["COPY_LABEL_PREFIX", COPIED_LABEL_PREFIX],
    ["SOURCE_ANNOTATION", DRILL_ANNOTATIONS.source],
    ["BACKUP_ANNOTATION", DRILL_ANNOTATIONS.backup],
    ["ROTATION_SECONDS", String(spec.intervalSeconds)],
    ["WAIT_SECONDS", String(spec.timeoutSeconds - DRILL_CLEANUP_RESERVE_SECONDS)],
    ["POLL_SECONDS", String(DRILL_POLL_SECONDS)],
    ["CRONJOB_NAME", spec.cronJob],
    ["TEMPLATE_DIR", DRILL_K8S.templateDir],
    ["EXPECT_HOOKS", spec.postgresCheck ? "1" : "0"],
    ["TZ", timeZone],
    // kubectl writes its discovery cache under $HOME; the root filesystem is read-only.
    ["HOME", DRILL_K8S.tmpDir],
  ];
  return [
    ...values.map(([name, value]) => ({ name, value })),
    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
  ];
}

/** The command of every drill container. */
export function drillCommand(): string[] {
  return ["/bin/sh", `${DRILL_K8S.templateDir}/${DRILL_FILES.script}`, "run"];
}

/** The CronJob spec of one drill. Pure. */
export function drillCronJobSpec(spec: DrillSpec, args: { readonly image: string; readonly veleroNamespace: string; readonly timeZone: string }): k8s.types.input.batch.v1.CronJobSpec {
  const labels = drillLabels(spec.kind);
  return {
    schedule: spec.schedule,
    timeZone: args.timeZone,
    concurrencyPolicy: "Forbid",
    startingDeadlineSeconds: DRILL_STARTING_DEADLINE_SECONDS,
    successfulJobsHistoryLimit: HISTORY_LIMIT,
    failedJobsHistoryLimit: HISTORY_LIMIT,
    jobTemplate: {
      metadata: { labels },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: spec.timeoutSeconds,
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: DRILL_K8S.serviceAccount,
            restartPolicy: "Never",
            terminationGracePeriodSeconds: 60,
            securityContext: restrictedPodSecurity(DRILL_UID),
            containers: [
              {
                name: DRILL_K8S.container,
                image: args.image,
                imagePullPolicy: "IfNotPresent",
                command: drillCommand(),
                env: drillEnv(spec, args.veleroNamespace, args.timeZone),
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
                securityContext: { ...RESTRICTED_CONTAINER, readOnlyRootFilesystem: true },
                volumeMounts: [
                  { name: "templates", mountPath: DRILL_K8S.templateDir, readOnly: true },
                  { name: "tmp", mountPath: DRILL_K8S.tmpDir },
                ],
              },
            ],
            volumes: [
              { name: "templates", configMap: { name: DRILL_K8S.configMap, defaultMode: 0o444 } },
              { name: "tmp", emptyDir: {} },
            ],
          },
        },
      },
    },
  };
}

/** The namespace a drill name and a stamp give (same rule as restore-drill.sh `scratch_name`). */
export function scratchNamespaceName(source: string, stamp: string): string {
  const keep = 63 - DRILL_NAMESPACE_PREFIX.length - 1 - stamp.length;
  return `${DRILL_NAMESPACE_PREFIX}${source.slice(0, keep).replace(/-+$/, "")}-${stamp}`;
}

/** Config problems of the drills: targets, flows, timeout and schedules against the backup windows. */
export function drillConfigProblems(cfg: DrillConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const d = cfg.drills;
  const target = d.tenants.namespace;
  if (target !== undefined && (!target.startsWith(TENANT_NAMESPACE_PREFIX) || !globToRegExp(cfg.flows.tenants.namespaceGlob).test(target))) {
    problems.push({
      path: "drills.tenants.namespace",
      value: target,
      message: `is not a tenant namespace: expected a '${TENANT_NAMESPACE_PREFIX}<id>' namespace that flows.tenants.namespaceGlob '${cfg.flows.tenants.namespaceGlob}' matches, e.g. '${TENANT_NAMESPACE_PREFIX}1001', or no value to restore a different tenant every run`,
    });
  }
  for (const kind of DRILL_KINDS) {
    if (d[kind].enabled === true && !cfg.flows[kind].enabled) {
      problems.push({ path: `drills.${kind}.enabled`, value: true, message: `the drill restores backups of flows.${kind}, which is disabled; enable the flow or set drills.${kind}.enabled: false` });
    }
  }
  const timeout = parseGoDuration(d.timeout) ?? 0;
  if (timeout < DRILL_MIN_TIMEOUT_SECONDS) {
    problems.push({ path: "drills.timeout", value: d.timeout, message: `is too short: the drill keeps ${humanDuration(DRILL_CLEANUP_RESERVE_SECONDS)} to clean up; expected at least ${humanDuration(DRILL_MIN_TIMEOUT_SECONDS)}, e.g. '2h'` });
    return problems;
  }
  const grace = parseGoDuration(cfg.monitoring.grace) ?? 0;
  for (const kind of DRILL_KINDS) {
    if (!drillEnabled(cfg, kind) || !cfg.flows[kind].enabled) continue;
    const drillCron = d[kind].schedule;
    const backupCron = cfg.flows[kind].schedule;
    const overlap = firstWindowOverlap(drillCron, DRILL_STARTING_DEADLINE_SECONDS + timeout, backupCron, grace, cfg.timeZone);
    if (overlap) {
      problems.push({
        path: `drills.${kind}.schedule`,
        value: drillCron,
        message:
          `overlaps the backup window of ${SCHEDULE_NAMES[kind]}: the drill of ${formatRun(overlap.drill, cfg.timeZone)} (starting up to ${humanDuration(DRILL_STARTING_DEADLINE_SECONDS)} late, running up to ${humanDuration(timeout)}, drills.timeout) ` +
          `meets the backup of ${formatRun(overlap.backup, cfg.timeZone)} (${cfg.timeZone}, '${backupCron}', flows.${kind}.schedule, which may take ${humanDuration(grace)}, monitoring.grace); ` +
          `expected a schedule whose runs end before a backup starts or start after its window closes`,
      });
    }
  }
  return problems;
}
