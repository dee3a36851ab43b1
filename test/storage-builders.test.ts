import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { hash8, jobName, s3PolicyDocument } from "../components/storage/common";
import { GARAGE_ADMIN_PATHS, garageProvisionScript } from "../components/storage/garage";
import { minioEndpoint, minioLifecycle, minioProvisionScript } from "../components/storage/minio";
import { scalewayEndpoint } from "../components/storage/scaleway";
import { bucketRequests } from "../components/storage";
import { storageArgsFromConfig } from "../components/stack-args";
import { parseStackConfig } from "../components/config";
import { rawConfig } from "./harness";
import { TAG_ONLY_WAIVER } from "./lib/image-waiver";

describe("storage: least-privilege S3 policy (AWS and MinIO)", () => {
  it("allows exactly the docs/design.md §3.3 actions on the named buckets and nothing else", () => {
    expect(s3PolicyDocument(["acme-velero", "acme-velero-2"], "aws")).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "BackupObjects",
          Effect: "Allow",
          Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
          Resource: ["arn:aws:s3:::acme-velero/*", "arn:aws:s3:::acme-velero-2/*"],
        },
        { Sid: "BackupBuckets", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: ["arn:aws:s3:::acme-velero", "arn:aws:s3:::acme-velero-2"] },
        {
          Sid: "NeverRewriteHistory",
          Effect: "Deny",
          Action: [
            "s3:DeleteObjectVersion",
            "s3:DeleteObjectVersionTagging",
            "s3:PutLifecycleConfiguration",
            "s3:PutBucketVersioning",
            "s3:PutBucketObjectLockConfiguration",
            "s3:PutObjectRetention",
            "s3:PutObjectLegalHold",
            "s3:BypassGovernanceRetention",
            "s3:PutEncryptionConfiguration",
            "s3:PutReplicationConfiguration",
            "s3:PutBucketPolicy",
            "s3:DeleteBucketPolicy",
            "s3:DeleteBucket",
            "s3:PutBucketPublicAccessBlock",
            "s3:PutBucketAcl",
            "s3:PutBucketOwnershipControls",
          ],
          Resource: ["arn:aws:s3:::*"],
        },
      ],
    });
  });

  it("MinIO gets the same denies with MinIO's own extra (forced delete) and none of AWS's (MinIO refuses unknown actions)", () => {
    const minio = s3PolicyDocument(["velero"], "minio").Statement[2];
    expect(minio.Action.slice(-2)).toEqual(["s3:DeleteBucket", "s3:ForceDeleteBucket"]);
    expect(minio.Action).not.toContain("s3:PutBucketPublicAccessBlock");
  });

  it("refuses an empty bucket list (a policy on nothing is a bug)", () => {
    expect(() => s3PolicyDocument([], "aws")).toThrow("s3PolicyDocument: expected at least one bucket");
  });
});

describe("storage: Job names", () => {
  it("are <prefix>-<id>-<hash8>, cut to 63 characters", () => {
    expect(jobName("garage-provision", "velero-postgres", "0123abcd")).toBe("garage-provision-velero-postgres-0123abcd");
    const long = jobName("garage-provision", `a${"b".repeat(61)}c`, "0123abcd");
    expect(long).toBe(`garage-provision-a${"b".repeat(36)}-0123abcd`);
    expect(long.length).toBe(63);
    expect(jobName("garage-provision", `${"x".repeat(36)}-y`, "0123abcd")).toBe(`garage-provision-${"x".repeat(36)}-0123abcd`);
  });

  it("hash only what they are given, deterministically", () => {
    expect(hash8({ a: 1 })).toBe(hash8({ a: 1 }));
    expect(hash8({ a: 1 })).not.toBe(hash8({ a: 2 }));
    expect(hash8({ a: 1 })).toMatch(/^[0-9a-f]{8}$/);
  });
});

describe("storage: endpoints", () => {
  it("Scaleway is https://s3.<region>.scw.cloud; MinIO the in-cluster Service", () => {
    expect(scalewayEndpoint("fr-par")).toBe("https://s3.fr-par.scw.cloud");
    expect(scalewayEndpoint("pl-waw")).toBe("https://s3.pl-waw.scw.cloud");
    expect(minioEndpoint("minio")).toBe("http://minio.minio.svc.cluster.local:9000");
  });
});

describe("storage: Garage provisioning script", () => {
  const v2 = garageProvisionScript("v2");
  const lines = v2.split("\n");

  it("writes the token to a header file by the shell itself, waits for the unauthenticated /health, works only through the environment", () => {
    expect(lines.slice(0, 11)).toEqual([
      "set -eu",
      "umask 077",
      'A="$GARAGE_ADMIN_URL"',
      "# Secrets never go on a command line: the token as a header file, key id and bodies on curl's stdin.",
      "trap 'rm -f /tmp/auth' EXIT",
      "cat > /tmp/auth <<EOF",
      "Authorization: Bearer $GARAGE_ADMIN_TOKEN",
      "EOF",
      "# HTTP status of an admin call; the body goes to /tmp/body",
      "status() { curl -sS -o /tmp/body -w '%{http_code}' -H @/tmp/auth \"$@\"; }",
      'until curl -fsS "$A/health" >/dev/null; do echo "waiting for the Garage admin API at $A"; sleep 5; done',
    ]);
    // Never CreateKey (not idempotent), never a literal credential.
    expect(v2).not.toContain("CreateKey");
    expect(v2.match(/\$[A-Z_]+/g)!.filter((v, i, a) => a.indexOf(v) === i).sort()).toEqual(["$A", "$BID", "$BUCKET", "$GARAGE_ADMIN_TOKEN", "$GARAGE_ADMIN_URL", "$KEY_ID", "$KEY_NAME", "$KEY_SECRET", "$KEY_STATUS"]);
    // The secrets appear only inside here-documents (the shell's own input), never on a curl line.
    const curlLines = lines.filter((l) => /\bcurl\b/.test(l));
    for (const secret of ["$GARAGE_ADMIN_TOKEN", "$KEY_SECRET", "$KEY_ID"]) expect(curlLines.filter((l) => l.includes(secret))).toEqual([]);
  });

  it("imports the key only when GetKeyInfo answers 404, key id in curl's config and body on stdin (v2 paths)", () => {
    expect(lines.slice(11, 23)).toEqual([
      "KEY_STATUS=$(status -K - <<EOF",
      'url = "$A/v2/GetKeyInfo?id=$KEY_ID"',
      "EOF",
      ")",
      'case "$KEY_STATUS" in',
      '  200) echo "key $KEY_NAME exists" ;;',
      '  404) curl -fsS -H @/tmp/auth -X POST --data-binary @- "$A/v2/ImportKey" >/dev/null <<EOF',
      '{"accessKeyId":"$KEY_ID","secretAccessKey":"$KEY_SECRET","name":"$KEY_NAME"}',
      "EOF",
      '       echo "key $KEY_NAME imported" ;;',
      '  *) echo "looking up key $KEY_NAME failed:" >&2; cat /tmp/body >&2; exit 1 ;;',
      "esac",
    ]);
  });

  it("creates the bucket only when its alias is unknown, reads its id from pretty-printed JSON, allows read+write, denies owner", () => {
    expect(lines.slice(23)).toEqual([
      'case "$(status "$A/v2/GetBucketInfo?globalAlias=$BUCKET")" in',
      '  200) echo "bucket $BUCKET exists" ;;',
      '  404) curl -fsS -H @/tmp/auth -X POST "$A/v2/CreateBucket" -d "{\\"globalAlias\\":\\"$BUCKET\\"}" >/dev/null',
      '       echo "bucket $BUCKET created" ;;',
      '  *) echo "looking up bucket $BUCKET failed:" >&2; cat /tmp/body >&2; exit 1 ;;',
      "esac",
      `BID=$(curl -fsS -H @/tmp/auth "$A/v2/GetBucketInfo?globalAlias=$BUCKET" | grep -o '"id": *"[0-9a-f]*"' | head -n1 | grep -o '[0-9a-f]\\{64\\}')`,
      '[ -n "$BID" ] || { echo "no id for bucket $BUCKET" >&2; exit 1; }',
      'curl -fsS -H @/tmp/auth -X POST --data-binary @- "$A/v2/AllowBucketKey" >/dev/null <<EOF',
      '{"bucketId":"$BID","accessKeyId":"$KEY_ID","permissions":{"read":true,"write":true,"owner":false}}',
      "EOF",
      'curl -fsS -H @/tmp/auth -X POST --data-binary @- "$A/v2/DenyBucketKey" >/dev/null <<EOF',
      '{"bucketId":"$BID","accessKeyId":"$KEY_ID","permissions":{"read":false,"write":false,"owner":true}}',
      "EOF",
      'echo "key $KEY_NAME may read and write bucket $BUCKET, not own it"',
      "",
    ]);
  });

  it("extracts the bucket id from Garage's pretty-printed and compact answers alike (the script's own pipeline, run by sh)", () => {
    const id = `${"a".repeat(40)}0123456789abcdef01234567`;
    const line = lines.find((l) => l.startsWith("BID="))!;
    // The script's pipeline with the admin call replaced by the answer on stdin.
    const pipeline = line.replace(/^BID=\$\(curl [^|]*\|/, "").replace(/\)$/, "");
    expect(pipeline).toBe(` grep -o '"id": *"[0-9a-f]*"' | head -n1 | grep -o '[0-9a-f]\\{64\\}'`);
    const run = (json: string) => execFileSync("/bin/sh", ["-c", pipeline], { input: json }).toString().trim();
    expect(run(`{\n  "id": "${id}",\n  "created": "2026-01-01T00:00:00Z",\n  "keys": [\n    {\n      "accessKeyId": "GK0123"\n    }\n  ]\n}`)).toBe(id);
    expect(run(`{"id":"${id}","globalAliases":["velero-postgres"]}`)).toBe(id);
  });

  it("uses the v1 REST paths with adminApiVersion v1", () => {
    expect(GARAGE_ADMIN_PATHS.v1).toEqual({ getKey: "/v1/key?id=", importKey: "/v1/key/import", getBucket: "/v1/bucket?globalAlias=", createBucket: "/v1/bucket", allowKey: "/v1/bucket/allow", denyKey: "/v1/bucket/deny" });
    const v1 = garageProvisionScript("v1");
    expect(v1).toBe(
      v2
        .replace("/v2/GetKeyInfo?id=", "/v1/key?id=")
        .replace("/v2/ImportKey", "/v1/key/import")
        .replaceAll("/v2/GetBucketInfo?globalAlias=", "/v1/bucket?globalAlias=")
        .replace("/v2/CreateBucket", "/v1/bucket")
        .replace("/v2/AllowBucketKey", "/v1/bucket/allow")
        .replace("/v2/DenyBucketKey", "/v1/bucket/deny"),
    );
    expect(v1).not.toContain("/v2/");
  });
});

describe("storage: MinIO provisioning", () => {
  it("versioned buckets: mb, version enable, ilm import, then user, policy, attach", () => {
    expect(minioProvisionScript({ consumer: "velero", buckets: ["velero", "velero-system"], versioned: true }).split("\n")).toEqual([
      "set -eu",
      "# No secret on a command line: the root credentials reach mc through MC_HOST_local (built by the shell), the user's",
      "# keys on stdin (mc admin user add reads both lines when they are not arguments: cmd/admin-user-add.go fetchUserKeys).",
      'export MC_HOST_local="${MINIO_URL%%://*}://$ROOT_USER:$ROOT_PASSWORD@${MINIO_URL#*://}"',
      'until mc ls local >/dev/null; do echo "waiting for MinIO at $MINIO_URL"; sleep 5; done',
      "mc mb --ignore-existing local/velero",
      "mc version enable local/velero",
      "mc ilm import local/velero < /config/lifecycle.json",
      "mc mb --ignore-existing local/velero-system",
      "mc version enable local/velero-system",
      "mc ilm import local/velero-system < /config/lifecycle.json",
      "mc admin user add local >/dev/null <<EOF",
      "$ACCESS_KEY",
      "$SECRET_KEY",
      "EOF",
      "mc admin policy create local velero-rw /config/velero-rw.json",
      'mc admin policy attach local velero-rw --user "$ACCESS_KEY"',
      'echo "velero may read and write velero, velero-system"',
      "",
    ]);
  });

  it("Benji's bucket stays unversioned", () => {
    const script = minioProvisionScript({ consumer: "benji", buckets: ["benji"], versioned: false });
    expect(script).toContain("mc mb --ignore-existing local/benji\nmc admin user add");
    expect(script).not.toContain("version enable");
    expect(script).not.toContain("ilm");
    expect(script).toContain("mc admin policy create local benji-rw /config/benji-rw.json");
  });

  it("lifecycle expires noncurrent versions after the configured days", () => {
    expect(minioLifecycle(14)).toEqual({ Rules: [{ ID: "expire-noncurrent-versions", Status: "Enabled", NoncurrentVersionExpiration: { NoncurrentDays: 14 } }] });
  });
});

describe("storage: bucket requests", () => {
  it("group locations per backend and consumer, each bucket once, Benji apart", () => {
    const cfg = parseStackConfig(
      rawConfig({
        environment: "prod",
        images: TAG_ONLY_WAIVER,
        kubernetes: { context: "x" },
        storage: { scaleway: { region: "fr-par", bucketPrefix: "acme", projectId: "6c0b5b1e-5e0a-4b8e-9f3a-2d7c1e4f8a90", adminPrincipal: "user_id:6c0b5b1e-5e0a-4b8e-9f3a-2d7c1e4f8a90" }, garage: { s3Endpoint: "http://garage.garage.svc:3900", adminEndpoint: "http://garage.garage.svc:3903", adminTokenSecret: { name: "t", key: "token" } } },
        velero: {
          locations: {
            default: { backend: "scaleway", bucket: "velero", prefix: "tenants", default: true },
            system: { backend: "scaleway", bucket: "velero", prefix: "system" },
            postgres: { backend: "garage", bucket: "velero-postgres" },
            archive: { backend: "scaleway", bucket: "velero-archive" },
          },
        },
        flows: { benji: { enabled: true, generateEncryption: true, storage: { backend: "scaleway", bucket: "benji" }, ceph: { monHost: "10.0.0.1:6789", pools: ["rbd"] } } },
        benjiDatabaseUrl: "postgresql://b:p@h:5432/benji",
        benjiCephKey: "key",
      }),
      new Set(["cluster-backup:benjiDatabaseUrl", "cluster-backup:benjiCephKey"]),
      "prod",
    );
    expect(bucketRequests(storageArgsFromConfig(cfg))).toEqual([
      { backend: "scaleway", consumer: "velero", buckets: ["velero", "velero-archive"] },
      { backend: "garage", consumer: "velero", buckets: ["velero-postgres"] },
      { backend: "scaleway", consumer: "benji", buckets: ["benji"] },
    ]);
  });
});
