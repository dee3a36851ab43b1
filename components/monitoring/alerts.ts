/**
 * The backup alerts as Prometheus operator objects (monitoring.coreos.com/v1): one PrometheusRule with the groups of
 * components/monitoring/rules.ts and, when zrepl runs, a PodMonitor scraping both zrepl daemons (zrepl serves
 * Prometheus metrics, nothing else scrapes them). Velero's own metrics come from the chart's ServiceMonitor
 * (velero.serviceMonitor) and kube-state-metrics from the monitoring stack.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { objectMeta, requireProvider } from "../k8s";
import { APP_NAME_LABEL } from "../labels";
import { ZREPL_K8S } from "../zrepl/replication";
import { SINK_CHECK_K8S } from "../zrepl/sink-check";
import type { RuleGroup } from "./rules";

/** Names of the monitoring objects. */
export const MONITORING_K8S = {
  prometheusRule: "cluster-backup",
  zreplPodMonitor: "zrepl",
} as const;

/** How often the zrepl metrics are scraped. */
export const ZREPL_SCRAPE_INTERVAL = "60s";

/**
 * `spec` of the zrepl PodMonitor: both daemons' pods, their metrics port, and with the sink check its exporter's port
 * (only the sink pod has it, so the push pod yields no target for it). Pure.
 */
export function zreplPodMonitorSpec(zreplNamespace: string, sinkCheck = false) {
  return {
    selector: { matchLabels: { [APP_NAME_LABEL]: ZREPL_K8S.appValue } },
    namespaceSelector: { matchNames: [zreplNamespace] },
    podMetricsEndpoints: [
      { port: ZREPL_K8S.metricsPortName, path: "/metrics", interval: ZREPL_SCRAPE_INTERVAL },
      ...(sinkCheck ? [{ port: SINK_CHECK_K8S.portName, path: "/metrics", interval: ZREPL_SCRAPE_INTERVAL }] : []),
    ],
  };
}

export interface BackupAlertsArgs {
  /** The rule groups: `buildAlertGroups` of the targets (components/monitoring/rules.ts, targets.ts); at least one. */
  readonly groups: readonly RuleGroup[];
  /** Namespace of the PrometheusRule and PodMonitor. */
  readonly namespace: string;
  /** Labels the Prometheus operator selects rules and monitors by (e.g. `release: kube-prometheus-stack`); default none. */
  readonly ruleLabels?: Readonly<Record<string, string>>;
  /** Namespace of the zrepl DaemonSets; unset = no PodMonitor. */
  readonly zreplNamespace?: string;
  /** The zrepl sink check runs: the PodMonitor also scrapes its port. Default false. */
  readonly zreplSinkCheck?: boolean;
  /** What the objects wait for (their namespace); default none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class BackupAlerts extends pulumi.ComponentResource {
  /** The rule groups deployed. */
  readonly groups: readonly RuleGroup[];

  constructor(name: string, args: BackupAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cluster-backup:monitoring:BackupAlerts", name, {}, opts);
    const provider = requireProvider("BackupAlerts", opts);
    const child = { parent: this, provider, dependsOn: args.dependsOn ?? [] };
    const labels = { ...args.ruleLabels };
    this.groups = args.groups;

    new k8s.apiextensions.CustomResource(
      `${name}-rules`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: objectMeta(MONITORING_K8S.prometheusRule, args.namespace, undefined, { labels }),
        spec: { groups: this.groups },
      },
      child,
    );
    if (args.zreplNamespace) {
      new k8s.apiextensions.CustomResource(
        `${name}-zrepl-pod-monitor`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PodMonitor",
          metadata: objectMeta(MONITORING_K8S.zreplPodMonitor, args.namespace, "zrepl", { labels }),
          spec: zreplPodMonitorSpec(args.zreplNamespace, args.zreplSinkCheck ?? false),
        },
        child,
      );
    }
    this.registerOutputs({ groups: this.groups.map((g) => g.name) });
  }
}
