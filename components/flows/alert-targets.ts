/**
 * What the alerts watch, read off the flow inventory (components/flows): the Velero Schedules, the backup storage
 * locations and node-agent, the Benji CronJobs, the zrepl job and DaemonSets, the restore drills and the opt-out sync,
 * each with the threshold the inventory derived from its cron (components/schema/cron.ts) plus `monitoring.grace`,
 * unless `monitoring.staleAfter.<key>` sets it; config rules refuse a threshold shorter than the interval.
 */
import type { CronJobWatch, DaemonSetWatch, FlowInventory, Watch } from "./types";
import type { AlertTargets, CronJobTarget, DaemonSetTarget } from "../monitoring/rules";

/**
 * What the alerts watch, read off the flow inventory (components/flows): the flows' watches, the drills' watches
 * (their verifications) and the shared ones (locations, node-agent, opt-out sync). Pure.
 */
export function alertTargetsOf(inventory: FlowInventory, runbookBaseUrl: string): AlertTargets {
  const watches = inventory.flows.flatMap((f) => f.watches);
  const cronJob = (w: CronJobWatch): CronJobTarget => ({
    name: w.object.name,
    namespace: w.object.namespace,
    flow: w.flow,
    cron: w.cron,
    intervalSeconds: w.intervalSeconds,
    staleAfterSeconds: w.staleAfterSeconds,
    purpose: w.purpose,
    staleSeverity: w.severity,
    anchor: w.anchor,
    ...(w.alert ? { alertPrefix: w.alert.prefix, failedSeverity: w.alert.failedSeverity, failedMeaning: w.alert.failedMeaning } : {}),
  });
  const daemonSet = (w: DaemonSetWatch): DaemonSetTarget => ({ name: w.object.name, namespace: w.object.namespace, flow: w.flow, purpose: w.purpose, anchor: w.anchor });
  const ofKind = <K extends Watch["kind"]>(list: readonly Watch[], kind: K) => list.filter((w): w is Extract<Watch, { kind: K }> => w.kind === kind);
  const shared = inventory.infrastructure;
  const nodeAgent = ofKind(shared, "daemonset")[0];
  const optOut = ofKind(shared, "cronjob")[0];
  const zrepl = ofKind(watches, "zrepl-job")[0];
  const repoMaintenance = ofKind(shared, "repo-maintenance")[0];
  const zreplSink = ofKind(watches, "zrepl-sink")[0];
  return {
    veleroNamespace: inventory.veleroNamespace,
    schedules: ofKind(watches, "schedule").map((w) => ({
      name: w.object.name,
      flow: w.flow,
      cron: w.cron,
      intervalSeconds: w.intervalSeconds,
      staleAfterSeconds: w.staleAfterSeconds,
      location: w.location,
      anchor: w.anchor,
    })),
    ...(optOut ? { optOut: cronJob(optOut) } : {}),
    locations: ofKind(shared, "location").map((w) => ({ name: w.object.name, schedules: w.schedules, anchor: w.anchor })),
    ...(nodeAgent ? { nodeAgent: daemonSet(nodeAgent) } : {}),
    // Benji's own CronJobs, its scrub and restore drill included (they carry their own alert names).
    benji: inventory.flows.filter((f) => f.mechanism === "benji-rbd").flatMap((f) => [...ofKind(f.watches, "cronjob"), ...f.verifiedBy.map((v) => v.watch)].map(cronJob)),
    ...(zrepl
      ? { zrepl: { job: zrepl.job, namespace: zrepl.object.namespace, daemonSet: zrepl.object.name, intervalSeconds: zrepl.intervalSeconds, lagSeconds: zrepl.lagSeconds, anchor: zrepl.anchor } }
      : {}),
    zreplDaemonSets: inventory.flows.filter((f) => f.mechanism === "zrepl").flatMap((f) => ofKind(f.watches, "daemonset").map(daemonSet)),
    // Velero's restore drills (Benji's verifications are among its CronJobs above).
    drills: inventory.flows.filter((f) => f.mechanism !== "benji-rbd").flatMap((f) => f.verifiedBy.filter((v) => v.kind === "drill").map((v) => cronJob(v.watch))),
    ...(repoMaintenance ? { repoMaintenance: repoMaintenance.target } : {}),
    ...(zreplSink ? { zreplSink: zreplSink.target } : {}),
    runbookBaseUrl,
  };
}
