/**
 * What the alerts watch, derived from plain settings (components/stack-args.ts maps the stack config to them) and the
 * objects the other components build: the Velero
 * Schedules (names and crons from components/velero/schedules.ts), the backup storage locations, the Benji CronJobs
 * (components/benji/benji.ts), the zrepl job and DaemonSets (components/zrepl) and the restore drills. Each staleness
 * threshold is the longest gap between two runs of the cron (components/schema/cron.ts) plus `monitoring.grace`,
 * unless `monitoring.staleAfter.<key>` sets it; config rules refuse a threshold shorter than the interval.
 */
import { benjiCronJobs } from "../benji/benji";
import { RUNBOOK_ANCHORS, type RunbookAnchor } from "../runbook-anchors";
import { cronMaxIntervalSeconds } from "../schema/cron";
import { staleAfterSeconds, type StaleKey, type StaleSettings } from "./stale";
import { veleroCron, type ScheduleSpec } from "../velero/schedule-specs";
import { ZREPL_PUSH_JOB } from "../zrepl/config";
import { parseZreplDuration } from "../zrepl/grid";
import { ZREPL_K8S } from "../zrepl/replication";
import type { DrillSpec } from "../drills/spec";
import { OPTOUT_ACTIVE_DEADLINE_SECONDS, OPTOUT_NAME } from "../velero/optout";
export { staleAfterSeconds, type StaleKey } from "./stale";
import type { AlertTargets, CronJobTarget, DaemonSetTarget, ScheduleTarget } from "./rules";
import { repoMaintenanceTarget } from "./repo-maintenance";
import { zreplSinkTarget } from "./zrepl-sink";

/** Velero's node-agent DaemonSet: the chart names it `node-agent`, whatever the release (chart 12.1.0 templates/node-agent-daemonset.yaml). */
export const VELERO_NODE_AGENT_DAEMONSET = "node-agent";

/** Everything besides the Schedules and drills the alert targets are derived from. */
export interface MonitoringArgs extends StaleSettings {
  /** IANA zone of every cron. */
  readonly timeZone: string;
  /** Velero's namespace (Schedules, locations, node-agent, drills and the opt-out job live there). */
  readonly veleroNamespace: string;
  /** The backup storage locations Velero renders ({@link veleroLocationNames}). */
  readonly locationNames: readonly string[];
  /** Base URL of the runbook the alerts link to. */
  readonly runbookBaseUrl: string;
  /** The Benji CronJobs' settings, when Benji runs. */
  readonly benji?: {
    readonly namespace: string;
    readonly instance: string;
    readonly retention: string;
    readonly schedules: { readonly backup: string; readonly enforce: string; readonly cleanup: string };
  };
  /**
   * zrepl's namespace, snapshot interval and lag threshold (zrepl durations), when zrepl runs; with the sink check's
   * interval and expected datasets (components/zrepl/sink-check.ts sinkCheckDatasets) when that runs.
   */
  readonly zrepl?: {
    readonly namespace: string;
    readonly snapshotInterval: string;
    readonly lagThreshold: string;
    readonly sinkCheck?: { readonly interval: string; readonly datasets: readonly string[] };
  };
  /** The tenant opt-out sync's cron, when that CronJob is deployed (tenants flow on and the sync enabled). */
  readonly optOutSchedule?: string;
  /** velero.extraValues (its `configuration.defaultRepoMaintainFrequency` sets the kopia maintenance interval); default none. */
  readonly veleroExtraValues?: Readonly<Record<string, unknown>>;
}

/** Runbook section of each Velero flow key (flows.<key>). */
const SCHEDULE_ANCHORS: Record<string, RunbookAnchor> = {
  tenants: RUNBOOK_ANCHORS.tenants,
  system: RUNBOOK_ANCHORS.system,
  garageMetaCeph: RUNBOOK_ANCHORS.garageMetaCeph,
  garageDataZfs: RUNBOOK_ANCHORS.garageDataZfs,
  postgres: RUNBOOK_ANCHORS.postgres,
};

/** What each Benji CronJob does, by role, and how bad it is when it stops succeeding. */
const BENJI_ROLES = {
  backup: { key: "benjiBackup", purpose: "backs up every Ceph RBD PVC labelled backup-this-pvc=true", severity: "critical" },
  enforce: { key: "benjiEnforce", purpose: "drops Benji versions outside the retention", severity: "warning" },
  cleanup: { key: "benjiCleanup", purpose: "frees the storage of dropped Benji blocks", severity: "warning" },
} as const satisfies Record<string, { key: StaleKey; purpose: string; severity: "critical" | "warning" }>;

const DRILL_PURPOSES: Record<DrillSpec["kind"], { key: StaleKey; purpose: string }> = {
  tenants: { key: "tenantsDrill", purpose: "restores a tenant namespace of the newest tenants backup into a scratch namespace and checks it" },
  postgres: { key: "postgresDrill", purpose: "restores the newest Postgres backup into a scratch namespace, loads the dump and runs a query" },
};

/** The runbook section of a Schedule's flow. */
function scheduleAnchor(schedule: string, key: string): RunbookAnchor {
  const anchor = SCHEDULE_ANCHORS[key];
  if (!anchor) throw new Error(`Schedule ${schedule}: no runbook section for flows.${key}; add it to components/runbook-anchors.ts`);
  return anchor;
}

/** The flow key (`tenants`, `garageMetaCeph`, ...) of a Schedule: its config path is `flows.<key>`. */
function flowKey(spec: ScheduleSpec): string {
  return spec.configPath.replace(/^flows\./, "");
}

/** The cron of a Schedule without Velero's `CRON_TZ=<zone> ` prefix. */
export function scheduleCron(spec: ScheduleSpec, timeZone: string): string {
  const prefix = veleroCron("", timeZone);
  if (!spec.spec.schedule.startsWith(prefix)) throw new Error(`Schedule ${spec.name}: '${spec.spec.schedule}' does not start with '${prefix}'`);
  return spec.spec.schedule.slice(prefix.length);
}

/** Everything the alerts watch. Pure: the Schedules and drills come from their own builders. */
export function alertTargets(cfg: MonitoringArgs, schedules: readonly ScheduleSpec[], drills: readonly DrillSpec[]): AlertTargets {
  const veleroNamespace = cfg.veleroNamespace;
  const scheduleTargets: ScheduleTarget[] = schedules.map((s) => {
    const cron = scheduleCron(s, cfg.timeZone);
    const key = flowKey(s);
    const intervalSeconds = cronMaxIntervalSeconds(cron);
    return {
      name: s.name,
      flow: s.flow,
      cron,
      intervalSeconds,
      staleAfterSeconds: staleAfterSeconds(cfg, key as StaleKey, intervalSeconds),
      location: s.spec.template.storageLocation,
      anchor: scheduleAnchor(s.name, key),
    };
  });
  const locations = schedules.length
    ? cfg.locationNames.map((name) => ({
        name,
        schedules: schedules.filter((s) => s.spec.template.storageLocation === name).map((s) => s.name),
        anchor: RUNBOOK_ANCHORS.storageLocations,
      }))
    : [];
  const nodeAgent: DaemonSetTarget | undefined = schedules.length
    ? { name: VELERO_NODE_AGENT_DAEMONSET, namespace: veleroNamespace, flow: "velero", purpose: "Velero's file-system backup and restore on every node", anchor: RUNBOOK_ANCHORS.nodeAgent }
    : undefined;
  const repoMaintenance = schedules.length ? repoMaintenanceTarget(veleroNamespace, cfg.veleroExtraValues ?? {}, cfg.grace, RUNBOOK_ANCHORS.storageLocations) : undefined;

  const b = cfg.benji;
  const benji: CronJobTarget[] = b
    ? benjiCronJobs(b.instance, b.retention, b.schedules).map((job) => {
        const role = BENJI_ROLES[job.role];
        const intervalSeconds = cronMaxIntervalSeconds(job.schedule);
        return {
          name: job.name,
          namespace: b.namespace,
          flow: "benji",
          cron: job.schedule,
          intervalSeconds,
          staleAfterSeconds: staleAfterSeconds(cfg, role.key, intervalSeconds),
          purpose: role.purpose,
          staleSeverity: role.severity,
          anchor: RUNBOOK_ANCHORS.benji,
        };
      })
    : [];

  const z = cfg.zrepl;
  const zrepl = z
    ? {
        job: ZREPL_PUSH_JOB,
        namespace: z.namespace,
        daemonSet: ZREPL_K8S.push,
        intervalSeconds: parseZreplDuration(z.snapshotInterval) ?? 0,
        lagSeconds: parseZreplDuration(z.lagThreshold) ?? 0,
        anchor: RUNBOOK_ANCHORS.garageDataZrepl,
      }
    : undefined;
  const zreplDaemonSets: DaemonSetTarget[] = z
    ? [
        { name: ZREPL_K8S.push, namespace: z.namespace, flow: "zrepl", purpose: `zrepl push job ${ZREPL_PUSH_JOB} on the Garage node`, anchor: RUNBOOK_ANCHORS.garageDataZrepl },
        { name: ZREPL_K8S.sink, namespace: z.namespace, flow: "zrepl", purpose: "zrepl sink on the backup node", anchor: RUNBOOK_ANCHORS.garageDataZrepl },
      ]
    : [];
  const zreplSink =
    zrepl && z?.sinkCheck
      ? zreplSinkTarget({
          namespace: z.namespace,
          daemonSet: ZREPL_K8S.sink,
          pushDaemonSet: ZREPL_K8S.push,
          pushJob: ZREPL_PUSH_JOB,
          datasets: z.sinkCheck.datasets,
          checkIntervalSeconds: parseZreplDuration(z.sinkCheck.interval) ?? 0,
          snapshotIntervalSeconds: zrepl.intervalSeconds,
          lagSeconds: zrepl.lagSeconds,
          anchor: RUNBOOK_ANCHORS.garageDataZrepl,
        })
      : undefined;

  const drillTargets: CronJobTarget[] = drills.map((d) => ({
    name: d.cronJob,
    namespace: veleroNamespace,
    flow: d.kind,
    cron: d.schedule,
    intervalSeconds: d.intervalSeconds,
    // A drill may run up to drills.timeout: never call it late before that.
    staleAfterSeconds: staleAfterSeconds(cfg, DRILL_PURPOSES[d.kind].key, d.intervalSeconds, d.timeoutSeconds),
    purpose: DRILL_PURPOSES[d.kind].purpose,
    staleSeverity: "warning",
    anchor: RUNBOOK_ANCHORS.drills,
  }));

  // The opt-out job runs every few minutes and takes seconds: one missed run plus its deadline is late enough.
  const optOutCron = cfg.optOutSchedule;
  const optOutInterval = optOutCron === undefined ? 0 : cronMaxIntervalSeconds(optOutCron);
  const optOut: CronJobTarget | undefined =
    schedules.length > 0 && optOutCron !== undefined
      ? {
          name: OPTOUT_NAME,
          namespace: veleroNamespace,
          flow: "tenant-optout",
          cron: optOutCron,
          intervalSeconds: optOutInterval,
          staleAfterSeconds: 2 * optOutInterval + OPTOUT_ACTIVE_DEADLINE_SECONDS,
          purpose: "keeps velero.io/exclude-from-backup in step with the tenants' backup label",
          staleSeverity: "warning",
          anchor: RUNBOOK_ANCHORS.tenants,
        }
      : undefined;

  return {
    veleroNamespace,
    schedules: scheduleTargets,
    ...(optOut ? { optOut } : {}),
    locations,
    ...(nodeAgent ? { nodeAgent } : {}),
    ...(repoMaintenance ? { repoMaintenance } : {}),
    benji,
    ...(zrepl ? { zrepl } : {}),
    zreplDaemonSets,
    ...(zreplSink ? { zreplSink } : {}),
    drills: drillTargets,
    runbookBaseUrl: cfg.runbookBaseUrl,
  };
}
