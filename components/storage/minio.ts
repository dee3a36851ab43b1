/**
 * MinIO (docs/design.md §3.3, dev): `DevMinio` deploys a standalone single-replica MinIO in its own namespace (the MinIO chart
 * is not used: 16-replica defaults, a default console user and a bucket hook Helm v4 never runs); `MinioBucket`
 * creates one consumer's buckets, user and policy with an idempotent `mc` Job.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { jobAwaitTimeouts, objectMeta, ownedNamespace, RESTRICTED_CONTAINER, restrictedPodSecurity } from "../k8s";
import { APP_NAME_LABEL, standardLabels } from "../labels";
import type { ConsumerBuckets, S3Target } from "./types";
import {
  checkBucketArgs,
  credentialChecksum,
  CREDENTIALS_CHECKSUM_ANNOTATION,
  hash8,
  JOB_ACTIVE_DEADLINE_SECONDS,
  jobName,
  LIFECYCLE_RULE_NONCURRENT,
  protection,
  provisionJobSpec,
  s3PolicyDocument,
  type Consumer,
} from "./common";

/** Names of the MinIO objects. */
export const MINIO = {
  /** Deployment, Service and `app.kubernetes.io/name` label value. */
  name: "minio",
  /** Root credentials Secret (keys {@link MINIO_ROOT_KEYS}). */
  rootSecret: "minio-root",
  /** Data volume claim. */
  pvc: "minio-data",
  apiPort: 9000,
  consolePort: 9001,
  /** Secret of a consumer's MinIO user: `minio-user-<consumer>`. */
  userSecretPrefix: "minio-user",
  /** ConfigMap (policy, lifecycle) and Job prefix: `minio-provision-<consumer>`. */
  provisionPrefix: "minio-provision",
  /** Where the provisioning Job mounts its ConfigMap. */
  configDir: "/config",
} as const;
/** Keys of the root Secret, named as MinIO's environment variables. */
export const MINIO_ROOT_KEYS = { user: "MINIO_ROOT_USER", password: "MINIO_ROOT_PASSWORD" } as const;
/** Keys of a consumer's user Secret. */
export const MINIO_USER_KEYS = { accessKey: "ACCESS_KEY", secretKey: "SECRET_KEY" } as const;
/** UID/GID MinIO runs as (the image has no fixed user; the data volume gets this fsGroup). */
export const MINIO_UID = 1000;

/** In-cluster S3 endpoint of the MinIO Service. */
export function minioEndpoint(namespace: string): string {
  return `http://${MINIO.name}.${namespace}.svc.cluster.local:${MINIO.apiPort}`;
}

/** MinIO policy name of a consumer (`<consumer>-rw`). */
export function minioPolicyName(consumer: Consumer): string {
  return `${consumer}-rw`;
}

/** The `mc ilm import` document of a versioned bucket: noncurrent versions expire after `days`. */
export function minioLifecycle(days: number): { Rules: { ID: string; Status: "Enabled"; NoncurrentVersionExpiration: { NoncurrentDays: number } }[] } {
  return { Rules: [{ ID: LIFECYCLE_RULE_NONCURRENT, Status: "Enabled", NoncurrentVersionExpiration: { NoncurrentDays: days } }] };
}

/**
 * The provisioning script (mc image; `/bin/sh`). Each command is idempotent: `mb --ignore-existing`, `version enable`,
 * `ilm import` (replaces the whole lifecycle), `admin user add` (re-sets the secret), `admin policy create` (creates or
 * overwrites), `admin policy attach` (mc itself ignores XMinioAdminPolicyChangeAlreadyApplied, so no `|| true`, unlike docs/design.md §3.3:
 * it would hide a real failure and let Velero meet access errors later).
 * Environment: MINIO_URL, ROOT_USER, ROOT_PASSWORD, ACCESS_KEY, SECRET_KEY, MC_CONFIG_DIR.
 */
export function minioProvisionScript(args: { consumer: Consumer; buckets: readonly string[]; versioned: boolean }): string {
  const policy = minioPolicyName(args.consumer);
  const lines = [
    "set -eu",
    "# No secret on a command line: the root credentials reach mc through MC_HOST_local (built by the shell), the user's",
    "# keys on stdin (mc admin user add reads both lines when they are not arguments: cmd/admin-user-add.go fetchUserKeys).",
    'export MC_HOST_local="${MINIO_URL%%://*}://$ROOT_USER:$ROOT_PASSWORD@${MINIO_URL#*://}"',
    'until mc ls local >/dev/null; do echo "waiting for MinIO at $MINIO_URL"; sleep 5; done',
  ];
  for (const bucket of args.buckets) {
    lines.push(`mc mb --ignore-existing local/${bucket}`);
    if (args.versioned) {
      lines.push(`mc version enable local/${bucket}`);
      lines.push(`mc ilm import local/${bucket} < ${MINIO.configDir}/lifecycle.json`);
    }
  }
  lines.push(
    "mc admin user add local >/dev/null <<EOF",
    "$ACCESS_KEY",
    "$SECRET_KEY",
    "EOF",
    `mc admin policy create local ${policy} ${MINIO.configDir}/${policy}.json`,
    `mc admin policy attach local ${policy} --user "$ACCESS_KEY"`,
    `echo "${args.consumer} may read and write ${args.buckets.join(", ")}"`,
    "",
  );
  return lines.join("\n");
}

export interface DevMinioArgs {
  /** Namespace created for MinIO (Pod Security `baseline`). Default `minio`. */
  readonly namespace?: string;
  /** Size of the data volume claim (default StorageClass). Default `10Gi`. */
  readonly size?: string;
  /** Pinned MinIO server image. */
  readonly image: string;
  /** Production: the data volume and root password are protected and retained on delete. Default false. */
  readonly production?: boolean;
  /** Kubernetes provider of the target cluster. */
  readonly provider: k8s.Provider;
}

/** `cluster-backup:storage:DevMinio` — a standalone MinIO server (one replica, one volume) for a dev cluster. */
export class DevMinio extends pulumi.ComponentResource {
  /** In-cluster S3 endpoint. */
  readonly endpoint: string;
  /** Namespace of MinIO. */
  readonly namespace: string;
  /** Name of the root credentials Secret (in {@link namespace}). */
  readonly rootSecretName: string;
  /** What provisioning must wait for: the server Deployment and its Service. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: DevMinioArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cluster-backup:storage:DevMinio", name, {}, opts);
    const namespace = args.namespace ?? "minio";
    const production = args.production ?? false;
    const k8sOpts = { parent: this, provider: args.provider };
    const selector = { [APP_NAME_LABEL]: MINIO.name };
    const labels = { labels: selector };

    // Deleting the namespace would delete the data volume with it: protected like the volume.
    const ns = ownedNamespace(`${name}-namespace`, namespace, "baseline", { ...k8sOpts, ...protection(production) });
    const nsOpts = { ...k8sOpts, dependsOn: [ns] };
    const rootUser = new random.RandomPassword(`${name}-root-user`, { length: 20, special: false, upper: false }, { parent: this, ...protection(production) });
    const rootPassword = new random.RandomPassword(`${name}-root-password`, { length: 40, special: false }, { parent: this, ...protection(production) });
    const rootSecret = new k8s.core.v1.Secret(
      `${name}-root`,
      { metadata: objectMeta(MINIO.rootSecret, namespace, undefined, labels), type: "Opaque", stringData: { [MINIO_ROOT_KEYS.user]: rootUser.result, [MINIO_ROOT_KEYS.password]: rootPassword.result } },
      nsOpts,
    );
    const pvc = new k8s.core.v1.PersistentVolumeClaim(
      `${name}-data`,
      { metadata: objectMeta(MINIO.pvc, namespace, undefined, labels), spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: args.size ?? "10Gi" } } } },
      { ...nsOpts, ...protection(production) },
    );
    const rootEnv = (envName: string, key: string) => ({ name: envName, valueFrom: { secretKeyRef: { name: MINIO.rootSecret, key } } });
    const deployment = new k8s.apps.v1.Deployment(
      `${name}-server`,
      {
        metadata: objectMeta(MINIO.name, namespace, undefined, labels),
        spec: {
          replicas: 1,
          strategy: { type: "Recreate" },
          selector: { matchLabels: selector },
          template: {
            metadata: { labels: { ...standardLabels(), ...selector }, annotations: { [CREDENTIALS_CHECKSUM_ANNOTATION]: credentialChecksum([rootUser.result, rootPassword.result]) } },
            spec: {
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurity(MINIO_UID, { fsGroup: true }),
              containers: [
                {
                  name: "minio",
                  image: args.image,
                  args: ["server", "/data", "--console-address", `:${MINIO.consolePort}`],
                  env: [rootEnv(MINIO_ROOT_KEYS.user, MINIO_ROOT_KEYS.user), rootEnv(MINIO_ROOT_KEYS.password, MINIO_ROOT_KEYS.password)],
                  ports: [
                    { name: "api", containerPort: MINIO.apiPort },
                    { name: "console", containerPort: MINIO.consolePort },
                  ],
                  readinessProbe: { httpGet: { path: "/minio/health/ready", port: "api" }, periodSeconds: 10 },
                  livenessProbe: { httpGet: { path: "/minio/health/live", port: "api" }, periodSeconds: 20, failureThreshold: 6 },
                  resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
                  securityContext: RESTRICTED_CONTAINER,
                  volumeMounts: [{ name: "data", mountPath: "/data" }],
                },
              ],
              volumes: [{ name: "data", persistentVolumeClaim: { claimName: MINIO.pvc } }],
            },
          },
        },
      },
      { ...nsOpts, dependsOn: [ns, rootSecret, pvc] },
    );
    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: objectMeta(MINIO.name, namespace, undefined, labels),
        spec: {
          selector,
          ports: [
            { name: "api", port: MINIO.apiPort, targetPort: "api" },
            { name: "console", port: MINIO.consolePort, targetPort: "console" },
          ],
        },
      },
      nsOpts,
    );
    this.endpoint = minioEndpoint(namespace);
    this.namespace = namespace;
    this.rootSecretName = MINIO.rootSecret;
    this.ready = [deployment, service];
    this.registerOutputs({ endpoint: this.endpoint, namespace });
  }
}

export interface MinioBucketArgs {
  /** Who uses the buckets; it gets its own MinIO user and policy `<consumer>-rw`. */
  readonly consumer: Consumer;
  /** Bucket names (at least one). */
  readonly buckets: readonly string[];
  /** Keep noncurrent object versions (Velero: true; Benji: false, so that its cleanup frees space). */
  readonly versioned: boolean;
  /** Days a noncurrent version is kept before it expires; only with `versioned`. Default 14. */
  readonly noncurrentVersionDays?: number;
  /** Namespace of MinIO, where the provisioning objects live. Default `minio`. */
  readonly namespace?: string;
  /** S3 signing region (MinIO without a site region accepts any). Default `us-east-1`. */
  readonly region?: string;
  /** Pinned `mc` image. */
  readonly mcImage: string;
  /** Secret holding MINIO_ROOT_USER / MINIO_ROOT_PASSWORD in the namespace. Default `minio-root`. */
  readonly rootSecretName?: string;
  /** Resources the Job waits for (the MinIO server). Default none. */
  readonly serverReady?: pulumi.Resource[];
  /** Production: the generated credentials are protected and retained on delete. Default false. */
  readonly production?: boolean;
  /** Kubernetes provider of the target cluster. */
  readonly provider: k8s.Provider;
}

/** `cluster-backup:storage:MinioBucket` — one consumer's MinIO buckets, user and least-privilege policy. */
export class MinioBucket extends pulumi.ComponentResource implements ConsumerBuckets {
  /** One S3Target per bucket name of the args. */
  readonly targets: Readonly<Record<string, S3Target>>;
  /** The user's access key (random, a secret). */
  readonly accessKeyId: pulumi.Output<string>;
  /** The user's secret key (a secret). */
  readonly secretAccessKey: pulumi.Output<string>;
  /** The provisioning Job. */
  readonly job: k8s.batch.v1.Job;

  constructor(name: string, args: MinioBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cluster-backup:storage:MinioBucket", name, {}, opts);
    checkBucketArgs("MinioBucket", name, args);
    const namespace = args.namespace ?? "minio";
    const production = args.production ?? false;
    const rootSecret = args.rootSecretName ?? MINIO.rootSecret;
    const k8sOpts = { parent: this, provider: args.provider };
    const endpoint = minioEndpoint(namespace);
    const policyName = minioPolicyName(args.consumer);

    // A random access key rather than a readable user name: the whole credential stays secret, so the plan redacts it.
    const accessKey = new random.RandomPassword(`${name}-access-key`, { length: 20, special: false, lower: false }, { parent: this, ...protection(production) });
    const secretKey = new random.RandomPassword(`${name}-secret-key`, { length: 40, special: false }, { parent: this, ...protection(production) });
    this.accessKeyId = pulumi.secret(accessKey.result);
    this.secretAccessKey = pulumi.secret(secretKey.result);

    const userSecretName = `${MINIO.userSecretPrefix}-${args.consumer}`;
    const userSecret = new k8s.core.v1.Secret(
      `${name}-user`,
      { metadata: objectMeta(userSecretName, namespace), type: "Opaque", stringData: { [MINIO_USER_KEYS.accessKey]: this.accessKeyId, [MINIO_USER_KEYS.secretKey]: this.secretAccessKey } },
      { ...k8sOpts, dependsOn: args.serverReady ?? [] },
    );
    const configName = `${MINIO.provisionPrefix}-${args.consumer}`;
    const data: Record<string, string> = { [`${policyName}.json`]: JSON.stringify(s3PolicyDocument(args.buckets, "minio"), null, 2) };
    if (args.versioned) data["lifecycle.json"] = JSON.stringify(minioLifecycle(args.noncurrentVersionDays ?? 14), null, 2);
    const config = new k8s.core.v1.ConfigMap(`${name}-config`, { metadata: objectMeta(configName, namespace), data }, { ...k8sOpts, dependsOn: args.serverReady ?? [] });

    const script = minioProvisionScript({ consumer: args.consumer, buckets: args.buckets, versioned: args.versioned });
    const secretEnv = (envName: string, secret: string, key: string) => ({ name: envName, valueFrom: { secretKeyRef: { name: secret, key } } });
    const env = [
      { name: "MINIO_URL", value: endpoint },
      secretEnv("ROOT_USER", rootSecret, MINIO_ROOT_KEYS.user),
      secretEnv("ROOT_PASSWORD", rootSecret, MINIO_ROOT_KEYS.password),
      secretEnv("ACCESS_KEY", userSecretName, MINIO_USER_KEYS.accessKey),
      secretEnv("SECRET_KEY", userSecretName, MINIO_USER_KEYS.secretKey),
      { name: "MC_CONFIG_DIR", value: "/tmp/mc" },
    ];
    const hash = hash8({ image: args.mcImage, script, env, data });
    this.job = new k8s.batch.v1.Job(
      `${name}-job`,
      {
        metadata: objectMeta(jobName(MINIO.provisionPrefix, args.consumer, hash), namespace),
        spec: provisionJobSpec({
          image: args.mcImage,
          script,
          env,
          checksum: credentialChecksum([this.accessKeyId, this.secretAccessKey]),
          volumes: [{ mount: { name: "config", mountPath: MINIO.configDir, readOnly: true }, volume: { name: "config", configMap: { name: configName } } }],
        }),
      },
      { ...k8sOpts, dependsOn: [userSecret, config, ...(args.serverReady ?? [])], deleteBeforeReplace: true, customTimeouts: jobAwaitTimeouts(JOB_ACTIVE_DEADLINE_SECONDS) },
    );

    const targets: Record<string, S3Target> = {};
    for (const bucket of args.buckets) {
      targets[bucket] = {
        backend: "minio",
        bucket: pulumi.output(bucket),
        endpoint,
        region: args.region ?? "us-east-1",
        forcePathStyle: true,
        checksumAlgorithm: undefined,
        versioned: args.versioned,
        noncurrentVersionDays: args.versioned ? (args.noncurrentVersionDays ?? 14) : undefined,
        objectLock: false,
        accessKeyId: this.accessKeyId,
        secretAccessKey: this.secretAccessKey,
        ready: [this.job],
      };
    }
    this.targets = targets;
    this.registerOutputs({ buckets: args.buckets, accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey });
  }
}
