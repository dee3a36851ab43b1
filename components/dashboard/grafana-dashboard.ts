/**
 * The flows' Grafana dashboard (components/dashboard/dashboard.ts) as a ConfigMap for Grafana's dashboard sidecar:
 * the sidecar (kiwigrid k8s-sidecar in the grafana chart, `sidecar.dashboards`) watches ConfigMaps carrying its label,
 * writes each data key to a file in its dashboards directory, in the sub-directory named by the folder annotation
 * (k8s-sidecar 2.10.1 README: FOLDER_ANNOTATION, a relative value is below FOLDER), and Grafana's file provider loads
 * it (with `provider.foldersFromFilesStructure: true` the sub-directory becomes the Grafana folder).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { objectMeta, requireProvider } from "../k8s";
import { DASHBOARD_COMPONENT_TYPE, DASHBOARD_K8S, dashboardJson } from "./dashboard-names";
import type { Dashboard } from "@grafana/schema";

export interface GrafanaDashboardArgs {
  /** The dashboard: `buildDashboard` of the flow inventory. */
  readonly dashboard: Dashboard;
  /** Namespace of the ConfigMap (one the sidecar searches: kube-prometheus-stack searches ALL). */
  readonly namespace: string;
  /** The label the sidecar selects ConfigMaps by (`sidecar.dashboards.label` / `labelValue`). */
  readonly label: { readonly key: string; readonly value: string };
  /** The folder annotation (`sidecar.dashboards.folderAnnotation`) and the folder it names. */
  readonly folder: { readonly annotation: string; readonly name: string };
  /** What the ConfigMap waits for (its namespace); default none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** What a ConfigMap's data may total (kubernetes pkg/apis/core/validation/validation.go ValidateConfigMap: `totalSize > core.MaxSecretSize`, 1 MiB). */
export const CONFIGMAP_MAX_BYTES = 1024 * 1024;

/** metadata and data of the ConfigMap; throws when the dashboard is larger than a ConfigMap holds. Pure. */
export function dashboardConfigMap(args: Omit<GrafanaDashboardArgs, "dependsOn">) {
  const json = dashboardJson(args.dashboard);
  const bytes = Buffer.byteLength(json, "utf8");
  if (bytes > CONFIGMAP_MAX_BYTES) throw new Error(`GrafanaDashboard: the dashboard JSON is ${bytes} bytes, more than a ConfigMap holds (${CONFIGMAP_MAX_BYTES})`);
  return {
    metadata: objectMeta(DASHBOARD_K8S.configMap, args.namespace, undefined, { labels: { [args.label.key]: args.label.value }, annotations: { [args.folder.annotation]: args.folder.name } }),
    data: { [DASHBOARD_K8S.dataKey]: json },
  };
}

export class GrafanaDashboard extends pulumi.ComponentResource {
  /** Namespace and name of the ConfigMap. */
  readonly configMap: { readonly namespace: string; readonly name: string };

  constructor(name: string, args: GrafanaDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super(DASHBOARD_COMPONENT_TYPE, name, {}, opts);
    const provider = requireProvider("GrafanaDashboard", opts);
    new k8s.core.v1.ConfigMap(`${name}-configmap`, dashboardConfigMap(args), { parent: this, provider, dependsOn: args.dependsOn ?? [] });
    this.configMap = { namespace: args.namespace, name: DASHBOARD_K8S.configMap };
    this.registerOutputs({ configMap: this.configMap, uid: args.dashboard.uid });
  }
}
