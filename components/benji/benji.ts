/**
 * Benji block backups of Ceph RBD volumes (docs/design.md §2(e), §3.6).
 *
 * Benji's Kubernetes tooling (`benji-backup-pvc`, elemental-lf/benji 0.17.0
 * `images/benji-k8s/k8s-tools/src/benji/k8s_tools/kubernetes.py`) backs up **Ceph RBD persistent volumes only**:
 * in-tree `rbd`, Rook flex volumes and CSI volumes of `rbd.csi.ceph.com` / `*.rbd.csi.ceph.com`. A PVC labelled
 * `backup-this-pvc=true` on any other storage class is skipped with a debug log and the Job still exits 0, so the
 * label alone proves nothing: the policy pack checks such PVCs are on a Ceph RBD class.
 *
 * What this component creates, in order: namespace `benji` (PSA privileged), the two accounts and their rights
 * (components/benji/access.ts), the AES key material (protected in production: every block is encrypted with it),
 * Secrets `benji` (`benji.yaml`), `benji-s3` and `benji-ceph`, the database-init Job, then the CronJobs
 * `benji-backup-all`, `benji-enforce` and `benji-cleanup`, the integrity CronJobs `benji-deep-scrub`,
 * `benji-restore-drill` and `benji-metadata-backup` (components/benji/integrity.ts), and the admission policy keeping
 * `backup-this-pvc=true` to the namespaces the platform owns.
 *
 * Only `benji-backup-all` talks to Kubernetes and Ceph (upstream chart: privileged). `benji-enforce`,
 * `benji-cleanup` and the init Job only use the database and S3 (`benji-command` runs `benji` and pushes metrics,
 * benji-k8s 0.17.0 `k8s_tools/scripts/command.py`): they run unprivileged, without the Ceph key and without a
 * service-account token. The restore drill restores into a scratch RBD image through librados (no kernel mapping):
 * it runs unprivileged with the Ceph key, as its own account `benji-drill` without rights or token.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { jobAwaitTimeouts, objectMeta, ownedNamespace } from "../k8s";
import { APP_COMPONENT_LABEL, APP_NAME_LABEL, BACKUP_THIS_PVC_LABEL, BENJI_INSTANCE_LABEL, standardLabels } from "../labels";
import { VALIDATION_ACTIONS, type AdmissionAction } from "../../policy/rules/admission";
import { admissionGuard } from "../admission/guard";
import {
  BENJI_ACCESS,
  benjiPvcAdmissionPolicySpec,
  BENJI_BACKUP_CLUSTER_RULES,
  BENJI_BACKUP_NAMESPACE_RULES,
  BENJI_BACKUP_OWN_NAMESPACE_RULES,
  BENJI_RESTORE_RULES,
} from "./access";
import { hash8, protection } from "../storage/common";
import { benjiS3SecretData } from "../storage/credentials";
import type { S3Target } from "../storage/types";
import { BENJI_INTEGRITY_DEFAULTS, BENJI_INTEGRITY_K8S, benjiIntegrityCronJobs, type BenjiIntegritySettings } from "./integrity";
import {
  BENJI_FILES,
  BENJI_KDF_ITERATIONS,
  BENJI_PATHS,
  buildBenjiConfig,
  buildCephConf,
  buildCephKeyring,
  cephKeyringFile,
  serializeBenjiConfig,
} from "./benji-config";

/** Kubernetes names of the Benji objects. */
export const BENJI_K8S = {
  /** The account of `benji-backup-all` (reads PVCs and PVs, records Events). */
  serviceAccount: "benji",
  /** The account of enforce, cleanup and the init Job: no rights, no token mounted. */
  maintenanceServiceAccount: "benji-maintenance",
  /** Cluster-scoped, so prefixed: the upstream chart's ClusterRole is usually called `benji`. */
  clusterRole: BENJI_ACCESS.clusterRole,
  configSecret: "benji",
  s3Secret: "benji-s3",
  cephSecret: "benji-ceph",
  container: "benji",
  dbInitJobPrefix: "benji-db-init",
  backupCronJob: "benji-backup-all",
  enforceCronJob: "benji-enforce",
  cleanupCronJob: "benji-cleanup",
} as const;

/** Pod volume names of the three Secrets. */
const VOLUMES = { config: "benji-config", s3: "benji-s3", ceph: "benji-ceph" } as const;

/** Secret files readable by root only (the container runs as root). */
const SECRET_FILE_MODE = 0o400;

/** Container resources when none are given. */
export const BENJI_DEFAULT_RESOURCES: k8s.types.input.core.v1.ResourceRequirements = {
  requests: { cpu: "250m", memory: "512Mi" },
  limits: { memory: "2Gi" },
};

/** Exit status of `benji database-init` when the schema already has tables (`os.EX_CANTCREAT`). */
export const BENJI_EXIT_TABLES_EXIST = 73;

/**
 * The init Job's script. `benji database-init` creates the tables and stamps the schema revision, but refuses with
 * exit 73 when any table exists (`src/benji/database.py` `Database.init`: FileExistsError → EX_CANTCREAT), so it is
 * not idempotent. 73 is therefore success, checked by opening the database with `benji ls`: that fails (exit 64)
 * when the schema needs `benji database-migrate` after an image upgrade, and the Job then says so instead of the
 * nightly CronJobs. Every other status (database unreachable, bad credentials, bad benji.yaml) fails the Job.
 * Unlike `benji ls || benji database-init`, no error is swallowed.
 */
export const BENJI_DB_INIT_SCRIPT = [
  "benji database-init",
  "rc=$?",
  `if [ "$rc" -eq ${BENJI_EXIT_TABLES_EXIST} ]; then`,
  `  echo "benji database-init: the schema already has tables (exit ${BENJI_EXIT_TABLES_EXIST}); checking that it opens"`,
  "  exec benji ls >/dev/null",
  "fi",
  'exit "$rc"',
].join("\n");

/** Retries of the init Job (the database may still be starting on a first deployment). */
const DB_INIT_BACKOFF_LIMIT = 4;
/** Finished Jobs each CronJob keeps. */
const HISTORY_LIMIT = 3;

/** The CronJobs of the Benji flow. */
export interface BenjiSchedules {
  /** `benji-backup-all`: backs up every labelled RBD PVC of all namespaces. Default `30 7 * * *`. */
  readonly backup: string;
  /** `benji-enforce`: drops versions outside the retention (database only). Default `0 6 * * *`. */
  readonly enforce: string;
  /** `benji-cleanup`: frees the storage of dropped blocks (candidates for more than 1 h). Default `0 5 * * *`. */
  readonly cleanup: string;
}

export interface BenjiArgs {
  /** Kubernetes provider for every Kubernetes child. */
  readonly provider: k8s.Provider;
  /** Namespace created for Benji (PSA privileged). Default in config: `benji`. */
  readonly namespace: string;
  /** Pinned benji-k8s image (its entrypoint is `bash` with `sleep` as default command). */
  readonly image: string;
  /** `BENJI_INSTANCE`: the `benji-backup.me/instance` label of every version; scopes `enforce`. Default `benji-k8s`. */
  readonly instance: string;
  /** `benji enforce` rules, e.g. `latest7`. */
  readonly retention: string;
  /** IANA time zone of the CronJobs (`spec.timeZone`) and of Benji itself (`TZ`). */
  readonly timeZone: string;
  /** Cron expressions of the three CronJobs. */
  readonly schedules: BenjiSchedules;
  /** The bucket Benji writes to. */
  readonly storage: S3Target;
  /** PostgreSQL SQLAlchemy URL of Benji's database (a secret). */
  readonly databaseUrl: pulumi.Input<string>;
  /** How Benji reaches Ceph. */
  readonly ceph: {
    /** `mon_host` of ceph.conf, e.g. `10.0.0.1:6789,10.0.0.2:6789`. */
    readonly monHost: string;
    /** Ceph client id (`client.<id>`), e.g. `benji`. */
    readonly clientId: string;
    /** Key of that client (a secret). */
    readonly key: pulumi.Input<string>;
    /** RBD pools whose images may be backed up; each becomes a Benji io of the same name. */
    readonly pools: readonly string[];
  };
  /** Production: protect and retain the namespace, the AES key material and the Secret holding it. Default false. */
  readonly protect?: boolean;
  /**
   * Existing or escrowed AES key material (a secret) to use instead of generating it: a rebuilt installation or a
   * stack adopting an existing Benji needs exactly the values its blocks were written with.
   */
  readonly encryption?: pulumi.Input<BenjiEncryption>;
  /** `PROM_PUSH_GATEWAY` (`host:port`) for Benji's own metrics; unset = no push. */
  readonly pushGateway?: string;
  /** Container resources. Default {@link BENJI_DEFAULT_RESOURCES}. */
  readonly resources?: k8s.types.input.core.v1.ResourceRequirements;
  /** The namespaces whose labelled PVCs Benji backs up (the platform's own); at least one. */
  readonly pvcNamespaces: readonly string[];
  /** The admission policy on the Benji label (policy.admission); default enabled, Warn. */
  readonly admission?: { readonly enabled: boolean; readonly action: AdmissionAction };
  /** Deep scrub, restore drill and metadata backup (flows.benji.{scrub,drill,metadataBackup}). Default {@link BENJI_INTEGRITY_DEFAULTS}. */
  readonly integrity?: BenjiIntegritySettings;
}

/** Upper bound of the database-init Job (its retries included). */
export const DB_INIT_DEADLINE_SECONDS = 600;

/** Length of the generated PBKDF2 salt of the `aes` transform, in bytes. */
export const BENJI_KDF_SALT_BYTES = 16;

/** The AES key material of Benji's `aes` transform; without it no block can be decrypted. */
export interface BenjiEncryption {
  readonly kdfSalt: string;
  readonly kdfIterations: number;
  readonly password: string;
}

/**
 * How a Benji pod runs: the backup talks to Kubernetes and Ceph; maintenance (enforce, cleanup, init, scrub, metadata
 * backup) only to the database and S3; the drill to the database, S3 and Ceph, not to Kubernetes.
 */
export type BenjiPodProfile = "backup" | "maintenance" | "drill";

/** What a Benji pod needs, beside its command. */
export interface BenjiPodArgs {
  readonly image: string;
  readonly instance: string;
  readonly timeZone: string;
  readonly cephClientId: string;
  readonly pushGateway?: string;
  readonly resources: k8s.types.input.core.v1.ResourceRequirements;
}

/** Labels of one Benji role's objects and pods (ownership, flow, name and component), for log and metric queries. */
export function benjiLabels(role: string): Record<string, string> {
  return { ...standardLabels("benji"), [APP_NAME_LABEL]: "benji", [APP_COMPONENT_LABEL]: role };
}

/**
 * The pod template shared by the init Job and every CronJob: one container `benji` with an explicit command (the
 * image would otherwise `sleep`), the env Benji's tools read, the Secrets mounted read-only. The backup profile runs
 * privileged (as the upstream chart, benji-k8s 0.17.0 charts/benji-k8s/templates/cronjobs.yaml) as SA `benji` with
 * the Ceph key; the maintenance profile runs unprivileged without capabilities, as SA `benji-maintenance` without a
 * token, and without the Ceph key (Benji imports its io modules at start but connects to Ceph only when an io is
 * used: src/benji/io/factory.py). The drill profile is the maintenance one with the Ceph key, as SA `benji-drill`
 * (librados needs no privileges: src/benji/io/rbdaio.py).
 */
export function benjiPodTemplate(args: BenjiPodArgs, role: string, command: readonly string[], profile: BenjiPodProfile): k8s.types.input.core.v1.PodTemplateSpec {
  const backup = profile === "backup";
  const ceph = profile !== "maintenance";
  const serviceAccountName = { backup: BENJI_K8S.serviceAccount, maintenance: BENJI_K8S.maintenanceServiceAccount, drill: BENJI_INTEGRITY_K8S.drillServiceAccount }[profile];
  const env: k8s.types.input.core.v1.EnvVar[] = [
    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    { name: "BENJI_INSTANCE", value: args.instance },
    { name: "TZ", value: args.timeZone },
    // benji-backup-pvc runs the rbd CLI without --id; CEPH_ARGS makes it authenticate as Benji's client.
    { name: "CEPH_ARGS", value: `--id ${args.cephClientId}` },
    ...(args.pushGateway ? [{ name: "PROM_PUSH_GATEWAY", value: args.pushGateway }] : []),
  ];
  return {
    metadata: { labels: benjiLabels(role) },
    spec: {
      serviceAccountName,
      ...(backup ? {} : { automountServiceAccountToken: false }),
      restartPolicy: "Never",
      containers: [
        {
          name: BENJI_K8S.container,
          image: args.image,
          command: [...command],
          env,
          securityContext: backup
            ? { privileged: true }
            : { privileged: false, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
          resources: args.resources,
          volumeMounts: [
            { name: VOLUMES.config, mountPath: BENJI_PATHS.configDir, readOnly: true },
            { name: VOLUMES.s3, mountPath: BENJI_PATHS.s3Dir, readOnly: true },
            ...(ceph ? [{ name: VOLUMES.ceph, mountPath: BENJI_PATHS.cephDir, readOnly: true }] : []),
          ],
        },
      ],
      volumes: [
        { name: VOLUMES.config, secret: { secretName: BENJI_K8S.configSecret, defaultMode: SECRET_FILE_MODE } },
        { name: VOLUMES.s3, secret: { secretName: BENJI_K8S.s3Secret, defaultMode: SECRET_FILE_MODE } },
        ...(ceph ? [{ name: VOLUMES.ceph, secret: { secretName: BENJI_K8S.cephSecret, defaultMode: SECRET_FILE_MODE } }] : []),
      ],
    },
  };
}

/** The spec every Benji CronJob shares (docs/design.md §3.6); `activeDeadlineSeconds` bounds each Job when given. */
export function benjiCronJobSpec(
  args: BenjiPodArgs,
  role: string,
  schedule: string,
  command: readonly string[],
  profile: BenjiPodProfile,
  activeDeadlineSeconds?: number,
): k8s.types.input.batch.v1.CronJobSpec {
  return {
    schedule,
    timeZone: args.timeZone,
    concurrencyPolicy: "Forbid",
    successfulJobsHistoryLimit: HISTORY_LIMIT,
    failedJobsHistoryLimit: HISTORY_LIMIT,
    jobTemplate: {
      metadata: { labels: benjiLabels(role) },
      spec: { backoffLimit: 0, ...(activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds } : {}), template: benjiPodTemplate(args, role, command, profile) },
    },
  };
}

/** The `benji enforce` filter that limits retention to this installation's versions. */
export function instanceFilter(instance: string): string {
  return `labels["${BENJI_INSTANCE_LABEL}"] == "${instance}"`;
}

/**
 * The backup script: `benji-backup-pvc` once per namespace the platform owns (its `--namespace` filter takes one
 * namespace: benji-k8s 0.17.0 `k8s_tools/scripts/backup_pvc.py`), so a tenant's PVC labelled `backup-this-pvc=true`
 * is never backed up. Every namespace is tried; the Job fails if any failed. Arguments: the namespaces.
 */
export const BENJI_BACKUP_SCRIPT = [
  "rc=0",
  'for ns in "$@"; do',
  `  benji-backup-pvc --namespace "$ns" --selector ${BACKUP_THIS_PVC_LABEL}=true || { echo "benji-backup-pvc failed in namespace $ns" >&2; rc=1; }`,
  "done",
  'exit "$rc"',
].join("\n");

/** The three CronJobs: name, role, command, pod profile. */
export function benjiCronJobs(instance: string, retention: string, schedules: BenjiSchedules, pvcNamespaces: readonly string[] = []) {
  return [
    { name: BENJI_K8S.backupCronJob, role: "backup", schedule: schedules.backup, command: ["bash", "-c", BENJI_BACKUP_SCRIPT, BENJI_K8S.backupCronJob, ...pvcNamespaces], profile: "backup" },
    { name: BENJI_K8S.enforceCronJob, role: "enforce", schedule: schedules.enforce, command: ["benji-command", "enforce", retention, instanceFilter(instance)], profile: "maintenance" },
    { name: BENJI_K8S.cleanupCronJob, role: "cleanup", schedule: schedules.cleanup, command: ["benji-command", "cleanup"], profile: "maintenance" },
  ] as const;
}

/** Plan-summary line: what Benji covers (Ceph RBD only, the platform's namespaces) and what it skips without a word. */
export function benjiCoverageNote(storageClasses: readonly string[] | undefined, pools: readonly string[], pvcNamespaces: readonly string[]): string {
  const classes = storageClasses?.length
    ? `on the Ceph RBD storage classes ${storageClasses.map((c) => `\`${c}\``).join(", ")} (csi.cephRbd.storageClasses)`
    : "on Ceph RBD storage classes (csi.cephRbd.storageClasses is not configured, so the policy pack cannot check which)";
  return (
    `Benji backs up Ceph RBD volumes only: PVCs labelled \`${BACKUP_THIS_PVC_LABEL}=true\` in the namespaces ${pvcNamespaces.map((n) => `\`${n}\``).join(", ")} (flows.benji.pvcNamespaces; nowhere else) ${classes}, ` +
    `images in the pools ${pools.map((p) => `\`${p}\``).join(", ")}. A labelled PVC on any other storage class is skipped silently (debug log, Job exit 0).`
  );
}

/**
 * Plan-summary line: which backup flow covers Benji's database. `dbNamespace` is where the database host lives
 * (see `databaseNamespace`); `postgres` is the postgres-backup flow, when enabled.
 */
export function benjiDatabaseNote(dbNamespace: string | undefined, postgres: { readonly enabled: boolean; readonly namespace: string }): string {
  const restore =
    "every finished backup also writes its version metadata to the Benji storage, so a lost database is rebuilt with " +
    "`benji database-init` on an empty database, then `benji metadata-ls` and `benji metadata-restore <version-uid>...`";
  if (postgres.enabled && dbNamespace === postgres.namespace) {
    return `Benji database: on the Postgres in namespace \`${dbNamespace}\`, covered by the postgres-backup flow (pg_dumpall); besides, ${restore}.`;
  }
  const where = dbNamespace === undefined ? "outside the cluster (or at an address this program cannot place)" : `in namespace \`${dbNamespace}\``;
  return `Benji database: its host is ${where}, not covered by any backup flow of this program; ${restore}.`;
}

export class Benji extends pulumi.ComponentResource {
  /** The namespace Benji runs in. */
  readonly namespace: string;
  /** AES key material of the `aes` transform (secret); a rebuilt installation needs exactly these values. */
  readonly encryption: pulumi.Output<BenjiEncryption>;
  /** Name of the database-init Job. */
  readonly dbInitJobName: string;
  /** Names of the CronJobs. */
  readonly cronJobNames: string[];

  constructor(name: string, args: BenjiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cluster-backup:benji:Benji", name, {}, opts);
    if (args.pvcNamespaces.length === 0) throw new Error("Benji: pvcNamespaces is empty (config flows.benji.pvcNamespaces); Benji would back up nothing");
    const k8sOpts: pulumi.CustomResourceOptions = { parent: this, provider: args.provider };
    const keep = protection(args.protect ?? false);
    const ns = args.namespace;
    this.namespace = ns;

    // Retained in prod: deleting the namespace deletes the Secret holding the AES key material with it.
    const namespace = ownedNamespace(`${name}-namespace`, ns, "privileged", { ...k8sOpts, ...keep }, "benji");
    const inNs: pulumi.CustomResourceOptions = { ...k8sOpts, dependsOn: [namespace] };

    const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: objectMeta(BENJI_K8S.serviceAccount, ns, "benji") }, inNs);
    const maintenanceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-maintenance-sa`,
      { metadata: objectMeta(BENJI_K8S.maintenanceServiceAccount, ns, "benji"), automountServiceAccountToken: false },
      inNs,
    );
    const integrityJobs = benjiIntegrityCronJobs(args.instance, args.integrity ?? BENJI_INTEGRITY_DEFAULTS, args.ceph.pools);
    // The drill's own account, only when it runs: no binding, no token (it talks to Ceph and the database only).
    const drillAccount = integrityJobs.some((job) => job.profile === "drill")
      ? new k8s.core.v1.ServiceAccount(`${name}-drill-sa`, { metadata: objectMeta(BENJI_INTEGRITY_K8S.drillServiceAccount, ns, "benji"), automountServiceAccountToken: false }, inNs)
      : undefined;
    const subjects = [{ kind: "ServiceAccount", name: BENJI_K8S.serviceAccount, namespace: ns }];
    const clusterRole = new k8s.rbac.v1.ClusterRole(`${name}-cluster-role`, { metadata: objectMeta(BENJI_K8S.clusterRole, undefined, "benji"), rules: BENJI_BACKUP_CLUSTER_RULES }, k8sOpts);
    const clusterRoleBinding = new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-cluster-role-binding`,
      {
        metadata: objectMeta(BENJI_K8S.clusterRole, undefined, "benji"),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: BENJI_K8S.clusterRole },
        subjects,
      },
      { ...k8sOpts, dependsOn: [clusterRole, serviceAccount] },
    );
    const backupRights: pulumi.Resource[] = [clusterRoleBinding];
    const roles = new Map<string, k8s.types.input.rbac.v1.PolicyRule[]>(args.pvcNamespaces.map((n) => [n, [...BENJI_BACKUP_NAMESPACE_RULES]]));
    roles.set(ns, [...(roles.get(ns) ?? []), ...BENJI_BACKUP_OWN_NAMESPACE_RULES]);
    for (const [roleNs, rules] of roles) {
      const role = new k8s.rbac.v1.Role(`${name}-backup-role-${roleNs}`, { metadata: objectMeta(BENJI_ACCESS.backupRole, roleNs, "benji"), rules }, roleNs === ns ? inNs : k8sOpts);
      backupRights.push(
        new k8s.rbac.v1.RoleBinding(
          `${name}-backup-role-binding-${roleNs}`,
          { metadata: objectMeta(BENJI_ACCESS.backupRole, roleNs, "benji"), roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: BENJI_ACCESS.backupRole }, subjects },
          { ...k8sOpts, dependsOn: [role, serviceAccount] },
        ),
      );
    }
    // Bound by the restore runbook in the one namespace it restores into, for the time of the restore.
    new k8s.rbac.v1.ClusterRole(`${name}-restore-role`, { metadata: objectMeta(BENJI_ACCESS.restoreClusterRole, undefined, "benji"), rules: BENJI_RESTORE_RULES }, k8sOpts);

    const admission = args.admission ?? { enabled: true, action: "Warn" };
    if (admission.enabled) {
      admissionGuard(`${name}-pvc-admission-policy`, BENJI_ACCESS.admissionPolicy, objectMeta(BENJI_ACCESS.admissionPolicy, undefined, "benji"), benjiPvcAdmissionPolicySpec(args.pvcNamespaces), VALIDATION_ACTIONS[admission.action], k8sOpts);
    }

    // The AES key material: stored with no block, so it must never change (protect + retain in production; that
    // keeps the state entry, the value itself survives a teardown only in the benjiEncryption output and its escrow).
    // RandomBytes, not RandomId: a RandomId's resource ID is its bytes in base64, and IDs are never secret
    // (terraform-provider-random internal/provider/resource_id.go vs resource_bytes.go, pulumi-random 4.21.2).
    if (args.encryption !== undefined) {
      this.encryption = pulumi.secret(pulumi.output(args.encryption));
    } else {
      const salt = new random.RandomBytes(`${name}-aes-salt`, { length: BENJI_KDF_SALT_BYTES }, { parent: this, ...keep });
      const password = new random.RandomPassword(`${name}-aes-password`, { length: 48, special: false }, { parent: this, ...keep });
      this.encryption = pulumi.secret(
        pulumi.all([salt.base64, password.result]).apply(([kdfSalt, pw]): BenjiEncryption => ({ kdfSalt, kdfIterations: BENJI_KDF_ITERATIONS, password: pw })),
      );
    }

    const target = args.storage;
    const benjiYaml = pulumi.secret(
      pulumi.all([target.bucket, pulumi.output(args.databaseUrl), this.encryption]).apply(([bucket, databaseEngine, encryption]) =>
        serializeBenjiConfig(
          buildBenjiConfig({
            databaseEngine,
            storage: { name: target.backend, bucket, endpoint: target.endpoint, region: target.region, forcePathStyle: target.forcePathStyle },
            encryption,
            ceph: { pools: args.ceph.pools, clientId: args.ceph.clientId },
          }),
        ),
      ),
    );
    const configSecret = new k8s.core.v1.Secret(
      `${name}-config`,
      { metadata: objectMeta(BENJI_K8S.configSecret, ns, "benji"), type: "Opaque", stringData: { [BENJI_FILES.config]: benjiYaml } },
      { ...inNs, ...keep },
    );
    const s3Secret = new k8s.core.v1.Secret(
      `${name}-s3`,
      { metadata: objectMeta(BENJI_K8S.s3Secret, ns, "benji"), type: "Opaque", stringData: benjiS3SecretData(target) },
      inNs,
    );
    const cephSecret = new k8s.core.v1.Secret(
      `${name}-ceph`,
      {
        metadata: objectMeta(BENJI_K8S.cephSecret, ns, "benji"),
        type: "Opaque",
        stringData: {
          [BENJI_FILES.cephConf]: buildCephConf(args.ceph.monHost),
          [cephKeyringFile(args.ceph.clientId)]: pulumi.secret(pulumi.output(args.ceph.key).apply((key) => buildCephKeyring(args.ceph.clientId, key))),
        },
      },
      inNs,
    );

    const pod: BenjiPodArgs = {
      image: args.image,
      instance: args.instance,
      timeZone: args.timeZone,
      cephClientId: args.ceph.clientId,
      pushGateway: args.pushGateway,
      resources: args.resources ?? BENJI_DEFAULT_RESOURCES,
    };
    const initCommand = ["bash", "-c", BENJI_DB_INIT_SCRIPT];
    this.dbInitJobName = `${BENJI_K8S.dbInitJobPrefix}-${hash8({ image: args.image, command: initCommand })}`;
    const dbInit = new k8s.batch.v1.Job(
      `${name}-db-init`,
      {
        metadata: objectMeta(this.dbInitJobName, ns, "benji", { labels: benjiLabels("db-init") }),
        spec: { backoffLimit: DB_INIT_BACKOFF_LIMIT, activeDeadlineSeconds: DB_INIT_DEADLINE_SECONDS, template: benjiPodTemplate(pod, "db-init", initCommand, "maintenance") },
      },
      {
        ...k8sOpts,
        dependsOn: [maintenanceAccount, configSecret, s3Secret, cephSecret, ...target.ready],
        deleteBeforeReplace: true,
        customTimeouts: jobAwaitTimeouts(DB_INIT_DEADLINE_SECONDS),
        // A new database (the URL is a secret, so it cannot go into the Job's name) re-runs the init.
        replacementTrigger: args.databaseUrl,
      },
    );

    this.cronJobNames = benjiCronJobs(args.instance, args.retention, args.schedules, args.pvcNamespaces).map(({ name: jobName, role, schedule, command, profile }) => {
      new k8s.batch.v1.CronJob(
        `${name}-${role}`,
        { metadata: objectMeta(jobName, ns, "benji", { labels: benjiLabels(role) }), spec: benjiCronJobSpec(pod, role, schedule, command, profile) },
        { ...k8sOpts, dependsOn: [dbInit, ...(profile === "backup" ? backupRights : [])] },
      );
      return jobName;
    });
    for (const job of integrityJobs) {
      new k8s.batch.v1.CronJob(
        `${name}-${job.role}`,
        { metadata: objectMeta(job.name, ns, "benji", { labels: benjiLabels(job.role) }), spec: benjiCronJobSpec(pod, job.role, job.schedule, job.command, job.profile, job.activeDeadlineSeconds) },
        { ...k8sOpts, dependsOn: [dbInit, (job.profile === "drill" ? drillAccount : undefined) ?? maintenanceAccount] },
      );
      this.cronJobNames.push(job.name);
    }

    this.registerOutputs({ namespace: this.namespace, encryption: this.encryption, dbInitJobName: this.dbInitJobName, cronJobNames: this.cronJobNames });
  }
}
