import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseStackConfig, type StackConfig } from "../components/config";
import {
  buildDrillSpecs,
  drillConfigMapData,
  drillCronJobSpec,
  drillEventTemplate,
  drillNamespaceTemplate,
  drillRestoreTemplate,
  DRILL_SCRIPT,
  POSTGRES_CHECK_SCRIPT,
  type DrillSpec,
} from "../components/drills/spec";
import { cronRunsBetween, firstWindowOverlap, formatRun } from "../components/drills/windows";
import { readStackFile } from "../scripts/lib/stack-file";
import { rawConfig, ROOT, type Obj } from "./harness";
import { OWNERSHIP } from "./lib/expected";
import { validateObject, veleroCrdsAvailable, VELERO_CRDS_DIR } from "./lib/conformance";

function prodConfig(overrides: Record<string, unknown> = {}): StackConfig {
  const { config, secretKeys } = readStackFile(ROOT, "prod");
  return parseStackConfig({ ...config, ...rawConfig(overrides) }, new Set(secretKeys), "prod");
}

const cfg = prodConfig();
const specs = buildDrillSpecs(cfg);
const tenants = specs.find((s) => s.kind === "tenants")!;
const postgres = specs.find((s) => s.kind === "postgres")!;

const EXCLUDED = ["services", "ingresses.networking.k8s.io", "httproutes.gateway.networking.k8s.io", "certificates.cert-manager.io", "cronjobs.batch", "jobs.batch"];

describe("drills: what each drill restores", () => {
  it("prod: a weekly tenants drill (rotating) and a weekly postgres drill, 2h each", () => {
    expect(specs).toEqual([
      {
        kind: "tenants",
        cronJob: "restore-drill-tenants",
        schedule: "0 10 * * 6",
        intervalSeconds: 7 * 86400,
        timeoutSeconds: 7200,
        scheduleName: "tenants-daily",
        sourceNamespace: undefined,
        tenantGlob: "cust-*",
        excludedResources: EXCLUDED,
        // Every tenant at least once per 4 weeks; weeks end half a week from Saturday 10:00 UTC (test/drills-rotation.test.ts).
        rotationWeeks: 4,
        rotationOffsetSeconds: 511200,
      },
      {
        kind: "postgres",
        cronJob: "restore-drill-postgres",
        schedule: "0 11 * * 6",
        intervalSeconds: 7 * 86400,
        timeoutSeconds: 7200,
        scheduleName: "postgres-backup",
        sourceNamespace: "postgres",
        tenantGlob: "cust-*",
        excludedResources: EXCLUDED,
        postgresCheck: { container: "postgres", database: "postgres" },
      },
    ]);
  });

  it("a fixed tenant, a query, a schedule; a drill follows its flow unless set", () => {
    const custom = buildDrillSpecs(prodConfig({ drills: { tenants: { namespace: "cust-1001", schedule: "30 12 * * 0" }, postgres: { database: "app", query: "SELECT count(*) FROM users" }, timeout: "3h" } }));
    expect(custom.map((s) => [s.kind, s.schedule, s.sourceNamespace, s.timeoutSeconds, s.postgresCheck])).toEqual([
      ["tenants", "30 12 * * 0", "cust-1001", 10800, undefined],
      ["postgres", "0 11 * * 6", "postgres", 10800, { container: "postgres", database: "app", query: "SELECT count(*) FROM users" }],
    ]);
    expect(buildDrillSpecs(prodConfig({ drills: { postgres: { enabled: false } } })).map((s) => s.kind)).toEqual(["tenants"]);
    const flows = cfg.flows;
    expect(buildDrillSpecs(prodConfig({ flows: { ...flows, postgres: { ...flows.postgres, enabled: false } } })).map((s) => s.kind)).toEqual(["tenants"]);
  });
});

describe("drills: the CronJob", () => {
  const spec = drillCronJobSpec(tenants, { image: "docker.io/alpine/k8s:1.34.1", veleroNamespace: "backup-system", timeZone: "Europe/Paris" }) as Obj;

  it("runs restore-drill.sh from the ConfigMap, once at a time, no retry, within the drill timeout", () => {
    expect(spec).toMatchObject({
      schedule: "0 10 * * 6",
      timeZone: "Europe/Paris",
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: 900,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: { metadata: { labels: { ...OWNERSHIP, "cluster-backup.io/drill": "tenants" } }, spec: { backoffLimit: 0, activeDeadlineSeconds: 7200 } },
    });
    const pod = spec.jobTemplate.spec.template.spec as Obj;
    expect(pod.serviceAccountName).toBe("restore-drill");
    expect(pod.restartPolicy).toBe("Never");
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.volumes).toEqual([
      { name: "templates", configMap: { name: "restore-drill", defaultMode: 0o444 } },
      { name: "tmp", emptyDir: {} },
    ]);
    const container = pod.containers[0];
    expect(container.command).toEqual(["/bin/sh", "/drill/restore-drill.sh", "run"]);
    expect(container.image).toBe("docker.io/alpine/k8s:1.34.1");
    expect(container.securityContext).toEqual({ runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" }, readOnlyRootFilesystem: true });
    expect(container.volumeMounts).toEqual([
      { name: "templates", mountPath: "/drill", readOnly: true },
      { name: "tmp", mountPath: "/tmp" },
    ]);
  });

  it("hands the script its settings, all derived from config and constants", () => {
    const env = (spec.jobTemplate.spec.template.spec as Obj).containers[0].env as Obj[];
    expect(env).toEqual([
      { name: "DRILL_KIND", value: "tenants" },
      { name: "VELERO_NAMESPACE", value: "backup-system" },
      { name: "SCHEDULE_NAME", value: "tenants-daily" },
      { name: "SOURCE_NAMESPACE", value: "" },
      { name: "TENANT_PREFIX", value: "cust-" },
      { name: "TENANT_GLOB", value: "cust-*" },
      { name: "TENANT_SELECTOR", value: "tenant=true" },
      { name: "EXCLUDE_LABEL", value: "velero.io/exclude-from-backup" },
      { name: "SCRATCH_PREFIX", value: "drill-" },
      { name: "DRILL_LABEL", value: "cluster-backup.io/drill" },
      { name: "COPY_LABEL_PREFIX", value: "pod-security.kubernetes.io/" },
      { name: "SOURCE_ANNOTATION", value: "cluster-backup.io/drill-source" },
      { name: "BACKUP_ANNOTATION", value: "cluster-backup.io/drill-backup" },
      { name: "ROTATION_WEEKS", value: "4" },
      { name: "ROTATION_OFFSET_SECONDS", value: "511200" },
      { name: "WAIT_SECONDS", value: "6300" },
      { name: "POLL_SECONDS", value: "10" },
      { name: "CRONJOB_NAME", value: "restore-drill-tenants" },
      { name: "TEMPLATE_DIR", value: "/drill" },
      { name: "EXPECT_HOOKS", value: "0" },
      { name: "TZ", value: "Europe/Paris" },
      { name: "HOME", value: "/tmp" },
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    ]);
    const pg = ((drillCronJobSpec(postgres, { image: "i", veleroNamespace: "backup-system", timeZone: "UTC" }) as Obj).jobTemplate.spec.template.spec as Obj).containers[0].env as Obj[];
    expect(pg.filter((e) => ["DRILL_KIND", "SCHEDULE_NAME", "SOURCE_NAMESPACE", "EXPECT_HOOKS", "CRONJOB_NAME"].includes(e.name))).toEqual([
      { name: "DRILL_KIND", value: "postgres" },
      { name: "SCHEDULE_NAME", value: "postgres-backup" },
      { name: "SOURCE_NAMESPACE", value: "postgres" },
      { name: "CRONJOB_NAME", value: "restore-drill-postgres" },
      { name: "EXPECT_HOOKS", value: "1" },
    ]);
  });

  it("the ConfigMap ships the script verbatim from its source file and one namespace/restore template per drill", () => {
    const data = drillConfigMapData(specs, "backup-system");
    expect(Object.keys(data)).toEqual([
      "restore-drill.sh",
      "event.json",
      "scratch-rolebinding.json",
      "scratch-networkpolicy.json",
      "tenants-namespace.json",
      "tenants-restore.json",
      "postgres-namespace.json",
      "postgres-restore.json",
    ]);
    expect(JSON.parse(data["scratch-networkpolicy.json"])).toEqual({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "restore-drill-deny-all", labels: OWNERSHIP },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    });
    expect(JSON.parse(data["scratch-rolebinding.json"])).toEqual({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "restore-drill", labels: OWNERSHIP },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-backup-restore-drill-scratch" },
      subjects: [{ kind: "ServiceAccount", name: "restore-drill", namespace: "backup-system" }],
    });
    expect(data["restore-drill.sh"]).toBe(readFileSync(join(ROOT, "components", "drills", "restore-drill.sh"), "utf8"));
    expect(DRILL_SCRIPT.startsWith("#!/bin/sh\n")).toBe(true);
    expect(JSON.parse(data["tenants-restore.json"])).toEqual(drillRestoreTemplate(tenants, "backup-system"));
    expect(JSON.parse(data["postgres-namespace.json"])).toEqual(drillNamespaceTemplate("postgres"));
    expect(JSON.parse(data["event.json"])).toEqual(drillEventTemplate("backup-system"));
  });
});

describe("drills: the objects the script creates from the templates", () => {
  it("tenants Restore: restores PV data, never overwrites, leaves out what would act outside the scratch namespace", () => {
    expect(drillRestoreTemplate(tenants, "backup-system")).toEqual({
      apiVersion: "velero.io/v1",
      kind: "Restore",
      metadata: { namespace: "backup-system", labels: { ...OWNERSHIP, "cluster-backup.io/drill": "tenants" } },
      spec: { excludedResources: EXCLUDED, restorePVs: true, existingResourcePolicy: "none" },
    });
  });

  it("postgres Restore: Velero runs postgres-check.sh in the restored Postgres container (no pods/exec for the drill)", () => {
    expect(drillRestoreTemplate({ ...postgres, postgresCheck: { container: "postgres", database: "app", query: "SELECT 1" } }, "backup-system").spec.hooks).toEqual({
      resources: [
        {
          name: "postgres-check",
          includedResources: ["pods"],
          postHooks: [
            {
              exec: {
                container: "postgres",
                command: ["/bin/sh", "-c", POSTGRES_CHECK_SCRIPT, "postgres-check", "/backups/dump.sql", "app", "SELECT 1"],
                onError: "Fail",
                execTimeout: "2h0m0s",
                waitTimeout: "2h0m0s",
                waitForReady: true,
              },
            },
          ],
        },
      ],
    });
    expect(POSTGRES_CHECK_SCRIPT).toBe(readFileSync(join(ROOT, "components", "drills", "postgres-check.sh"), "utf8"));
  });

  it("filled in as the script does, the Restore, Namespace and Event validate against their schemas", async (ctx) => {
    const filled = (spec: DrillSpec) => {
      const t = drillRestoreTemplate(spec, "backup-system") as Obj;
      return { ...t, metadata: { ...t.metadata, name: "drill-cust-a-202601031000" }, spec: { ...t.spec, backupName: "tenants-daily-1", includedNamespaces: ["cust-a"], namespaceMapping: { "cust-a": "drill-cust-a-202601031000" } } };
    };
    const namespace = drillNamespaceTemplate("tenants");
    expect(namespace).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { labels: { "pod-security.kubernetes.io/enforce": "baseline", ...OWNERSHIP, "cluster-backup.io/drill": "tenants", "velero.io/exclude-from-backup": "true" } },
    });
    expect(await validateObject({ ...namespace, metadata: { ...namespace.metadata, name: "drill-cust-a-202601031000" } })).toEqual([]);
    const data = drillConfigMapData(specs, "backup-system");
    for (const file of ["scratch-networkpolicy.json", "scratch-rolebinding.json"]) {
      const object = JSON.parse(data[file]) as Obj;
      expect(await validateObject({ ...object, metadata: { ...object.metadata, namespace: "drill-cust-a-202601031000" } }), file).toEqual([]);
    }
    const event = {
      ...drillEventTemplate("backup-system"),
      involvedObject: { ...drillEventTemplate("backup-system").involvedObject, name: "restore-drill-tenants", uid: "u" },
      type: "Normal",
      reason: "RestoreDrillSucceeded",
      message: "m",
      firstTimestamp: "2026-01-03T10:00:00Z",
      lastTimestamp: "2026-01-03T10:00:00Z",
      reportingInstance: "pod",
    };
    expect(await validateObject(event)).toEqual([]);
    // Last, because it needs the velero.io CRDs and is skipped (with the reason) where they are absent.
    if (!veleroCrdsAvailable()) ctx.skip(`the Restore templates need the velero.io CRDs (${VELERO_CRDS_DIR})`);
    expect(await validateObject(filled(tenants))).toEqual([]);
    expect(await validateObject(filled(postgres))).toEqual([]);
  });
});

describe("drills: schedules against the backup windows", () => {
  it("cron runs between two instants, in a time zone", () => {
    expect(cronRunsBetween("0 10 * * 6", "UTC", new Date("2026-01-01T00:00:00Z"), new Date("2026-01-15T00:00:00Z")).map((d) => d.toISOString())).toEqual(["2026-01-03T10:00:00.000Z", "2026-01-10T10:00:00.000Z"]);
    expect(cronRunsBetween("0 10 * * 6", "Europe/Paris", new Date("2026-01-01T00:00:00Z"), new Date("2026-01-04T00:00:00Z")).map((d) => d.toISOString())).toEqual(["2026-01-03T09:00:00.000Z"]);
    expect(formatRun(new Date("2026-01-03T09:00:00Z"), "Europe/Paris")).toBe("Sat 10:00");
  });

  it("a drill meets a backup window when their spans intersect (half-open)", () => {
    const hour = 3600;
    expect(firstWindowOverlap("0 10 * * 6", 2 * hour, "0 1 * * *", 4 * hour, "UTC")).toBeUndefined();
    expect(firstWindowOverlap("30 1 * * 6", 2 * hour, "0 1 * * *", 4 * hour, "UTC")).toEqual({ drill: new Date("2026-01-03T01:30:00Z"), backup: new Date("2026-01-03T01:00:00Z") });
    // Ends exactly when the backup starts: fine; one second more is not.
    expect(firstWindowOverlap("0 0 * * 6", hour, "0 1 * * *", 4 * hour, "UTC")).toBeUndefined();
    expect(firstWindowOverlap("0 0 * * 6", hour + 1, "0 1 * * *", 4 * hour, "UTC")).toEqual({ drill: new Date("2026-01-03T00:00:00Z"), backup: new Date("2026-01-03T01:00:00Z") });
    // Starts exactly when the window closes: fine.
    expect(firstWindowOverlap("0 5 * * 6", 2 * hour, "0 1 * * *", 4 * hour, "UTC")).toBeUndefined();
    // A monthly drill on the 1st meets a backup that only runs on the 1st.
    expect(firstWindowOverlap("0 3 1 * *", hour, "0 2 1 * *", 2 * hour, "UTC")).toEqual({ drill: new Date("2026-01-01T03:00:00Z"), backup: new Date("2026-01-01T02:00:00Z") });
  });
});
