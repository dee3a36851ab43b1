/** The prod stack's object storage: Scaleway (Velero + Benji) and Garage (Velero postgres), under the SDK's mocks. */
import { beforeAll, describe, expect, it } from "vitest";
import { garageProvisionScript } from "../components/storage/garage";
import { buildPlanFiles } from "../scripts/lib/plan-output";
import { planStack, type Plan } from "./harness";
import { OWNERSHIP } from "./lib/expected";

const BUCKET = "scaleway:object/bucket:Bucket";
const PROJECT = "00000000-0000-0000-0000-000000000000";
// What pulumi-random 4.21.2 (randomBytes.js) marks secret itself; the ID is "none".
const RANDOM_BYTES_SECRETS = ["base64", "hex"];

describe("storage (prod stack)", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("prod");
  });

  it("registers one component per backend and consumer, and no MinIO or AWS", () => {
    const components = plan.registrations.filter((r) => r.type.startsWith("cluster-backup:storage:")).map((r) => `${r.type} ${r.name}`);
    expect(components.sort()).toEqual([
      "cluster-backup:storage:GarageBucket garage-velero",
      "cluster-backup:storage:ScalewayBucket scaleway-benji",
      "cluster-backup:storage:ScalewayBucket scaleway-velero",
    ]);
    expect(plan.registrations.filter((r) => r.type.startsWith("aws:") || r.type === "pulumi:providers:aws")).toEqual([]);
    expect(plan.objects().filter((o) => o.metadata?.namespace === "minio")).toEqual([]);
  });

  describe("Scaleway", () => {
    it("creates the shared Velero bucket once: versioned, noncurrent versions expire after 14 days, protected", () => {
      const buckets = plan.ofType(BUCKET);
      expect(buckets.map((b) => b.inputs.name).sort()).toEqual(["acme-k8s-prod-benji", "acme-k8s-prod-velero"]);
      const velero = plan.resource(BUCKET, "scaleway-velero-velero");
      expect(velero.inputs).toEqual({
        name: "acme-k8s-prod-velero",
        region: "fr-par",
        projectId: PROJECT,
        versioning: { enabled: true },
        lifecycleRules: [{ id: "expire-noncurrent-versions", enabled: true, noncurrentVersionExpiration: { noncurrentDays: 14 }, abortIncompleteMultipartUploadDays: 7 }],
        forceDestroy: false,
        tags: { "managed-by": "pulumi", "part-of": "cluster-backup", consumer: "velero" },
      });
      expect([velero.protect, velero.retainOnDelete]).toEqual([true, true]);
      expect(velero.parent).toBe(plan.resource("cluster-backup:storage:ScalewayBucket", "scaleway-velero").urn);
    });

    it("leaves Benji's bucket unversioned (its cleanup must free space), protected", () => {
      const benji = plan.resource(BUCKET, "scaleway-benji-benji");
      expect(benji.inputs).toEqual({
        name: "acme-k8s-prod-benji",
        region: "fr-par",
        projectId: PROJECT,
        versioning: { enabled: false },
        lifecycleRules: [{ id: "abort-incomplete-multipart-uploads", enabled: true, abortIncompleteMultipartUploadDays: 7 }],
        forceDestroy: false,
        tags: { "managed-by": "pulumi", "part-of": "cluster-backup", consumer: "benji" },
      });
      expect([benji.protect, benji.retainOnDelete]).toEqual([true, true]);
    });

    it("sets no object lock unless the config asks for it", () => {
      expect(plan.ofType("scaleway:object/bucketLockConfiguration:BucketLockConfiguration")).toEqual([]);
      expect("objectLockEnabled" in plan.resource(BUCKET, "scaleway-velero-velero").inputs).toBe(false);
    });

    it.each(["velero", "benji"])("gives %s its own IAM application, project-scoped policy and API key with defaultProjectId", (consumer) => {
      const app = plan.resource("scaleway:iam/application:Application", `scaleway-${consumer}-application`);
      expect(app.inputs).toEqual({ name: `acme-k8s-prod-${consumer}`, description: `cluster-backup: ${consumer} access to its backup buckets`, tags: ["cluster-backup", consumer] });
      const policy = plan.resource("scaleway:iam/policy:Policy", `scaleway-${consumer}-policy`);
      const key = plan.resource("scaleway:iam/apiKey:ApiKey", `scaleway-${consumer}-api-key`);
      expect(policy.inputs.rules).toEqual([{ projectIds: [PROJECT], permissionSetNames: ["ObjectStorageBucketsRead", "ObjectStorageObjectsRead", "ObjectStorageObjectsWrite", "ObjectStorageObjectsDelete"] }]);
      // IAM is global: a bare UUID, as the bucket policies embed it (`application_id:<id>`).
      expect(policy.inputs.applicationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(key.inputs).toEqual({ applicationId: policy.inputs.applicationId, defaultProjectId: PROJECT, description: `cluster-backup ${consumer} (S3)` });
      expect([key.protect, key.retainOnDelete]).toEqual([true, true]);
      expect(policy.protect).toBe(false);
    });

    it("the two consumers never share an application", () => {
      expect(plan.resource("scaleway:iam/policy:Policy", "scaleway-velero-policy").inputs.applicationId).not.toBe(
        plan.resource("scaleway:iam/policy:Policy", "scaleway-benji-policy").inputs.applicationId,
      );
    });
  });

  describe("Garage", () => {
    it("generates the key id (12 bytes → GK + 24 hex) and secret (32 bytes → 64 hex) as protected secrets", () => {
      const id = plan.resource("random:index/randomBytes:RandomBytes", "garage-velero-key-id");
      const secret = plan.resource("random:index/randomBytes:RandomBytes", "garage-velero-key-secret");
      expect(id.inputs).toEqual({ length: 12 });
      expect(secret.inputs).toEqual({ length: 32 });
      for (const r of [id, secret]) {
        expect(r.additionalSecretOutputs).toEqual(RANDOM_BYTES_SECRETS);
        expect([r.protect, r.retainOnDelete]).toEqual([true, true]);
      }
    });

    it("stores KEY_ID/KEY_SECRET in Secret garage-provision-<bucket> in the garage namespace, as secrets", () => {
      const secret = plan.object("Secret", "garage-provision-velero-postgres", "garage");
      expect(secret.metadata.labels).toEqual(OWNERSHIP);
      expect(Object.keys(secret.stringData).sort()).toEqual(["KEY_ID", "KEY_SECRET"]);
      expect(secret.stringData.KEY_ID).toMatch(/^GK[0-9a-f]{24}$/);
      expect(secret.stringData.KEY_SECRET).toMatch(/^[0-9a-f]{64}$/);
      expect(plan.run.secretMarked.has(secret.stringData.KEY_ID)).toBe(true);
      expect(plan.run.secretMarked.has(secret.stringData.KEY_SECRET)).toBe(true);
    });

    it("runs an idempotent provisioning Job: v2 script, env from config and secretKeyRefs, restricted, awaited", () => {
      const job = plan.object("Job", "garage-provision-velero-postgres-4428ed2c", "garage");
      expect(job.spec.backoffLimit).toBe(6);
      expect(job.spec.activeDeadlineSeconds).toBe(900);
      expect("ttlSecondsAfterFinished" in job.spec).toBe(false);
      const pod = job.spec.template.spec;
      expect(pod.restartPolicy).toBe("Never");
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } });
      expect(pod.containers).toHaveLength(1);
      const c = pod.containers[0];
      expect(c.image).toBe("docker.io/curlimages/curl:8.11.1@sha256:c1fe1679c34d9784c1b0d1e5f62ac0a79fca01fb6377cdd33e90473c6f9f9a69");
      expect(c.command).toEqual(["/bin/sh", "-c", garageProvisionScript("v2")]);
      expect(c.env).toEqual([
        { name: "GARAGE_ADMIN_URL", value: "http://garage.garage.svc.cluster.local:3903" },
        { name: "GARAGE_ADMIN_TOKEN", valueFrom: { secretKeyRef: { name: "garage-admin-token", key: "token" } } },
        { name: "KEY_ID", valueFrom: { secretKeyRef: { name: "garage-provision-velero-postgres", key: "KEY_ID" } } },
        { name: "KEY_SECRET", valueFrom: { secretKeyRef: { name: "garage-provision-velero-postgres", key: "KEY_SECRET" } } },
        { name: "KEY_NAME", value: "cluster-backup-velero" },
        { name: "BUCKET", value: "velero-postgres" },
      ]);
      expect(c.securityContext).toEqual({ runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" }, readOnlyRootFilesystem: true });
      expect(c.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
      expect(job.spec.template.metadata.annotations["cluster-backup.io/credentials-sha256"]).toMatch(/^[0-9a-f]{16}$/);

      const reg = plan.registrationOf("Job", "garage-provision-velero-postgres-4428ed2c", "garage");
      expect(reg.deleteBeforeReplace).toBe(true);
      expect(reg.dependsOn).toContain(plan.registrationOf("Secret", "garage-provision-velero-postgres", "garage").urn);
      expect(reg.provider).toMatch(/::target::/);
    });

    it("creates no bucket resource of its own: Garage has neither versioning nor object lock", () => {
      expect(plan.registrations.filter((r) => r.parent === plan.resource("cluster-backup:storage:GarageBucket", "garage-velero").urn).map((r) => r.type).sort()).toEqual([
        "kubernetes:batch/v1:Job",
        "kubernetes:core/v1:Secret",
        "random:index/randomBytes:RandomBytes",
        "random:index/randomBytes:RandomBytes",
      ]);
    });
  });

  describe("outputs", () => {
    it("export bucket, endpoint, region and versioning per location and for Benji, never a key", () => {
      const scw = { backend: "scaleway", bucket: "acme-k8s-prod-velero", endpoint: "https://s3.fr-par.scw.cloud", region: "fr-par", versioned: true, noncurrentVersionDays: 14, objectLock: false };
      expect(plan.exports.buckets).toEqual({
        default: scw,
        system: scw,
        "garage-backups": scw,
        postgres: { backend: "garage", bucket: "velero-postgres", endpoint: "http://garage.garage.svc.cluster.local:3900", region: "garage", versioned: false, objectLock: false },
        benji: { backend: "scaleway", bucket: "acme-k8s-prod-benji", endpoint: "https://s3.fr-par.scw.cloud", region: "fr-par", versioned: false, objectLock: false },
      });
    });

    it("export the credentials per consumer and backend only as a secret, absent from every plan file", () => {
      const creds = plan.exports.s3Credentials as Record<string, { accessKeyId: string; secretAccessKey: string }>;
      expect(Object.keys(creds)).toEqual(["velero/scaleway", "velero/garage", "benji/scaleway"]);
      const values = Object.values(creds).flatMap((c) => [c.accessKeyId, c.secretAccessKey]);
      expect(values.every((v) => typeof v === "string" && v.length >= 20)).toBe(true);
      expect(creds["velero/garage"].accessKeyId).toMatch(/^GK[0-9a-f]{24}$/);
      expect(creds["velero/scaleway"].accessKeyId).toMatch(/^SCW[A-Z0-9]{17}$/);
      for (const v of values) expect(plan.run.secretMarked.has(v)).toBe(true);
      const all = [...buildPlanFiles("prod", plan.run).files.values()].join("\n");
      expect(values.filter((v) => all.includes(v))).toEqual([]);
      expect(JSON.stringify(plan.exports.buckets)).not.toMatch(/SCW|GK[0-9a-f]{24}/);
    });

    it("tell the plan summary which location is versioned, locked, and how each credential is scoped", () => {
      expect(plan.exports.summaryNotes).toEqual(
        expect.arrayContaining([
          "location default (scaleway bucket acme-k8s-prod-velero): versioned, noncurrent versions expire after 14 days, no object lock",
          "location system (scaleway bucket acme-k8s-prod-velero): versioned, noncurrent versions expire after 14 days, no object lock",
          "location garage-backups (scaleway bucket acme-k8s-prod-velero): versioned, noncurrent versions expire after 14 days, no object lock",
          "location postgres (garage bucket velero-postgres): no versioning (Garage has none: a deleted or overwritten object is gone at once), no object lock",
          "benji (scaleway bucket acme-k8s-prod-benji): no versioning (Benji's cleanup must free space), no object lock",
          `credentials velero on scaleway: IAM application acme-k8s-prod-velero with ObjectStorageBucketsRead, ObjectStorageObjectsRead, ObjectStorageObjectsWrite, ObjectStorageObjectsDelete on project ${PROJECT}, narrowed by bucket policies to object read/write/delete on acme-k8s-prod-velero (no version delete, no lifecycle, versioning, policy or bucket change; application_id:11111111-1111-1111-1111-111111111111 keeps all; IAM changes take up to 5 minutes)`,
          "credentials velero on garage: key cluster-backup-velero allowed read+write on velero-postgres only, owner denied (no bucket delete, website or CORS)",
          "object lock is off on the Velero bucket(s) acme-k8s-prod-velero: versioning keeps what a stolen consumer key deletes, not what the deployer's key or the Organization owner deletes; where your retention rules allow, set storage.scaleway.objectLock {mode: COMPLIANCE, days} (at bucket creation only; Velero calls locked buckets an expert setup)",
          `credentials benji on scaleway: IAM application acme-k8s-prod-benji with ObjectStorageBucketsRead, ObjectStorageObjectsRead, ObjectStorageObjectsWrite, ObjectStorageObjectsDelete on project ${PROJECT}, narrowed by bucket policies to object read/write/delete on acme-k8s-prod-benji (no version delete, no lifecycle, versioning, policy or bucket change; application_id:11111111-1111-1111-1111-111111111111 keeps all; IAM changes take up to 5 minutes)`,
        ]),
      );
    });
  });
});
