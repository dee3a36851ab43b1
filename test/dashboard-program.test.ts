/**
 * The dashboard ConfigMap for Grafana's sidecar (components/dashboard/grafana-dashboard.ts) in the stacks' plans:
 * exact labels, annotations and data, the JSON equal to the dashboard built from the stack's flow inventory, `plan`'s
 * dashboards/backup-flows.json equal to the ConfigMap's data, and the `monitoring.dashboard` keys at work.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parseStackConfig } from "../components/config";
import { buildDrillSpecs } from "../components/drills/spec";
import { buildDashboard } from "../components/dashboard/dashboard";
import { DASHBOARD_K8S, dashboardJson } from "../components/dashboard/dashboard-names";
import { CONFIGMAP_MAX_BYTES, dashboardConfigMap } from "../components/dashboard/grafana-dashboard";
import { flowInventoryFromConfig } from "../components/stack-args";
import { buildScheduleSpecs } from "../components/velero/schedule-specs";
import { readStackFile } from "../scripts/lib/stack-file";
import { buildPlanFiles } from "../scripts/lib/plan-output";
import { planStack, planWith, ROOT, type Obj, type Plan } from "./harness";
import { validateObject } from "./lib/conformance";

const OWNED = { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "cluster-backup" };

function prodDashboard() {
  const { config, secretKeys } = readStackFile(ROOT, "prod");
  const cfg = parseStackConfig(config, new Set(secretKeys), "prod");
  return buildDashboard(flowInventoryFromConfig(cfg, buildScheduleSpecs(cfg), buildDrillSpecs(cfg)), { uid: "cluster-backup-prod", title: "Backup flows (prod)", tags: ["cluster-backup", "backup", "prod"] });
}

describe("the dashboard ConfigMap (pure)", () => {
  it("carries the sidecar label, the folder annotation and the dashboard JSON under one key", () => {
    const dashboard = prodDashboard();
    expect(dashboardConfigMap({ dashboard, namespace: "monitoring", label: { key: "grafana_dashboard", value: "1" }, folder: { annotation: "grafana_folder", name: "Backups" } })).toEqual({
      metadata: { name: "cluster-backup-dashboard", namespace: "monitoring", labels: { ...OWNED, grafana_dashboard: "1" }, annotations: { grafana_folder: "Backups" } },
      data: { "backup-flows.json": dashboardJson(dashboard) },
    });
  });

  it("refuses a dashboard larger than a ConfigMap holds (1 MiB)", () => {
    const args = { namespace: "monitoring", label: { key: "grafana_dashboard", value: "1" }, folder: { annotation: "grafana_folder", name: "Backups" } };
    const huge = { ...prodDashboard(), description: "x".repeat(1024 * 1024) };
    const bytes = Buffer.byteLength(dashboardJson(huge));
    expect(() => dashboardConfigMap({ ...args, dashboard: huge })).toThrow(`GrafanaDashboard: the dashboard JSON is ${bytes} bytes, more than a ConfigMap holds (1048576)`);
    expect(Buffer.byteLength(dashboardJson(prodDashboard()))).toBeLessThan(CONFIGMAP_MAX_BYTES / 4);
  });
});

describe("the dashboard in the prod plan (alerts deployed, so the dashboard too)", () => {
  let plan: Plan;
  let configMap: Obj;
  beforeAll(async () => {
    plan = await planStack("prod");
    configMap = plan.object("ConfigMap", DASHBOARD_K8S.configMap, "backup-system");
  });

  it("is one ConfigMap beside the alerts, child of the Dashboard component, waiting for Velero's namespace", () => {
    const reg = plan.registrationOf("ConfigMap", DASHBOARD_K8S.configMap, "backup-system");
    expect(reg.type).toBe("kubernetes:core/v1:ConfigMap");
    expect(reg.provider).toContain("pulumi:providers:kubernetes::target");
    const parent = plan.registrations.find((r) => r.urn === reg.parent);
    expect([parent?.type, parent?.name]).toEqual(["cluster-backup:monitoring:Dashboard", "dashboard"]);
    expect(reg.dependsOn).toContain(plan.registrationOf("Namespace", "backup-system").urn);
    expect(plan.exports.grafanaDashboard).toEqual({ namespace: "backup-system", name: "cluster-backup-dashboard" });
  });

  it("has the default sidecar label and folder annotation, and the stack's dashboard as its one data key", () => {
    expect(configMap.metadata).toEqual({
      name: "cluster-backup-dashboard",
      namespace: "backup-system",
      labels: { ...OWNED, grafana_dashboard: "1" },
      annotations: { "k8s-sidecar-target-directory": "Backups" },
    });
    expect(Object.keys(configMap.data)).toEqual(["backup-flows.json"]);
    const parsed = JSON.parse(configMap.data["backup-flows.json"]);
    expect(parsed).toEqual(JSON.parse(JSON.stringify(prodDashboard())));
    expect([parsed.uid, parsed.title, parsed.panels.length]).toEqual(["cluster-backup-prod", "Backup flows (prod)", 88]);
  });

  it("validates against the Kubernetes ConfigMap schema", async () => {
    expect(await validateObject(configMap)).toEqual([]);
    expect(await validateObject({ ...configMap, data: { "backup-flows.json": 1 } })).not.toEqual([]);
  });

  it("plan writes dashboards/backup-flows.json, equal to the ConfigMap's data", () => {
    const files = buildPlanFiles("prod", plan.run).files;
    expect([...files.keys()].filter((f) => f.startsWith("dashboards/"))).toEqual(["dashboards/backup-flows.json"]);
    expect(files.get("dashboards/backup-flows.json")).toBe(configMap.data["backup-flows.json"]);
  });
});

describe("monitoring.dashboard", () => {
  it("dev: off by default (no Prometheus operator, so no dashboard), no plan file", async () => {
    const plan = await planStack("dev");
    expect(plan.objects("ConfigMap").filter((o) => o.metadata.name === DASHBOARD_K8S.configMap)).toEqual([]);
    expect(plan.exports.grafanaDashboard).toBeUndefined();
    expect([...buildPlanFiles("dev", plan.run).files.keys()].filter((f) => f.startsWith("dashboards/"))).toEqual([]);
  });

  it("dev, turned on with its own namespace, label and folder", async () => {
    const plan = await planWith("dev", {
      monitoring: { dashboard: { enabled: true, namespace: "monitoring", labelKey: "example.com/dashboard", labelValue: "backups", folder: "Cluster backups", folderAnnotation: "grafana_folder" } },
    });
    const cm = plan.object("ConfigMap", DASHBOARD_K8S.configMap, "monitoring");
    expect(cm.metadata).toEqual({
      name: "cluster-backup-dashboard",
      namespace: "monitoring",
      labels: { ...OWNED, "example.com/dashboard": "backups" },
      annotations: { grafana_folder: "Cluster backups" },
    });
    expect(JSON.parse(cm.data["backup-flows.json"]).uid).toBe("cluster-backup-dev");
    expect(plan.registrationOf("ConfigMap", DASHBOARD_K8S.configMap, "monitoring").dependsOn).toEqual([]);
  });

  it("links the panels to RESTORE.md only when monitoring.runbookBaseUrl is an absolute URL", async () => {
    const links = (plan: Plan) => JSON.parse(plan.object("ConfigMap", DASHBOARD_K8S.configMap).data["backup-flows.json"]).panels.find((p: Obj) => p.type === "stat").links;
    const base = "https://git.example.com/ops/cluster-backup/-/blob/main/RESTORE.md";
    expect(links(await planWith("prod", { monitoring: { ruleLabels: { release: "kube-prometheus-stack" }, runbookBaseUrl: base } })).map((l: Obj) => l.url)).toEqual([`${base}#tenants`]);
    expect(links(await planStack("prod"))).toEqual([]);
  });

  it("prod, turned off", async () => {
    const plan = await planWith("prod", { monitoring: { ruleLabels: { release: "kube-prometheus-stack" }, dashboard: { enabled: false } } });
    expect(plan.objects("ConfigMap").map((o) => o.metadata.name)).not.toContain(DASHBOARD_K8S.configMap);
    expect(plan.objects("PrometheusRule")).toHaveLength(1);
  });
});
