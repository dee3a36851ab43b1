import { beforeAll, describe, expect, it } from "vitest";
import { parseStackConfig } from "../components/config";
import { drillAdmissionPolicySpec, DRILL_CLUSTER_RULES, drillRoleRules, DRILL_SCRATCH_RULES } from "../components/drills/access";
import { buildDrillSpecs, drillConfigMapData, drillCronJobSpec } from "../components/drills/spec";
import { readStackFile } from "../scripts/lib/stack-file";
import { planStack, planWith, ROOT, stackConfigProblems, type Obj, type Plan } from "./harness";
import { OWNERSHIP } from "./lib/expected";
import { PINS } from "../components/config-schema";

function stackConfig(stack: string) {
  const { config, secretKeys } = readStackFile(ROOT, stack);
  return parseStackConfig(config, new Set(secretKeys), stack);
}


describe("drills in the prod plan", () => {
  let plan: Plan;
  const cfg = stackConfig("prod");
  const specs = buildDrillSpecs(cfg);
  beforeAll(async () => {
    plan = await planStack("prod");
  });

  it("two CronJobs in Velero's namespace, exactly as the builder makes them", () => {
    for (const spec of specs) {
      const cronJob = plan.object("CronJob", spec.cronJob, "backup-system");
      expect(cronJob.metadata.labels).toEqual({ ...OWNERSHIP, "cluster-backup.io/drill": spec.kind });
      expect(cronJob.spec).toEqual(drillCronJobSpec(spec, { image: PINS.drillImage, veleroNamespace: "backup-system", timeZone: "UTC" }));
    }
    expect(plan.exports.restoreDrills).toEqual(["restore-drill-tenants", "restore-drill-postgres"]);
  });

  it("the ServiceAccount and its rights: a ClusterRole and a Role in Velero's namespace, bound to it", () => {
    expect(plan.object("ServiceAccount", "restore-drill", "backup-system").metadata.labels).toEqual(OWNERSHIP);
    expect(plan.object("ClusterRole", "cluster-backup-restore-drill").rules).toEqual(DRILL_CLUSTER_RULES);
    // The scratch rights exist as a ClusterRole but nothing in the stack binds them: the drill does, per scratch namespace.
    expect(plan.object("ClusterRole", "cluster-backup-restore-drill-scratch").rules).toEqual(DRILL_SCRATCH_RULES);
    const bindings = [...plan.objects("ClusterRoleBinding"), ...plan.objects("RoleBinding")];
    expect(bindings.filter((b) => b.roleRef.name === "cluster-backup-restore-drill-scratch")).toEqual([]);
    expect(plan.object("ClusterRoleBinding", "cluster-backup-restore-drill")).toMatchObject({
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-backup-restore-drill" },
      subjects: [{ kind: "ServiceAccount", name: "restore-drill", namespace: "backup-system" }],
    });
    expect(plan.object("Role", "restore-drill", "backup-system").rules).toEqual(drillRoleRules(["restore-drill-tenants", "restore-drill-postgres"]));
    expect(plan.object("RoleBinding", "restore-drill", "backup-system")).toMatchObject({
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "restore-drill" },
      subjects: [{ kind: "ServiceAccount", name: "restore-drill", namespace: "backup-system" }],
    });
  });

  it("the ConfigMap with the script and templates, and the admission policy with its binding", () => {
    expect(plan.object("ConfigMap", "restore-drill", "backup-system").data).toEqual(drillConfigMapData(specs, "backup-system"));
    expect(plan.object("ValidatingAdmissionPolicy", "cluster-backup-restore-drill").spec).toEqual(drillAdmissionPolicySpec(specs, "backup-system"));
    expect(plan.object("ValidatingAdmissionPolicyBinding", "cluster-backup-restore-drill").spec).toEqual({ policyName: "cluster-backup-restore-drill", validationActions: ["Deny"] });
  });

  it("the CronJobs wait for their ConfigMap, RBAC and guard; everything waits for Velero's namespace", () => {
    const cronJob = plan.registrationOf("CronJob", "restore-drill-tenants");
    const urn = (kind: string, name: string, ns?: string) => plan.registrationOf(kind, name, ns).urn;
    expect(cronJob.dependsOn).toEqual(
      expect.arrayContaining([
        urn("ConfigMap", "restore-drill"),
        urn("ClusterRoleBinding", "cluster-backup-restore-drill"),
        urn("RoleBinding", "restore-drill"),
        urn("ValidatingAdmissionPolicyBinding", "cluster-backup-restore-drill"),
        urn("Namespace", "backup-system"),
      ]),
    );
    expect(plan.registrations.find((r) => r.urn === cronJob.parent)?.type).toBe("cluster-backup:drills:RestoreDrills");
    expect(cronJob.provider).toContain("pulumi:providers:kubernetes::target");
  });

  it("no secret is mounted or referenced by a drill", () => {
    const text = JSON.stringify(plan.objects("CronJob").filter((c) => c.metadata.name.startsWith("restore-drill-")));
    expect(text).not.toMatch(/secretKeyRef|"secret":/);
  });
});

describe("drills elsewhere", () => {
  it("dev: both drills run against the demo tenant's and Postgres backups", async () => {
    const plan = await planStack("dev");
    expect(plan.exports.restoreDrills).toEqual(["restore-drill-tenants", "restore-drill-postgres"]);
    expect(plan.objects("CronJob").map((c) => c.metadata.name)).toEqual(expect.arrayContaining(["restore-drill-tenants", "restore-drill-postgres"]));
  });

  it("switched off, and with a fixed tenant", async () => {
    const off = await planWith("dev", { drills: { tenants: { enabled: false }, postgres: { enabled: false } } });
    expect(off.exports.restoreDrills).toEqual([]);
    expect(off.objects("ServiceAccount").filter((s) => s.metadata.name === "restore-drill")).toEqual([]);
    const fixed = await planWith("dev", { drills: { tenants: { namespace: "cust-demo" }, postgres: { enabled: false } } });
    const env = fixed.object("CronJob", "restore-drill-tenants").spec.jobTemplate.spec.template.spec.containers[0].env as Obj[];
    expect(env.find((e) => e.name === "SOURCE_NAMESPACE")).toEqual({ name: "SOURCE_NAMESPACE", value: "cust-demo" });
    expect(fixed.object("ValidatingAdmissionPolicy", "cluster-backup-restore-drill").spec.validations.map((v: Obj) => v.message)).toContain(
      "a drill Restore labelled cluster-backup.io/drill=<drill> restores the tenant namespace cust-demo from a tenants-daily backup",
    );
    expect(fixed.object("Role", "restore-drill", "backup-system").rules.at(-1)).toEqual({ apiGroups: ["batch"], resources: ["cronjobs"], resourceNames: ["restore-drill-tenants"], verbs: ["get"] });
  });
});

describe("drills: bad config is refused with the key, the value and the form", () => {
  it("a drill target that is not a tenant namespace", () => {
    const message = (v: string) =>
      `cluster-backup:drills.tenants.namespace: is not a tenant namespace: expected a 'cust-<id>' namespace that flows.tenants.namespaceGlob 'cust-*' matches, e.g. 'cust-1001', or no value to restore a different tenant every run (got "${v}")`;
    expect(stackConfigProblems("prod", { drills: { tenants: { namespace: "kube-system" } } })).toEqual([message("kube-system")]);
    expect(stackConfigProblems("prod", { drills: { tenants: { namespace: "drill-cust-1001-202601031000" } } })).toEqual([message("drill-cust-1001-202601031000")]);
    expect(stackConfigProblems("prod", { drills: { tenants: { namespace: "cust-1001" } } })).toEqual([]);
    const flows = JSON.parse(readStackFile(ROOT, "prod").config["cluster-backup:flows"]);
    expect(stackConfigProblems("prod", { flows: { ...flows, tenants: { ...flows.tenants, namespaceGlob: "cust-1*" } }, drills: { tenants: { namespace: "cust-2001" } } })).toEqual([
      `cluster-backup:drills.tenants.namespace: is not a tenant namespace: expected a 'cust-<id>' namespace that flows.tenants.namespaceGlob 'cust-1*' matches, e.g. 'cust-1001', or no value to restore a different tenant every run (got "cust-2001")`,
    ]);
  });

  it("a drill schedule overlapping the backup window of the schedule it checks", () => {
    expect(stackConfigProblems("prod", { drills: { tenants: { schedule: "30 2 * * 6" }, postgres: { schedule: "0 3 * * 0" } } })).toEqual([
      `cluster-backup:drills.tenants.schedule: overlaps the backup window of tenants-daily: the drill of Sat 02:30 (starting up to 15m late, running up to 2h, drills.timeout) meets the backup of Sat 01:00 (UTC, '0 1 * * *', flows.tenants.schedule, which may take 4h, monitoring.grace); expected a schedule whose runs end before a backup starts or start after its window closes (got "30 2 * * 6")`,
      `cluster-backup:drills.postgres.schedule: overlaps the backup window of postgres-backup: the drill of Sun 03:00 (starting up to 15m late, running up to 2h, drills.timeout) meets the backup of Sun 04:00 (UTC, '0 4 * * *', flows.postgres.schedule, which may take 4h, monitoring.grace); expected a schedule whose runs end before a backup starts or start after its window closes (got "0 3 * * 0")`,
    ]);
    // Ends (15m late start + 2h) exactly when the tenants backup starts, or starts when its window closes: both fine.
    expect(stackConfigProblems("prod", { drills: { tenants: { schedule: "45 22 * * 6" } } })).toEqual([]);
    expect(stackConfigProblems("prod", { drills: { tenants: { schedule: "46 22 * * 6" } } })).toHaveLength(1);
    expect(stackConfigProblems("prod", { drills: { tenants: { schedule: "0 5 * * 6" } } })).toEqual([]);
    // A longer grace widens the windows: 01:00-11:00 meets the 10:00 tenants drill, 04:00-14:00 the 11:00 postgres drill.
    expect(stackConfigProblems("prod", { monitoring: { grace: "10h" } }).map((p) => p.split(": ")[0])).toEqual(["cluster-backup:drills.tenants.schedule", "cluster-backup:drills.postgres.schedule"]);
  });

  it("drills without their admission policy: the account's namespace rights would be unguarded", () => {
    expect(stackConfigProblems("prod", { drills: { admissionPolicy: false } })).toEqual([
      "cluster-backup:drills.admissionPolicy: the restore-drill account may create and delete any namespace and create RoleBindings; only the admission policy confines it to scratch namespaces. " +
        "Expected true (Kubernetes >= 1.30), or switch the drills off (drills.tenants.enabled: false, drills.postgres.enabled: false) (got false)",
    ]);
    expect(stackConfigProblems("prod", { drills: { admissionPolicy: false, tenants: { enabled: false }, postgres: { enabled: false } } })).toEqual([]);
  });

  it("a drill of a disabled flow, and a timeout too short to clean up", () => {
    const flows = JSON.parse(readStackFile(ROOT, "dev").config["cluster-backup:flows"]);
    expect(stackConfigProblems("dev", { flows: { ...flows, postgres: { enabled: false } }, drills: { postgres: { enabled: true }, timeout: "20m" } })).toEqual([
      "cluster-backup:drills.postgres.enabled: the drill restores backups of flows.postgres, which is disabled; enable the flow or set drills.postgres.enabled: false (got true)",
      `cluster-backup:drills.timeout: is too short: the drill keeps 15m to clean up; expected at least 30m, e.g. '2h' (got "20m")`,
    ]);
  });

  it("malformed drill keys", () => {
    expect(stackConfigProblems("dev", { drills: { image: "alpine/k8s", tenants: { schedule: "weekly", excludedResources: ["Services"] }, postgres: { database: "1db" } } })).toEqual([
      `cluster-backup:drills.image: expected a fully qualified image with a tag or digest, e.g. 'docker.io/velero/velero:v1.18.2' (no ':latest', no untagged images) (got "alpine/k8s")`,
      `cluster-backup:drills.tenants.schedule: expected a 5-field cron expression 'minute hour day-of-month month day-of-week' without a time zone prefix (set timeZone instead), e.g. '0 1 * * *' (got "weekly")`,
      `cluster-backup:drills.tenants.excludedResources.0: expected a resource name such as 'services' or 'ingresses.networking.k8s.io' (got "Services")`,
      `cluster-backup:drills.postgres.database: expected a PostgreSQL database name such as 'postgres' or 'app' (got "1db")`,
    ]);
  });
});
