/**
 * Garage (docs/design.md §3.3, §2g.1, §2g.4): the key is generated here (@pulumi/random) and imported, the buckets created and
 * the key allowed on them by an idempotent in-cluster Job calling Garage's admin API (which only the cluster reaches;
 * @pulumi/aws cannot manage Garage buckets). Garage has no versioning and no object lock.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { jobAwaitTimeouts, objectMeta } from "../k8s";
import type { ConsumerBuckets, S3Target } from "./types";
import { checkBucketArgs, credentialChecksum, hash8, JOB_ACTIVE_DEADLINE_SECONDS, jobName, protection, provisionJobSpec, type Consumer } from "./common";

/** Name prefix of the provisioning Secret and Job of a bucket (`garage-provision-<bucket>`). */
export const GARAGE_PROVISION_PREFIX = "garage-provision";
/** Keys of the provisioning Secret. */
export const GARAGE_SECRET_KEYS = { keyId: "KEY_ID", keySecret: "KEY_SECRET", adminToken: "ADMIN_TOKEN" } as const;
/** The admin API calls of one API version (v2: `/v2/<Operation>`; v1: REST paths). */
export interface GarageAdminPaths {
  readonly getKey: string;
  readonly importKey: string;
  readonly getBucket: string;
  readonly createBucket: string;
  readonly allowKey: string;
  readonly denyKey: string;
}

/**
 * Admin API paths per version (deuxfleurs-org/garage v2.0.0 `src/api/admin/router_v2.rs`, v1.2.0
 * `src/api/admin/router_v1.rs`: `POST /v1/bucket/allow`, `POST /v1/bucket/deny`).
 */
export const GARAGE_ADMIN_PATHS: Readonly<Record<"v1" | "v2", GarageAdminPaths>> = {
  v2: {
    getKey: "/v2/GetKeyInfo?id=",
    importKey: "/v2/ImportKey",
    getBucket: "/v2/GetBucketInfo?globalAlias=",
    createBucket: "/v2/CreateBucket",
    allowKey: "/v2/AllowBucketKey",
    denyKey: "/v2/DenyBucketKey",
  },
  v1: {
    getKey: "/v1/key?id=",
    importKey: "/v1/key/import",
    getBucket: "/v1/bucket?globalAlias=",
    createBucket: "/v1/bucket",
    allowKey: "/v1/bucket/allow",
    denyKey: "/v1/bucket/deny",
  },
};

/** The permission flags of a consumer's key on its buckets: read and write, never owner (see {@link garageProvisionScript}). */
export const GARAGE_KEY_PERMISSIONS = { read: true, write: true, owner: false } as const;

/** Garage's key format (`src/model/key_table.rs` Key::import): "GK" + 24 hex, secret 64 hex. */
export const GARAGE_KEY_ID_BYTES = 12;
export const GARAGE_KEY_SECRET_BYTES = 32;

/** Where the script keeps the admin token header for curl (`-H @file`, curl >= 7.55.0), in the Job's memory-backed /tmp. */
export const GARAGE_AUTH_HEADER_FILE = "/tmp/auth";

/**
 * The provisioning script (POSIX sh + curl). Every step checks before it acts, so a re-run is a no-op: ImportKey only
 * when GetKeyInfo answers 404 (ImportKey refuses an id ever used and CreateKey is not idempotent), CreateBucket only
 * when the alias is unknown, AllowBucketKey grants read+write (granting twice changes nothing), DenyBucketKey takes
 * owner away (AllowBucketKey with `owner: false` leaves an owner flag set by hand in place; Garage's S3 router
 * `authorization_type` requires owner for DeleteBucket and the bucket's website and CORS settings).
 *
 * No secret is ever on a command line (`/proc/<pid>/cmdline` is readable by every process of the pod): the admin token
 * reaches curl as a header file written by the shell itself (a here-document, no child process), the key id as
 * curl's config on stdin (`-K -` with `url = ...`), the ImportKey/AllowBucketKey/DenyBucketKey bodies on stdin
 * (`--data-binary @-`). Inputs come from the environment only: GARAGE_ADMIN_URL, GARAGE_ADMIN_TOKEN, KEY_ID,
 * KEY_SECRET, KEY_NAME, BUCKET. Admin responses are pretty-printed JSON (`"id": "…"`).
 */
export function garageProvisionScript(apiVersion: "v1" | "v2"): string {
  const p = GARAGE_ADMIN_PATHS[apiVersion];
  const auth = GARAGE_AUTH_HEADER_FILE;
  const permissions = (flags: { read: boolean; write: boolean; owner: boolean }) => `{"read":${flags.read},"write":${flags.write},"owner":${flags.owner}}`;
  return [
    "set -eu",
    "umask 077",
    'A="$GARAGE_ADMIN_URL"',
    "# Secrets never go on a command line: the token as a header file, key id and bodies on curl's stdin.",
    `trap 'rm -f ${auth}' EXIT`,
    `cat > ${auth} <<EOF`,
    "Authorization: Bearer $GARAGE_ADMIN_TOKEN",
    "EOF",
    "# HTTP status of an admin call; the body goes to /tmp/body",
    `status() { curl -sS -o /tmp/body -w '%{http_code}' -H @${auth} "$@"; }`,
    'until curl -fsS "$A/health" >/dev/null; do echo "waiting for the Garage admin API at $A"; sleep 5; done',
    "KEY_STATUS=$(status -K - <<EOF",
    `url = "$A${p.getKey}$KEY_ID"`,
    "EOF",
    ")",
    'case "$KEY_STATUS" in',
    '  200) echo "key $KEY_NAME exists" ;;',
    `  404) curl -fsS -H @${auth} -X POST --data-binary @- "$A${p.importKey}" >/dev/null <<EOF`,
    '{"accessKeyId":"$KEY_ID","secretAccessKey":"$KEY_SECRET","name":"$KEY_NAME"}',
    "EOF",
    '       echo "key $KEY_NAME imported" ;;',
    '  *) echo "looking up key $KEY_NAME failed:" >&2; cat /tmp/body >&2; exit 1 ;;',
    "esac",
    `case "$(status "$A${p.getBucket}$BUCKET")" in`,
    '  200) echo "bucket $BUCKET exists" ;;',
    `  404) curl -fsS -H @${auth} -X POST "$A${p.createBucket}" -d "{\\"globalAlias\\":\\"$BUCKET\\"}" >/dev/null`,
    '       echo "bucket $BUCKET created" ;;',
    '  *) echo "looking up bucket $BUCKET failed:" >&2; cat /tmp/body >&2; exit 1 ;;',
    "esac",
    `BID=$(curl -fsS -H @${auth} "$A${p.getBucket}$BUCKET" | grep -o '"id": *"[0-9a-f]*"' | head -n1 | grep -o '[0-9a-f]\\{64\\}')`,
    '[ -n "$BID" ] || { echo "no id for bucket $BUCKET" >&2; exit 1; }',
    `curl -fsS -H @${auth} -X POST --data-binary @- "$A${p.allowKey}" >/dev/null <<EOF`,
    `{"bucketId":"$BID","accessKeyId":"$KEY_ID","permissions":${permissions(GARAGE_KEY_PERMISSIONS)}}`,
    "EOF",
    `curl -fsS -H @${auth} -X POST --data-binary @- "$A${p.denyKey}" >/dev/null <<EOF`,
    `{"bucketId":"$BID","accessKeyId":"$KEY_ID","permissions":${permissions({ read: false, write: false, owner: true })}}`,
    "EOF",
    'echo "key $KEY_NAME may read and write bucket $BUCKET, not own it"',
    "",
  ].join("\n");
}

/** Name of a consumer's Garage key (`cluster-backup-<consumer>`). */
export function garageKeyName(consumer: Consumer): string {
  return `cluster-backup-${consumer}`;
}

/** Where the provisioning Job reads Garage's admin token. */
export type GarageAdminToken =
  /** An existing Secret in the Garage namespace. */
  | { readonly secretName: string; readonly secretKey: string }
  /** A value (secure config); stored in the provisioning Secret. */
  | { readonly value: pulumi.Input<string> };

export interface GarageBucketArgs {
  /** Who uses the buckets; it gets its own Garage key. */
  readonly consumer: Consumer;
  /** Bucket names (global aliases in Garage; at least one). */
  readonly buckets: readonly string[];
  /** S3 API endpoint, scheme and host:port, e.g. `http://garage.garage.svc.cluster.local:3900`. */
  readonly s3Endpoint: string;
  /** Admin API endpoint reachable from the Garage namespace, e.g. `http://garage.garage.svc.cluster.local:3903`. */
  readonly adminEndpoint: string;
  /** Admin API version of the Garage deployment (v2 since Garage 2.0). Default v2. */
  readonly adminApiVersion?: "v1" | "v2";
  /** Garage's `[s3_api] s3_region`; requests signed for another region fail. Default `garage`. */
  readonly region?: string;
  /** Namespace of Garage, where the provisioning Secret and Job run. Default `garage`. */
  readonly namespace?: string;
  /** The admin token. */
  readonly adminToken: GarageAdminToken;
  /** Pinned image with `sh` and `curl`. */
  readonly jobImage: string;
  /** Production: the generated key material is protected and retained on delete. Default false. */
  readonly production?: boolean;
  /** Kubernetes provider of the target cluster. */
  readonly provider: k8s.Provider;
}

/** `cluster-backup:storage:GarageBucket` — one consumer's Garage key and buckets, provisioned in-cluster. */
export class GarageBucket extends pulumi.ComponentResource implements ConsumerBuckets {
  /** One S3Target per bucket name of the args. */
  readonly targets: Readonly<Record<string, S3Target>>;
  /** The key id, `GK` + 24 hex (a secret). */
  readonly accessKeyId: pulumi.Output<string>;
  /** The key secret, 64 hex (a secret). */
  readonly secretAccessKey: pulumi.Output<string>;
  /** The provisioning Jobs, one per bucket. */
  readonly jobs: readonly k8s.batch.v1.Job[];

  constructor(name: string, args: GarageBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cluster-backup:storage:GarageBucket", name, {}, opts);
    checkBucketArgs("GarageBucket", name, args);
    const production = args.production ?? false;
    const apiVersion = args.adminApiVersion ?? "v2";
    const region = args.region ?? "garage";
    const namespace = args.namespace ?? "garage";
    const k8sOpts = { parent: this, provider: args.provider };
    const keyName = garageKeyName(args.consumer);

    // RandomBytes, not RandomId: a RandomId's resource ID is its bytes in base64 and IDs are never secret
    // (terraform-provider-random internal/provider/resource_id.go vs resource_bytes.go, ID "none"; pulumi-random 4.21.2).
    const idBytes = new random.RandomBytes(`${name}-key-id`, { length: GARAGE_KEY_ID_BYTES }, { parent: this, ...protection(production) });
    const secretBytes = new random.RandomBytes(`${name}-key-secret`, { length: GARAGE_KEY_SECRET_BYTES }, { parent: this, ...protection(production) });
    this.accessKeyId = pulumi.secret(pulumi.interpolate`GK${idBytes.hex}`);
    this.secretAccessKey = pulumi.secret(secretBytes.hex);
    const checksum = credentialChecksum([this.accessKeyId, this.secretAccessKey]);
    const script = garageProvisionScript(apiVersion);

    const jobs: k8s.batch.v1.Job[] = [];
    const targets: Record<string, S3Target> = {};
    for (const bucket of args.buckets) {
      const secretName = `${GARAGE_PROVISION_PREFIX}-${bucket}`;
      const tokenRef = "value" in args.adminToken ? { name: secretName, key: GARAGE_SECRET_KEYS.adminToken } : { name: args.adminToken.secretName, key: args.adminToken.secretKey };
      const secret = new k8s.core.v1.Secret(
        `${name}-${bucket}-provision`,
        {
          metadata: objectMeta(secretName, namespace),
          type: "Opaque",
          stringData: {
            [GARAGE_SECRET_KEYS.keyId]: this.accessKeyId,
            [GARAGE_SECRET_KEYS.keySecret]: this.secretAccessKey,
            ...("value" in args.adminToken ? { [GARAGE_SECRET_KEYS.adminToken]: pulumi.secret(args.adminToken.value) } : {}),
          },
        },
        k8sOpts,
      );
      const env = [
        { name: "GARAGE_ADMIN_URL", value: args.adminEndpoint },
        { name: "GARAGE_ADMIN_TOKEN", valueFrom: { secretKeyRef: tokenRef } },
        { name: "KEY_ID", valueFrom: { secretKeyRef: { name: secretName, key: GARAGE_SECRET_KEYS.keyId } } },
        { name: "KEY_SECRET", valueFrom: { secretKeyRef: { name: secretName, key: GARAGE_SECRET_KEYS.keySecret } } },
        { name: "KEY_NAME", value: keyName },
        { name: "BUCKET", value: bucket },
      ];
      const hash = hash8({ image: args.jobImage, apiVersion, script, env });
      const job = new k8s.batch.v1.Job(
        `${name}-${bucket}-job`,
        { metadata: objectMeta(jobName(GARAGE_PROVISION_PREFIX, bucket, hash), namespace), spec: provisionJobSpec({ image: args.jobImage, script, env, checksum }) },
        { ...k8sOpts, dependsOn: [secret], deleteBeforeReplace: true, customTimeouts: jobAwaitTimeouts(JOB_ACTIVE_DEADLINE_SECONDS) },
      );
      jobs.push(job);
      targets[bucket] = {
        backend: "garage",
        bucket: pulumi.output(bucket),
        endpoint: args.s3Endpoint,
        region,
        forcePathStyle: true,
        checksumAlgorithm: undefined,
        versioned: false,
        noncurrentVersionDays: undefined,
        objectLock: false,
        accessKeyId: this.accessKeyId,
        secretAccessKey: this.secretAccessKey,
        ready: [job],
      };
    }
    this.jobs = jobs;
    this.targets = targets;
    this.registerOutputs({ buckets: args.buckets, accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey });
  }
}
