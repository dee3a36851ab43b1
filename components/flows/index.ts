/** The flow inventory (pure): one record per backup flow, the single source alerts, coverage and the runbook derive from. */
export * from "./types";
export { buildFlowInventory, type FlowInventoryArgs } from "./inventory";
