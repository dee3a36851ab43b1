/**
 * Restore drills: what each drill restores, the objects it is built from and the
 * config rules about it. Everything here is pure; components/drills/drills.ts creates the Kubernetes objects.
 *
 * A drill is a CronJob in Velero's namespace running restore-drill.sh (shipped in a ConfigMap, read from this
 * folder): it restores the newest completed backup of one Schedule into a scratch namespace
 * `drill-<source>-<yyyymmddhhmm>` through Velero's namespace mapping, checks the result, deletes the scratch
 * namespace and reports through its exit status (kube-state-metrics → the RestoreDrill* alerts) and an Event.
 * - tenants: tenant namespaces of `tenants-daily`: the one fixed by config, or this week's rotation group, so that every
 *   tenant is restored at least once per `drills.tenants.rotationWeeks` weeks (components/drills/rotation.ts), one
 *   Restore and scratch namespace per tenant; checks the restore phase, item counts, pod volume restores and that the
 *   restored PVCs are Bound.
 * - postgres: the Postgres namespace of `postgres-backup`; Velero runs postgres-check.sh as a restore exec hook in
 *   the restored Postgres container (load the dump, compare databases, run the configured query), so the drill's
 *   account needs no `pods/exec`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type * as k8s from "@pulumi/kubernetes";
import {
  DRILL_LABEL,
  DRILL_NAMESPACE_PREFIX,
  OWNERSHIP_LABELS,
  PSA_LABELS,
  TENANT_LABEL,
  TENANT_NAMESPACE_PREFIX,
  VELERO_EXCLUDE_LABEL,
} from "../labels";
import { restrictedPodSecurity, RESTRICTED_CONTAINER } from "../pod-security";
import { DUMP_PATH } from "../postgres/hooks";
import { cronMaxIntervalSeconds } from "../schema/cron";
import { formatGoDuration, humanDuration, parseGoDuration } from "../schema/duration";
import { globToRegExp } from "../schema/namespace-glob";
import { SCHEDULE_NAMES } from "../velero/schedule-specs";
import type { ConfigProblem } from "../config-problem";
import { firstWindowOverlap, formatRun } from "./windows";
import { rotationOffsetSeconds, WEEK_SECONDS } from "./rotation";

export const DRILL_KINDS = ["tenants", "postgres"] as const;
export type DrillKind = (typeof DRILL_KINDS)[number];

/** Kubernetes names of the drill objects. */
export const DRILL_K8S = {
  serviceAccount: "restore-drill",
  /** Cluster-scoped objects are prefixed: namespaces, RoleBindings in scratch namespaces (components/drills/access.ts). */
  clusterRole: "cluster-backup-restore-drill",
  /** What the drill may do inside a scratch namespace; bound there by the drill itself, never cluster-wide. */
  scratchRole: "cluster-backup-restore-drill-scratch",
  /** The RoleBinding of {@link DRILL_K8S.scratchRole} in a scratch namespace. */
  scratchRoleBinding: "restore-drill",
  /** The deny-all NetworkPolicy of a scratch namespace. */
  networkPolicy: "restore-drill-deny-all",
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
  roleBinding: "scratch-rolebinding.json",
  networkPolicy: "scratch-networkpolicy.json",
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
  /** The namespace it restores; undefined: this week's rotation group of tenants. */
  readonly sourceNamespace?: string;
  /** Rotating tenants drill: every tenant restored at least once per this many weeks (drills.tenants.rotationWeeks). */
  readonly rotationWeeks?: number;
  /** Rotating tenants drill: {@link rotationOffsetSeconds} of its schedule. */
  readonly rotationOffsetSeconds?: number;
  /** flows.tenants.namespaceGlob: which namespaces are tenants. */
  readonly tenantGlob: string;
  /** Resources left out of the scratch copy. */
  readonly excludedResources: readonly string[];
  /** The post-restore check of the postgres drill. */
  readonly postgresCheck?: { readonly container: string; readonly database: string; readonly query?: string };
}

/** What the drills are built and checked from: the `drills.*` keys and the flows they restore. */
export interface DrillConfig {
  /** IANA zone every cron runs in. */
  readonly timeZone: string;
  readonly drills: {
    /** Image of the drill CronJobs. */
    readonly image: string;
    /** Go duration a drill may run (the Job's activeDeadlineSeconds). */
    readonly timeout: string;
    /** Whether the ValidatingAdmissionPolicy confining the drill account is deployed. */
    readonly admissionPolicy: boolean;
    readonly tenants: {
      readonly enabled?: boolean;
      readonly schedule: string;
      readonly namespace?: string;
      /** A rotating drill restores every tenant at least once per this many weeks. */
      readonly rotationWeeks: number;
      readonly excludedResources: readonly string[];
    };
    readonly postgres: { readonly enabled?: boolean; readonly schedule: string; readonly database: string; readonly query?: string };
  };
  /** Go duration a backup may take beyond its start (the drill must not meet it). */
  readonly monitoring: { readonly grace: string };
  readonly flows: {
    readonly tenants: { readonly enabled: boolean; readonly schedule: string; readonly namespaceGlob: string };
    readonly postgres: { readonly enabled: boolean; readonly schedule: string; readonly workload: { readonly namespace: string; readonly container: string } };
  };
  readonly velero: { readonly namespace: string };
}

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
  if (drillEnabled(cfg, "tenants") && cfg.flows.tenants.enabled) {
    const rotation = t.namespace === undefined ? { rotationWeeks: t.rotationWeeks, rotationOffsetSeconds: rotationOffsetSeconds(t.schedule, cfg.timeZone) } : {};
    specs.push({ ...spec("tenants", t.schedule, t.namespace), ...rotation });
  }
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
export const DRILL_ANNOTATIONS = { source: "cluster-backup.io/drill-source", backup: "cluster-backup.io/drill-backup" } as const;

/** Pod Security level of a scratch namespace whose source sets none, and of every source level but `restricted`. */
export const DRILL_DEFAULT_PSA_LEVEL = "baseline";

/**
 * The scratch namespace, without its name (the script adds name, annotations and the source's Pod Security labels):
 * the drill label marks it as deletable by the drill, Velero's exclude label keeps it out of every backup, and it is
 * never privileged: Pod Security `baseline` unless the source is `restricted` (the script lowers any other level of
 * the source to `baseline`; the admission policy refuses anything else).
 */
export function drillNamespaceTemplate(kind: DrillKind): { apiVersion: "v1"; kind: "Namespace"; metadata: { labels: Record<string, string> } } {
  return { apiVersion: "v1", kind: "Namespace", metadata: { labels: { [PSA_LABELS[0]]: DRILL_DEFAULT_PSA_LEVEL, ...drillLabels(kind), [VELERO_EXCLUDE_LABEL]: "true" } } };
}

/** The RoleBinding the drill creates in a scratch namespace (the script fills in the namespace). */
export function scratchRoleBindingTemplate(veleroNamespace: string) {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: DRILL_K8S.scratchRoleBinding, labels: drillLabels() },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: DRILL_K8S.scratchRole },
    subjects: [{ kind: "ServiceAccount", name: DRILL_K8S.serviceAccount, namespace: veleroNamespace }],
  };
}

/**
 * The NetworkPolicy the drill creates in a scratch namespace before the Restore: every pod, no ingress, no egress (not
 * even DNS), so a restored workload cannot send mail, call payment APIs or serve its data. No check needs the network:
 * the postgres check runs psql over the local socket through an exec hook (API server → kubelet, not the pod network)
 * and the tenants check reads only the API.
 */
export function scratchNetworkPolicyTemplate() {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: DRILL_K8S.networkPolicy, labels: drillLabels() },
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
  };
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
  const data: Record<string, string> = {
    [DRILL_FILES.script]: DRILL_SCRIPT,
    [DRILL_FILES.event]: json(drillEventTemplate(veleroNamespace)),
    [DRILL_FILES.roleBinding]: json(scratchRoleBindingTemplate(veleroNamespace)),
    [DRILL_FILES.networkPolicy]: json(scratchNetworkPolicyTemplate()),
  };
  for (const spec of specs) {
    data[DRILL_FILES.namespace(spec.kind)] = json(drillNamespaceTemplate(spec.kind));
    data[DRILL_FILES.restore(spec.kind)] = json(drillRestoreTemplate(spec, veleroNamespace));
  }
  return data;
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
    ["ROTATION_WEEKS", String(spec.rotationWeeks ?? 1)],
    ["ROTATION_OFFSET_SECONDS", String(spec.rotationOffsetSeconds ?? 0)],
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
  if (!d.admissionPolicy && DRILL_KINDS.some((kind) => drillEnabled(cfg, kind) && cfg.flows[kind].enabled)) {
    problems.push({
      path: "drills.admissionPolicy",
      value: false,
      message:
        "the restore-drill account may create and delete any namespace and create RoleBindings; only the admission policy confines it to scratch namespaces. " +
        "Expected true (Kubernetes >= 1.30), or switch the drills off (drills.tenants.enabled: false, drills.postgres.enabled: false)",
    });
  }
  for (const kind of DRILL_KINDS) {
    if (d[kind].enabled === true && !cfg.flows[kind].enabled) {
      problems.push({ path: `drills.${kind}.enabled`, value: true, message: `the drill restores backups of flows.${kind}, which is disabled; enable the flow or set drills.${kind}.enabled: false` });
    }
  }
  const tenantsInterval = cronMaxIntervalSeconds(d.tenants.schedule);
  if (drillEnabled(cfg, "tenants") && cfg.flows.tenants.enabled && target === undefined && tenantsInterval > WEEK_SECONDS) {
    problems.push({
      path: "drills.tenants.schedule",
      value: d.tenants.schedule,
      message: `runs less often than weekly (up to ${humanDuration(tenantsInterval)} between runs): the rotation restores one group of tenants per week so that each is restored at least once per drills.tenants.rotationWeeks (${d.tenants.rotationWeeks}) weeks; expected a schedule that runs at least once a week, e.g. '0 10 * * 6'`,
    });
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
