/**
 * Names of the Grafana dashboard's objects and its serialisation, apart from components/dashboard/dashboard.ts so that
 * the component, index.ts and the plan writer load @grafana/schema only when a stack ships the dashboard.
 */
import type { Dashboard } from "@grafana/schema";

/** Type token of the component shipping the dashboard (components/dashboard/grafana-dashboard.ts); `plan` finds its ConfigMap by it. */
export const DASHBOARD_COMPONENT_TYPE = "cluster-backup:monitoring:Dashboard";

/** The ConfigMap's name and its one data key (the file name Grafana's sidecar writes, and `plan`'s dashboards/<key>). */
export const DASHBOARD_K8S = { configMap: "cluster-backup-dashboard", dataKey: "backup-flows.json" } as const;

/** The dashboard JSON as the ConfigMap holds it. */
export function dashboardJson(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
