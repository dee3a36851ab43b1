/**
 * README "Deployer permissions": the cluster-scoped kinds are those the prod plan creates, and the AWS policy document
 * covers every AWS resource type the program registers, scoped to the IAM path and bucket prefix it uses.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { AWS_IAM_PATH } from "../components/storage/aws";
import { readStackFile } from "../scripts/lib/stack-file";
import { ROOT, planStack, planWith, type Plan } from "./harness";

const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The actions each registered AWS type needs to be created, read, updated and deleted (with the resource they act on). */
const ACTIONS: Record<string, { actions: string[]; on: "user" | "bucket" | "any" }> = {
  "pulumi:providers:aws": { actions: ["sts:GetCallerIdentity"], on: "any" },
  "aws:iam/user:User": { actions: ["iam:CreateUser", "iam:GetUser", "iam:UpdateUser", "iam:DeleteUser", "iam:TagUser", "iam:UntagUser", "iam:ListUserTags", "iam:ListGroupsForUser", "iam:ListAttachedUserPolicies"], on: "user" },
  "aws:iam/userPolicy:UserPolicy": { actions: ["iam:PutUserPolicy", "iam:GetUserPolicy", "iam:DeleteUserPolicy", "iam:ListUserPolicies"], on: "user" },
  "aws:iam/accessKey:AccessKey": { actions: ["iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys"], on: "user" },
  "aws:s3/bucket:Bucket": { actions: ["s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketTagging", "s3:PutBucketTagging", "s3:GetBucketPolicy", "s3:GetBucketAcl", "s3:GetBucketCORS", "s3:GetBucketWebsite", "s3:GetBucketLogging", "s3:GetBucketRequestPayment", "s3:GetAccelerateConfiguration", "s3:GetReplicationConfiguration"], on: "bucket" },
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": { actions: ["s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"], on: "bucket" },
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": { actions: ["s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration"], on: "bucket" },
  "aws:s3/bucketVersioning:BucketVersioning": { actions: ["s3:GetBucketVersioning", "s3:PutBucketVersioning"], on: "bucket" },
  "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": { actions: ["s3:GetBucketObjectLockConfiguration", "s3:PutBucketObjectLockConfiguration"], on: "bucket" },
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": { actions: ["s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration"], on: "bucket" },
};

interface Statement {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource: string | string[];
}

function awsPolicy(): { Version: string; Statement: Statement[] } {
  const section = README.slice(README.indexOf("### AWS IAM"), README.indexOf("### Garage", README.indexOf("### AWS IAM")));
  const block = /```json\n([\s\S]*?)\n```/.exec(section);
  if (!block) throw new Error("README: no JSON block under ### AWS IAM");
  return JSON.parse(block[1]);
}

const matches = (pattern: string, value: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(value);

describe("README: Kubernetes permissions", () => {
  let prod: Plan;
  beforeAll(async () => {
    prod = await planStack("prod");
  });

  it("lists exactly the cluster-scoped kinds the prod stack creates itself", () => {
    const line = /<!-- cluster-scoped kinds, checked by test\/readme-deployer\.test\.ts -->(.*?)<!-- end -->/.exec(README);
    expect(line).not.toBeNull();
    const listed = [...line![1].matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]);
    const created = [...new Set(prod.objects().filter((o) => o.metadata?.namespace === undefined).map((o) => String(o.kind)))].sort();
    expect(created).toContain("ValidatingAdmissionPolicy");
    expect(listed).toEqual(created);
  });
});

describe("README: AWS IAM policy of the deployer", () => {
  let aws: Plan;
  const bucketPrefix = "acme-prod";
  beforeAll(async () => {
    const flows = JSON.parse(readStackFile(ROOT, "prod").config["cluster-backup:flows"]);
    aws = await planWith("prod", {
      storage: { aws: { region: "eu-west-1", bucketPrefix, objectLock: { mode: "GOVERNANCE", days: 30 }, noncurrentVersionDays: 21 } },
      velero: {
        locations: {
          default: { backend: "aws", bucket: "velero", prefix: "tenants", default: true },
          system: { backend: "aws", bucket: "velero", prefix: "system" },
          "garage-backups": { backend: "aws", bucket: "velero", prefix: "garage" },
          postgres: { backend: "aws", bucket: "velero-postgres", prefix: "postgres" },
        },
      },
      flows: { ...flows, benji: { ...flows.benji, storage: { backend: "aws", bucket: "benji" } } },
    });
  });

  it("is a valid policy document of Allow statements, every resource scoped but the caller identity", () => {
    const policy = awsPolicy();
    expect(policy.Version).toBe("2012-10-17");
    expect(policy.Statement.map((s) => s.Sid)).toEqual(["ProviderIdentity", "ConsumerUsers", "Buckets", "ForceDestroyNonProduction"]);
    for (const s of policy.Statement) expect(s.Effect).toBe("Allow");
    expect(policy.Statement.filter((s) => s.Resource === "*").map((s) => s.Action)).toEqual([["sts:GetCallerIdentity"]]);
  });

  it("allows every action of every AWS resource type the program registers, on the resources it names", () => {
    const types = [...new Set(aws.registrations.filter((r) => r.type.startsWith("aws:") || r.type === "pulumi:providers:aws").map((r) => r.type))].sort();
    expect(types.filter((t) => !(t in ACTIONS))).toEqual([]);
    expect(types.length).toBe(Object.keys(ACTIONS).length);
    const policy = awsPolicy();
    const resourceOf = { user: `arn:aws:iam::<account-id>:user${AWS_IAM_PATH}${bucketPrefix}-velero`, bucket: `arn:aws:s3:::${bucketPrefix}-velero`, any: "*" };
    const allowed = (action: string, resource: string) =>
      policy.Statement.some((s) => s.Action.some((a) => matches(a, action)) && [s.Resource].flat().some((r) => matches(r.replace("<bucketPrefix>", bucketPrefix), resource)));
    const missing = types.flatMap((t) => ACTIONS[t].actions.filter((a) => !allowed(a, resourceOf[ACTIONS[t].on])).map((a) => `${t}: ${a}`));
    expect(missing).toEqual([]);
  });

  it("names the users and buckets the program really creates", () => {
    const users = aws.ofType("aws:iam/user:User").map((u) => `arn:aws:iam::<account-id>:user${String(u.inputs.path)}${String(u.inputs.name)}`);
    const buckets = aws.ofType("aws:s3/bucket:Bucket").map((b) => `arn:aws:s3:::${String(b.inputs.bucket)}`);
    expect(users).toEqual(["arn:aws:iam::<account-id>:user/cluster-backup/acme-prod-velero", "arn:aws:iam::<account-id>:user/cluster-backup/acme-prod-benji"]);
    const statement = (sid: string) => [awsPolicy().Statement.find((s) => s.Sid === sid)!.Resource].flat().map((r) => r.replace("<bucketPrefix>", bucketPrefix));
    expect(users.every((u) => statement("ConsumerUsers").some((r) => matches(r, u)))).toBe(true);
    expect(buckets.length).toBe(3);
    expect(buckets.every((b) => statement("Buckets").some((r) => matches(r, b)))).toBe(true);
  });
});
