/**
 * The Benji flow as the whole program wires it, per stack file.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readStackFile } from "../scripts/lib/stack-file";
import { planStack, planWith, ROOT, stackConfigProblems, type Obj, type Plan } from "./harness";

/** The prod stack's `flows` with the Benji part replaced. */
function prodFlowsWithBenji(benji: Obj): Obj {
  const flows = JSON.parse(readStackFile(ROOT, "prod").config["cluster-backup:flows"]);
  return { ...flows, benji: { ...flows.benji, ...benji } };
}

function benjiYaml(plan: Plan): Obj {
  return parse(plan.object("Secret", "benji", "benji").stringData["benji.yaml"]);
}

describe("Benji in the prod stack", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("prod");
  });

  it("registers the Benji component with its CronJobs in namespace benji", () => {
    expect(plan.ofType("cluster-backup:benji:Benji").map((r) => r.name)).toEqual(["benji"]);
    expect(plan.objects("CronJob").filter((o) => o.metadata.namespace === "benji").map((o) => [o.metadata.name, o.spec.schedule, o.spec.timeZone]).sort()).toEqual([
      ["benji-backup-all", "30 7 * * *", "UTC"],
      ["benji-cleanup", "0 5 * * *", "UTC"],
      ["benji-deep-scrub", "0 1 * * *", "UTC"],
      ["benji-enforce", "0 6 * * *", "UTC"],
      ["benji-metadata-backup", "30 4 * * *", "UTC"],
      ["benji-restore-drill", "0 12 * * 6", "UTC"],
    ]);
    expect(plan.object("CronJob", "benji-enforce", "benji").spec.jobTemplate.spec.template.spec.containers[0].command).toEqual([
      "benji-command",
      "enforce",
      "latest7",
      'labels["benji-backup.me/instance"] == "benji-k8s"',
    ]);
  });

  it("points benji.yaml at the Scaleway bucket of the storage entry point, signed with its region", () => {
    const doc = benjiYaml(plan);
    expect(doc.defaultStorage).toBe("scaleway");
    const s3 = doc.storages[0].configuration;
    expect([s3.bucketName, s3.endpointUrl, s3.regionName, s3.addressingStyle]).toEqual(["acme-k8s-prod-benji", "https://s3.fr-par.scw.cloud", "fr-par", "path"]);
    expect(doc.ios.map((io: Obj) => io.name)).toEqual(["file", "replicapool"]);
    expect(doc.databaseEngine).toBe("postgresql://benji:offline-placeholder@postgres.postgres.svc.cluster.local:5432/benji");
  });

  it("keeps every credential secret: benji.yaml, S3 keys, Ceph keyring, the exported key material", () => {
    expect(plan.run.secretMarked.has(plan.object("Secret", "benji", "benji").stringData["benji.yaml"])).toBe(true);
    for (const value of Object.values(plan.object("Secret", "benji-s3", "benji").stringData)) expect(plan.run.secretMarked.has(value as string)).toBe(true);
    const keyring = plan.object("Secret", "benji-ceph", "benji").stringData["ceph.client.benji.keyring"];
    expect(keyring).toBe("[client.benji]\n\tkey = offline-placeholder-cluster-backup-benjiCephKey\n");
    expect(plan.run.secretMarked.has(keyring)).toBe(true);
    const encryption = plan.exports.benjiEncryption;
    expect(Object.keys(encryption)).toEqual(["kdfSalt", "kdfIterations", "password"]);
    expect(plan.run.secretMarked.has(encryption.password) && plan.run.secretMarked.has(encryption.kdfSalt)).toBe(true);
    expect(benjiYaml(plan).transforms[1].configuration).toEqual(encryption);
  });

  it("protects the AES salt and password", () => {
    const keys = plan.registrations.filter((x) => x.name === "benji-aes-salt" || x.name === "benji-aes-password");
    expect(keys.map((r) => [r.name, r.protect, r.retainOnDelete])).toEqual([
      ["benji-aes-salt", true, true],
      ["benji-aes-password", true, true],
    ]);
  });

  it("starts the CronJobs only after the database-init Job, which waits for the S3 credentials", () => {
    const job = plan.objects("Job").find((o) => o.metadata.namespace === "benji")!;
    const jobReg = plan.registrationOf("Job", job.metadata.name, "benji");
    for (const name of ["benji-backup-all", "benji-enforce", "benji-cleanup"]) expect(plan.registrationOf("CronJob", name, "benji").dependsOn).toContain(jobReg.urn);
    expect(jobReg.dependsOn).toContain(plan.registrationOf("Secret", "benji-s3", "benji").urn);
  });

  it("says in the summary what Benji covers and which flow covers its database", () => {
    const notes = plan.exports.summaryNotes as string[];
    expect(notes).toContain(
      "Benji backs up Ceph RBD volumes only: PVCs labelled `backup-this-pvc=true` in the namespaces `garage` (flows.benji.pvcNamespaces; nowhere else) on the Ceph RBD storage classes `ceph-block` (csi.cephRbd.storageClasses), images in the pools `replicapool`. A labelled PVC on any other storage class is skipped silently (debug log, Job exit 0).",
    );
    expect(notes).toContain(
      "Benji database: on the Postgres in namespace `postgres`, covered by the postgres-backup flow (pg_dumpall); besides, every finished backup also writes its version metadata to the Benji storage, so a lost database is rebuilt with `benji database-init` on an empty database, then `benji metadata-ls` and `benji metadata-restore <version-uid>...`.",
    );
    expect(notes.join("\n")).not.toContain("offline-placeholder");
  });

  it("says in the summary how Benji's backups are verified: deep scrub, restore drill, metadata backup", () => {
    expect((plan.exports.summaryNotes as string[]).filter((n) => n.startsWith("Benji integrity:"))).toEqual([
      "Benji integrity: `benji-deep-scrub` ('0 1 * * *' UTC) deep-scrubs 10% of the versions (at least one, picked at random) reading 33% of their blocks against the checksums recorded at backup (flows.benji.scrub), and fails while any version is invalid; " +
        "`benji-restore-drill` ('0 12 * * 6' UTC, up to 6h) restores the newest valid version of one labelled PVC (the next in name order each week) into a scratch RBD image `<pool>/benji-restore-drill-<timestamp>`, compares it with `benji deep-scrub --source` and removes it (flows.benji.drill); " +
        "`benji-metadata-backup` ('30 4 * * *' UTC) copies the metadata of every version to the Benji storage, so `benji metadata-restore` rebuilds a lost database (flows.benji.metadataBackup).",
    ]);
  });
});

describe("Benji integrity settings from the stack config (flows.benji.scrub, drill, metadataBackup)", () => {
  it("percentages, schedules and the drill's timeout reach the CronJobs; disabled ones are gone and the summary says so", async () => {
    const plan = await planWith("prod", {
      flows: prodFlowsWithBenji({ scrub: { schedule: "0 2 * * 0", versionPercentage: 100, blockPercentage: 50 }, drill: { schedule: "0 9 * * 0", timeout: "2h" }, metadataBackup: { enabled: false } }),
    });
    const scrub = plan.object("CronJob", "benji-deep-scrub", "benji");
    expect([scrub.spec.schedule, ...scrub.spec.jobTemplate.spec.template.spec.containers[0].command.slice(3, 6)]).toEqual(["0 2 * * 0", "benji-deep-scrub", "100", "50"]);
    const drill = plan.object("CronJob", "benji-restore-drill", "benji");
    expect([drill.spec.schedule, drill.spec.jobTemplate.spec.activeDeadlineSeconds, drill.spec.jobTemplate.spec.template.spec.containers[0].command.slice(4)]).toEqual([
      "0 9 * * 0",
      7200,
      ['labels["benji-backup.me/instance"] == "benji-k8s" and labels["benji-backup.me/k8s-pvc"] and status == "valid"', "replicapool"],
    ]);
    expect(plan.objects("CronJob").map((c) => c.metadata.name)).not.toContain("benji-metadata-backup");
    const note = (plan.exports.summaryNotes as string[]).find((n) => n.startsWith("Benji integrity:"))!;
    expect(note).toContain("`benji-deep-scrub` ('0 2 * * 0' UTC) deep-scrubs 100% of the versions (at least one, picked at random) reading 50% of their blocks");
    expect(note).toContain("`benji-restore-drill` ('0 9 * * 0' UTC, up to 2h)");
    expect(note).toContain("; no scheduled metadata backup (flows.benji.metadataBackup.enabled is false): only each backup's own copy of its new version's metadata is in the storage.");
    expect(plan.exports.alerts).not.toContain("BenjiMetadataBackupFailed");
  });
});

describe("Benji variants of the prod stack", () => {
  it("says the database is not covered when it lives outside the cluster", async () => {
    const plan = await planWith("prod", {}, { benjiDatabaseUrl: "postgresql://benji:pw@db.example.com:5432/benji" });
    const notes = plan.exports.summaryNotes as string[];
    expect(notes.filter((n) => n.startsWith("Benji database:"))).toEqual([
      "Benji database: its host is outside the cluster (or at an address this program cannot place), not covered by any backup flow of this program; every finished backup also writes its version metadata to the Benji storage, so a lost database is rebuilt with `benji database-init` on an empty database, then `benji metadata-ls` and `benji metadata-restore <version-uid>...`.",
    ]);
  });

  it("signs Garage requests with Garage's s3_region and its in-cluster endpoint", async () => {
    const plan = await planWith("prod", { flows: prodFlowsWithBenji({ storage: { backend: "garage", bucket: "benji" }, retention: "latest3,days7", pushGateway: "pushgateway.monitoring.svc:9091" }) });
    const doc = benjiYaml(plan);
    expect(doc.defaultStorage).toBe("garage");
    const s3 = doc.storages[0].configuration;
    expect([s3.bucketName, s3.endpointUrl, s3.regionName, s3.addressingStyle]).toEqual(["benji", "http://garage.garage.svc.cluster.local:3900", "garage", "path"]);
    const enforce = plan.object("CronJob", "benji-enforce", "benji").spec.jobTemplate.spec.template.spec.containers[0];
    expect(enforce.command[2]).toBe("latest3,days7");
    expect(enforce.env.find((e: Obj) => e.name === "PROM_PUSH_GATEWAY")).toEqual({ name: "PROM_PUSH_GATEWAY", value: "pushgateway.monitoring.svc:9091" });
  });
});

describe("Benji in the dev stack", () => {
  it("registers no Benji object and exports no key material", async () => {
    const plan = await planStack("dev");
    expect(plan.registrations.filter((r) => r.type.startsWith("cluster-backup:benji:") || r.name.startsWith("benji") || r.urn.includes("Benji"))).toEqual([]);
    expect(plan.objects().filter((o) => o.metadata?.namespace === "benji" || o.metadata?.name === "benji")).toEqual([]);
    expect(plan.exports.benjiEncryption).toBeUndefined();
    expect((plan.exports.summaryNotes as string[]).filter((n) => n.includes("Benji"))).toEqual([]);
  });
});

describe("Benji backs up only the namespaces the platform owns (flows.benji.pvcNamespaces)", () => {
  it("prod: the Garage namespace by default, one benji-backup-pvc per namespace, the PVC admission policy in the configured mode", async () => {
    const plan = await planStack("prod");
    const command = plan.object("CronJob", "benji-backup-all", "benji").spec.jobTemplate.spec.template.spec.containers[0].command as string[];
    expect(command.slice(3)).toEqual(["benji-backup-all", "garage"]);
    expect(command[2]).toContain('benji-backup-pvc --namespace "$ns" --selector backup-this-pvc=true');
    expect(plan.object("ValidatingAdmissionPolicy", "cluster-backup-benji-pvc-namespaces").spec.validations[0].expression).toBe("request.namespace in ['garage']");
    expect(plan.object("ValidatingAdmissionPolicyBinding", "cluster-backup-benji-pvc-namespaces").spec.validationActions).toEqual(["Warn", "Audit"]);
  });

  it("configured namespaces each get the backup Role; a tenant namespace is refused with the key and the value", async () => {
    const plan = await planWith("prod", { flows: prodFlowsWithBenji({ pvcNamespaces: ["garage", "platform-db"] }) });
    expect(plan.objects("Role").filter((r) => r.metadata.name === "benji-backup").map((r) => r.metadata.namespace)).toEqual(["garage", "platform-db", "benji"]);
    expect(stackConfigProblems("prod", { flows: prodFlowsWithBenji({ pvcNamespaces: ["garage", "cust-1001", "customer-x"] }) })).toEqual([
      `cluster-backup:flows.benji.pvcNamespaces.1: is a tenant namespace: Benji backs up only namespaces the platform owns (tenants are backed up by tenants-daily); expected e.g. 'garage' (got "cust-1001")`,
    ]);
  });
});
