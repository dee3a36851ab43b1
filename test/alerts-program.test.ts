import { beforeAll, describe, expect, it } from "vitest";
import { planStack, planWith, stackConfigProblems, type Obj, type Plan } from "./harness";
import { validateObject } from "./lib/conformance";
import { promqlErrors } from "./lib/promql";

describe("alerts in the prod plan (Prometheus operator present by default)", () => {
  let plan: Plan;
  let rule: Obj;
  beforeAll(async () => {
    plan = await planStack("prod");
    rule = plan.object("PrometheusRule", "cluster-backup", "backup-system");
  });

  it("one PrometheusRule in Velero's namespace, child of the BackupAlerts component, on the target provider", () => {
    const reg = plan.registrationOf("PrometheusRule", "cluster-backup");
    expect(reg.type).toBe("kubernetes:monitoring.coreos.com/v1:PrometheusRule");
    expect(reg.provider).toContain("pulumi:providers:kubernetes::target");
    expect(plan.registrations.find((r) => r.urn === reg.parent)?.type).toBe("cluster-backup:monitoring:BackupAlerts");
    expect(reg.dependsOn).toContain(plan.registrationOf("Namespace", "backup-system").urn);
    expect(rule.metadata).toEqual({
      name: "cluster-backup",
      namespace: "backup-system",
      labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "cluster-backup", release: "kube-prometheus-stack" },
    });
  });

  it("holds every rule, each valid PromQL, and validates against the PrometheusRule schema", async () => {
    const rules = (rule.spec.groups as Obj[]).flatMap((g) => g.rules as Obj[]);
    expect(rules).toHaveLength(66);
    expect([...new Set(rules.map((r) => r.alert))]).toEqual([
      "VeleroBackupFailed",
      "VeleroBackupPartiallyFailed",
      "VeleroBackupStale",
      "VeleroBackupNeverSucceeded",
      "VeleroBackupItemsDropped",
      "VeleroBackupLocationUnavailable",
      "VeleroNodeAgentNotReady",
      "VeleroRepoMaintenanceNotSucceeded",
      "TenantOptOutJobFailed",
      "TenantOptOutJobStale",
      "TenantOptOutJobNeverSucceeded",
      "BenjiJobFailed",
      "BenjiJobStale",
      "BenjiJobNeverSucceeded",
      "BenjiMetadataBackupFailed",
      "BenjiMetadataBackupStale",
      "BenjiMetadataBackupNeverSucceeded",
      "BenjiScrubFailed",
      "BenjiScrubStale",
      "BenjiScrubNeverSucceeded",
      "BenjiRestoreDrillFailed",
      "BenjiRestoreDrillStale",
      "BenjiRestoreDrillNeverSucceeded",
      "ZreplReplicationLagging",
      "ZreplReplicationNeverSucceeded",
      "ZreplReplicationErrors",
      "ZreplDaemonNotReady",
      "ZreplSinkSnapshotStale",
      "ZreplSinkDatasetUnreadable",
      "ZreplSinkCheckNotRunning",
      "RestoreDrillFailed",
      "RestoreDrillStale",
      "RestoreDrillNeverSucceeded",
    ]);
    expect(rules.flatMap((r) => promqlErrors(r.expr as string))).toEqual([]);
    expect(await validateObject(rule)).toEqual([]);
    expect(plan.exports.alerts).toEqual([...new Set(rules.map((r) => r.alert))]);
  });

  it("the schema check rejects a rule without expr and a malformed duration", async () => {
    const broken = { ...rule, spec: { groups: [{ name: "g", rules: [{ alert: "A", for: "1 day" }] }] } };
    expect(await validateObject(broken)).toEqual([
      "/spec/groups/0/rules/0 required: must have required property 'expr'",
      '/spec/groups/0/rules/0/for pattern: must match pattern "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"',
    ]);
  });

  it("a PodMonitor scrapes both zrepl daemons on their metrics port", async () => {
    const monitor = plan.object("PodMonitor", "zrepl", "backup-system");
    expect(monitor.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "cluster-backup", "cluster-backup.io/flow": "zrepl", release: "kube-prometheus-stack" });
    expect(monitor.spec).toEqual({
      selector: { matchLabels: { "app.kubernetes.io/name": "zrepl" } },
      namespaceSelector: { matchNames: ["zrepl"] },
      podMetricsEndpoints: [
        { port: "metrics", path: "/metrics", interval: "60s" },
        { port: "sink-check", path: "/metrics", interval: "60s" },
      ],
    });
    const pushPorts = plan.object("DaemonSet", "zrepl-garage-push", "zrepl").spec.template.spec.containers[0].ports as Obj[];
    expect(pushPorts.map((p) => p.name)).toContain("metrics");
    expect(plan.object("DaemonSet", "zrepl-sink", "zrepl").spec.template.metadata.labels["app.kubernetes.io/name"]).toBe("zrepl");
    expect(await validateObject(monitor)).toEqual([]);
  });

  it("the plan summary lists every alert and drill", () => {
    const notes = (plan.exports.summaryNotes as string[]).filter((n) => /^(Alert|Restore drill)/.test(n));
    expect(notes[0]).toBe("Alerts: PrometheusRule `backup-system/cluster-backup` with 66 rules (labels release=kube-prometheus-stack); runbook links `RESTORE.md#<section>`");
    expect(notes).toContain(
      "Alert VeleroBackup{Failed,PartiallyFailed,Stale,NeverSucceeded,ItemsDropped} for Schedule `tenants-daily` ('0 1 * * *'): stale after 28h (1d interval + 4h), items below 50% of the last 7 runs' most, runbook #tenants",
    );
    expect(notes).toContain("Alert TenantOptOutJob{Failed,Stale,NeverSucceeded} for CronJob `backup-system/tenant-backup-optout` ('*/15 * * * *'): stale after 40m (15m interval + 25m), runbook #tenants");
    expect(notes).toContain("Alert ZreplReplication{Lagging,NeverSucceeded} for zrepl job `garage_push`: no replication for 1h; ZreplReplicationErrors: failing for 20m, runbook #garage-data-zrepl");
    expect(notes).toContain(
      "Restore drill `restore-drill-tenants` ('0 10 * * 6' UTC, up to 2h): restores the tenants (cust-*) of one of 4 rotation groups each week, every tenant at least once per 4 weeks, each with its own Restore, from the newest completed `tenants-daily` backup into `drill-<source>-<yyyymmddhhmm>`, checks phase, item counts, pod volume restores and bound PVCs, then deletes it; outcome = Job status + Event",
    );
    expect(notes).toContain("Alert BenjiScrub{Failed,Stale,NeverSucceeded} for CronJob `benji/benji-deep-scrub` ('0 1 * * *'): stale after 28h (1d interval + 4h), runbook #benji");
    expect(notes).toContain("Alert BenjiRestoreDrill{Failed,Stale,NeverSucceeded} for CronJob `benji/benji-restore-drill` ('0 12 * * 6'): stale after 174h (7d interval + 6h), runbook #benji");
    expect(notes).toContain("Alert BenjiMetadataBackup{Failed,Stale,NeverSucceeded} for CronJob `benji/benji-metadata-backup` ('30 4 * * *'): stale after 28h (1d interval + 4h), runbook #benji");
    expect(notes.filter((n) => n.startsWith("Alert "))).toHaveLength(5 + 4 + 1 + 1 + 1 + 3 + 3 + 1 + 1 + 2 + 2);
    expect(notes.filter((n) => n.startsWith("Restore drill "))).toHaveLength(2);
  });
});

describe("alerts elsewhere", () => {
  it("dev: no Prometheus operator by default, so no PrometheusRule; the summary says so", async () => {
    const plan = await planStack("dev");
    expect(plan.objects("PrometheusRule")).toEqual([]);
    expect(plan.objects("PodMonitor")).toEqual([]);
    expect(plan.exports.alerts).toEqual([]);
    expect((plan.exports.summaryNotes as string[]).filter((n) => n.startsWith("Alert"))).toEqual([
      "Alerts: none deployed (monitoring.prometheusOperator is false); with the Prometheus operator this stack would get 29 alerting rules",
    ]);
  });

  it("prometheusOperator, ruleLabels and namespace from config; no PodMonitor without zrepl", async () => {
    const plan = await planWith("dev", { monitoring: { prometheusOperator: true, namespace: "monitoring", ruleLabels: { release: "kube-prometheus-stack" } } });
    const rule = plan.object("PrometheusRule", "cluster-backup", "monitoring");
    expect(rule.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "cluster-backup", release: "kube-prometheus-stack" });
    expect((rule.spec.groups as Obj[]).map((g) => g.name)).toEqual(["cluster-backup.velero", "cluster-backup.restore-drills"]);
    expect(plan.registrationOf("PrometheusRule", "cluster-backup").dependsOn).toEqual([]);
    expect(plan.objects("PodMonitor")).toEqual([]);
    expect((plan.exports.summaryNotes as string[])[(plan.exports.summaryNotes as string[]).findIndex((n) => n.startsWith("Alerts:"))]).toBe(
      "Alerts: PrometheusRule `monitoring/cluster-backup` with 29 rules (labels release=kube-prometheus-stack); runbook links `RESTORE.md#<section>`",
    );
  });

  it("prod can switch them off", async () => {
    const plan = await planWith("prod", { monitoring: { prometheusOperator: false } });
    expect(plan.objects("PrometheusRule")).toEqual([]);
    expect(plan.objects("PodMonitor")).toEqual([]);
  });
});

describe("alerts: bad config is refused with the key, the value and the form", () => {
  it("a staleness threshold shorter than its schedule's interval", () => {
    expect(stackConfigProblems("prod", { monitoring: { staleAfter: { tenants: "12h", benjiBackup: "90m", tenantsDrill: "48h" } } })).toEqual([
      `cluster-backup:monitoring.staleAfter.tenants: is shorter than the 1d between runs of '0 1 * * *' (flows.tenants.schedule): the alert would fire before the next run is due; expected at least 1d, e.g. '28h' (got "12h")`,
      `cluster-backup:monitoring.staleAfter.benjiBackup: is shorter than the 1d between runs of '30 7 * * *' (flows.benji.backupSchedule): the alert would fire before the next run is due; expected at least 1d, e.g. '28h' (got "90m")`,
      `cluster-backup:monitoring.staleAfter.tenantsDrill: is shorter than the 7d between runs of '0 10 * * 6' (drills.tenants.schedule): the alert would fire before the next run is due; expected at least 7d, e.g. '172h' (got "48h")`,
    ]);
    expect(stackConfigProblems("prod", { monitoring: { staleAfter: { tenants: "24h", system: "30h" } } })).toEqual([]);
    expect(stackConfigProblems("prod", { monitoring: { staleAfter: { benjiScrub: "20h", benjiDrill: "100h", benjiMetadataBackup: "1h" } } })).toEqual([
      `cluster-backup:monitoring.staleAfter.benjiScrub: is shorter than the 1d between runs of '0 1 * * *' (flows.benji.scrub.schedule): the alert would fire before the next run is due; expected at least 1d, e.g. '28h' (got "20h")`,
      `cluster-backup:monitoring.staleAfter.benjiDrill: is shorter than the 7d between runs of '0 12 * * 6' (flows.benji.drill.schedule): the alert would fire before the next run is due; expected at least 7d, e.g. '172h' (got "100h")`,
      `cluster-backup:monitoring.staleAfter.benjiMetadataBackup: is shorter than the 1d between runs of '30 4 * * *' (flows.benji.metadataBackup.schedule): the alert would fire before the next run is due; expected at least 1d, e.g. '28h' (got "1h")`,
    ]);
  });

  it("malformed monitoring keys", () => {
    expect(stackConfigProblems("prod", { monitoring: { grace: "4 hours", ruleLabels: { "release!": "x" }, runbookBaseUrl: "https://x/RESTORE.md#top", staleAfter: { tenant: "30h" } } })).toEqual([
      `cluster-backup:monitoring.ruleLabels.release!: expected a Kubernetes label key such as 'release' or 'example.com/team' (got "release!")`,
      `cluster-backup:monitoring.runbookBaseUrl: expected the URL (or repository path) of RESTORE.md without a '#fragment', e.g. 'https://git.example.com/ops/cluster-backup/-/blob/main/RESTORE.md' (got "https://x/RESTORE.md#top")`,
      `cluster-backup:monitoring.grace: expected a positive Go duration such as '30m', '4h' or '1h30m' (got "4 hours")`,
      "cluster-backup:monitoring.staleAfter.tenant: unknown key; expected one of: tenants, system, garageMetaCeph, garageDataZfs, postgres, benjiBackup, benjiEnforce, benjiCleanup, benjiScrub, benjiDrill, benjiMetadataBackup, tenantsDrill, postgresDrill",
    ]);
  });
});
