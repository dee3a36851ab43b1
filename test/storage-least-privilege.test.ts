/**
 * Issue 14 item 4: a stolen consumer key (Velero's or Benji's) can do its backup job and nothing more. Each generated
 * policy (Scaleway bucket policies + IAM permission sets, AWS IAM user policies, MinIO user policies, Garage key
 * grants) is taken from the plan and evaluated for the attacker's requests: delete the other consumer's bucket or
 * objects, delete old versions, change lifecycle, versioning, lock or policy, delete its own bucket → refused; the
 * normal backup operations → allowed; the deployer → everything.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { S3_DENIED_ACTIONS, S3_BUCKET_ACTIONS, S3_OBJECT_ACTIONS } from "../components/storage/common";
import { GARAGE_KEY_PERMISSIONS } from "../components/storage/garage";
import { SCALEWAY_PERMISSION_SETS } from "../components/storage/scaleway";
import { evaluateGarage, evaluateIam, evaluateScaleway, wildcardMatch, type S3Request, type ScalewayWorld } from "./lib/s3-policy-eval";
import { planStack, planWith, type Plan } from "./harness";

/** The stolen-key requests against the consumer's own bucket. */
const SELF_ATTACKS = ["s3:DeleteObjectVersion", "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:DeleteBucket", "s3:PutBucketObjectLockConfiguration", "s3:PutObjectRetention", "s3:BypassGovernanceRetention"];
/** The requests against the other consumer's bucket. */
const CROSS_ATTACKS = ["s3:DeleteBucket", "s3:DeleteObject", "s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:PutLifecycleConfiguration"];
/** What a backup run does. */
const BACKUP_OPS = [...S3_OBJECT_ACTIONS, ...S3_BUCKET_ACTIONS];
const OBJECT_ACTION = new Set<string>([...S3_OBJECT_ACTIONS, "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:BypassGovernanceRetention"]);
const request = (principal: string, action: string, bucket: string): S3Request => ({ principal, action, bucket, ...(OBJECT_ACTION.has(action) ? { key: "backups/tenants-daily-20260101/velero-backup.json" } : {}) });

describe("the evaluator itself (AWS/MinIO evaluation order and wildcards)", () => {
  const doc = {
    Statement: [
      { Effect: "Allow" as const, Action: ["s3:*"], Resource: ["arn:aws:s3:::b/*"] },
      { Effect: "Deny" as const, Action: ["s3:deleteobjectversion"], Resource: ["arn:aws:s3:::*"] },
    ],
  };
  it("explicit deny beats allow, actions match case-insensitively, unmatched is an implicit deny", () => {
    expect(evaluateIam(doc, { principal: "u", action: "s3:GetObject", bucket: "b", key: "k" })).toBe("allow");
    expect(evaluateIam(doc, { principal: "u", action: "s3:DeleteObjectVersion", bucket: "b", key: "k" })).toBe("explicit-deny");
    expect(evaluateIam(doc, { principal: "u", action: "s3:GetObject", bucket: "c", key: "k" })).toBe("implicit-deny");
    expect(evaluateIam(doc, { principal: "u", action: "s3:ListBucket", bucket: "b" })).toBe("implicit-deny");
  });
  it("resources match case-sensitively, `*` spans '/', `?` is one character", () => {
    expect(wildcardMatch("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y")).toBe(true);
    expect(wildcardMatch("arn:aws:s3:::B/*", "arn:aws:s3:::b/x")).toBe(false);
    expect(wildcardMatch("arn:aws:s3:::b?", "arn:aws:s3:::bc")).toBe(true);
    expect(wildcardMatch("arn:aws:s3:::b?", "arn:aws:s3:::b")).toBe(false);
    expect(wildcardMatch("arn:aws:s3:::b", "arn:aws:s3:::b/x")).toBe(false);
  });
});

describe("Scaleway (prod stack): IAM permission sets + 2023-04-17 bucket policies", () => {
  let plan: Plan;
  let world: ScalewayWorld;
  let app: Record<"velero" | "benji", string>;
  const DEPLOYER = "application_id:11111111-1111-1111-1111-111111111111";
  const VELERO_BUCKET = "acme-k8s-prod-velero";
  const BENJI_BUCKET = "acme-k8s-prod-benji";
  beforeAll(async () => {
    plan = await planStack("prod");
    // The application id as the IAM policy binding and the API key received it.
    const appId = (consumer: string) => plan.resource("scaleway:iam/policy:Policy", `scaleway-${consumer}-policy`).inputs.applicationId as string;
    app = { velero: `application_id:${appId("velero")}`, benji: `application_id:${appId("benji")}` };
    const iam: Record<string, readonly string[]> = { [DEPLOYER]: ["ObjectStorageFullAccess"] };
    for (const consumer of ["velero", "benji"] as const) iam[app[consumer]] = (plan.resource("scaleway:iam/policy:Policy", `scaleway-${consumer}-policy`).inputs.rules as { permissionSetNames: string[] }[])[0].permissionSetNames;
    const bucketPolicies: Record<string, never> = {};
    for (const r of plan.ofType("scaleway:object/bucketPolicy:BucketPolicy")) {
      const doc = JSON.parse(r.inputs.policy as string);
      bucketPolicies[doc.Statement[0].Resource[0] as string] = doc as never;
    }
    world = { iam, bucketPolicies };
  });

  it("gives each consumer objects read/write/delete and bucket read on the project, never ObjectStorageFullAccess", () => {
    expect(SCALEWAY_PERMISSION_SETS).toEqual(["ObjectStorageBucketsRead", "ObjectStorageObjectsRead", "ObjectStorageObjectsWrite", "ObjectStorageObjectsDelete"]);
    expect(world.iam[app.velero]).toEqual(SCALEWAY_PERMISSION_SETS);
    expect(world.iam[app.benji]).toEqual(SCALEWAY_PERMISSION_SETS);
  });

  it("puts exactly this policy on each bucket: the deployer everything, its consumer the backup actions, nobody else anything", () => {
    expect(Object.keys(world.bucketPolicies).sort()).toEqual([BENJI_BUCKET, VELERO_BUCKET]);
    expect(world.bucketPolicies[VELERO_BUCKET]).toEqual({
      Version: "2023-04-17",
      Id: `cluster-backup-${VELERO_BUCKET}`,
      Statement: [
        { Sid: "Deployer", Effect: "Allow", Principal: { SCW: DEPLOYER }, Action: ["s3:*"], Resource: [VELERO_BUCKET, `${VELERO_BUCKET}/*`] },
        { Sid: "BackupObjects", Effect: "Allow", Principal: { SCW: app.velero }, Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], Resource: [`${VELERO_BUCKET}/*`] },
        { Sid: "BackupBucket", Effect: "Allow", Principal: { SCW: app.velero }, Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: [VELERO_BUCKET] },
      ],
    });
    expect(world.bucketPolicies[BENJI_BUCKET].Statement.map((s) => s.Principal)).toEqual([{ SCW: DEPLOYER }, { SCW: app.benji }, { SCW: app.benji }]);
    const reg = plan.ofType("scaleway:object/bucketPolicy:BucketPolicy").find((r) => r.name === "scaleway-velero-velero-policy")!;
    expect([reg.inputs.region, reg.inputs.projectId, reg.inputs.bucket]).toEqual(["fr-par", "00000000-0000-0000-0000-000000000000", VELERO_BUCKET]);
  });

  for (const consumer of ["velero", "benji"] as const) {
    const own = () => (consumer === "velero" ? VELERO_BUCKET : BENJI_BUCKET);
    const other = () => (consumer === "velero" ? BENJI_BUCKET : VELERO_BUCKET);

    it(`a stolen ${consumer} key still does its backups`, () => {
      for (const action of BACKUP_OPS) expect([action, evaluateScaleway(world, request(app[consumer], action, own())).decision]).toEqual([action, "allow"]);
    });

    it(`a stolen ${consumer} key cannot delete versions, change lifecycle/versioning/lock/policy or delete its bucket (the bucket policy alone refuses each)`, () => {
      for (const action of SELF_ATTACKS) {
        const result = evaluateScaleway(world, request(app[consumer], action, own()));
        expect([action, result.bucketPolicy, result.decision]).toEqual([action, "implicit-deny", "implicit-deny"]);
      }
    });

    it(`a stolen ${consumer} key cannot touch the other consumer's bucket at all`, () => {
      for (const action of CROSS_ATTACKS) {
        const result = evaluateScaleway(world, request(app[consumer], action, other()));
        expect([action, result.bucketPolicy, result.decision]).toEqual([action, "implicit-deny", "implicit-deny"]);
      }
    });
  }

  it("IAM alone (a bucket whose policy was removed by the owner) still refuses bucket deletion and bucket settings", () => {
    const noPolicies: ScalewayWorld = { iam: world.iam, bucketPolicies: {} };
    for (const action of ["s3:DeleteBucket", "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning", "s3:PutBucketPolicy"]) {
      expect([action, evaluateScaleway(noPolicies, request(app.velero, action, VELERO_BUCKET)).decision]).toEqual([action, "implicit-deny"]);
    }
  });

  it("the deployer keeps every action on both buckets", () => {
    for (const bucket of [VELERO_BUCKET, BENJI_BUCKET]) {
      for (const action of ["s3:DeleteBucket", "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning", "s3:DeleteObjectVersion", "s3:GetObject"]) {
        expect([bucket, action, evaluateScaleway(world, request(DEPLOYER, action, bucket)).decision]).toEqual([bucket, action, "allow"]);
      }
    }
  });

  it("the bucket policy is created with the bucket and awaited by the consumers", () => {
    const policy = plan.ofType("scaleway:object/bucketPolicy:BucketPolicy").find((r) => r.name === "scaleway-benji-benji-policy")!;
    expect(policy.parent).toBe(plan.resource("cluster-backup:storage:ScalewayBucket", "scaleway-benji").urn);
  });
});

describe("AWS: IAM user policies limited to the consumer's buckets, with explicit denies", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planWith("prod", {
      storage: { aws: { region: "eu-west-1", bucketPrefix: "acme-prod" } },
      velero: { locations: { default: { backend: "aws", bucket: "velero", default: true }, postgres: { backend: "aws", bucket: "velero-postgres" } } },
      flows: { tenants: { enabled: true }, system: { enabled: false }, postgres: { enabled: true }, benji: { enabled: true, generateEncryption: true, storage: { backend: "aws", bucket: "benji" }, ceph: { monHost: "10.0.0.1:6789", pools: ["rbd"] } }, zrepl: { enabled: false } },
      csi: {},
    }, { benjiDatabaseUrl: "postgresql://b:p@h:5432/benji", benjiCephKey: "k" });
  });
  const doc = (consumer: string) => JSON.parse(plan.resource("aws:iam/userPolicy:UserPolicy", `aws-${consumer}-policy`).inputs.policy as string);

  it("writes exactly this policy for velero", () => {
    expect(doc("velero")).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Sid: "BackupObjects", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], Resource: ["arn:aws:s3:::acme-prod-velero/*", "arn:aws:s3:::acme-prod-velero-postgres/*"] },
        { Sid: "BackupBuckets", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: ["arn:aws:s3:::acme-prod-velero", "arn:aws:s3:::acme-prod-velero-postgres"] },
        { Sid: "NeverRewriteHistory", Effect: "Deny", Action: [...S3_DENIED_ACTIONS, "s3:PutBucketPublicAccessBlock", "s3:PutBucketAcl", "s3:PutBucketOwnershipControls"], Resource: ["arn:aws:s3:::*"] },
      ],
    });
  });

  for (const [consumer, own, other] of [["velero", "acme-prod-velero", "acme-prod-benji"], ["benji", "acme-prod-benji", "acme-prod-velero-postgres"]] as const) {
    it(`${consumer}: backups allowed; version delete and bucket changes explicitly denied; the other bucket implicitly denied`, () => {
      for (const action of BACKUP_OPS) expect([action, evaluateIam(doc(consumer), request(consumer, action, own))]).toEqual([action, "allow"]);
      for (const action of SELF_ATTACKS) expect([action, evaluateIam(doc(consumer), request(consumer, action, own))]).toEqual([action, "explicit-deny"]);
      for (const action of CROSS_ATTACKS) {
        const decision = evaluateIam(doc(consumer), request(consumer, action, other));
        expect([action, decision === "allow"]).toEqual([action, false]);
      }
    });
  }

  it("the explicit deny holds even if someone later attaches s3:* to the user", () => {
    const widened = { Statement: [...doc("velero").Statement, { Effect: "Allow", Action: ["s3:*"], Resource: ["*"] }] };
    for (const action of SELF_ATTACKS) expect([action, evaluateIam(widened, request("velero", action, "acme-prod-velero"))]).toEqual([action, "explicit-deny"]);
  });
});

describe("MinIO (dev stack): the user policy in the provisioning ConfigMap", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("dev");
  });

  it("denies version deletes and bucket changes (MinIO action names), allows the backup actions on velero only", () => {
    const data = plan.object("ConfigMap", "minio-provision-velero", "minio").data;
    const doc = JSON.parse(data["velero-rw.json"]);
    expect(doc.Statement[2]).toEqual({ Sid: "NeverRewriteHistory", Effect: "Deny", Action: [...S3_DENIED_ACTIONS, "s3:ForceDeleteBucket"], Resource: ["arn:aws:s3:::*"] });
    for (const action of BACKUP_OPS) expect([action, evaluateIam(doc, request("velero", action, "velero"))]).toEqual([action, "allow"]);
    for (const action of [...SELF_ATTACKS, "s3:ForceDeleteBucket"]) expect([action, evaluateIam(doc, request("velero", action, "velero"))]).toEqual([action, "explicit-deny"]);
    for (const action of CROSS_ATTACKS) expect([action, evaluateIam(doc, request("velero", action, "benji")) === "allow"]).toEqual([action, false]);
  });
});

describe("Garage: the key's grants after the provisioning script", () => {
  // What the script leaves: AllowBucketKey read+write, then DenyBucketKey owner (test/storage-garage-script.test.ts).
  const grants = { "velero-postgres": { ...GARAGE_KEY_PERMISSIONS } };

  it("read+write, never owner", () => {
    expect(GARAGE_KEY_PERMISSIONS).toEqual({ read: true, write: true, owner: false });
  });

  it("backups allowed; deleting the bucket, its website or CORS refused; any other bucket refused", () => {
    for (const action of BACKUP_OPS) expect([action, evaluateGarage(grants, request("velero", action, "velero-postgres"))]).toEqual([action, "allow"]);
    for (const action of ["s3:DeleteBucket", "s3:PutBucketWebsite", "s3:PutBucketCORS"]) expect([action, evaluateGarage(grants, request("velero", action, "velero-postgres"))]).toEqual([action, "implicit-deny"]);
    for (const action of ["s3:DeleteBucket", "s3:DeleteObject", "s3:GetObject", "s3:PutObject"]) expect([action, evaluateGarage(grants, request("velero", action, "benji"))]).toEqual([action, "implicit-deny"]);
  });

  it("what Garage cannot refuse a write key (no versioning, lifecycle is a write): the README says so", () => {
    expect(evaluateGarage(grants, request("velero", "s3:DeleteObject", "velero-postgres"))).toBe("allow");
    expect(evaluateGarage(grants, request("velero", "s3:PutLifecycleConfiguration", "velero-postgres"))).toBe("allow");
  });
});
