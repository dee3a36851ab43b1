/**
 * Storage configurations no stack file uses: AWS S3 (prod and dev), Scaleway object lock, Garage with the admin token
 * from secure config and the v1 admin API.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { garageProvisionScript } from "../components/storage/garage";
import { s3PolicyDocument } from "../components/storage/common";
import { readStackFile } from "../scripts/lib/stack-file";
import { buildPlanFiles } from "../scripts/lib/plan-output";
import * as k8s from "@pulumi/kubernetes";
import { DevMinio, MinioBucket } from "../components/storage/minio";
import { planProgram, planWith, ROOT, type Plan } from "./harness";

const prodConfig = readStackFile(ROOT, "prod").config;
const prodStorage = JSON.parse(prodConfig["cluster-backup:storage"]);
const prodFlows = JSON.parse(prodConfig["cluster-backup:flows"]);

describe("storage: AWS S3 (prod)", () => {
  let plan: Plan;
  const aws = { region: "eu-west-1", bucketPrefix: "acme-prod", objectLock: { mode: "GOVERNANCE", days: 30 }, noncurrentVersionDays: 21 };
  beforeAll(async () => {
    plan = await planWith("prod", {
      storage: { aws },
      velero: {
        concurrentBackups: 2,
        locations: {
          default: { backend: "aws", bucket: "velero", prefix: "tenants", default: true },
          system: { backend: "aws", bucket: "velero", prefix: "system" },
          "garage-backups": { backend: "aws", bucket: "velero", prefix: "garage" },
          postgres: { backend: "aws", bucket: "velero-postgres", prefix: "postgres" },
        },
      },
      flows: { ...prodFlows, benji: { ...prodFlows.benji, storage: { backend: "aws", bucket: "benji" } } },
    });
  });

  const res = (type: string, name: string) => plan.resource(type, name);

  it("uses an explicit AWS provider in the configured region for every AWS resource", () => {
    expect(res("pulumi:providers:aws", "aws").inputs.region).toBe("eu-west-1");
    const providerUrn = res("pulumi:providers:aws", "aws").urn;
    const awsResources = plan.registrations.filter((r) => r.type.startsWith("aws:"));
    // velero: user, policy, key + 2 × (bucket, public access, encryption, versioning, lock, lifecycle); benji: 3 + 4
    expect(awsResources.length).toBe(22);
    expect(awsResources.every((r) => r.provider?.startsWith(`${providerUrn}::`))).toBe(true);
  });

  it("creates each bucket once, private by name, never force-destroyed, protected", () => {
    const buckets = plan.ofType("aws:s3/bucket:Bucket");
    expect(buckets.map((b) => [b.name, b.inputs.bucket]).sort()).toEqual([
      ["aws-benji-benji", "acme-prod-benji"],
      ["aws-velero-velero", "acme-prod-velero"],
      ["aws-velero-velero-postgres", "acme-prod-velero-postgres"],
    ]);
    expect(res("aws:s3/bucket:Bucket", "aws-velero-velero").inputs).toEqual({
      bucket: "acme-prod-velero",
      forceDestroy: false,
      objectLockEnabled: true,
      tags: { "managed-by": "pulumi", "part-of": "cluster-backup", consumer: "velero" },
    });
    expect(res("aws:s3/bucket:Bucket", "aws-benji-benji").inputs).toEqual({ bucket: "acme-prod-benji", forceDestroy: false, tags: { "managed-by": "pulumi", "part-of": "cluster-backup", consumer: "benji" } });
    for (const b of buckets) expect([b.protect, b.retainOnDelete]).toEqual([true, true]);
  });

  it("blocks public access and encrypts every bucket", () => {
    for (const name of ["aws-velero-velero", "aws-velero-velero-postgres", "aws-benji-benji"]) {
      const bucket = res("aws:s3/bucket:Bucket", name).inputs.bucket;
      expect(res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", `${name}-public-access`).inputs).toEqual({
        bucket: expect.stringMatching(new RegExp(`^${name}-[0-9a-f]{8}$`)), // the bucket's id under the mocks
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", `${name}-encryption`).inputs.rules).toEqual([
        { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true },
      ]);
      expect(bucket).toMatch(/^acme-prod-/);
    }
  });

  it("versions and locks the Velero buckets only; noncurrent versions expire after the configured days", () => {
    expect(plan.ofType("aws:s3/bucketVersioning:BucketVersioning").map((r) => [r.name, r.inputs.versioningConfiguration]).sort()).toEqual([
      ["aws-velero-velero-postgres-versioning", { status: "Enabled" }],
      ["aws-velero-velero-versioning", { status: "Enabled" }],
    ]);
    expect(plan.ofType("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").map((r) => [r.name, r.inputs.rule]).sort()).toEqual([
      ["aws-velero-velero-lock", { defaultRetention: { mode: "GOVERNANCE", days: 30 } }],
      ["aws-velero-velero-postgres-lock", { defaultRetention: { mode: "GOVERNANCE", days: 30 } }],
    ]);
    const lock = res("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "aws-velero-velero-lock");
    expect(lock.dependsOn).toContain(res("aws:s3/bucketVersioning:BucketVersioning", "aws-velero-velero-versioning").urn);
    const lifecycle = res("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "aws-velero-velero-lifecycle");
    expect(lifecycle.inputs.rules).toEqual([
      { id: "expire-noncurrent-versions", status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays: 21 }, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } },
    ]);
    expect(lifecycle.dependsOn).toContain(res("aws:s3/bucketVersioning:BucketVersioning", "aws-velero-velero-versioning").urn);
    expect(res("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "aws-benji-benji-lifecycle").inputs.rules).toEqual([
      { id: "abort-incomplete-multipart-uploads", status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } },
    ]);
  });

  it("gives each consumer an IAM user whose policy names exactly its buckets", () => {
    expect(res("aws:iam/user:User", "aws-velero-user").inputs).toEqual({ name: "acme-prod-velero", path: "/cluster-backup/", tags: { "managed-by": "pulumi", "part-of": "cluster-backup", consumer: "velero" } });
    const velero = res("aws:iam/userPolicy:UserPolicy", "aws-velero-policy");
    expect(velero.inputs.user).toBe("acme-prod-velero");
    expect(velero.inputs.name).toBe("acme-prod-velero-s3");
    expect(JSON.parse(velero.inputs.policy as string)).toEqual(s3PolicyDocument(["acme-prod-velero", "acme-prod-velero-postgres"], "aws"));
    expect(JSON.parse(velero.inputs.policy as string).Statement[0].Resource).toEqual(["arn:aws:s3:::acme-prod-velero/*", "arn:aws:s3:::acme-prod-velero-postgres/*"]);
    const benji = res("aws:iam/userPolicy:UserPolicy", "aws-benji-policy");
    expect(JSON.parse(benji.inputs.policy as string)).toEqual(s3PolicyDocument(["acme-prod-benji"], "aws"));
    for (const consumer of ["velero", "benji"]) {
      const key = res("aws:iam/accessKey:AccessKey", `aws-${consumer}-access-key`);
      expect(key.inputs).toEqual({ user: `acme-prod-${consumer}` });
      expect([key.protect, key.retainOnDelete]).toEqual([true, true]);
    }
  });

  it("exports no endpoint (the SDK derives it) and keeps the keys out of the plan", () => {
    expect((plan.exports.buckets as Record<string, unknown>).default).toEqual({ backend: "aws", bucket: "acme-prod-velero", region: "eu-west-1", versioned: true, noncurrentVersionDays: 21, objectLock: true });
    const creds = plan.exports.s3Credentials as Record<string, { accessKeyId: string; secretAccessKey: string }>;
    expect(Object.keys(creds)).toEqual(["velero/aws", "benji/aws"]);
    expect(creds["velero/aws"].accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    const all = [...buildPlanFiles("prod", plan.run).files.values()].join("\n");
    for (const c of Object.values(creds)) {
      expect(all).not.toContain(c.accessKeyId);
      expect(all).not.toContain(c.secretAccessKey);
    }
    expect(plan.exports.summaryNotes).toEqual(
      expect.arrayContaining([
        "location default (aws bucket acme-prod-velero): versioned, noncurrent versions expire after 21 days, object lock GOVERNANCE 30 days",
        "benji (aws bucket acme-prod-benji): no versioning (Benji's cleanup must free space), no object lock",
        "credentials velero on aws: IAM user acme-prod-velero limited to acme-prod-velero, acme-prod-velero-postgres, explicitly denied version deletes and bucket setting changes",
      ]),
    );
  });
});

describe("storage: AWS S3 outside production", () => {
  it("lets a dev stack destroy its buckets and protects nothing", async () => {
    const plan = await planWith("dev", {
      storage: { aws: { region: "eu-central-1", bucketPrefix: "dev-me" } },
      velero: {
        locations: {
          default: { backend: "aws", bucket: "velero", prefix: "tenants", default: true },
          system: { backend: "aws", bucket: "velero", prefix: "system" },
          postgres: { backend: "aws", bucket: "velero", prefix: "postgres" },
        },
      },
    });
    const bucket = plan.resource("aws:s3/bucket:Bucket", "aws-velero-velero");
    expect(bucket.inputs).toEqual({ bucket: "dev-me-velero", forceDestroy: true, tags: { "managed-by": "pulumi", "part-of": "cluster-backup", consumer: "velero" } });
    expect(plan.registrations.filter((r) => r.type.startsWith("aws:") && (r.protect || r.retainOnDelete))).toEqual([]);
    expect(plan.ofType("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")).toEqual([]);
    expect(plan.ofType("cluster-backup:storage:DevMinio")).toEqual([]);
  });
});

describe("storage: Scaleway object lock on the Velero bucket", () => {
  it("enables the lock at creation on Velero's bucket only, with the configured retention", async () => {
    const plan = await planWith("prod", { storage: { ...prodStorage, scaleway: { ...prodStorage.scaleway, objectLock: { mode: "GOVERNANCE", days: 10 } } } });
    expect(plan.resource("scaleway:object/bucket:Bucket", "scaleway-velero-velero").inputs.objectLockEnabled).toBe(true);
    expect("objectLockEnabled" in plan.resource("scaleway:object/bucket:Bucket", "scaleway-benji-benji").inputs).toBe(false);
    const locks = plan.ofType("scaleway:object/bucketLockConfiguration:BucketLockConfiguration");
    expect(locks.map((l) => [l.name, l.inputs])).toEqual([
      ["scaleway-velero-velero-lock", { bucket: "acme-k8s-prod-velero", region: "fr-par", projectId: "00000000-0000-0000-0000-000000000000", rule: { defaultRetention: { mode: "GOVERNANCE", days: 10 } } }],
    ]);
    expect([locks[0].protect, locks[0].retainOnDelete]).toEqual([true, true]);
    expect(plan.exports.summaryNotes).toContain("location default (scaleway bucket acme-k8s-prod-velero): versioned, noncurrent versions expire after 14 days, object lock GOVERNANCE 10 days");
  });
});

describe("storage: Garage admin token from secure config, admin API v1", () => {
  const TOKEN = "garage-admin-token-from-config-0123456789";
  let plan: Plan;
  beforeAll(async () => {
    const { adminTokenSecret: _unused, ...garage } = prodStorage.garage;
    void _unused;
    plan = await planWith("prod", { storage: { ...prodStorage, garage: { ...garage, adminApiVersion: "v1" } } }, { garageAdminToken: TOKEN });
  });

  it("keeps the token in the provisioning Secret and reads it from there", () => {
    const secret = plan.object("Secret", "garage-provision-velero-postgres", "garage");
    expect(Object.keys(secret.stringData).sort()).toEqual(["ADMIN_TOKEN", "KEY_ID", "KEY_SECRET"]);
    expect(secret.stringData.ADMIN_TOKEN).toBe(TOKEN);
    expect(plan.run.secretStrings.has(TOKEN)).toBe(true);
    const job = plan.objects("Job").find((j) => j.metadata.name.startsWith("garage-provision-velero-postgres-"))!;
    const c = job.spec.template.spec.containers[0];
    expect(c.env[1]).toEqual({ name: "GARAGE_ADMIN_TOKEN", valueFrom: { secretKeyRef: { name: "garage-provision-velero-postgres", key: "ADMIN_TOKEN" } } });
    expect(c.command).toEqual(["/bin/sh", "-c", garageProvisionScript("v1")]);
    // Other inputs, other Job: the v2 Job of the stack file is replaced rather than left as drift.
    expect(job.metadata.name).not.toBe("garage-provision-velero-postgres-22d07e05");
    expect(job.metadata.name).toMatch(/^garage-provision-velero-postgres-[0-9a-f]{8}$/);
  });

  it("never shows the token in the plan output", () => {
    const all = [...buildPlanFiles("prod", plan.run).files.values()].join("\n");
    expect(all).not.toContain(TOKEN);
    expect(all).toContain("ADMIN_TOKEN: \"[secret]\"");
  });
});

describe("storage: MinIO holding production data", () => {
  it("protects and retains the namespace, the data volume and every generated credential", async () => {
    const plan = await planProgram("prod", () => {
      const provider = new k8s.Provider("target", { context: "kind-test" });
      const server = new DevMinio("minio", { image: "quay.io/minio/minio:RELEASE.2024-12-18T13-15-44Z", size: "50Gi", production: true, provider });
      new MinioBucket("minio-benji", { consumer: "benji", buckets: ["benji"], versioned: false, mcImage: "quay.io/minio/mc:RELEASE.2024-11-21T17-21-54Z", serverReady: server.ready, production: true, provider });
    });
    const protectedNames = plan.registrations.filter((r) => r.protect && r.retainOnDelete).map((r) => r.name).sort();
    expect(protectedNames).toEqual(["minio-benji-access-key", "minio-benji-secret-key", "minio-data", "minio-namespace", "minio-root-password", "minio-root-user"]);
    expect(plan.object("PersistentVolumeClaim", "minio-data", "minio").spec.resources).toEqual({ requests: { storage: "50Gi" } });
    const cm = plan.object("ConfigMap", "minio-provision-benji", "minio");
    expect(Object.keys(cm.data)).toEqual(["benji-rw.json"]);
  });
});
