/**
 * The Benji component with literal args (a fake Garage S3Target), under the SDK's mocks.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Benji, BENJI_BACKUP_SCRIPT, BENJI_DB_INIT_SCRIPT, type BenjiArgs } from "../components/benji/benji";
import { BENJI_DRILL_SCRIPT, BENJI_SCRUB_SCRIPT, type BenjiIntegritySettings } from "../components/benji/integrity";
import { benjiPvcAdmissionPolicySpec, benjiPvcPolicyMessage } from "../components/benji/access";
import { admit } from "./lib/vap";
import { buildPlanFiles } from "../scripts/lib/plan-output";
import { planProgram, type Obj, type Plan } from "./harness";
import { PSA_PRIVILEGED } from "./lib/expected";
import { fakeGarageTarget } from "./lib/fake-targets";

const DB_URL = "postgresql://benji:db-password-123@postgres.postgres.svc.cluster.local:5432/benji";
const ACCESS_KEY = "GK0123456789abcdef01234567";
const SECRET_KEY = "s3-secret-key-0123456789abcdef0123456789abcdef";
const CEPH_KEY = "AQBkZXZlbG9wZXJrZXlkZXZlbG9wZXJrZXk=";

function program(protect: boolean, pvcNamespaces: string[] = ["garage", "benji"], integrity?: BenjiIntegritySettings) {
  return () => {
    const provider = new k8s.Provider("target", { context: "kind-test" });
    const args: BenjiArgs = {
      provider,
      namespace: "benji",
      image: "ghcr.io/elemental-lf/benji-k8s:0.17.0",
      instance: "benji-k8s",
      retention: "latest7",
      timeZone: "Europe/Paris",
      schedules: { backup: "30 7 * * *", enforce: "0 6 * * *", cleanup: "0 5 * * *" },
      storage: fakeGarageTarget("benji", ACCESS_KEY, SECRET_KEY),
      databaseUrl: pulumi.secret(DB_URL),
      ceph: { monHost: "10.0.0.1:6789,10.0.0.2:6789", clientId: "benji", key: pulumi.secret(CEPH_KEY), pools: ["replicapool", "ssd"] },
      protect,
      pvcNamespaces,
      admission: { enabled: true, action: "Deny" },
      ...(integrity ? { integrity } : {}),
    };
    const benji = new Benji("benji", args);
    return { encryption: benji.encryption, dbInitJobName: benji.dbInitJobName, cronJobNames: benji.cronJobNames };
  };
}

const ENV = [
  { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
  { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
  { name: "BENJI_INSTANCE", value: "benji-k8s" },
  { name: "TZ", value: "Europe/Paris" },
  { name: "CEPH_ARGS", value: "--id benji" },
];
const MOUNTS = [
  { name: "benji-config", mountPath: "/benji/etc", readOnly: true },
  { name: "benji-s3", mountPath: "/benji/s3", readOnly: true },
  { name: "benji-ceph", mountPath: "/etc/ceph", readOnly: true },
];
const VOLUMES = [
  { name: "benji-config", secret: { secretName: "benji", defaultMode: 0o400 } },
  { name: "benji-s3", secret: { secretName: "benji-s3", defaultMode: 0o400 } },
  { name: "benji-ceph", secret: { secretName: "benji-ceph", defaultMode: 0o400 } },
];
/** enforce, cleanup and the init Job: no Ceph key, no privileges, no token. */
const MAINTENANCE_MOUNTS = MOUNTS.slice(0, 2);
const MAINTENANCE_VOLUMES = VOLUMES.slice(0, 2);
const UNPRIVILEGED = { privileged: false, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } };
const OWNERSHIP = { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "cluster-backup", "cluster-backup.io/flow": "benji" };

describe("Benji component (literal args, Garage store)", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planProgram("prod", program(true));
  });

  it("creates the privileged namespace benji with the ownership labels", () => {
    expect(plan.object("Namespace", "benji").metadata.labels).toEqual({
      ...OWNERSHIP,
      ...PSA_PRIVILEGED,
    });
  });

  it("SA benji (the backup): reads PVs cluster-wide, PVCs and Events only in the namespaces it backs up, pods in its own; creates no PVC", () => {
    expect(plan.object("ServiceAccount", "benji", "benji").metadata.labels).toEqual(OWNERSHIP);
    expect(plan.object("ClusterRole", "cluster-backup-benji").rules).toEqual([{ apiGroups: [""], resources: ["persistentvolumes"], verbs: ["get"] }]);
    const binding = plan.object("ClusterRoleBinding", "cluster-backup-benji");
    expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-backup-benji" });
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "benji", namespace: "benji" }]);
    const pvcRules = [
      { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["get", "list"] },
      { apiGroups: [""], resources: ["events"], verbs: ["create"] },
    ];
    expect(plan.object("Role", "benji-backup", "garage").rules).toEqual(pvcRules);
    expect(plan.object("Role", "benji-backup", "benji").rules).toEqual([...pvcRules, { apiGroups: [""], resources: ["pods"], verbs: ["list"] }]);
    for (const ns of ["garage", "benji"]) {
      expect(plan.object("RoleBinding", "benji-backup", ns)).toMatchObject({ roleRef: { kind: "Role", name: "benji-backup" }, subjects: [{ kind: "ServiceAccount", name: "benji", namespace: "benji" }] });
    }
    expect(plan.objects("Role").map((r) => r.metadata.namespace).sort()).toEqual(["benji", "garage"]);
    // Restore rights exist unbound: the runbook binds them in the target namespace for the time of a restore.
    expect(plan.object("ClusterRole", "cluster-backup-benji-restore").rules).toEqual([{ apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["get", "create"] }]);
    expect([...plan.objects("RoleBinding"), ...plan.objects("ClusterRoleBinding")].filter((b) => b.roleRef.name === "cluster-backup-benji-restore")).toEqual([]);
  });

  it("SA benji-maintenance: no token, no binding", () => {
    expect(plan.object("ServiceAccount", "benji-maintenance", "benji").automountServiceAccountToken).toBe(false);
    expect([...plan.objects("RoleBinding"), ...plan.objects("ClusterRoleBinding")].filter((b) => (b.subjects as Obj[]).some((x) => x.name === "benji-maintenance"))).toEqual([]);
  });

  it("a PVC labelled backup-this-pvc=true outside those namespaces is refused at admission (policy.admission.action)", () => {
    expect(plan.object("ValidatingAdmissionPolicy", "cluster-backup-benji-pvc-namespaces").spec).toEqual(benjiPvcAdmissionPolicySpec(["garage", "benji"]));
    expect(plan.object("ValidatingAdmissionPolicyBinding", "cluster-backup-benji-pvc-namespaces").spec).toEqual({ policyName: "cluster-backup-benji-pvc-namespaces", validationActions: ["Deny"] });
  });

  describe.each([
    ["benji-backup-all", "backup", "30 7 * * *", ["bash", "-c", BENJI_BACKUP_SCRIPT, "benji-backup-all", "garage", "benji"]],
    ["benji-enforce", "enforce", "0 6 * * *", ["benji-command", "enforce", "latest7", 'labels["benji-backup.me/instance"] == "benji-k8s"']],
    ["benji-cleanup", "cleanup", "0 5 * * *", ["benji-command", "cleanup"]],
  ])("CronJob %s", (name, role, schedule, command) => {
    let cron: Obj;
    beforeAll(() => {
      cron = plan.object("CronJob", name, "benji");
    });

    it("runs on its schedule in the configured time zone, never overlapping", () => {
      expect(cron.spec.schedule).toBe(schedule);
      expect(cron.spec.timeZone).toBe("Europe/Paris");
      expect(cron.spec.concurrencyPolicy).toBe("Forbid");
      expect(cron.spec.successfulJobsHistoryLimit).toBe(3);
      expect(cron.spec.failedJobsHistoryLimit).toBe(3);
      expect(cron.spec.jobTemplate.spec.backoffLimit).toBe(0);
      expect(cron.spec.jobTemplate.spec.ttlSecondsAfterFinished).toBeUndefined();
    });

    it("carries the flow label on the CronJob, its Jobs and pods", () => {
      const labels = { ...OWNERSHIP, "app.kubernetes.io/name": "benji", "app.kubernetes.io/component": role };
      expect(cron.metadata.labels).toEqual(labels);
      expect(cron.spec.jobTemplate.metadata.labels).toEqual(labels);
      expect(cron.spec.jobTemplate.spec.template.metadata.labels).toEqual(labels);
    });

    it("runs one container benji with the explicit command, env and read-only Secret mounts; only the backup privileged, with the Ceph key and a token", () => {
      const pod = cron.spec.jobTemplate.spec.template.spec;
      const backup = role === "backup";
      expect(pod.serviceAccountName).toBe(backup ? "benji" : "benji-maintenance");
      expect(pod.automountServiceAccountToken).toBe(backup ? undefined : false);
      expect(pod.restartPolicy).toBe("Never");
      expect(pod.containers).toHaveLength(1);
      const [c] = pod.containers;
      expect(c.name).toBe("benji");
      expect(c.image).toBe("ghcr.io/elemental-lf/benji-k8s:0.17.0");
      expect(c.command).toEqual(command);
      expect(c.args).toBeUndefined();
      expect(c.securityContext).toEqual(backup ? { privileged: true } : UNPRIVILEGED);
      expect(c.env).toEqual(ENV);
      expect(c.volumeMounts).toEqual(backup ? MOUNTS : MAINTENANCE_MOUNTS);
      expect(c.resources).toEqual({ requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "2Gi" } });
      expect(pod.volumes).toEqual(backup ? VOLUMES : MAINTENANCE_VOLUMES);
    });

    it("waits for the database-init Job", () => {
      const job = plan.registrationOf("Job", plan.exports.dbInitJobName, "benji");
      expect(plan.registrationOf("CronJob", name, "benji").dependsOn).toContain(job.urn);
    });
  });

  it("initialises the database once, treating exit 73 (tables exist) as success", () => {
    const name = plan.exports.dbInitJobName as string;
    expect(name).toMatch(/^benji-db-init-[0-9a-f]{8}$/);
    const job = plan.object("Job", name, "benji");
    expect(job.spec.backoffLimit).toBe(4);
    expect(job.spec.ttlSecondsAfterFinished).toBeUndefined();
    const [c] = job.spec.template.spec.containers;
    expect(c.command).toEqual(["bash", "-c", BENJI_DB_INIT_SCRIPT]);
    expect(BENJI_DB_INIT_SCRIPT).toBe(
      [
        "benji database-init",
        "rc=$?",
        'if [ "$rc" -eq 73 ]; then',
        '  echo "benji database-init: the schema already has tables (exit 73); checking that it opens"',
        "  exec benji ls >/dev/null",
        "fi",
        'exit "$rc"',
      ].join("\n"),
    );
    expect(c.securityContext).toEqual(UNPRIVILEGED);
    expect(c.env).toEqual(ENV);
    expect(c.volumeMounts).toEqual(MAINTENANCE_MOUNTS);
    expect(job.spec.template.spec.volumes).toEqual(MAINTENANCE_VOLUMES);
    expect(job.spec.template.spec.serviceAccountName).toBe("benji-maintenance");
    expect(job.spec.template.spec.automountServiceAccountToken).toBe(false);
    const reg = plan.registrationOf("Job", name, "benji");
    expect(reg.deleteBeforeReplace).toBe(true);
    for (const secret of ["benji", "benji-s3", "benji-ceph"]) expect(reg.dependsOn).toContain(plan.registrationOf("Secret", secret, "benji").urn);
  });

  it("writes benji.yaml into Secret benji as a secret, with this store and every pool", () => {
    const secret = plan.object("Secret", "benji", "benji");
    expect(Object.keys(secret.stringData)).toEqual(["benji.yaml"]);
    const text = secret.stringData["benji.yaml"] as string;
    expect(plan.run.secretMarked.has(text)).toBe(true);
    const doc = parse(text);
    expect(doc.databaseEngine).toBe(DB_URL);
    expect(doc.defaultStorage).toBe("garage");
    const s3 = doc.storages[0].configuration;
    expect([s3.bucketName, s3.endpointUrl, s3.regionName, s3.addressingStyle]).toEqual(["benji", "http://garage.garage.svc.cluster.local:3900", "garage", "path"]);
    expect(doc.ios.map((io: Obj) => [io.name, io.module])).toEqual([["file", "file"], ["replicapool", "rbdaio"], ["ssd", "rbdaio"]]);
    const aes = doc.transforms[1].configuration;
    expect(aes).toEqual({ kdfSalt: plan.exports.encryption.kdfSalt, kdfIterations: 20000, password: plan.exports.encryption.password });
    expect(Buffer.from(aes.kdfSalt, "base64")).toHaveLength(16);
    expect(aes.password).toMatch(/^[A-Za-z0-9]{48}$/);
  });

  it("stores the S3 key files and the Ceph files, every credential secret-marked", () => {
    const s3 = plan.object("Secret", "benji-s3", "benji").stringData;
    expect(s3).toEqual({ "access-key-id": ACCESS_KEY, "secret-access-key": SECRET_KEY });
    expect(plan.run.secretMarked.has(ACCESS_KEY) && plan.run.secretMarked.has(SECRET_KEY)).toBe(true);
    const ceph = plan.object("Secret", "benji-ceph", "benji").stringData;
    expect(ceph).toEqual({ "ceph.conf": "[global]\n\tmon_host = 10.0.0.1:6789,10.0.0.2:6789\n", "ceph.client.benji.keyring": `[client.benji]\n\tkey = ${CEPH_KEY}\n` });
    expect(plan.run.secretMarked.has(ceph["ceph.client.benji.keyring"])).toBe(true);
  });

  it("protects and retains the AES salt and password in production, and exports them as a secret", () => {
    for (const [type, name] of [
      ["random:index/randomBytes:RandomBytes", "benji-aes-salt"],
      ["random:index/randomPassword:RandomPassword", "benji-aes-password"],
    ]) {
      const r = plan.resource(type, name);
      expect([r.protect, r.retainOnDelete]).toEqual([true, true]);
    }
    expect(plan.resource("random:index/randomBytes:RandomBytes", "benji-aes-salt").inputs).toEqual({ length: 16 });
    expect(plan.resource("random:index/randomPassword:RandomPassword", "benji-aes-password").inputs).toMatchObject({ length: 48, special: false });
    expect(plan.run.secretMarked.has(plan.exports.encryption.password)).toBe(true);
    expect(plan.run.secretMarked.has(plan.exports.encryption.kdfSalt)).toBe(true);
  });

  it("uses the explicit provider for every Kubernetes object", () => {
    const provider = plan.resource("pulumi:providers:kubernetes", "target");
    const objects = plan.registrations.filter((r) => r.type.startsWith("kubernetes:") && r.custom);
    // 19 + the drill's ServiceAccount + the deep scrub, restore drill and metadata backup CronJobs.
    expect(objects.length).toBe(23);
    for (const r of objects) expect(r.provider).toMatch(new RegExp(`^${provider.urn.replace(/[$]/g, "\\$")}::`));
  });

  it("leaves no credential readable in the plan output", () => {
    // In the program these come from secret config and storage outputs, which the plan knows as secret primitives.
    const run = { ...plan.run, secretStrings: new Set([...plan.run.secretStrings, DB_URL, ACCESS_KEY, SECRET_KEY, CEPH_KEY]) };
    const files = [...buildPlanFiles("prod", run).files.values()].join("\n");
    for (const secret of [DB_URL, "db-password-123", ACCESS_KEY, SECRET_KEY, CEPH_KEY, plan.exports.encryption.password, plan.exports.encryption.kdfSalt]) {
      expect(files).not.toContain(secret);
    }
    // benji.yaml stays readable around the redacted values.
    expect(files).toContain("regionName: garage");
    expect(files).toContain("databaseEngine: [secret]\n");
  });
});

describe("Benji integrity CronJobs (defaults)", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planProgram("prod", program(true));
  });
  const INSTANCE = 'labels["benji-backup.me/instance"] == "benji-k8s"';

  it("are listed after the three backup CronJobs", () => {
    expect(plan.exports.cronJobNames).toEqual(["benji-backup-all", "benji-enforce", "benji-cleanup", "benji-deep-scrub", "benji-restore-drill", "benji-metadata-backup"]);
  });

  it("deep scrub: 10% of the versions, 33% of the blocks, daily at 01:00; database and S3 only", () => {
    const cron = plan.object("CronJob", "benji-deep-scrub", "benji");
    expect([cron.spec.schedule, cron.spec.timeZone, cron.spec.concurrencyPolicy, cron.spec.jobTemplate.spec.backoffLimit]).toEqual(["0 1 * * *", "Europe/Paris", "Forbid", 0]);
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.containers[0].command).toEqual(["bash", "-c", BENJI_SCRUB_SCRIPT, "benji-deep-scrub", "10", "33", `${INSTANCE} and status != "incomplete"`, `${INSTANCE} and status == "invalid"`]);
    expect([pod.serviceAccountName, pod.automountServiceAccountToken, pod.containers[0].securityContext]).toEqual(["benji-maintenance", false, UNPRIVILEGED]);
    expect(pod.containers[0].volumeMounts).toEqual(MAINTENANCE_MOUNTS);
    expect(pod.volumes).toEqual(MAINTENANCE_VOLUMES);
    expect(cron.metadata.labels).toEqual({ ...OWNERSHIP, "app.kubernetes.io/name": "benji", "app.kubernetes.io/component": "scrub" });
  });

  it("restore drill: Saturdays 12:00, 6h deadline, its own account without rights or token, unprivileged with the Ceph key", () => {
    const cron = plan.object("CronJob", "benji-restore-drill", "benji");
    expect([cron.spec.schedule, cron.spec.concurrencyPolicy, cron.spec.jobTemplate.spec.backoffLimit, cron.spec.jobTemplate.spec.activeDeadlineSeconds]).toEqual(["0 12 * * 6", "Forbid", 0, 21600]);
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.containers[0].command).toEqual(["bash", "-c", BENJI_DRILL_SCRIPT, "benji-restore-drill", `${INSTANCE} and labels["benji-backup.me/k8s-pvc"] and status == "valid"`, "replicapool", "ssd"]);
    expect([pod.serviceAccountName, pod.automountServiceAccountToken, pod.containers[0].securityContext]).toEqual(["benji-drill", false, UNPRIVILEGED]);
    expect(pod.containers[0].volumeMounts).toEqual(MOUNTS);
    expect(pod.volumes).toEqual(VOLUMES);
    expect(plan.object("ServiceAccount", "benji-drill", "benji")).toMatchObject({ automountServiceAccountToken: false, metadata: { labels: OWNERSHIP } });
    expect([...plan.objects("RoleBinding"), ...plan.objects("ClusterRoleBinding")].filter((b) => (b.subjects as Obj[]).some((x) => x.name === "benji-drill"))).toEqual([]);
    expect(plan.registrationOf("CronJob", "benji-restore-drill", "benji").dependsOn).toEqual([
      plan.registrationOf("Job", plan.exports.dbInitJobName, "benji").urn,
      plan.registrationOf("ServiceAccount", "benji-drill", "benji").urn,
    ]);
  });

  it("metadata backup: daily at 04:30, every finished version of this instance, overwriting the stored copy", () => {
    const cron = plan.object("CronJob", "benji-metadata-backup", "benji");
    expect(cron.spec.schedule).toBe("30 4 * * *");
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.containers[0].command).toEqual(["benji-command", "metadata-backup", "--force", `${INSTANCE} and status != "incomplete"`]);
    expect([pod.serviceAccountName, pod.containers[0].volumeMounts]).toEqual(["benji-maintenance", MAINTENANCE_MOUNTS]);
  });

  it("take their settings from args, and disabled ones are not created", async () => {
    const custom = await planProgram(
      "prod",
      program(true, ["garage"], {
        scrub: { enabled: true, schedule: "15 2 * * 0", versionPercentage: 100, blockPercentage: 5 },
        drill: { enabled: false, schedule: "0 12 * * 6", timeoutSeconds: 3600 },
        metadataBackup: { enabled: false, schedule: "30 4 * * *" },
      }),
    );
    expect(custom.exports.cronJobNames).toEqual(["benji-backup-all", "benji-enforce", "benji-cleanup", "benji-deep-scrub"]);
    const scrub = custom.object("CronJob", "benji-deep-scrub", "benji");
    expect(scrub.spec.schedule).toBe("15 2 * * 0");
    expect(scrub.spec.jobTemplate.spec.template.spec.containers[0].command.slice(3, 6)).toEqual(["benji-deep-scrub", "100", "5"]);
    expect(custom.objects("CronJob").map((c) => c.metadata.name)).not.toContain("benji-restore-drill");
    expect(custom.objects("ServiceAccount").map((a) => a.metadata.name)).toEqual(["benji", "benji-maintenance"]);
  });
});

describe("Benji component outside production", () => {
  it("does not protect the AES material", async () => {
    const plan = await planProgram("dev", program(false));
    expect(plan.resource("random:index/randomPassword:RandomPassword", "benji-aes-password").protect).toBe(false);
    expect(plan.resource("random:index/randomBytes:RandomBytes", "benji-aes-salt").retainOnDelete).toBe(false);
  });
});

describe("Benji component arguments", () => {
  it("an empty pvcNamespaces is refused, naming the config key", async () => {
    await expect(planProgram("dev", program(false, []))).rejects.toThrow("Benji: pvcNamespaces is empty (config flows.benji.pvcNamespaces); Benji would back up nothing");
  });
});

describe("Benji PVC admission policy (CEL): the label only in the platform's namespaces", () => {
  const spec = benjiPvcAdmissionPolicySpec(["garage"]) as Obj;
  const pvc = (namespace: string, labels: Record<string, string>) => ({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "data", namespace, labels }, spec: { storageClassName: "ceph-block" } });
  const request = (namespace: string) => ({ operation: "CREATE" as const, namespace, userInfo: { username: "tenant" }, resource: { group: "", version: "v1", resource: "persistentvolumeclaims" } });

  it("a tenant opting its PVC into the platform's Benji backups is refused; the platform's own PVC and unlabelled PVCs pass", () => {
    expect(admit(spec, request("cust-1001"), pvc("cust-1001", { "backup-this-pvc": "true" }))).toEqual([benjiPvcPolicyMessage(["garage"])]);
    expect(admit(spec, request("garage"), pvc("garage", { "backup-this-pvc": "true" }))).toEqual([]);
    expect(admit(spec, request("cust-1001"), pvc("cust-1001", {}))).toBe("not matched");
    expect(admit(spec, request("cust-1001"), pvc("cust-1001", { "backup-this-pvc": "false" }))).toBe("not matched");
  });
});
