/** Plan-summary lines listing every alert and restore drill of the stack. Pure. */
import { humanDuration } from "../schema/duration";
import { DRILL_NAMESPACE_PREFIX } from "../labels";
import type { DrillSpec } from "../drills/spec";
import { MONITORING_K8S } from "./alerts";
import { repoMaintenanceNote } from "./repo-maintenance";
import { zreplSinkNote } from "./zrepl-sink";
import { ITEMS_DROP_RATIO, ITEMS_LOOKBACK_RUNS, UNAVAILABLE_FOR_SECONDS, ZREPL_FAILED_ATTEMPTS, type AlertTargets, type RuleGroup } from "./rules";

/** Where the alerts go, or why there are none. */
export interface AlertsDeployment {
  /** monitoring.prometheusOperator (resolved). */
  readonly deployed: boolean;
  readonly namespace: string;
  readonly ruleLabels: Readonly<Record<string, string>>;
}

function stale(seconds: number, interval: number): string {
  return `stale after ${humanDuration(seconds)} (${humanDuration(interval)} interval + ${humanDuration(seconds - interval)})`;
}

/** One line per watched object (alert names, threshold, runbook section) plus one per drill. */
export function monitoringSummaryNotes(targets: AlertTargets, groups: readonly RuleGroup[], drills: readonly DrillSpec[], where: AlertsDeployment, timeZone: string): string[] {
  const notes: string[] = [];
  const count = groups.reduce((n, g) => n + g.rules.length, 0);
  if (!where.deployed) {
    notes.push(`Alerts: none deployed (monitoring.prometheusOperator is false); with the Prometheus operator this stack would get ${count} alerting rules`);
  } else {
    const labels = Object.entries(where.ruleLabels).map(([k, v]) => `${k}=${v}`).join(", ");
    notes.push(`Alerts: PrometheusRule \`${where.namespace}/${MONITORING_K8S.prometheusRule}\` with ${count} rules${labels ? ` (labels ${labels})` : ""}; runbook links \`${targets.runbookBaseUrl}#<section>\``);
    for (const s of targets.schedules) {
      notes.push(
        `Alert VeleroBackup{Failed,PartiallyFailed,Stale,NeverSucceeded,ItemsDropped} for Schedule \`${s.name}\` ('${s.cron}'): ${stale(s.staleAfterSeconds, s.intervalSeconds)}, ` +
          `items below ${ITEMS_DROP_RATIO * 100}% of the last ${ITEMS_LOOKBACK_RUNS} runs' most, runbook #${s.anchor}`,
      );
    }
    for (const l of targets.locations) {
      notes.push(`Alert VeleroBackupLocationUnavailable for location \`${l.name}\`: unavailable for ${humanDuration(UNAVAILABLE_FOR_SECONDS)}, runbook #${l.anchor}`);
    }
    if (targets.optOut) {
      const o = targets.optOut;
      notes.push(`Alert TenantOptOutJob{Failed,Stale,NeverSucceeded} for CronJob \`${o.namespace}/${o.name}\` ('${o.cron}'): ${stale(o.staleAfterSeconds, o.intervalSeconds)}, runbook #${o.anchor}`);
    }
    if (targets.nodeAgent) notes.push(`Alert VeleroNodeAgentNotReady for DaemonSet \`${targets.nodeAgent.namespace}/${targets.nodeAgent.name}\`: pods not ready for ${humanDuration(UNAVAILABLE_FOR_SECONDS)}, runbook #${targets.nodeAgent.anchor}`);
    if (targets.repoMaintenance) notes.push(repoMaintenanceNote(targets.repoMaintenance));
    for (const c of targets.benji) {
      notes.push(`Alert ${c.alertPrefix ?? "BenjiJob"}{Failed,Stale,NeverSucceeded} for CronJob \`${c.namespace}/${c.name}\` ('${c.cron}'): ${stale(c.staleAfterSeconds, c.intervalSeconds)}, runbook #${c.anchor}`);
    }
    if (targets.zrepl) {
      const z = targets.zrepl;
      notes.push(`Alert ZreplReplication{Lagging,NeverSucceeded} for zrepl job \`${z.job}\`: no replication for ${humanDuration(z.lagSeconds)}; ZreplReplicationErrors: failing for ${humanDuration(ZREPL_FAILED_ATTEMPTS * z.intervalSeconds)}, runbook #${z.anchor}`);
    }
    if (targets.zreplSink) notes.push(zreplSinkNote(targets.zreplSink));
    for (const d of targets.zreplDaemonSets) {
      notes.push(`Alert ZreplDaemonNotReady for DaemonSet \`${d.namespace}/${d.name}\`: pods not ready for ${humanDuration(UNAVAILABLE_FOR_SECONDS)}, runbook #${d.anchor}`);
    }
    for (const c of targets.drills) {
      notes.push(`Alert RestoreDrill{Failed,Stale,NeverSucceeded} for CronJob \`${c.namespace}/${c.name}\` ('${c.cron}'): ${stale(c.staleAfterSeconds, c.intervalSeconds)}, runbook #${c.anchor}`);
    }
  }
  for (const d of drills) {
    const source =
      d.sourceNamespace ??
      `the tenants (${d.tenantGlob}) of one of ${d.rotationWeeks ?? 1} rotation groups each week, every tenant at least once per ${d.rotationWeeks ?? 1} weeks, each with its own Restore,`;
    const checks = d.postgresCheck
      ? `loads the dump and checks the databases${d.postgresCheck.query ? ` and the query on ${d.postgresCheck.database}` : ""} in the restored container \`${d.postgresCheck.container}\``
      : "checks phase, item counts, pod volume restores and bound PVCs";
    notes.push(
      `Restore drill \`${d.cronJob}\` ('${d.schedule}' ${timeZone}, up to ${humanDuration(d.timeoutSeconds)}): restores ${source} from the newest completed \`${d.scheduleName}\` backup into \`${DRILL_NAMESPACE_PREFIX}<source>-<yyyymmddhhmm>\`, ${checks}, then deletes it; outcome = Job status + Event`,
    );
  }
  return notes;
}
