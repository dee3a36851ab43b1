/** The alert targets of a stack config as index.ts derives them: its flow inventory, read by `alertTargetsOf`. */
import type { StackConfig } from "../../components/config";
import type { DrillSpec } from "../../components/drills/spec";
import { alertTargetsOf } from "../../components/flows/alert-targets";
import type { AlertTargets } from "../../components/monitoring/rules";
import { flowInventoryFromConfig } from "../../components/stack-args";
import type { ScheduleSpec } from "../../components/velero/schedule-specs";

export function alertTargetsFromConfig(cfg: StackConfig, schedules: readonly ScheduleSpec[], drills: readonly DrillSpec[]): AlertTargets {
  return alertTargetsOf(flowInventoryFromConfig(cfg, schedules, drills), cfg.monitoring.runbookBaseUrl);
}
