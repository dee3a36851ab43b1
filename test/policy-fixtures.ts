/**
 * Hand-written resources for the policy tests: for every rule, objects that pass and objects that violate it, with
 * the exact messages expected. Shared by the pack tests (test/policy-rules.test.ts), the `npm run policy` test
 * (test/policy-cli.test.ts) and the CEL tests (test/policy-admission.test.ts).
 */
import type { PolicyResource } from "../policy/rules/types";

export const STACK = "prod";

type Inputs = Record<string, unknown>;

/** A resource of the offline plan's shape. */
export function resource(type: string, name: string, inputs: Inputs, opts: { custom?: boolean; protect?: boolean; parent?: string } = {}): PolicyResource {
  const parentType = opts.parent ? `${/::([^:]+(?::[^:]+)*)::[^:]+$/.exec(opts.parent)?.[1] ?? ""}$` : "";
  return {
    urn: `urn:pulumi:${STACK}::cluster-backup::${parentType}${type}::${name}`,
    type,
    name,
    custom: opts.custom ?? true,
    protect: opts.protect ?? false,
    parent: opts.parent,
    inputs,
  };
}

const API: Record<string, [string, string]> = {
  Namespace: ["v1", "kubernetes:core/v1:Namespace"],
  PersistentVolumeClaim: ["v1", "kubernetes:core/v1:PersistentVolumeClaim"],
  ConfigMap: ["v1", "kubernetes:core/v1:ConfigMap"],
  StorageClass: ["storage.k8s.io/v1", "kubernetes:storage.k8s.io/v1:StorageClass"],
  Schedule: ["velero.io/v1", "kubernetes:velero.io/v1:Schedule"],
  VolumeSnapshotClass: ["snapshot.storage.k8s.io/v1", "kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshotClass"],
  Deployment: ["apps/v1", "kubernetes:apps/v1:Deployment"],
  StatefulSet: ["apps/v1", "kubernetes:apps/v1:StatefulSet"],
  DaemonSet: ["apps/v1", "kubernetes:apps/v1:DaemonSet"],
  CronJob: ["batch/v1", "kubernetes:batch/v1:CronJob"],
  ClusterRole: ["rbac.authorization.k8s.io/v1", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"],
  Role: ["rbac.authorization.k8s.io/v1", "kubernetes:rbac.authorization.k8s.io/v1:Role"],
};

/** A Kubernetes object resource; `fields` are the top-level fields beside metadata (spec, data, driver...). */
export function k8sObject(kind: keyof typeof API, name: string, meta: { namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }, fields: Inputs = {}, opts: { custom?: boolean } = {}): PolicyResource {
  const [apiVersion, type] = API[kind];
  const metadata = { name, ...(meta.namespace ? { namespace: meta.namespace } : {}), ...(meta.labels ? { labels: meta.labels } : {}), ...(meta.annotations ? { annotations: meta.annotations } : {}) };
  return resource(type, `${meta.namespace ? `${meta.namespace}-` : ""}${name}`, { apiVersion, kind, metadata, ...fields }, opts);
}

export const urnOf = (r: PolicyResource) => r.urn;

const OWNED = { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "cluster-backup" };
const PSA_PRIVILEGED = { "pod-security.kubernetes.io/enforce": "privileged", "pod-security.kubernetes.io/audit": "privileged", "pod-security.kubernetes.io/warn": "privileged" };

function schedule(name: string, spec: Inputs): PolicyResource {
  return k8sObject("Schedule", name, { namespace: "backup-system", labels: { ...OWNED, "cluster-backup.io/flow": "tenants" } }, { spec });
}

const GOOD_TEMPLATE = { includedNamespaces: ["cust-*"], storageLocation: "default", ttl: "720h0m0s", defaultVolumesToFsBackup: true, snapshotVolumes: false };

function podTemplate(containers: Inputs[], extra: { annotations?: Record<string, string>; volumes?: Inputs[] } = {}): Inputs {
  return { metadata: { labels: { app: "x" }, ...(extra.annotations ? { annotations: extra.annotations } : {}) }, spec: { containers, ...(extra.volumes ? { volumes: extra.volumes } : {}) } };
}

const PG_HOOKS = {
  "backup.velero.io/backup-volumes": "backups",
  "pre.hook.backup.velero.io/container": "postgres",
  "pre.hook.backup.velero.io/command": '["/bin/sh","-c","pg_dumpall -f /backups/dump.sql"]',
  "post.hook.backup.velero.io/container": "postgres",
  "post.hook.backup.velero.io/command": '["/bin/sh","-c","rm -f /backups/dump.sql"]',
};
const PG_CONTAINER = { name: "postgres", image: "docker.io/library/postgres:17.6", volumeMounts: [{ name: "backups", mountPath: "/backups" }] };
const VELERO_CHART_BASE = {
  image: { repository: "docker.io/velero/velero", tag: "v1.18.2" },
  initContainers: [{ name: "velero-plugin-for-aws", image: "docker.io/velero/velero-plugin-for-aws:v1.14.3", volumeMounts: [{ mountPath: "/target", name: "plugins" }] }],
  deployNodeAgent: true,
  configuration: { uploaderType: "kopia" },
  kubectl: { image: { repository: "docker.io/bitnamilegacy/kubectl" } },
};

function veleroChart(name: string, values: Inputs, namespace = "backup-system"): PolicyResource {
  return resource("kubernetes:helm.sh/v4:Chart", name, { chart: "velero", version: "12.1.0", namespace, values }, { custom: false });
}

const storagePrefix = `urn:pulumi:${STACK}::cluster-backup::cluster-backup:storage:ScalewayBucket::`;
const awsPrefix = `urn:pulumi:${STACK}::cluster-backup::cluster-backup:storage:AwsBucket::`;

/** Per rule: resources that comply, resources that violate, and the violations expected (URN → messages). */
export interface RuleFixture {
  readonly policy: string;
  readonly pass: readonly PolicyResource[];
  readonly fail: readonly PolicyResource[];
  readonly expected: readonly { readonly urn: string; readonly message: string }[];
}

const cephClass = k8sObject("StorageClass", "ceph-block", {}, { provisioner: "rook-ceph.rbd.csi.ceph.com", parameters: { clusterID: "rook-ceph", pool: "replicapool" } });
const zfsClass = k8sObject("StorageClass", "zfs-local", {}, { provisioner: "zfs.csi.openebs.io" });

function pvc(name: string, namespace: string, labels: Record<string, string>, storageClassName?: string): PolicyResource {
  return k8sObject("PersistentVolumeClaim", name, { namespace, labels }, { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, ...(storageClassName ? { storageClassName } : {}) } });
}

// ---------------------------------------------------------------------------------------------------------------

const ns = {
  tenantOk: k8sObject("Namespace", "cust-1001", { labels: { tenant: "true", backup: "true" } }),
  tenantOptOutOk: k8sObject("Namespace", "cust-1002", { labels: { tenant: "true", backup: "false", "velero.io/exclude-from-backup": "true" } }),
  noTenant: k8sObject("Namespace", "cust-2001", { labels: { backup: "true" } }),
  noBackup: k8sObject("Namespace", "cust-2002", { labels: { tenant: "true" } }),
  optOutNotExcluded: k8sObject("Namespace", "cust-2003", { labels: { tenant: "true", backup: "false" } }),
  backupButExcluded: k8sObject("Namespace", "cust-2004", { labels: { tenant: "true", backup: "true", "velero.io/exclude-from-backup": "true" } }),
  plain: k8sObject("Namespace", "web", {}),
  tenantFalse: k8sObject("Namespace", "web-2", { labels: { tenant: "false" } }),
  fakeTenant: k8sObject("Namespace", "shop", { labels: { tenant: "true", backup: "true" } }),
};

const pvcs = {
  garageMeta: pvc("meta-garage-0", "garage", { "backup-this-pvc": "true" }, "ceph-block"),
  garageData: pvc("data-garage-0", "garage", { "backup-strategy": "zfs-local" }, "zfs-local"),
  garageNone: pvc("data-garage-1", "garage", {}, "zfs-local"),
  garageBoth: pvc("meta-garage-1", "garage", { "backup-this-pvc": "true", "backup-strategy": "zfs-local" }, "ceph-block"),
  benjiOk: pvc("db", "shop", { "backup-this-pvc": "true" }, "ceph-block"),
  benjiOtherClass: pvc("files", "shop", { "backup-this-pvc": "true" }, "zfs-local"),
  benjiNoClass: pvc("cache", "shop", { "backup-this-pvc": "true" }),
  unlabelled: pvc("scratch", "shop", {}, "zfs-local"),
};

const schedules = {
  ok: schedule("tenants-daily", { schedule: "0 1 * * *", useOwnerReferencesInBackup: false, template: GOOD_TEMPLATE }),
  garageSelector: schedule("garage-meta-ceph", {
    schedule: "0 3 * * *",
    useOwnerReferencesInBackup: false,
    template: { includedNamespaces: ["garage"], labelSelector: { matchLabels: { "backup-this-pvc": "true" } }, snapshotVolumes: true, ttl: "720h0m0s" },
  }),
  tenantSelector: schedule("tenants-by-label", { schedule: "0 1 * * *", template: { labelSelector: { matchLabels: { tenant: "true" } }, ttl: "720h0m0s" } }),
  backupExpression: schedule("tenants-or", { schedule: "0 1 * * *", template: { orLabelSelectors: [{ matchExpressions: [{ key: "backup", operator: "NotIn", values: ["false"] }] }], includedNamespaces: ["cust-*"], ttl: "720h0m0s" } }),
  noTtl: schedule("no-ttl", { schedule: "0 1 * * *", template: { includedNamespaces: ["cust-*"] } }),
  badTtl: schedule("bad-ttl", { schedule: "0 1 * * *", template: { includedNamespaces: ["cust-*"], ttl: "30d" } }),
  owning: schedule("owning", { schedule: "0 1 * * *", useOwnerReferencesInBackup: true, template: GOOD_TEMPLATE }),
  skip: schedule("skipping", { schedule: "0 1 * * *", skipImmediately: false, template: GOOD_TEMPLATE }),
  mixed: schedule("mixed", { schedule: "0 5 * * *", template: { includedNamespaces: ["*"], includeClusterResources: true, includedNamespaceScopedResources: ["pods"], ttl: "720h0m0s" } }),
  scopedOnly: schedule("scoped", { schedule: "0 5 * * *", template: { includedNamespaces: ["*"], includedClusterScopedResources: ["storageclasses"], ttl: "720h0m0s" } }),
  restic: schedule("restic", { schedule: "0 5 * * *", template: { includedNamespaces: ["app"], defaultVolumesToRestic: true, ttl: "720h0m0s" } }),
};

const workloads = {
  postgres: k8sObject("StatefulSet", "postgres", { namespace: "postgres" }, { spec: { serviceName: "postgres", template: podTemplate([PG_CONTAINER], { annotations: PG_HOOKS, volumes: [{ name: "backups", emptyDir: { sizeLimit: "20Gi" } }] }) } }),
  preOnly: k8sObject("Deployment", "mysql", { namespace: "mail" }, {
    spec: {
      template: podTemplate([{ name: "mysql", image: "docker.io/library/mysql:8.4.3" }], {
        annotations: { "pre.hook.backup.velero.io/container": "mysql", "pre.hook.backup.velero.io/command": '["/bin/sh","-c","mysqldump > /backups/dump.sql"]' },
      }),
    },
  }),
  wrongContainer: k8sObject("Deployment", "pdns", { namespace: "dns" }, {
    spec: {
      template: podTemplate([{ name: "pdns", image: "docker.io/powerdns/pdns-auth-49:4.9.3" }], {
        annotations: { "pre.hook.backup.velero.io/container": "db", "pre.hook.backup.velero.io/command": '["true"]', "post.hook.backup.velero.io/command": '["true"]' },
      }),
    },
  }),
  misplaced: k8sObject("StatefulSet", "panel-db", { namespace: "panel", annotations: { "pre.hook.backup.velero.io/command": '["true"]' } }, { spec: { template: podTemplate([{ name: "db", image: "docker.io/library/postgres:17.6" }]) } }),
  missingVolume: k8sObject("Deployment", "files", { namespace: "shop" }, {
    spec: { template: podTemplate([{ name: "app", image: "ghcr.io/acme/files:1.2.0" }], { annotations: { "backup.velero.io/backup-volumes": "data,uploads" }, volumes: [{ name: "uploads", persistentVolumeClaim: { claimName: "files" } }] }) },
  }),
  hostPathVolume: k8sObject("DaemonSet", "logs", { namespace: "monitoring" }, {
    spec: { template: podTemplate([{ name: "agent", image: "docker.io/grafana/alloy:v1.5.1" }], { annotations: { "backup.velero.io/backup-volumes": "varlog" }, volumes: [{ name: "varlog", hostPath: { path: "/var/log" } }] }) },
  }),
  zreplPrivileged: k8sObject("DaemonSet", "zrepl-push", { namespace: "zrepl", labels: { ...OWNED, "cluster-backup.io/flow": "zrepl" } }, {
    spec: { template: podTemplate([{ name: "zrepl", image: "ghcr.io/acme/zrepl:0.7.0-openzfs2.2", securityContext: { privileged: true } }]) },
  }),
  toolPrivileged: k8sObject("Deployment", "debug", { namespace: "default" }, {
    spec: { template: podTemplate([{ name: "shell", image: "docker.io/library/busybox:1.37.0", securityContext: { privileged: true } }]) },
  }),
  unpinned: k8sObject("Deployment", "web", { namespace: "web" }, {
    spec: { template: podTemplate([{ name: "nginx", image: "nginx" }, { name: "sidecar", image: "docker.io/library/busybox:latest" }]) },
  }),
  pinned: k8sObject("Deployment", "api", { namespace: "web" }, {
    spec: { template: podTemplate([{ name: "api", image: "registry.example.com:5000/acme/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" }]) },
  }),
};

const configMaps = {
  zrepl: k8sObject("ConfigMap", "zrepl-garage-push", { namespace: "zrepl" }, {
    data: { "zrepl.yml": "jobs:\n  - name: garage_push\n    connect: {type: tls, ca: /etc/zrepl/tls/ca.crt, cert: /etc/zrepl/tls/tls.crt, key: /etc/zrepl/tls/tls.key}\n" },
  }),
  awsCredentials: k8sObject("ConfigMap", "velero-cloud", { namespace: "backup-system" }, { data: { cloud: "[default]\naws_access_key_id=SCWXXXXXXXXXXXXXXXXX\naws_secret_access_key=0a1b2c3d\n" } }),
  password: k8sObject("ConfigMap", "app-settings", { namespace: "shop" }, { data: { "db-password": "hunter2", "settings.yaml": "listen: 8080\n" } }),
  dsn: k8sObject("ConfigMap", "app-dsn", { namespace: "shop" }, { data: { DATABASE_URL: "postgresql://shop:s3cret@postgres:5432/shop" } }),
  redacted: k8sObject("ConfigMap", "benji-config", { namespace: "benji" }, { data: { "benji.yaml": "databaseEngine: [secret]\n" } }),
};

const cronJobs = {
  ok: k8sObject("CronJob", "benji-backup-all", { namespace: "benji", labels: { ...OWNED, "cluster-backup.io/flow": "benji" } }, {
    spec: { schedule: "30 7 * * *", timeZone: "UTC", jobTemplate: { spec: { template: podTemplate([{ name: "benji", image: "ghcr.io/elemental-lf/benji-k8s:0.17.0", env: [{ name: "TZ", value: "UTC" }] }]) } } },
  }),
  noZone: k8sObject("CronJob", "benji-enforce", { namespace: "benji", labels: { ...OWNED, "cluster-backup.io/flow": "benji" } }, {
    spec: { schedule: "CRON_TZ=UTC 0 6 * * *", jobTemplate: { spec: { template: podTemplate([{ name: "benji", image: "ghcr.io/elemental-lf/benji-k8s:0.17.0" }]) } } },
  }),
  zoneMismatch: k8sObject("CronJob", "benji-cleanup", { namespace: "benji", labels: { ...OWNED, "cluster-backup.io/flow": "benji" } }, {
    spec: { schedule: "0 5 * * *", timeZone: "Europe/Paris", jobTemplate: { spec: { template: podTemplate([{ name: "benji", image: "ghcr.io/elemental-lf/benji-k8s:0.17.0", env: [{ name: "TZ", value: "UTC" }] }]) } } },
  }),
  foreign: k8sObject("CronJob", "report", { namespace: "shop" }, { spec: { schedule: "0 2 * * *", jobTemplate: { spec: { template: podTemplate([{ name: "report", image: "ghcr.io/acme/report:2.0.1" }]) } } } }),
};

const namespacesPsa = {
  benji: k8sObject("Namespace", "benji", { labels: { ...OWNED, ...PSA_PRIVILEGED } }),
  zreplPartial: k8sObject("Namespace", "zrepl", { labels: { ...OWNED, "pod-security.kubernetes.io/enforce": "privileged" } }),
  minioPrivileged: k8sObject("Namespace", "minio", { labels: { ...OWNED, ...PSA_PRIVILEGED } }),
  foreignPrivileged: k8sObject("Namespace", "rook-ceph", { labels: PSA_PRIVILEGED }),
};

const vsc = (name: string, driver: string, labelled: boolean) =>
  k8sObject("VolumeSnapshotClass", name, { labels: labelled ? { "velero.io/csi-volumesnapshot-class": "true" } : {} }, { driver, deletionPolicy: "Delete" });
const classes = {
  zfs: vsc("velero-zfs", "zfs.csi.openebs.io", true),
  zfsUnlabelled: vsc("zfs-manual", "zfs.csi.openebs.io", false),
  rbdA: vsc("velero-ceph-rbd", "rook-ceph.rbd.csi.ceph.com", true),
  rbdB: vsc("ceph-rbd-default", "rook-ceph.rbd.csi.ceph.com", true),
};

const charts = {
  ok: veleroChart("velero", { ...VELERO_CHART_BASE, schedules: {} }),
  badImages: veleroChart("velero-images", {
    ...VELERO_CHART_BASE,
    initContainers: [
      { name: "velero-plugin-for-aws", image: "docker.io/velero/velero-plugin-for-aws:v1.14.2" },
      { name: "velero-plugin-for-csi", image: "docker.io/velero/velero-plugin-for-csi:v0.7.1" },
    ],
    kubectl: { image: { repository: "docker.io/bitnamilegacy/kubectl", tag: "latest" } },
  }),
  restic: veleroChart("velero-restic", {
    ...VELERO_CHART_BASE,
    deployNodeAgent: false,
    deployRestic: true,
    configuration: { uploaderType: "restic" },
    schedules: { apps: { schedule: "0 2 * * *", useOwnerReferencesInBackup: false, template: { includedNamespaces: ["app"], defaultVolumesToFsBackup: true, ttl: "720h0m0s" } } },
  }),
  privilegedNodeAgent: veleroChart("velero-elsewhere", { ...VELERO_CHART_BASE, nodeAgent: { containerSecurityContext: { privileged: true } } }, "velero"),
  chartSchedules: veleroChart("velero-schedules", { ...VELERO_CHART_BASE, schedules: { nightly: { schedule: "0 2 * * *", useOwnerReferencesInBackup: true, template: { includedNamespaces: ["app"] } } } }),
};

const versioningParent = `${awsPrefix}aws-velero`;
const buckets = {
  velero: resource("scaleway:object/bucket:Bucket", "scaleway-velero-velero", { name: "acme-velero", versioning: { enabled: true }, forceDestroy: false }, { protect: true, parent: `${storagePrefix}scaleway-velero` }),
  benji: resource("scaleway:object/bucket:Bucket", "scaleway-benji-benji", { name: "acme-benji", versioning: { enabled: false }, tags: { consumer: "benji" } }, { protect: true, parent: `${storagePrefix}scaleway-benji` }),
  aws: resource("aws:s3/bucket:Bucket", "aws-velero-bucket", { bucket: "acme-aws-velero", forceDestroy: false }, { protect: true, parent: versioningParent }),
  awsVersioning: resource("aws:s3/bucketVersioning:BucketVersioning", "aws-velero-versioning", { bucket: "aws-velero-bucket-1a2b3c4d", versioningConfiguration: { status: "Enabled" } }, { parent: versioningParent }),
  unprotected: resource("scaleway:object/bucket:Bucket", "scaleway-velero-old", { name: "acme-velero-old", versioning: { enabled: false } }, { parent: `${storagePrefix}scaleway-velero-old` }),
  unrelated: resource("scaleway:object/bucket:Bucket", "website", { name: "acme-website" }),
};

const BENJI_ON = { "backup-this-pvc": "true" };
const tenantBenji = {
  pvcOk: k8sObject("PersistentVolumeClaim", "meta", { namespace: "garage", labels: BENJI_ON }, { spec: { storageClassName: "ceph-block" } }),
  tenantPlain: k8sObject("PersistentVolumeClaim", "data", { namespace: "cust-1001" }, { spec: { storageClassName: "ceph-block" } }),
  tenantPvc: k8sObject("PersistentVolumeClaim", "data", { namespace: "cust-1002", labels: BENJI_ON }, { spec: { storageClassName: "ceph-block" } }),
  tenantSts: k8sObject("StatefulSet", "db", { namespace: "cust-1003" }, { spec: { selector: { matchLabels: { app: "db" } }, template: podTemplate([{ name: "db", image: "docker.io/library/postgres:17.2" }]), volumeClaimTemplates: [{ metadata: { name: "data", labels: BENJI_ON } }] } }),
};
const GUARD = { "cluster-backup.io/admission-policy": "cluster-backup-restore-drill" };
const roles = {
  readOnly: k8sObject("ClusterRole", "reader", {}, { rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] }] }),
  guarded: k8sObject("ClusterRole", "drill", { annotations: GUARD }, { rules: [{ apiGroups: [""], resources: ["namespaces"], verbs: ["create", "delete"] }] }),
  boundNamed: k8sObject("ClusterRole", "binder", { annotations: GUARD }, { rules: [{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"], resourceNames: ["scratch"] }] }),
  namespacePatcher: k8sObject("ClusterRole", "patcher", {}, { rules: [{ apiGroups: [""], resources: ["namespaces"], verbs: ["get", "patch"] }] }),
  bindingWriter: k8sObject("Role", "binder", { namespace: "backup-system" }, { rules: [{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ["create"] }] }),
  wildcard: k8sObject("ClusterRole", "wild", {}, { rules: [{ apiGroups: ["velero.io"], resources: ["*"], verbs: ["get"] }] }),
  escalating: k8sObject("ClusterRole", "escalator", {}, { rules: [{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind", "escalate"] }] }),
};

// ---------------------------------------------------------------------------------------------------------------

const P = "A PVC in the Garage namespace";
export const FIXTURES: readonly RuleFixture[] = [
  {
    policy: "tenant-namespace-labels",
    pass: [ns.tenantOk, ns.tenantOptOutOk],
    fail: [ns.noTenant, ns.noBackup, ns.optOutNotExcluded, ns.backupButExcluded],
    expected: [
      { urn: ns.noTenant.urn, message: 'A namespace named cust-<id> is a tenant namespace and must carry tenant=true: add metadata.labels.tenant: "true" (the hosting panel sets it on every tenant namespace).' },
      { urn: ns.noBackup.urn, message: 'A tenant namespace must carry backup=true (backed up by tenants-daily) or backup=false (the tenant opted out): set metadata.labels.backup to "true" or "false".' },
      {
        urn: ns.optOutNotExcluded.urn,
        message:
          'A tenant namespace with backup=false must also carry velero.io/exclude-from-backup=true, or tenants-daily (includedNamespaces cust-*) still backs it up: add metadata.labels["velero.io/exclude-from-backup"]: "true", or set backup=true.',
      },
      {
        urn: ns.backupButExcluded.urn,
        message: "A tenant namespace with backup=true must not carry velero.io/exclude-from-backup=true: Velero leaves excluded namespaces out of every backup. Remove that label, or set backup=false if the tenant opted out.",
      },
    ],
  },
  {
    policy: "tenant-label-only-on-tenant-namespaces",
    pass: [ns.plain, ns.tenantFalse],
    fail: [ns.fakeTenant],
    expected: [
      {
        urn: ns.fakeTenant.urn,
        message:
          "Only namespaces named cust-<id> may carry tenant=true: tenants-daily backs up cust-* only, while the opt-out sync and tenant tooling act on every tenant=true namespace. Remove the label, or rename the namespace to cust-<id>.",
      },
    ],
  },
  {
    policy: "garage-pvc-one-strategy",
    pass: [pvcs.garageMeta, pvcs.garageData, pvcs.unlabelled],
    fail: [pvcs.garageNone, pvcs.garageBoth],
    expected: [
      { urn: pvcs.garageNone.urn, message: `${P} needs a backup strategy: label it backup-this-pvc=true (Ceph RBD volume: garage-meta-ceph and Benji) or backup-strategy=zfs-local (ZFS-LocalPV volume: garage-data-zfs and zrepl).` },
      { urn: pvcs.garageBoth.urn, message: `${P} carries both backup-this-pvc=true and backup-strategy=zfs-local; keep exactly one: backup-this-pvc=true for a Ceph RBD volume, backup-strategy=zfs-local for a ZFS-LocalPV volume.` },
    ],
  },
  {
    policy: "benji-pvc-ceph-rbd",
    pass: [cephClass, zfsClass, pvcs.benjiOk, pvcs.unlabelled],
    fail: [pvcs.benjiOtherClass, pvcs.benjiNoClass],
    expected: [pvcs.benjiOtherClass, pvcs.benjiNoClass].map((p) => ({
      urn: p.urn,
      message: "A PVC labelled backup-this-pvc=true must use a Ceph RBD storage class (one of: ceph-block): Benji backs up RBD volumes only and skips any other PVC silently. Set spec.storageClassName to a Ceph RBD class, or remove the label.",
    })),
  },
  {
    policy: "schedule-no-tenant-selector",
    pass: [schedules.ok, schedules.garageSelector],
    fail: [schedules.tenantSelector, schedules.backupExpression],
    expected: [
      {
        urn: schedules.tenantSelector.urn,
        message:
          "Schedule tenants-by-label selects on label 'tenant' in spec.template.labelSelector: Velero applies a label selector to every object, not to namespaces, so the tenants' Pods, PVCs and Secrets (with their fs-backups and hooks) are skipped. " +
          'Remove the selector; select tenant namespaces with includedNamespaces: ["cust-*"] (Velero >= v1.18.2) and let opted-out tenants carry velero.io/exclude-from-backup=true.',
      },
      {
        urn: schedules.backupExpression.urn,
        message:
          "Schedule tenants-or selects on label 'backup' in spec.template.orLabelSelectors[0]: Velero applies a label selector to every object, not to namespaces, so the tenants' Pods, PVCs and Secrets (with their fs-backups and hooks) are skipped. " +
          'Remove the selector; select tenant namespaces with includedNamespaces: ["cust-*"] (Velero >= v1.18.2) and let opted-out tenants carry velero.io/exclude-from-backup=true.',
      },
    ],
  },
  {
    policy: "schedule-ttl",
    pass: [schedules.ok],
    fail: [schedules.noTtl, schedules.badTtl, charts.chartSchedules],
    expected: [
      { urn: schedules.noTtl.urn, message: 'Schedule no-ttl has no spec.template.ttl: its backups then live for the server default (720h), whatever the chart\'s comments say. Set spec.template.ttl, e.g. "720h0m0s".' },
      { urn: schedules.badTtl.urn, message: 'Schedule bad-ttl has spec.template.ttl "30d", which is not a positive Go duration; use hours, minutes and seconds such as "720h0m0s".' },
      {
        urn: charts.chartSchedules.urn,
        message: 'Schedule nightly (Velero chart values) has no values.schedules.nightly.template.ttl: its backups then live for the server default (720h), whatever the chart\'s comments say. Set values.schedules.nightly.template.ttl, e.g. "720h0m0s".',
      },
    ],
  },
  {
    policy: "schedule-no-owner-references",
    pass: [schedules.ok],
    fail: [schedules.owning, charts.chartSchedules],
    expected: [
      { urn: schedules.owning.urn, message: "Schedule owning sets spec.useOwnerReferencesInBackup: true, so deleting or replacing the Schedule deletes every backup it made; set it to false." },
      { urn: charts.chartSchedules.urn, message: "Schedule nightly (Velero chart values) sets values.schedules.nightly.useOwnerReferencesInBackup: true, so deleting or replacing the Schedule deletes every backup it made; set it to false." },
    ],
  },
  {
    policy: "velero-hooks-paired",
    pass: [workloads.postgres],
    fail: [workloads.preOnly, workloads.wrongContainer, workloads.misplaced],
    expected: [
      {
        urn: workloads.preOnly.urn,
        message: "Deployment mail/mysql has a Velero pre-hook (pre.hook.backup.velero.io/command) but no post-hook: add post.hook.backup.velero.io/command (e.g. removing the dump the pre-hook wrote), with post.hook.backup.velero.io/container naming the same container.",
      },
      {
        urn: workloads.wrongContainer.urn,
        message: "Deployment dns/pdns: pre.hook.backup.velero.io/container names container 'db', which the pod does not have (containers: pdns); Velero would fail the hook with \"container not found\". Name one of the pod's containers.",
      },
      {
        urn: workloads.misplaced.urn,
        message: "StatefulSet panel/panel-db carries Velero pod annotations (pre.hook.backup.velero.io/command) on its own metadata, where Velero never reads them: move them to the pod template's metadata.annotations.",
      },
    ],
  },
  {
    policy: "velero-backup-volumes-exist",
    pass: [workloads.postgres],
    fail: [workloads.missingVolume, workloads.hostPathVolume],
    expected: [
      {
        urn: workloads.missingVolume.urn,
        message: "Deployment shop/files: backup.velero.io/backup-volumes names volume 'data', which the pod does not have (volumes: uploads); the annotation takes pod volume names from spec.volumes, not PVC names. Fix the annotation or add the volume.",
      },
      { urn: workloads.hostPathVolume.urn, message: "DaemonSet monitoring/logs: backup.velero.io/backup-volumes names hostPath volume 'varlog', which fs-backup never backs up; remove it from the annotation." },
    ],
  },
  {
    policy: "no-credentials-in-configmaps",
    pass: [configMaps.zrepl, charts.ok],
    fail: [configMaps.awsCredentials, configMaps.password, configMaps.dsn, configMaps.redacted],
    expected: [
      [configMaps.awsCredentials, "ConfigMap backup-system/velero-cloud holds an AWS secret access key in data key 'cloud'"],
      [configMaps.password, "ConfigMap shop/app-settings holds a credential (by its key name) in data key 'db-password'"],
      [configMaps.dsn, "ConfigMap shop/app-dsn holds a URL with a password in data key 'DATABASE_URL'"],
      [configMaps.redacted, "ConfigMap benji/benji-config holds a value the plan redacted as a secret in data key 'benji.yaml'"],
    ].map(([r, start]) => ({
      urn: (r as PolicyResource).urn,
      message: `${start}: ConfigMaps are readable by anyone who may list them and are not encrypted. Move it to a Secret (stringData) and mount or reference that.`,
    })),
  },
  {
    policy: "privileged-pods-in-their-namespaces",
    pass: [workloads.zreplPrivileged, charts.ok],
    fail: [workloads.toolPrivileged, charts.privilegedNodeAgent],
    expected: [
      {
        urn: workloads.toolPrivileged.urn,
        message: "Deployment default/debug runs privileged container 'shell' in namespace 'default': drop securityContext.privileged, or run it in one of the namespaces meant for privileged pods (backup-system, benji, zrepl; policy config privilegedNamespaces).",
      },
      {
        urn: charts.privilegedNodeAgent.urn,
        message: "The Velero chart runs a privileged node-agent in namespace 'velero': drop securityContext.privileged, or run it in one of the namespaces meant for privileged pods (backup-system, benji, zrepl; policy config privilegedNamespaces).",
      },
    ],
  },
  {
    policy: "prod-buckets-protected",
    pass: [buckets.velero, buckets.benji, buckets.aws, buckets.awsVersioning, buckets.unrelated],
    fail: [buckets.unprotected],
    expected: [
      {
        urn: buckets.unprotected.urn,
        message: "Bucket acme-velero-old holds backups in production stack 'prod' but is not protected: set the resource options protect: true and retainOnDelete: true, so no update or destroy can delete it.",
      },
      {
        urn: buckets.unprotected.urn,
        message:
          "Bucket acme-velero-old holds Velero backups in production stack 'prod' but is not versioned: enable versioning (Scaleway: versioning {enabled: true}; AWS: an aws.s3.BucketVersioning with status Enabled), so deleted or overwritten backups stay recoverable until a lifecycle rule expires them.",
      },
    ],
  },
  {
    policy: "schedule-no-skip-immediately",
    pass: [schedules.ok],
    fail: [schedules.skip],
    expected: [{ urn: schedules.skip.urn, message: "Schedule skipping sets spec.skipImmediately: the Velero controller resets it after the first run, so every preview shows drift. Remove the field." }],
  },
  {
    policy: "schedule-filters-not-mixed",
    pass: [schedules.ok, schedules.scopedOnly],
    fail: [schedules.mixed],
    expected: [
      { urn: schedules.mixed.urn, message: "Schedule mixed mixes the old resource filters (includeClusterResources) with the scoped ones (includedNamespaceScopedResources) in spec.template; Velero fails such backups at validation. Use one kind only." },
    ],
  },
  {
    policy: "images-pinned",
    pass: [workloads.pinned, workloads.postgres, charts.ok],
    fail: [workloads.unpinned, charts.badImages],
    expected: [
      { urn: workloads.unpinned.urn, message: "image 'nginx' (Deployment web/web, container 'nginx') is not pinned: add a version tag or a sha256 digest." },
      { urn: workloads.unpinned.urn, message: "image 'docker.io/library/busybox:latest' (Deployment web/web, container 'sidecar') uses ':latest', which is not a pin: use a version tag or a sha256 digest." },
      {
        urn: charts.badImages.urn,
        message: "image 'docker.io/velero/velero-plugin-for-aws:v1.14.2' (chart velero, values.initContainers[0].image): velero-plugin-for-aws before v1.14.3 corrupts or rejects uploads to S3-compatible stores (velero#9951, #9804); use v1.14.3 or later.",
      },
      {
        urn: charts.badImages.urn,
        message: "image 'docker.io/velero/velero-plugin-for-csi:v0.7.1' (chart velero, values.initContainers[1].image): velero-plugin-for-csi is built into Velero since 1.14 and breaks start-up (\"registered twice\"); remove it.",
      },
      { urn: charts.badImages.urn, message: "image 'docker.io/bitnamilegacy/kubectl:latest' (chart velero, values.kubectl.image) uses ':latest', which is not a pin: use a version tag or a sha256 digest." },
    ],
  },
  {
    policy: "node-agent-kopia",
    pass: [charts.ok, schedules.ok],
    fail: [schedules.restic, charts.restic],
    expected: [
      { urn: schedules.restic.urn, message: "Schedule restic sets spec.template.defaultVolumesToRestic, which Velero removed with restic; use defaultVolumesToFsBackup (kopia)." },
      { urn: charts.restic.urn, message: 'The Velero chart sets configuration.uploaderType "restic": Velero 1.17+ can no longer take restic backups. Set it to "kopia" or remove it.' },
      { urn: charts.restic.urn, message: "The Velero chart values set 'deployRestic', removed from the chart (rendering aborts); use deployNodeAgent (set by this program)." },
      {
        urn: charts.restic.urn,
        message: "Schedule apps (Velero chart values) backs up pod volumes (defaultVolumesToFsBackup: true) but the Velero chart does not deploy the node-agent: set deployNodeAgent: true.",
      },
    ],
  },
  {
    policy: "cronjob-timezone",
    pass: [cronJobs.ok, cronJobs.foreign],
    fail: [cronJobs.noZone, cronJobs.zoneMismatch],
    expected: [
      { urn: cronJobs.noZone.urn, message: 'CronJob benji/benji-enforce sets no spec.timeZone: its schedule then follows the controller manager\'s local time. Set spec.timeZone to the stack\'s timeZone (e.g. "UTC").' },
      { urn: cronJobs.noZone.urn, message: 'CronJob benji/benji-enforce puts a time zone in spec.schedule ("CRON_TZ=UTC 0 6 * * *"), which Kubernetes rejects; move it to spec.timeZone.' },
      { urn: cronJobs.zoneMismatch.urn, message: "CronJob benji/benji-cleanup: container 'benji' has env TZ=UTC but spec.timeZone is Europe/Paris; use the same zone so logs and retention agree with the schedule." },
    ],
  },
  {
    policy: "privileged-namespaces-psa",
    pass: [namespacesPsa.benji, namespacesPsa.foreignPrivileged],
    fail: [namespacesPsa.zreplPartial, namespacesPsa.minioPrivileged],
    expected: [
      {
        urn: namespacesPsa.zreplPartial.urn,
        message:
          'Namespace zrepl is meant for privileged pods (node-agent hostPath mounts, Benji and zrepl privileged containers) but pod-security.kubernetes.io/audit, pod-security.kubernetes.io/warn are not \'privileged\', so Pod Security Admission rejects or flags those pods. Set pod-security.kubernetes.io/enforce, pod-security.kubernetes.io/audit, pod-security.kubernetes.io/warn to "privileged".',
      },
      {
        urn: namespacesPsa.minioPrivileged.urn,
        message:
          'Namespace minio sets pod-security.kubernetes.io/enforce, pod-security.kubernetes.io/audit, pod-security.kubernetes.io/warn to \'privileged\' but is not meant for privileged pods (backup-system, benji, zrepl): use "baseline" or "restricted", or list it in policy config privilegedNamespaces.',
      },
    ],
  },
  {
    policy: "benji-label-not-on-tenants",
    pass: [tenantBenji.pvcOk, tenantBenji.tenantPlain],
    fail: [tenantBenji.tenantPvc, tenantBenji.tenantSts],
    expected: [
      {
        urn: tenantBenji.tenantPvc.urn,
        message: "cust-1002-data in tenant namespace cust-1002 carries backup-this-pvc=true (metadata.labels): Benji backs up only the namespaces the platform owns (flows.benji.pvcNamespaces) and tenant data is backed up by tenants-daily. Remove the label.",
      },
      {
        urn: tenantBenji.tenantSts.urn,
        message:
          "cust-1003-db in tenant namespace cust-1003 carries backup-this-pvc=true (spec.volumeClaimTemplates[0].metadata.labels): Benji backs up only the namespaces the platform owns (flows.benji.pvcNamespaces) and tenant data is backed up by tenants-daily. Remove the label.",
      },
    ],
  },
  {
    policy: "rbac-unnarrowable-grants-guarded",
    pass: [roles.readOnly, roles.guarded, roles.boundNamed],
    fail: [roles.namespacePatcher, roles.bindingWriter],
    expected: [
      {
        urn: roles.namespacePatcher.urn,
        message:
          'patcher grants patch namespaces, which RBAC cannot limit to particular namespaces or labels: a stolen token could change any namespace. Guard it with a ValidatingAdmissionPolicy matching the account and name that policy in metadata.annotations["cluster-backup.io/admission-policy"], or drop the grant.',
      },
      {
        urn: roles.bindingWriter.urn,
        message:
          'backup-system-binder grants create rolebindings, which RBAC cannot limit to particular namespaces or labels: a stolen token could change any namespace. Guard it with a ValidatingAdmissionPolicy matching the account and name that policy in metadata.annotations["cluster-backup.io/admission-policy"], or drop the grant.',
      },
    ],
  },
  {
    policy: "rbac-no-escalation",
    pass: [roles.readOnly, roles.guarded, roles.boundNamed],
    fail: [roles.wildcard, roles.escalating],
    expected: [
      { urn: roles.wildcard.urn, message: "wild rules[0] uses '*' in resources: list the groups, resources and verbs the account needs." },
      { urn: roles.escalating.urn, message: "escalator rules[0] grants 'escalate': no backup account needs it." },
      { urn: roles.escalating.urn, message: "escalator rules[0] grants 'bind' on every role: limit it with resourceNames to the role the account binds." },
    ],
  },
  {
    policy: "vsc-velero-label",
    pass: [classes.zfs, classes.zfsUnlabelled],
    fail: [classes.rbdA, classes.rbdB],
    expected: [classes.rbdA, classes.rbdB].map((c) => ({
      urn: c.urn,
      message:
        "VolumeSnapshotClasses velero-ceph-rbd, ceph-rbd-default all carry velero.io/csi-volumesnapshot-class=true for driver rook-ceph.rbd.csi.ceph.com: Velero needs exactly one per driver. Keep the label on one class (override per PVC with the velero.io/csi-volumesnapshot-class annotation).",
    })),
  },
];

/**
 * The policy config the fixtures need under the Pulumi CLI (`--policy-pack-config` form): a resource policy sees one
 * resource, so the Ceph RBD classes that the fixtures' StorageClass declares offline come from the config.
 */
export const PACK_CONFIG: Record<string, Record<string, unknown>> = { "benji-pvc-ceph-rbd": { cephRbdStorageClasses: ["ceph-block"] } };

/** Every fixture resource once, in a stable order (passing and violating ones of all rules: one stack). */
export function allFixtureResources(): PolicyResource[] {
  const seen = new Map<string, PolicyResource>();
  for (const f of FIXTURES) for (const r of [...f.pass, ...f.fail]) seen.set(r.urn, r);
  return [...seen.values()];
}

/** A component resource: never judged, whatever its inputs look like. */
export const COMPONENT = resource("kubernetes:core/v1:Namespace", "component-lookalike", { metadata: { name: "cust-9999", labels: {} } }, { custom: false });
