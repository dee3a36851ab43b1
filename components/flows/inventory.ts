/**
 * The flow inventory of a stack: every backup flow as one {@link Flow} record, plus the watches the flows share.
 * Built once from plain args (components/stack-args.ts `flowInventoryArgsFromConfig`); alerts, coverage, the runbook,
 * the plan summary and the architecture diagram read it, and the stack exports it as `flows`. Pure.
 */
import type { StaleSettings } from "../monitoring/stale";
import type { ScheduleSpec } from "../velero/schedule-specs";
import { benjiFlow, type BenjiFlowArgs } from "./benji";
import { drillVerifications, type DrillRef } from "./drills";
import { veleroFlows, veleroInfrastructure, type VeleroFlowArgs, type VeleroInfrastructureArgs } from "./velero";
import { zreplFlow, type ZreplFlowArgs } from "./zrepl";
import type { Flow, FlowInventory } from "./types";

export interface FlowInventoryArgs extends StaleSettings {
  /** IANA zone of every cron. */
  readonly timeZone: string;
  /** Velero's namespace (Schedules, locations, node-agent, drills, opt-out job). */
  readonly veleroNamespace: string;
  /** The Velero Schedules (components/velero/schedule-specs.ts); empty without Velero. */
  readonly schedules: readonly ScheduleSpec[];
  readonly velero: Omit<VeleroFlowArgs, keyof StaleSettings | "timeZone"> & Omit<VeleroInfrastructureArgs, "veleroNamespace" | "grace">;
  /** The Benji flow's args, when Benji runs. */
  readonly benji?: Omit<BenjiFlowArgs, keyof StaleSettings | "timeZone">;
  /** The zrepl flow's args, when zrepl runs. */
  readonly zrepl?: ZreplFlowArgs;
  /** The restore drills (components/drills/spec.ts `buildDrillSpecs`). */
  readonly drills: readonly DrillRef[];
}

/** The inventory. Throws when a drill names a flow the stack does not run (config rules refuse that first). */
export function buildFlowInventory(args: FlowInventoryArgs): FlowInventory {
  const stale: StaleSettings = { staleAfter: args.staleAfter, grace: args.grace };
  const flows: Flow[] = [
    ...veleroFlows(args.schedules, { ...stale, timeZone: args.timeZone, repositoryPassword: args.velero.repositoryPassword, postgresWorkload: args.velero.postgresWorkload }),
    ...(args.benji ? [benjiFlow({ ...stale, timeZone: args.timeZone, ...args.benji })] : []),
    ...(args.zrepl ? [zreplFlow(args.zrepl)] : []),
  ];
  const verifications = drillVerifications(args.drills, args.veleroNamespace, stale);
  for (const v of verifications) {
    if (!flows.some((f) => f.id === v.watch.flow)) throw new Error(`restore drill ${v.watch.object.name}: flow ${v.watch.flow} is not in this stack`);
  }
  return {
    timeZone: args.timeZone,
    veleroNamespace: args.veleroNamespace,
    flows: flows.map((f) => {
      const verifiedBy = [...f.verifiedBy, ...verifications.filter((v) => v.watch.flow === f.id)];
      return { ...f, verifiedBy };
    }),
    infrastructure: veleroInfrastructure(args.schedules, {
      veleroNamespace: args.veleroNamespace,
      locationNames: args.velero.locationNames,
      optOut: args.velero.optOut,
      extraValues: args.velero.extraValues,
      grace: args.grace,
    }),
  };
}
