import { describe, expect, it } from "vitest";
import { parseStackConfig, type StackConfig } from "../components/config";
import { buildDrillSpecs } from "../components/drills/spec";
import { buildAlertGroups, cronJobRules, daemonSetExpr, GROUPS, itemsDropRule, promDuration, scheduleRules, selector, type AlertRule, type RuleGroup } from "../components/monitoring/rules";
import { scheduleCron, VELERO_NODE_AGENT_DAEMONSET } from "../components/flows/velero";
import { staleAfterSeconds } from "../components/monitoring/stale";
import { alertTargetsFromConfig } from "./lib/alert-targets";
import { RUNBOOK_ANCHORS, runbookUrl } from "../components/runbook-anchors";
import { cronMaxIntervalSeconds } from "../components/schema/cron";
import { buildScheduleSpecs, SCHEDULE_NAMES } from "../components/velero/schedules";
import { BENJI_K8S } from "../components/benji/benji";
import { ZREPL_PUSH_JOB } from "../components/zrepl/config";
import { ZREPL_K8S } from "../components/zrepl/replication";
import { readStackFile } from "../scripts/lib/stack-file";
import { rawConfig, ROOT } from "./harness";
import { promqlErrors } from "./lib/promql";

/** The prod stack file's config, with `cluster-backup:` keys replaced by `overrides` (shallowly, per key). */
function prodConfig(overrides: Record<string, unknown> = {}): StackConfig {
  const { config, secretKeys } = readStackFile(ROOT, "prod");
  const raw = { ...config, ...rawConfig(overrides) };
  return parseStackConfig(raw, new Set(secretKeys), "prod");
}

function groupsOf(cfg: StackConfig): RuleGroup[] {
  return buildAlertGroups(alertTargetsFromConfig(cfg, buildScheduleSpecs(cfg), buildDrillSpecs(cfg)));
}

function rulesOf(groups: RuleGroup[], alert: string): AlertRule[] {
  return groups.flatMap((g) => g.rules).filter((r) => r.alert === alert);
}

/** The one rule of that name whose expression names `subject`. */
function ruleFor(groups: RuleGroup[], alert: string, subject: string): AlertRule {
  const found = rulesOf(groups, alert).filter((r) => r.expr.includes(`"${subject}"`) || r.expr.includes(`"${subject}-[0-9]+"`));
  if (found.length !== 1) throw new Error(`expected one ${alert} for ${subject}, found ${found.length}`);
  return found[0];
}

const DAY = 86400;
const GRACE = 4 * 3600;

describe("alerts: thresholds derive from each schedule's cron", () => {
  it("promDuration writes Prometheus durations", () => {
    expect([promDuration(86400), promDuration(100800), promDuration(600), promDuration(5400), promDuration(90061), promDuration(0)]).toEqual(["24h", "28h", "10m", "1h30m", "25h1m1s", "0s"]);
    expect(() => promDuration(1.5)).toThrow("not a whole number of seconds: 1.5");
  });

  it("selector quotes values and turns a leading ~ into a regex matcher", () => {
    expect(selector("m", { schedule: "tenants-daily", job_name: "~x-[0-9]+" })).toBe('m{schedule="tenants-daily",job_name=~"x-[0-9]+"}');
  });

  it("a Schedule's cron is read back without Velero's CRON_TZ prefix", () => {
    const cfg = prodConfig({ timeZone: "Europe/Paris" });
    const tenants = buildScheduleSpecs(cfg).find((s) => s.name === SCHEDULE_NAMES.tenants)!;
    expect(tenants.spec.schedule).toBe("CRON_TZ=Europe/Paris 0 1 * * *");
    expect(scheduleCron(tenants, "Europe/Paris")).toBe("0 1 * * *");
    expect(() => scheduleCron(tenants, "UTC")).toThrow("Schedule tenants-daily: 'CRON_TZ=Europe/Paris 0 1 * * *' does not start with 'CRON_TZ=UTC '");
  });

  it("prod: every Velero schedule is daily, stale after interval + monitoring.grace (4h)", () => {
    const targets = alertTargetsFromConfig(prodConfig(), buildScheduleSpecs(prodConfig()), []);
    expect(targets.schedules.map((s) => [s.name, s.cron, s.intervalSeconds, s.staleAfterSeconds, s.location, s.anchor])).toEqual([
      ["tenants-daily", "0 1 * * *", DAY, DAY + GRACE, "default", "tenants"],
      ["system-daily", "0 5 * * *", DAY, DAY + GRACE, "system", "system"],
      ["garage-meta-ceph", "0 3 * * *", DAY, DAY + GRACE, "garage-backups", "garage-meta-ceph"],
      ["garage-data-zfs", "0 3 * * *", DAY, DAY + GRACE, "garage-backups", "garage-data-zfs"],
      ["postgres-backup", "0 4 * * *", DAY, DAY + GRACE, "postgres", "postgres"],
    ]);
  });

  it("other crons give other thresholds: every 6 h, weekdays only (3 days over the weekend), weekly; staleAfter overrides", () => {
    const flows = prodConfig().flows;
    const cfg = prodConfig({
      flows: {
        ...flows,
        tenants: { ...flows.tenants, schedule: "0 */6 * * *" },
        system: { ...flows.system, schedule: "0 5 * * 1-5" },
        postgres: { ...flows.postgres, schedule: "0 4 * * 0" },
      },
      monitoring: { grace: "2h", staleAfter: { garageMetaCeph: "30h" } },
      // Between the 06:00 backup's window (until 08:00) and the 12:00 backup.
      drills: { tenants: { schedule: "0 8 * * 6" } },
    });
    const byName = Object.fromEntries(alertTargetsFromConfig(cfg, buildScheduleSpecs(cfg), []).schedules.map((s) => [s.name, [s.intervalSeconds, s.staleAfterSeconds]]));
    expect(byName).toEqual({
      "tenants-daily": [6 * 3600, 8 * 3600],
      "system-daily": [3 * DAY, 3 * DAY + 2 * 3600],
      "garage-meta-ceph": [DAY, 30 * 3600],
      "garage-data-zfs": [DAY, DAY + 2 * 3600],
      "postgres-backup": [7 * DAY, 7 * DAY + 2 * 3600],
    });
    const groups = groupsOf(cfg);
    expect(ruleFor(groups, "VeleroBackupFailed", "tenants-daily").expr).toBe('increase(velero_backup_failure_total{schedule="tenants-daily"}[6h]) > 0');
    expect(ruleFor(groups, "VeleroBackupStale", "system-daily").expr).toBe(`time() - velero_backup_last_successful_timestamp{schedule="system-daily"} > ${3 * DAY + 7200}`);
    expect(ruleFor(groups, "VeleroBackupNeverSucceeded", "postgres-backup").for).toBe("170h");
    expect(ruleFor(groups, "VeleroBackupNeverSucceeded", "garage-meta-ceph").for).toBe("30h");
  });

  it("staleAfterSeconds: explicit value, else interval + grace, never less than a minimum grace", () => {
    const cfg = prodConfig({ monitoring: { grace: "1h", staleAfter: { tenants: "26h" } } });
    expect(staleAfterSeconds(cfg.monitoring, "tenants", DAY)).toBe(26 * 3600);
    expect(staleAfterSeconds(cfg.monitoring, "system", DAY)).toBe(DAY + 3600);
    expect(staleAfterSeconds(cfg.monitoring, "tenantsDrill", 7 * DAY, 7200)).toBe(7 * DAY + 7200);
  });
});

describe("alerts: the rules of the prod stack", () => {
  const cfg = prodConfig();
  const groups = groupsOf(cfg);
  const base = "RESTORE.md";

  it("four groups, 66 rules, in a fixed order", () => {
    expect(groups.map((g) => [g.name, g.rules.length])).toEqual([
      // 5 Schedules × (4 + items dropped), 4 locations, node-agent, repository maintenance, the opt-out CronJob's 3.
      [GROUPS.velero, 5 * 5 + 4 + 1 + 1 + 3],
      // backup, enforce, cleanup, then deep scrub, restore drill, metadata backup: 3 each.
      [GROUPS.benji, 6 * 3],
      [GROUPS.zrepl, 3 + 2 + 3],
      [GROUPS.drills, 2 * 3],
    ]);
  });

  it("a sudden drop in backed-up items per Schedule (velero_backup_items_total, latest vs the last 7 runs)", () => {
    const tenants = rulesOf(groups, "VeleroBackupItemsDropped").find((r) => r.expr.includes('"tenants-daily"'))!;
    expect(tenants.expr).toBe('velero_backup_items_total{schedule="tenants-daily"} < 0.5 * max_over_time(velero_backup_items_total{schedule="tenants-daily"}[168h])');
    expect(tenants.labels).toEqual({ severity: "warning", flow: "tenants" });
    expect(tenants.annotations.description).toContain("namespaces may have been excluded (label velero.io/exclude-from-backup) or deleted");
    expect(rulesOf(groups, "VeleroBackupItemsDropped").map((r) => /schedule="([^"]+)"/.exec(r.expr)![1])).toEqual(["tenants-daily", "system-daily", "garage-meta-ceph", "garage-data-zfs", "postgres-backup"]);
    const target = alertTargetsFromConfig(cfg, buildScheduleSpecs(cfg), []).schedules[0];
    expect(itemsDropRule({ ...target, intervalSeconds: 6 * 3600 }, "backup-system", "RESTORE.md").expr).toBe(
      'velero_backup_items_total{schedule="tenants-daily"} < 0.5 * max_over_time(velero_backup_items_total{schedule="tenants-daily"}[42h])',
    );
  });

  it("the opt-out CronJob: failed, not succeeded within two runs plus its deadline, never succeeded; none when it does not run", () => {
    const job = { namespace: "backup-system", job_name: "~tenant-backup-optout-[0-9]+" };
    expect(rulesOf(groups, "TenantOptOutJobFailed").map((r) => r.expr)).toEqual([
      `${selector("kube_job_status_failed", job)} > 0 and on(namespace, job_name) time() - ${selector("kube_job_status_start_time", job)} < 900`,
    ]);
    expect(rulesOf(groups, "TenantOptOutJobStale").map((r) => [r.expr, r.labels])).toEqual([
      ['time() - kube_cronjob_status_last_successful_time{namespace="backup-system",cronjob="tenant-backup-optout"} > 2400', { severity: "warning", flow: "tenant-optout" }],
    ]);
    expect(rulesOf(groups, "TenantOptOutJobNeverSucceeded").map((r) => r.for)).toEqual(["40m"]);
    const off = groupsOf(prodConfig({ flows: { ...prodConfig().flows, tenants: { ...prodConfig().flows.tenants, optOutSync: false } } }));
    expect(rulesOf(off, "TenantOptOutJobStale")).toEqual([]);
  });

  it("every expression is valid PromQL (Prometheus's lezer grammar, range functions with ranges)", () => {
    const problems = groups.flatMap((g) => g.rules.flatMap((r) => promqlErrors(r.expr).map((e) => `${r.alert}: ${e}`)));
    expect(problems).toEqual([]);
  });

  it("the PromQL check catches what it should", () => {
    expect(promqlErrors('increase(velero_backup_failure_total{schedule="x"}[24h]) > 0')).toEqual([]);
    expect(promqlErrors('increase(velero_backup_failure_total{schedule="x"}) > 0')).toEqual([
      `Increase at 0 needs a range vector argument: 'increase(velero_backup_failure_total{schedule="x"})'`,
    ]);
    expect(promqlErrors('absent(velero_backup_last_successful_timestamp{schedule="x"}')).not.toEqual([]);
    expect(promqlErrors("absnet(up)")).not.toEqual([]);
    expect(promqlErrors("time() - x > 5 and")).not.toEqual([]);
  });

  it("every rule has a severity, a flow, a summary, a description naming its subject and a runbook link", () => {
    for (const rule of groups.flatMap((g) => g.rules)) {
      expect(["critical", "warning"]).toContain(rule.labels.severity);
      expect(rule.labels.flow).toMatch(/^[a-z-]+$/);
      expect(rule.annotations.summary.length).toBeGreaterThan(10);
      expect(rule.annotations.runbook_url).toMatch(/^RESTORE\.md#[a-z-]+$/);
      expect(Object.values(RUNBOOK_ANCHORS)).toContain(rule.annotations.runbook_url.split("#")[1]);
    }
  });

  it("Velero schedule rules: failed, partially failed, stale, never succeeded (tenants-daily in full)", () => {
    expect(scheduleRules(alertTargetsFromConfig(cfg, buildScheduleSpecs(cfg), []).schedules[0], "backup-system", base)).toEqual([
      {
        alert: "VeleroBackupFailed",
        expr: 'increase(velero_backup_failure_total{schedule="tenants-daily"}[24h]) > 0',
        labels: { severity: "warning", flow: "tenants" },
        annotations: {
          summary: "A backup of the Velero Schedule tenants-daily failed",
          description:
            "A backup of the Velero Schedule tenants-daily (flow tenants, runs '0 1 * * *' (at most 1d between runs), location default) failed within the last 1d. Inspect it: `velero -n backup-system backup get -l velero.io/schedule-name=tenants-daily`, then `velero -n backup-system backup describe --details <backup>` and `velero -n backup-system backup logs <backup>`.",
          runbook_url: "RESTORE.md#tenants",
        },
      },
      {
        alert: "VeleroBackupPartiallyFailed",
        expr: 'increase(velero_backup_partial_failure_total{schedule="tenants-daily"}[24h]) > 0',
        labels: { severity: "warning", flow: "tenants" },
        annotations: {
          summary: "A backup of the Velero Schedule tenants-daily partially failed",
          description:
            "A backup of the Velero Schedule tenants-daily (flow tenants, runs '0 1 * * *' (at most 1d between runs), location default) ended PartiallyFailed within the last 1d: some items or volumes are missing from it. Inspect it: `velero -n backup-system backup get -l velero.io/schedule-name=tenants-daily`, then `velero -n backup-system backup describe --details <backup>` and `velero -n backup-system backup logs <backup>`.",
          runbook_url: "RESTORE.md#tenants",
        },
      },
      {
        alert: "VeleroBackupStale",
        expr: 'time() - velero_backup_last_successful_timestamp{schedule="tenants-daily"} > 100800',
        labels: { severity: "critical", flow: "tenants" },
        annotations: {
          summary: "No recent successful backup of the Velero Schedule tenants-daily",
          description:
            "The last successful backup of the Velero Schedule tenants-daily (flow tenants, runs '0 1 * * *' (at most 1d between runs)) is {{ $value | humanizeDuration }} old, more than 28h (the 1d between runs plus 4h grace): backups fail or do not run. Check the Schedule (`velero -n backup-system schedule describe tenants-daily`, FailedValidation shows there) and the latest backups: `velero -n backup-system backup get -l velero.io/schedule-name=tenants-daily`, then `velero -n backup-system backup describe --details <backup>` and `velero -n backup-system backup logs <backup>`.",
          runbook_url: "RESTORE.md#tenants",
        },
      },
      {
        alert: "VeleroBackupNeverSucceeded",
        expr: 'absent(velero_backup_last_successful_timestamp{schedule="tenants-daily"})',
        for: "28h",
        labels: { severity: "critical", flow: "tenants" },
        annotations: {
          summary: "The Velero Schedule tenants-daily has no successful backup",
          description:
            "Velero reports no successful backup of the Schedule tenants-daily (flow tenants, runs '0 1 * * *' (at most 1d between runs)) for 28h (the 1d between runs plus 4h grace), or its metrics are not scraped. Check the Schedule (`velero -n backup-system schedule describe tenants-daily`) and its backups: `velero -n backup-system backup get -l velero.io/schedule-name=tenants-daily`, then `velero -n backup-system backup describe --details <backup>` and `velero -n backup-system backup logs <backup>`.",
          runbook_url: "RESTORE.md#tenants",
        },
      },
    ]);
  });

  it("Velero rules of the other schedules name their schedule, window and threshold", () => {
    for (const name of Object.values(SCHEDULE_NAMES)) {
      expect(ruleFor(groups, "VeleroBackupFailed", name).expr).toBe(`increase(velero_backup_failure_total{schedule="${name}"}[24h]) > 0`);
      expect(ruleFor(groups, "VeleroBackupPartiallyFailed", name).expr).toBe(`increase(velero_backup_partial_failure_total{schedule="${name}"}[24h]) > 0`);
      expect(ruleFor(groups, "VeleroBackupStale", name).expr).toBe(`time() - velero_backup_last_successful_timestamp{schedule="${name}"} > 100800`);
      expect(ruleFor(groups, "VeleroBackupNeverSucceeded", name)).toMatchObject({ expr: `absent(velero_backup_last_successful_timestamp{schedule="${name}"})`, for: "28h" });
      expect(ruleFor(groups, "VeleroBackupStale", name).annotations.description).toContain(`Velero Schedule ${name} `);
    }
    expect(ruleFor(groups, "VeleroBackupStale", "garage-data-zfs").annotations.runbook_url).toBe(runbookUrl(base, "garage-data-zfs"));
    expect(ruleFor(groups, "VeleroBackupStale", "postgres-backup").annotations.runbook_url).toBe("RESTORE.md#postgres");
  });

  it("one location rule per rendered BSL, naming the Schedules writing to it", () => {
    expect(rulesOf(groups, "VeleroBackupLocationUnavailable").map((r) => [r.expr, r.for, r.labels.severity, r.annotations.runbook_url])).toEqual([
      ['velero_backup_location_status_gauge{backup_location_name="default"} == 0', "15m", "critical", "RESTORE.md#storage-locations"],
      ['velero_backup_location_status_gauge{backup_location_name="system"} == 0', "15m", "critical", "RESTORE.md#storage-locations"],
      ['velero_backup_location_status_gauge{backup_location_name="garage-backups"} == 0', "15m", "critical", "RESTORE.md#storage-locations"],
      ['velero_backup_location_status_gauge{backup_location_name="postgres"} == 0', "15m", "critical", "RESTORE.md#storage-locations"],
    ]);
    expect(ruleFor(groups, "VeleroBackupLocationUnavailable", "garage-backups").annotations.description).toBe(
      "Velero cannot reach the backup storage location garage-backups (the Schedules garage-meta-ceph, garage-data-zfs write to it); backups to it fail until it is available again. See `velero -n backup-system backup-location get garage-backups` and the velero Deployment's log (credentials, bucket, endpoint, region).",
    );
  });

  it("node-agent: fewer ready than scheduled, none ready, or no DaemonSet at all (kube-state-metrics)", () => {
    expect(daemonSetExpr("backup-system", VELERO_NODE_AGENT_DAEMONSET)).toBe(
      'kube_daemonset_status_desired_number_scheduled{namespace="backup-system",daemonset="node-agent"} - kube_daemonset_status_number_ready{namespace="backup-system",daemonset="node-agent"} > 0 or kube_daemonset_status_number_ready{namespace="backup-system",daemonset="node-agent"} < 1 or absent(kube_daemonset_status_number_ready{namespace="backup-system",daemonset="node-agent"})',
    );
    expect(rulesOf(groups, "VeleroNodeAgentNotReady")).toEqual([
      {
        alert: "VeleroNodeAgentNotReady",
        expr: daemonSetExpr("backup-system", "node-agent"),
        for: "15m",
        labels: { severity: "warning", flow: "velero" },
        annotations: {
          summary: "DaemonSet backup-system/node-agent has pods that are not ready",
          description:
            "The DaemonSet backup-system/node-agent (Velero's file-system backup and restore on every node) has had pods not ready, or none at all, for 15m. See `kubectl -n backup-system get pods -o wide` and `kubectl -n backup-system describe daemonset node-agent`.",
          runbook_url: "RESTORE.md#node-agent",
        },
      },
    ]);
  });

  it("Benji CronJobs: failed Job (by name prefix, within one interval), stale, never succeeded", () => {
    const backup = BENJI_K8S.backupCronJob;
    expect(ruleFor(groups, "BenjiJobFailed", backup)).toMatchObject({
      expr: `kube_job_status_failed{namespace="benji",job_name=~"${backup}-[0-9]+"} > 0 and on(namespace, job_name) time() - kube_job_status_start_time{namespace="benji",job_name=~"${backup}-[0-9]+"} < 86400`,
      labels: { severity: "warning", flow: "benji" },
    });
    expect(ruleFor(groups, "BenjiJobStale", backup)).toMatchObject({
      expr: `time() - kube_cronjob_status_last_successful_time{namespace="benji",cronjob="${backup}"} > 100800`,
      labels: { severity: "critical", flow: "benji" },
    });
    expect(ruleFor(groups, "BenjiJobNeverSucceeded", backup)).toMatchObject({ expr: `absent(kube_cronjob_status_last_successful_time{namespace="benji",cronjob="${backup}"})`, for: "28h" });
    expect(ruleFor(groups, "BenjiJobStale", BENJI_K8S.enforceCronJob).labels.severity).toBe("warning");
    expect(ruleFor(groups, "BenjiJobStale", BENJI_K8S.cleanupCronJob).labels.severity).toBe("warning");
    expect(ruleFor(groups, "BenjiJobStale", backup).annotations.description).toBe(
      "The CronJob benji/benji-backup-all (runs '30 7 * * *', at most 1d between runs; backs up every Ceph RBD PVC labelled backup-this-pvc=true) last succeeded {{ $value | humanizeDuration }} ago, more than 28h (the 1d between runs plus 4h grace). Inspect it: `kubectl -n benji get jobs --sort-by=.metadata.creationTimestamp`, `kubectl -n benji describe cronjob benji-backup-all` (events) and the failed Job's log.",
    );
    expect(rulesOf(groups, "BenjiJobFailed").map((r) => r.annotations.runbook_url)).toEqual(["RESTORE.md#benji", "RESTORE.md#benji", "RESTORE.md#benji"]);
  });

  it("Benji integrity CronJobs: their own alert names; a failed scrub or drill is critical and says what it means", () => {
    const benji = groups.find((g) => g.name === GROUPS.benji)!.rules.map((r) => [r.alert, r.labels.severity, /cronjob="([^"]+)"|job_name=~"([^"]+)-\[0-9\]\+"/.exec(r.expr)!.slice(1).find(Boolean)]);
    expect(benji.slice(9)).toEqual([
      ["BenjiMetadataBackupFailed", "warning", "benji-metadata-backup"],
      ["BenjiMetadataBackupStale", "warning", "benji-metadata-backup"],
      ["BenjiMetadataBackupNeverSucceeded", "warning", "benji-metadata-backup"],
      ["BenjiScrubFailed", "critical", "benji-deep-scrub"],
      ["BenjiScrubStale", "warning", "benji-deep-scrub"],
      ["BenjiScrubNeverSucceeded", "warning", "benji-deep-scrub"],
      ["BenjiRestoreDrillFailed", "critical", "benji-restore-drill"],
      ["BenjiRestoreDrillStale", "warning", "benji-restore-drill"],
      ["BenjiRestoreDrillNeverSucceeded", "warning", "benji-restore-drill"],
    ]);
    expect(ruleFor(groups, "BenjiScrubFailed", "benji-deep-scrub")).toEqual({
      alert: "BenjiScrubFailed",
      expr: 'kube_job_status_failed{namespace="benji",job_name=~"benji-deep-scrub-[0-9]+"} > 0 and on(namespace, job_name) time() - kube_job_status_start_time{namespace="benji",job_name=~"benji-deep-scrub-[0-9]+"} < 86400',
      labels: { severity: "critical", flow: "benji" },
      annotations: {
        summary: "A Job of the CronJob benji/benji-deep-scrub failed",
        description:
          "The CronJob benji/benji-deep-scrub (runs '0 1 * * *', at most 1d between runs; deep-scrubs a sample of the Benji versions against their checksums) had a Job {{ $labels.job_name }} fail within the last 1d. A failed scrub means Benji found blocks that do not match their checksums (their versions are now invalid and cannot be restored), an invalid version is still listed, or the scrub could not run. Inspect it: `kubectl -n benji get jobs --sort-by=.metadata.creationTimestamp`, `kubectl -n benji describe cronjob benji-deep-scrub` (events) and the failed Job's log.",
        runbook_url: "RESTORE.md#benji",
      },
    });
    // The drill runs weekly and may take its 6h deadline (more than the 4h grace).
    expect(ruleFor(groups, "BenjiRestoreDrillStale", "benji-restore-drill").expr).toBe(`time() - kube_cronjob_status_last_successful_time{namespace="benji",cronjob="benji-restore-drill"} > ${7 * DAY + 6 * 3600}`);
    expect(ruleFor(groups, "BenjiRestoreDrillNeverSucceeded", "benji-restore-drill").for).toBe("174h");
    expect(ruleFor(groups, "BenjiRestoreDrillFailed", "benji-restore-drill").expr).toContain(`< ${7 * DAY}`);
    expect(ruleFor(groups, "BenjiMetadataBackupStale", "benji-metadata-backup").expr).toBe(`time() - kube_cronjob_status_last_successful_time{namespace="benji",cronjob="benji-metadata-backup"} > ${DAY + GRACE}`);
  });

  it("Benji integrity: monitoring.staleAfter keys, and a disabled CronJob has no alerts", () => {
    const custom = groupsOf(prodConfig({ monitoring: { staleAfter: { benjiScrub: "50h", benjiDrill: "400h", benjiMetadataBackup: "30h" } } }));
    expect(ruleFor(custom, "BenjiScrubStale", "benji-deep-scrub").expr).toContain("> 180000");
    expect(ruleFor(custom, "BenjiRestoreDrillStale", "benji-restore-drill").expr).toContain("> 1440000");
    expect(ruleFor(custom, "BenjiMetadataBackupStale", "benji-metadata-backup").expr).toContain("> 108000");
    const off = groupsOf(prodConfig({ flows: { ...cfg.flows, benji: { ...cfg.flows.benji, scrub: { enabled: false }, drill: { enabled: false } } } }));
    expect([...new Set(off.find((g) => g.name === GROUPS.benji)!.rules.map((r) => r.alert.replace(/(Failed|Stale|NeverSucceeded)$/, "")))]).toEqual(["BenjiJob", "BenjiMetadataBackup"]);
  });

  it("Benji thresholds follow the Benji crons of the config", () => {
    const weekly = groupsOf(prodConfig({ flows: { ...cfg.flows, benji: { ...cfg.flows.benji, cleanupSchedule: "0 5 * * 0" } } }));
    expect(ruleFor(weekly, "BenjiJobStale", BENJI_K8S.cleanupCronJob).expr).toBe(`time() - kube_cronjob_status_last_successful_time{namespace="benji",cronjob="benji-cleanup"} > ${7 * DAY + GRACE}`);
    expect(ruleFor(weekly, "BenjiJobFailed", BENJI_K8S.cleanupCronJob).expr).toContain(`< ${7 * DAY}`);
  });

  it("zrepl: lag past flows.zrepl.lagThreshold, no success since start, failing filesystems, DaemonSets (then the sink check's, test/zrepl-sink-alerts.test.ts)", () => {
    expect(groups.find((g) => g.name === GROUPS.zrepl)!.rules.slice(0, 5).map((r) => [r.alert, r.expr, r.for, r.labels.severity, r.annotations.runbook_url])).toEqual([
      ["ZreplReplicationLagging", `time() - zrepl_replication_last_successful{zrepl_job="${ZREPL_PUSH_JOB}"} > 3600 and zrepl_replication_last_successful{zrepl_job="garage_push"} > 0`, undefined, "critical", "RESTORE.md#garage-data-zrepl"],
      ["ZreplReplicationNeverSucceeded", 'zrepl_replication_last_successful{zrepl_job="garage_push"} == 0 or absent(zrepl_replication_last_successful{zrepl_job="garage_push"})', "1h", "critical", "RESTORE.md#garage-data-zrepl"],
      ["ZreplReplicationErrors", 'zrepl_replication_filesystem_errors{zrepl_job="garage_push"} != 0', "20m", "warning", "RESTORE.md#garage-data-zrepl"],
      ["ZreplDaemonNotReady", daemonSetExpr("zrepl", ZREPL_K8S.push), "15m", "warning", "RESTORE.md#garage-data-zrepl"],
      ["ZreplDaemonNotReady", daemonSetExpr("zrepl", ZREPL_K8S.sink), "15m", "warning", "RESTORE.md#garage-data-zrepl"],
    ]);
    const lagging = prodConfig({ flows: { ...cfg.flows, zrepl: { ...cfg.flows.zrepl, lagThreshold: "3h", snapshotInterval: "15m" } } });
    const zrepl = groupsOf(lagging).find((g) => g.name === GROUPS.zrepl)!.rules;
    expect(zrepl[0].expr).toContain("> 10800 and");
    expect(zrepl[1].for).toBe("3h");
    expect(zrepl[2].for).toBe("30m");
    expect(zrepl[0].annotations.description).toContain("`kubectl -n zrepl exec ds/zrepl-garage-push -- zrepl status --mode dump`");
  });

  it("restore drills: same CronJob rules, stale after a week + the larger of grace and the drill timeout", () => {
    expect(ruleFor(groups, "RestoreDrillStale", "restore-drill-tenants")).toMatchObject({
      expr: `time() - kube_cronjob_status_last_successful_time{namespace="backup-system",cronjob="restore-drill-tenants"} > ${7 * DAY + GRACE}`,
      labels: { severity: "warning", flow: "tenants" },
      annotations: { runbook_url: "RESTORE.md#restore-drills" },
    });
    expect(ruleFor(groups, "RestoreDrillFailed", "restore-drill-postgres").expr).toBe(
      `kube_job_status_failed{namespace="backup-system",job_name=~"restore-drill-postgres-[0-9]+"} > 0 and on(namespace, job_name) time() - kube_job_status_start_time{namespace="backup-system",job_name=~"restore-drill-postgres-[0-9]+"} < ${7 * DAY}`,
    );
    const longDrill = prodConfig({ drills: { timeout: "6h" }, monitoring: { grace: "1h" } });
    expect(ruleFor(groupsOf(longDrill), "RestoreDrillNeverSucceeded", "restore-drill-tenants").for).toBe("174h");
  });

  it("cronJobRules derives the Failed window from the interval of an hourly CronJob", () => {
    const target = { name: "x", namespace: "ns", flow: "benji", cron: "0 * * * *", intervalSeconds: cronMaxIntervalSeconds("0 * * * *"), staleAfterSeconds: 7200, purpose: "p", staleSeverity: "warning" as const, anchor: "benji" as const };
    expect(cronJobRules("T", target, "https://x/RESTORE.md").map((r) => [r.alert, r.expr, r.for])).toEqual([
      ["TFailed", 'kube_job_status_failed{namespace="ns",job_name=~"x-[0-9]+"} > 0 and on(namespace, job_name) time() - kube_job_status_start_time{namespace="ns",job_name=~"x-[0-9]+"} < 3600', undefined],
      ["TStale", 'time() - kube_cronjob_status_last_successful_time{namespace="ns",cronjob="x"} > 7200', undefined],
      ["TNeverSucceeded", 'absent(kube_cronjob_status_last_successful_time{namespace="ns",cronjob="x"})', "2h"],
    ]);
  });

  it("runbook links use monitoring.runbookBaseUrl", () => {
    const linked = groupsOf(prodConfig({ monitoring: { runbookBaseUrl: "https://git.example.com/ops/cluster-backup/-/blob/main/RESTORE.md" } }));
    expect(ruleFor(linked, "VeleroBackupStale", "tenants-daily").annotations.runbook_url).toBe("https://git.example.com/ops/cluster-backup/-/blob/main/RESTORE.md#tenants");
  });
});

describe("alerts: flows that are off have no rules", () => {
  it("dev: tenants, system and postgres schedules, their two locations, node-agent and the two drills", () => {
    const { config, secretKeys } = readStackFile(ROOT, "dev");
    const dev = parseStackConfig(config, new Set(secretKeys), "dev");
    const groups = groupsOf(dev);
    expect(groups.map((g) => g.name)).toEqual([GROUPS.velero, GROUPS.drills]);
    expect(rulesOf(groups, "VeleroBackupStale").map((r) => r.expr)).toEqual([
      'time() - velero_backup_last_successful_timestamp{schedule="tenants-daily"} > 100800',
      'time() - velero_backup_last_successful_timestamp{schedule="system-daily"} > 100800',
      'time() - velero_backup_last_successful_timestamp{schedule="postgres-backup"} > 100800',
    ]);
    expect(rulesOf(groups, "VeleroBackupLocationUnavailable").map((r) => r.expr)).toEqual([
      'velero_backup_location_status_gauge{backup_location_name="default"} == 0',
      'velero_backup_location_status_gauge{backup_location_name="system"} == 0',
      'velero_backup_location_status_gauge{backup_location_name="postgres"} == 0',
    ]);
    expect(rulesOf(groups, "RestoreDrillStale")).toHaveLength(2);
  });
});
