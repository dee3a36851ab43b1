/**
 * Guardrails (components/guards): every mistaken or hostile config below is refused with the exact line naming its
 * key, and the good ones still pass. Cases live in config-guards.cases.ts.
 */
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../components/config";
import { acceptedOverrides, overrideSummaryNotes } from "../components/guards";
import { benjiRestorePoints, cronMinIntervalSeconds, zreplGridRestorePoints } from "../components/guards/retention";
import { OWNED_CHART_PATHS } from "../components/guards/extra-values";
import { byteQuantityError, parseByteQuantity } from "../components/schema/quantity";
import { bucketNameError } from "../components/schema/bucket-name";
import { podVolumePathError } from "../components/schema/pod-volume-path";
import { buildPlanFiles } from "../scripts/lib/plan-output";
import { configProblems, planWith, rawConfig, stackConfigProblems } from "./harness";
import { BAD, DEV_BASE, GOOD, type GuardCase } from "./config-guards.cases";

function problemsOf(c: GuardCase): string[] {
  return c.stack === "dev" ? configProblems(rawConfig({ ...DEV_BASE, ...c.config }), [], "dev") : stackConfigProblems("prod", c.config);
}

/** The exact refusal lines of each BAD case. */
const EXPECTED: Record<string, string[]> = {
  "tenants ttl of one day (one backup kept)": [
    "cluster-backup:flows.tenants.ttl: keeps fewer than 2 restore points: expected at least 52h (2 × the 1d between runs of '0 1 * * *' + 4h run time, velero.fsBackupTimeout); to accept it anyway set overrides.\"flows.tenants.ttl\" to the reason (got \"24h\")"
  ],
  "tenants ttl of two days, no room for the run time": [
    "cluster-backup:flows.tenants.ttl: keeps fewer than 2 restore points: expected at least 52h (2 × the 1d between runs of '0 1 * * *' + 4h run time, velero.fsBackupTimeout); to accept it anyway set overrides.\"flows.tenants.ttl\" to the reason (got \"48h\")"
  ],
  "postgres ttl of 30h": [
    "cluster-backup:flows.postgres.ttl: keeps fewer than 2 restore points: expected at least 52h (2 × the 1d between runs of '0 4 * * *' + 4h run time, velero.fsBackupTimeout); to accept it anyway set overrides.\"flows.postgres.ttl\" to the reason (got \"30h0m0s\")"
  ],
  "weekly system backup kept 200h": [
    "cluster-backup:flows.system.ttl: keeps fewer than 2 restore points: expected at least 340h (2 × the 7d between runs of '0 5 * * 0' + 4h run time, velero.fsBackupTimeout); to accept it anyway set overrides.\"flows.system.ttl\" to the reason (got \"200h\")"
  ],
  "a 12h fs-backup timeout raises the floor": [
    "cluster-backup:flows.tenants.ttl: keeps fewer than 2 restore points: expected at least 60h (2 × the 1d between runs of '0 1 * * *' + 12h run time, velero.fsBackupTimeout); to accept it anyway set overrides.\"flows.tenants.ttl\" to the reason (got \"59h\")"
  ],
  "prod Garage ZFS metadata kept 36h": [
    "cluster-backup:flows.garageDataZfs.ttl: keeps fewer than 2 restore points: expected at least 52h (2 × the 1d between runs of '0 3 * * *' + 4h run time, velero.fsBackupTimeout); to accept it anyway set overrides.\"flows.garageDataZfs.ttl\" to the reason (got \"36h\")"
  ],
  "system backup every 5 minutes": [
    "cluster-backup:flows.system.schedule: runs 5m after the previous run at times; expected at most one run per 1h (every run is a full pass over every volume: runs queue up and never finish); to accept it anyway set overrides.\"flows.system.schedule\" to the reason (got \"*/5 * * * *\")"
  ],
  "system backup every minute of 05:xx": [
    "cluster-backup:flows.system.schedule: runs 1m after the previous run at times; expected at most one run per 1h (every run is a full pass over every volume: runs queue up and never finish); to accept it anyway set overrides.\"flows.system.schedule\" to the reason (got \"* 5 * * *\")"
  ],
  "Garage ZFS snapshots every 20 minutes": [
    "cluster-backup:flows.garageDataZfs.schedule: runs 20m after the previous run at times; expected at most one run per 1h (every run is a full pass over every volume: runs queue up and never finish); to accept it anyway set overrides.\"flows.garageDataZfs.schedule\" to the reason (got \"*/20 * * * *\")"
  ],
  "Benji backups every 30 minutes": [
    "cluster-backup:flows.benji.backupSchedule: runs 30m after the previous run at times; expected at most one run per 1h (every run is a full pass over every volume: runs queue up and never finish); to accept it anyway set overrides.\"flows.benji.backupSchedule\" to the reason (got \"*/30 * * * *\")"
  ],
  "Benji scrub of 0% of the versions": [
    'cluster-backup:flows.benji.scrub.versionPercentage: expected a whole percentage from 1 to 100 (benji batch-deep-scrub --version-percentage), e.g. 10 (got 0)',
  ],
  "Benji scrub of 101% of the blocks": [
    'cluster-backup:flows.benji.scrub.blockPercentage: expected a whole percentage from 1 to 100 (benji batch-deep-scrub --block-percentage), e.g. 33 (got 101)',
  ],
  "Benji scrub percentage with decimals": [
    'cluster-backup:flows.benji.scrub.blockPercentage: expected a whole percentage from 1 to 100 (benji batch-deep-scrub --block-percentage), e.g. 33 (got 33.5)',
  ],
  "Benji scrub percentage as a string": [
    'cluster-backup:flows.benji.scrub.versionPercentage: expected a whole percentage from 1 to 100 (benji batch-deep-scrub --version-percentage), e.g. 10 (got "10")',
  ],
  "Benji scrub with a misspelt key": ["cluster-backup:flows.benji.scrub.percentage: unknown key; expected one of: enabled, schedule, versionPercentage, blockPercentage"],
  "Benji deep scrub every 10 minutes": [
    'cluster-backup:flows.benji.scrub.schedule: runs 10m after the previous run at times; expected at most one run per 1h (every run reads a sample of the blocks back from the bucket: runs queue up and never finish); to accept it anyway set overrides."flows.benji.scrub.schedule" to the reason (got "*/10 * * * *")',
  ],
  "Benji restore drill every 30 minutes": [
    'cluster-backup:flows.benji.drill.schedule: runs 30m after the previous run at times; expected at most one run per 1h (every run restores a whole volume: runs queue up and never finish); to accept it anyway set overrides."flows.benji.drill.schedule" to the reason (got "*/30 * * * *")',
  ],
  "Benji drill timeout in words": ['cluster-backup:flows.benji.drill.timeout: expected a positive Go duration such as \'30m\', \'4h\' or \'1h30m\' (got "6 hours")'],
  "Benji metadata backup at hour 25": ['cluster-backup:flows.benji.metadataBackup.schedule: not a valid cron expression (Constraint error, got value 25 expected range 0-23) (got "0 25 * * *")'],
  "Benji latest1": [
    "cluster-backup:flows.benji.retention: keeps 1 version of volumes backed up every 1d ('30 7 * * *'); expected at least 2 restore points, e.g. 'latest7' or 'latest3,days7,weeks4'; to accept it anyway set overrides.\"flows.benji.retention\" to the reason (got \"latest1\")"
  ],
  "Benji days1": [
    "cluster-backup:flows.benji.retention: keeps 1 version of volumes backed up every 1d ('30 7 * * *'); expected at least 2 restore points, e.g. 'latest7' or 'latest3,days7,weeks4'; to accept it anyway set overrides.\"flows.benji.retention\" to the reason (got \"days1\")"
  ],
  "Benji hours24 of daily backups": [
    "cluster-backup:flows.benji.retention: keeps 1 version of volumes backed up every 1d ('30 7 * * *'); expected at least 2 restore points, e.g. 'latest7' or 'latest3,days7,weeks4'; to accept it anyway set overrides.\"flows.benji.retention\" to the reason (got \"hours24\")"
  ],
  "zrepl grid of one hour": [
    "cluster-backup:flows.zrepl.receiverGrid: keeps 1h of history on the backup node; expected at least 1d (data deleted or encrypted on the source is otherwise replicated over every copy before anyone looks), e.g. '1x1h(keep=all) | 24x1h | 30x1d'; to accept it anyway set overrides.\"flows.zrepl.receiverGrid\" to the reason (got \"6x10m\")"
  ],
  "zrepl grid of 13 hours": [
    "cluster-backup:flows.zrepl.receiverGrid: keeps 13h of history on the backup node; expected at least 1d (data deleted or encrypted on the source is otherwise replicated over every copy before anyone looks), e.g. '1x1h(keep=all) | 24x1h | 30x1d'; to accept it anyway set overrides.\"flows.zrepl.receiverGrid\" to the reason (got \"1x1h(keep=all) | 12x1h\")"
  ],
  "zrepl grid of a day of weekly snapshots": [
    "cluster-backup:flows.zrepl.receiverGrid: keeps 0 snapshots taken every 1w (flows.zrepl.snapshotInterval); expected at least 2 restore points; to accept it anyway set overrides.\"flows.zrepl.receiverGrid\" to the reason (got \"1x1d\")"
  ],
  "fs-backup timeout of 30 minutes": [
    "cluster-backup:velero.fsBackupTimeout: is shorter than 1h: a large tenant volume takes longer than that to copy, and Velero marks the backup PartiallyFailed when it expires (Velero's own default is 4h); to accept it anyway set overrides.\"velero.fsBackupTimeout\" to the reason (got \"30m\")"
  ],
  "dump hook timeout of 10 seconds": [
    "cluster-backup:flows.postgres.hookTimeout: is shorter than 5m: pg_dumpall of a production database takes minutes; when the hook times out the backup holds no dump; to accept it anyway set overrides.\"flows.postgres.hookTimeout\" to the reason (got \"10s\")"
  ],
  "post-hook timeout of 5 seconds": [
    "cluster-backup:flows.postgres.postHookTimeout: is shorter than 1m: the post-hook deletes the dump from the emptyDir; when it times out the next dump may not fit; to accept it anyway set overrides.\"flows.postgres.postHookTimeout\" to the reason (got \"5s\")"
  ],
  "CSI snapshot timeout of one minute": [
    "cluster-backup:flows.garageMetaCeph.csiSnapshotTimeout: is shorter than 5m: a Ceph RBD snapshot under load takes minutes to become ready (Velero's default is 10m); to accept it anyway set overrides.\"flows.garageMetaCeph.csiSnapshotTimeout\" to the reason (got \"1m\")"
  ],
  "dump volume '20' (20 bytes)": [
    "cluster-backup:flows.postgres.dumpVolumeSizeLimit: has no unit: '20' is 20 bytes; expected a size with a unit such as '20Mi' or '20Gi' (Ki, Mi, Gi, Ti, Pi, Ei or k, M, G, T, P, E) (got \"20\")"
  ],
  "dump volume '20m' (milli-bytes)": [
    "cluster-backup:flows.postgres.dumpVolumeSizeLimit: 'm' is milli (thousandths of a byte); expected a size with a unit such as '20Gi' or '500Mi' (Ki, Mi, Gi, Ti, Pi, Ei or k, M, G, T, P, E) (got \"20m\")"
  ],
  "dump volume '20GB'": [
    "cluster-backup:flows.postgres.dumpVolumeSizeLimit: expected a Kubernetes quantity with a unit such as '20Gi' or '512Mi' (Ki, Mi, Gi, Ti, Pi, Ei or k, M, G, T, P, E; case matters: 'Gi', not 'gi' or 'GB') (got \"20GB\")"
  ],
  "dump volume '20gi'": [
    "cluster-backup:flows.postgres.dumpVolumeSizeLimit: expected a Kubernetes quantity with a unit such as '20Gi' or '512Mi' (Ki, Mi, Gi, Ti, Pi, Ei or k, M, G, T, P, E; case matters: 'Gi', not 'gi' or 'GB') (got \"20gi\")"
  ],
  "dump volume '0Gi'": [
    "cluster-backup:flows.postgres.dumpVolumeSizeLimit: is zero; expected a positive size such as '20Gi' (got \"0Gi\")"
  ],
  "dump volume '-20Gi'": [
    "cluster-backup:flows.postgres.dumpVolumeSizeLimit: expected a positive size written with a unit such as '20Gi' (Ki, Mi, Gi, Ti, Pi, Ei or k, M, G, T, P, E; no sign, no exponent) (got \"-20Gi\")"
  ],
  "dump volume of 100Mi": [
    "cluster-backup:flows.postgres.dumpVolumeSizeLimit: is below 1Gi: the emptyDir holds the whole pg_dumpall output; when the dump outgrows it the kubelet evicts the Postgres pod; to accept it anyway set overrides.\"flows.postgres.dumpVolumeSizeLimit\" to the reason (got \"100Mi\")"
  ],
  "node-agent memory '2048'": [
    "cluster-backup:velero.nodeAgent.memoryLimit: has no unit: '2048' is 2048 bytes; expected a size with a unit such as '2048Mi' or '2048Gi' (Ki, Mi, Gi, Ti, Pi, Ei or k, M, G, T, P, E) (got \"2048\")"
  ],
  "node-agent memory below its request": [
    "cluster-backup:velero.nodeAgent.memoryLimit: is below 512Mi: kopia uploads of large volumes get OOM-killed below it (node-agent requests 512Mi; a limit below the request is refused by the API server) (got \"256Mi\")"
  ],
  "node-agent memory of 768Mi": [
    "cluster-backup:velero.nodeAgent.memoryLimit: is below 1Gi: kopia uploads of large volumes get OOM-killed below it (node-agent requests 512Mi; a limit below the request is refused by the API server); to accept it anyway set overrides.\"velero.nodeAgent.memoryLimit\" to the reason (got \"768Mi\")"
  ],
  "MinIO volume '10'": [
    "cluster-backup:storage.minio.size: has no unit: '10' is 10 bytes; expected a size with a unit such as '10Mi' or '10Gi' (Ki, Mi, Gi, Ti, Pi, Ei or k, M, G, T, P, E) (got \"10\")"
  ],
  "MinIO volume of 500Mi": [
    "cluster-backup:storage.minio.size: is below 1Gi: the MinIO volume holds every backup of the stack; to accept it anyway set overrides.\"storage.minio.size\" to the reason (got \"500Mi\")"
  ],
  "Velero in kube-system": [
    "cluster-backup:velero.namespace: 'kube-system' belongs to Kubernetes (the 'kube-' prefix is reserved): this program creates the namespace, sets its Pod Security labels and deletes it (with everything in it) on destroy; expected a namespace of its own such as 'backup-system' (got \"kube-system\")"
  ],
  "Velero in default": [
    "cluster-backup:velero.namespace: 'default' belongs to Kubernetes: this program creates the namespace, sets its Pod Security labels and deletes it (with everything in it) on destroy; expected a namespace of its own such as 'backup-system' (got \"default\")"
  ],
  "Velero in kube-public": [
    "cluster-backup:velero.namespace: 'kube-public' belongs to Kubernetes (the 'kube-' prefix is reserved): this program creates the namespace, sets its Pod Security labels and deletes it (with everything in it) on destroy; expected a namespace of its own such as 'backup-system' (got \"kube-public\")"
  ],
  "Velero in a kube- namespace": [
    "cluster-backup:velero.namespace: 'kube-backup' belongs to Kubernetes (the 'kube-' prefix is reserved): this program creates the namespace, sets its Pod Security labels and deletes it (with everything in it) on destroy; expected a namespace of its own such as 'backup-system' (got \"kube-backup\")"
  ],
  "MinIO in kube-node-lease": [
    "cluster-backup:storage.minio.namespace: 'kube-node-lease' belongs to Kubernetes (the 'kube-' prefix is reserved): this program creates the namespace, sets its Pod Security labels and deletes it (with everything in it) on destroy; expected a namespace of its own such as 'minio' (got \"kube-node-lease\")"
  ],
  "MinIO in Velero's namespace": [
    "cluster-backup:storage.minio.namespace: is also velero.namespace: each component owns its namespace (one Namespace object each, with its own Pod Security level); expected a namespace of its own such as 'minio' (got \"backup-system\")"
  ],
  "Benji in Velero's namespace": [
    "cluster-backup:flows.benji.namespace: is also velero.namespace: each component owns its namespace (one Namespace object each, with its own Pod Security level); expected a namespace of its own such as 'benji' (got \"backup-system\")"
  ],
  "zrepl in Garage's namespace": [
    "cluster-backup:flows.zrepl.namespace: is storage.garage.namespace (Garage's namespace): this program creates the namespace, sets its Pod Security labels and deletes it (with everything in it) on destroy; expected a namespace of its own such as 'zrepl' (got \"garage\")"
  ],
  "Velero in Rook's namespace": [
    "cluster-backup:velero.namespace: is csi.cephRbd.snapshotterSecret.namespace (Rook-Ceph's namespace): this program creates the namespace, sets its Pod Security labels and deletes it (with everything in it) on destroy; expected a namespace of its own such as 'backup-system' (got \"rook-ceph\")"
  ],
  "Velero in the Postgres namespace": [
    "cluster-backup:velero.namespace: is flows.postgres.workload.namespace (the Postgres workload's namespace): this program creates the namespace, sets its Pod Security labels and deletes it (with everything in it) on destroy; expected a namespace of its own such as 'backup-system' (got \"postgres\")"
  ],
  "system excludes '*'": [
    "cluster-backup:flows.system.excludedNamespaces: '*' excludes every namespace: system-daily would back up no namespaced resource at all; to back up nothing, set flows.system.enabled: false (got [\"*\"])"
  ],
  "system excludes '?*'": [
    "cluster-backup:flows.system.excludedNamespaces: '?*' excludes every namespace: system-daily would back up no namespaced resource at all; to back up nothing, set flows.system.enabled: false (got [\"?*\",\"postgres\"])"
  ],
  "system exclusions reduced to postgres": [
    "cluster-backup:flows.system.excludedNamespaces: does not exclude 'cust-*' (flows.tenants.namespaceGlob): every tenant volume would be copied a second time; add 'cust-*'; to accept it anyway set overrides.\"flows.system.excludedNamespaces\" to the reason (got [\"postgres\"])",
    "cluster-backup:flows.system.excludedNamespaces: does not exclude 'backup-system' (velero.namespace): Velero's credentials and kopia password would be copied into the backups; add 'backup-system'; to accept it anyway set overrides.\"flows.system.excludedNamespaces\" to the reason (got [\"postgres\"])",
    "cluster-backup:flows.system.excludedNamespaces: does not exclude 'minio' (storage.minio.namespace): MinIO's volume, the backups themselves, would be copied into the backups; add 'minio'; to accept it anyway set overrides.\"flows.system.excludedNamespaces\" to the reason (got [\"postgres\"])"
  ],
  "prod system exclusions without Garage and zrepl": [
    "cluster-backup:flows.system.excludedNamespaces: does not exclude 'zrepl' (flows.zrepl.namespace): zrepl's TLS keys would be copied into the backups; add 'zrepl'; to accept it anyway set overrides.\"flows.system.excludedNamespaces\" to the reason (got [\"cust-*\",\"postgres\",\"backup-system\",\"kube-public\"])",
    "cluster-backup:flows.system.excludedNamespaces: does not exclude 'garage' (storage.garage.namespace): Garage's data and metadata volumes (covered by their own flows) would be copied file by file every day; add 'garage'; to accept it anyway set overrides.\"flows.system.excludedNamespaces\" to the reason (got [\"cust-*\",\"postgres\",\"backup-system\",\"kube-public\"])"
  ],
  "MinIO bucket shaped like an IP address": [
    "cluster-backup:velero.locations.default.bucket: minio bucket '192.168.1.10' is formatted as an IP address, which S3 stores refuse as a bucket name (got \"192.168.1.10\")"
  ],
  "MinIO bucket with '..'": [
    "cluster-backup:velero.locations.default.bucket: minio bucket 'a..b' has an empty label or one starting or ending with '-' ('..', '.-' or '-.') (got \"a..b\")"
  ],
  "MinIO bucket with '.-'": [
    "cluster-backup:velero.locations.default.bucket: minio bucket 'a.-b' has an empty label or one starting or ending with '-' ('..', '.-' or '-.') (got \"a.-b\")"
  ],
  "AWS bucket with a dot": [
    "cluster-backup:velero.locations.default.bucket: aws bucket 'acme-backups.velero' contains '.': AWS buckets are addressed virtual-hosted over HTTPS and a dotted name does not match the *.s3.amazonaws.com certificate; use '-' (got \"backups.velero\")"
  ],
  "AWS bucket ending in -s3alias": [
    "cluster-backup:velero.locations.default.bucket: aws bucket 'acme-x-s3alias' ends with the reserved suffix '-s3alias' (got \"x-s3alias\")"
  ],
  "AWS bucket ending in --ol-s3": [
    "cluster-backup:velero.locations.default.bucket: aws bucket 'acme-x--ol-s3' ends with the reserved suffix '--ol-s3' (got \"x--ol-s3\")"
  ],
  "AWS bucket prefix 'xn--'": [
    "cluster-backup:velero.locations.default.bucket: aws bucket 'xn--acme-velero' starts with the reserved prefix 'xn--' (got \"velero\")"
  ],
  "AWS bucket prefix 'sthree-'": [
    "cluster-backup:velero.locations.default.bucket: aws bucket 'sthree-acme-velero' starts with the reserved prefix 'sthree-' (got \"velero\")"
  ],
  "Garage bucket 'xn--'": [
    "cluster-backup:velero.locations.postgres.bucket: garage bucket 'xn--pg' starts with the reserved prefix 'xn--' (got \"xn--pg\")"
  ],
  "Scaleway bucket with '..'": [
    "cluster-backup:velero.locations.system.bucket: scaleway bucket 'acme-k8s-prod-sys..tem' has two adjacent periods (got \"sys..tem\")"
  ],
  "Benji bucket on Garage shaped like an IP address": [
    "cluster-backup:flows.benji.storage.bucket: garage bucket '10.1.2.3' is formatted as an IP address, which S3 stores refuse as a bucket name (got \"10.1.2.3\")"
  ],
  "pod volume path /etc": [
    "cluster-backup:velero.nodeAgent.podVolumePath: is not a kubelet pods directory; expected one of /var/lib/kubelet/pods, /var/lib/rancher/k3s/agent/kubelet/pods, /var/snap/microk8s/common/var/lib/kubelet/pods, /var/lib/k0s/kubelet/pods, /opt/rke/var/lib/kubelet/pods, or a custom kubelet --root-dir followed by '/pods' (an absolute path outside /etc, /proc, /sys, /dev, /boot, /bin, /sbin, /usr, /lib, /lib64, /root, /run, /tmp) (got \"/etc\")"
  ],
  "pod volume path without /pods": [
    "cluster-backup:velero.nodeAgent.podVolumePath: is not a kubelet pods directory; expected one of /var/lib/kubelet/pods, /var/lib/rancher/k3s/agent/kubelet/pods, /var/snap/microk8s/common/var/lib/kubelet/pods, /var/lib/k0s/kubelet/pods, /opt/rke/var/lib/kubelet/pods, or a custom kubelet --root-dir followed by '/pods' (an absolute path outside /etc, /proc, /sys, /dev, /boot, /bin, /sbin, /usr, /lib, /lib64, /root, /run, /tmp) (got \"/var/lib/kubelet\")"
  ],
  "pod volume path with a trailing slash": [
    "cluster-backup:velero.nodeAgent.podVolumePath: is not a kubelet pods directory; expected one of /var/lib/kubelet/pods, /var/lib/rancher/k3s/agent/kubelet/pods, /var/snap/microk8s/common/var/lib/kubelet/pods, /var/lib/k0s/kubelet/pods, /opt/rke/var/lib/kubelet/pods, or a custom kubelet --root-dir followed by '/pods' (an absolute path outside /etc, /proc, /sys, /dev, /boot, /bin, /sbin, /usr, /lib, /lib64, /root, /run, /tmp) (got \"/var/lib/kubelet/pods/\")"
  ],
  "pod volume path climbing out with ..": [
    "cluster-backup:velero.nodeAgent.podVolumePath: is not a kubelet pods directory; expected one of /var/lib/kubelet/pods, /var/lib/rancher/k3s/agent/kubelet/pods, /var/snap/microk8s/common/var/lib/kubelet/pods, /var/lib/k0s/kubelet/pods, /opt/rke/var/lib/kubelet/pods, or a custom kubelet --root-dir followed by '/pods' (an absolute path outside /etc, /proc, /sys, /dev, /boot, /bin, /sbin, /usr, /lib, /lib64, /root, /run, /tmp) (got \"/var/lib/../../etc/pods\")"
  ],
  "pod volume path under /proc": [
    "cluster-backup:velero.nodeAgent.podVolumePath: is not a kubelet pods directory; expected one of /var/lib/kubelet/pods, /var/lib/rancher/k3s/agent/kubelet/pods, /var/snap/microk8s/common/var/lib/kubelet/pods, /var/lib/k0s/kubelet/pods, /opt/rke/var/lib/kubelet/pods, or a custom kubelet --root-dir followed by '/pods' (an absolute path outside /etc, /proc, /sys, /dev, /boot, /bin, /sbin, /usr, /lib, /lib64, /root, /run, /tmp) (got \"/proc/1/root/pods\")"
  ],
  "extraValues image tag": [
    "cluster-backup:velero.extraValues.image.tag: is set by this program (chart value image.tag); use velero.image instead (got \"v1.12.0\")"
  ],
  "extraValues credentials": [
    "cluster-backup:velero.extraValues.credentials.useSecret: is set by this program (chart value credentials.useSecret); use velero.locations and storage.<backend> (one generated credential per backend) instead (got false)"
  ],
  "extraValues storage locations": [
    "cluster-backup:velero.extraValues.configuration.backupStorageLocation: is set by this program (chart value configuration.backupStorageLocation); use velero.locations instead (got [{\"name\":\"x\",\"bucket\":\"y\"}])"
  ],
  "extraValues volume snapshot locations": [
    "cluster-backup:velero.extraValues.configuration.volumeSnapshotLocation: is set by this program (chart value configuration.volumeSnapshotLocation); use csi and flows.garageMetaCeph/garageDataZfs (CSI snapshots, no volume snapshot locations) instead (got [{\"name\":\"x\"}])"
  ],
  "extraValues schedules": [
    "cluster-backup:velero.extraValues.schedules: is set by this program (chart value schedules); use flows.<flow> (the Schedules are objects of this program) instead (got {\"nightly\":{\"schedule\":\"0 0 * * *\"}})"
  ],
  "extraValues initContainers": [
    "cluster-backup:velero.extraValues.initContainers: is set by this program (chart value initContainers); use velero.awsPluginImage instead (got [])"
  ],
  "extraValues node-agent pod path": [
    "cluster-backup:velero.extraValues.nodeAgent.podVolumePath: is set by this program (chart value nodeAgent.podVolumePath); use velero.nodeAgent.podVolumePath instead (got \"/etc\")"
  ],
  "extraValues node-agent memory limit": [
    "cluster-backup:velero.extraValues.nodeAgent.resources.limits.memory: is set by this program (chart value nodeAgent.resources.limits.memory); use velero.nodeAgent.memoryLimit instead (got \"128Mi\")"
  ],
  "extraValues pod security context": [
    "cluster-backup:velero.extraValues.podSecurityContext: is set by this program (chart value podSecurityContext); it has no pass-through; open an issue if it must change (got {\"runAsUser\":0})"
  ],
  "extraValues feature flags": [
    "cluster-backup:velero.extraValues.configuration.features: is set by this program (chart value configuration.features); use flows.garageMetaCeph/garageDataZfs (EnableCSI follows them) instead (got \"\")"
  ],
  "extraValues ServiceMonitor labels": [
    "cluster-backup:velero.extraValues.metrics.serviceMonitor.additionalLabels: is set by this program (chart value metrics.serviceMonitor.additionalLabels); use monitoring.ruleLabels instead (got {\"a\":\"b\"})"
  ],
  "extraValues replacing nodeAgent by null": [
    "cluster-backup:velero.extraValues.nodeAgent: would replace nodeAgent.podVolumePath, set by this program; use velero.nodeAgent.podVolumePath instead (got null)"
  ],
  "dashboard label key with a space": [
    "cluster-backup:monitoring.dashboard.labelKey: expected a Kubernetes label key such as 'grafana_dashboard' or 'example.com/dashboard' (the grafana chart's sidecar.dashboards.label) (got \"grafana dashboard\")"
  ],
  "dashboard label key replacing an ownership label": [
    "cluster-backup:monitoring.dashboard.labelKey: is a label this program sets on its own objects (app.kubernetes.io/managed-by, app.kubernetes.io/part-of, cluster-backup.io/flow); expected the label Grafana's dashboard sidecar selects by, e.g. 'grafana_dashboard' (got \"app.kubernetes.io/part-of\")"
  ],
  "dashboard label value too long": [
    `cluster-backup:monitoring.dashboard.labelValue: expected a Kubernetes label value (at most 63 letters, digits, '-', '_', '.') (got "${"x".repeat(64)}")`
  ],
  "dashboard folder climbing out of the sidecar's directory": [
    "cluster-backup:monitoring.dashboard.folder: expected a Grafana folder name of letters, digits, spaces, '.', '_' and '-' (one directory, no '/'), e.g. 'Backups' (got \"../etc\")"
  ],
  "dashboard folder with a slash": [
    "cluster-backup:monitoring.dashboard.folder: expected a Grafana folder name of letters, digits, spaces, '.', '_' and '-' (one directory, no '/'), e.g. 'Backups' (got \"Backups/Prod\")"
  ],
  "dashboard folder annotation with two slashes": [
    "cluster-backup:monitoring.dashboard.folderAnnotation: expected an annotation key such as 'k8s-sidecar-target-directory' or 'example.com/grafana-folder' (the grafana chart's sidecar.dashboards.folderAnnotation) (got \"a/b/c\")"
  ],
  "dashboard namespace not a Kubernetes name": [
    "cluster-backup:monitoring.dashboard.namespace: expected a Kubernetes name (lowercase letters, digits and '-', at most 63 characters) (got \"Monitoring\")"
  ],
  "dashboard enabled as a string": [
    "cluster-backup:monitoring.dashboard.enabled: Invalid input: expected boolean, received string (got \"yes\")"
  ],
  "dashboard key misspelt": [
    "cluster-backup:monitoring.dashboard.lableKey: unknown key; expected one of: enabled, namespace, labelKey, labelValue, folder, folderAnnotation"
  ],
  "an override that lifts nothing": [
    "cluster-backup:overrides.flows.tenants.ttl: lifts no guard: 'flows.tenants.ttl' is within its floor or is no key with an overridable floor; remove the override"
  ],
  "an override without a reason": [
    "cluster-backup:overrides.flows.tenants.ttl: expected the reason for lifting this guard (at least 10 characters); it is printed in summary.md and coverage.md (got \"ok\")"
  ],
  "an override of a guard that has none": [
    "cluster-backup:velero.namespace: 'kube-system' belongs to Kubernetes (the 'kube-' prefix is reserved): this program creates the namespace, sets its Pod Security labels and deletes it (with everything in it) on destroy; expected a namespace of its own such as 'backup-system' (got \"kube-system\")",
    "cluster-backup:overrides.velero.namespace: lifts no guard: 'velero.namespace' is within its floor or is no key with an overridable floor; remove the override"
  ],
};

describe("config guards: refused with the exact line naming the key", () => {
  it("holds at least 40 mistaken or hostile configs, each with its expected lines", () => {
    expect(BAD.length).toBeGreaterThanOrEqual(40);
    expect(Object.keys(EXPECTED).sort()).toEqual(BAD.map((c) => c.name).sort());
  });

  it.each(BAD.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const lines = problemsOf(c);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines).toEqual(EXPECTED[c.name]);
  });
});

describe("config guards: a tenants backup every minute", () => {
  it("is refused on flows.tenants.schedule (the drill window rule may refuse its drill schedule too)", () => {
    expect(problemsOf({ name: "tenants every minute", stack: "dev", config: { flows: { tenants: { schedule: "* * * * *" } } } })).toContain(
      'cluster-backup:flows.tenants.schedule: runs 1m after the previous run at times; expected at most one run per 1h (every run is a full pass over every volume: runs queue up and never finish); to accept it anyway set overrides."flows.tenants.schedule" to the reason (got "* * * * *")',
    );
  });
});

describe("config guards: good configs still pass", () => {
  it.each(GOOD.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    expect(problemsOf(c)).toEqual([]);
  });
});

describe("config guards: overrides are named and reported", () => {
  const config = rawConfig({
    ...DEV_BASE,
    flows: { tenants: { ttl: "24h" }, system: { enabled: true, excludedNamespaces: ["cust-*", "postgres", "backup-system"] } },
    overrides: { "flows.tenants.ttl": "dev laptop: a day of history is enough", "flows.system.excludedNamespaces": "dev: MinIO test data may be copied" },
  });

  it("lists each lifted guard with its reason and what it would have refused", () => {
    const accepted = acceptedOverrides(parseStackConfig(config, new Set(), "dev"));
    expect(accepted).toEqual([
      {
        key: "flows.tenants.ttl",
        reason: "dev laptop: a day of history is enough",
        lifted: ["keeps fewer than 2 restore points: expected at least 52h (2 × the 1d between runs of '0 1 * * *' + 4h run time, velero.fsBackupTimeout)"],
      },
      {
        key: "flows.system.excludedNamespaces",
        reason: "dev: MinIO test data may be copied",
        lifted: ["does not exclude 'minio' (storage.minio.namespace): MinIO's volume, the backups themselves, would be copied into the backups; add 'minio'"],
      },
    ]);
    expect(overrideSummaryNotes(accepted)[0]).toBe(
      'Guard lifted by overrides."flows.tenants.ttl" (dev laptop: a day of history is enough): flows.tenants.ttl keeps fewer than 2 restore points: expected at least 52h (2 × the 1d between runs of \'0 1 * * *\' + 4h run time, velero.fsBackupTimeout)',
    );
  });

  it("summary.md notes and coverage.md gaps show every lifted guard", async () => {
    const plan = await planWith("dev", {
      flows: { tenants: { enabled: true, ttl: "24h", optOutSync: true }, system: { enabled: true, ttl: "168h0m0s" }, postgres: { enabled: true } },
      overrides: { "flows.tenants.ttl": "dev laptop: a day of history is enough" },
    });
    const files = buildPlanFiles("dev", plan.run).files;
    expect(files.get("summary.md")).toContain(
      '- Guard lifted by overrides."flows.tenants.ttl" (dev laptop: a day of history is enough): flows.tenants.ttl keeps fewer than 2 restore points',
    );
    expect(files.get("coverage.md")).toContain(
      '- **guard-lifted** — flows.tenants.ttl keeps fewer than 2 restore points: expected at least 52h (2 × the 1d between runs of \'0 1 * * *\' + 4h run time, velero.fsBackupTimeout) — accepted by overrides."flows.tenants.ttl": dev laptop: a day of history is enough',
    );
    expect(JSON.parse(files.get("coverage.json")!).gaps.filter((g: { kind: string }) => g.kind === "guard-lifted")).toHaveLength(1);
  });
});

describe("guard helpers", () => {
  it("byte quantities need a unit and parse binary and decimal suffixes", () => {
    expect(parseByteQuantity("20Gi")).toBe(20 * 2 ** 30);
    expect(parseByteQuantity("1.5Gi")).toBe(1.5 * 2 ** 30);
    expect(parseByteQuantity("500M")).toBe(500e6);
    expect(parseByteQuantity(".5Ki")).toBe(512);
    for (const bad of ["20", "20m", "20e9", "+20Gi", "20 Gi", "Gi", ""]) expect(parseByteQuantity(bad)).toBeUndefined();
    expect(byteQuantityError("20e9")).toBe("expected a positive size written with a unit such as '20Gi' (Ki, Mi, Gi, Ti, Pi, Ei or k, M, G, T, P, E; no sign, no exponent)");
    expect(byteQuantityError("512Mi")).toBeUndefined();
  });

  it("bucket names per backend", () => {
    expect(bucketNameError("aws", "my-backups")).toBeUndefined();
    expect(bucketNameError("aws", "amzn-s3-demo-x")).toBe("starts with the reserved prefix 'amzn-s3-demo-'");
    expect(bucketNameError("aws", "x.mrap")).toBe("contains '.': AWS buckets are addressed virtual-hosted over HTTPS and a dotted name does not match the *.s3.amazonaws.com certificate; use '-'");
    expect(bucketNameError("minio", "ab")).toBe("is 2 characters long; expected 3 to 63");
    expect(bucketNameError("garage", "-abc")).toBe("must begin and end with a lowercase letter or digit");
    expect(bucketNameError("scaleway", "Velero")).toBe("may hold only lowercase letters, digits, '.' and '-'");
    expect(bucketNameError("minio", "10.0.0.1")).toBe("is formatted as an IP address, which S3 stores refuse as a bucket name");
    expect(bucketNameError("minio", "10.0.0.1a")).toBeUndefined();
    expect(bucketNameError("scaleway", "velero.backups")).toBeUndefined();
  });

  it("kubelet pod paths", () => {
    for (const ok of ["/var/lib/kubelet/pods", "/var/snap/microk8s/common/var/lib/kubelet/pods", "/mnt/kubelet/pods"]) expect(podVolumePathError(ok)).toBeUndefined();
    for (const bad of ["/", "/pods", "pods", "/var/lib/kubelet/pods/..", "/etc/kubelet/pods", "/var/lib/kubelet/pods\n", "/tmp/pods"]) expect(podVolumePathError(bad)).toMatch(/^is not a kubelet pods directory/);
  });

  it("restore points kept by Benji and zrepl retention", () => {
    expect(benjiRestorePoints("latest7", 86400)).toBe(7);
    expect(benjiRestorePoints("latest1,days7", 86400)).toBe(7);
    expect(benjiRestorePoints("hours48", 86400)).toBe(2);
    expect(benjiRestorePoints("weeks4", 86400)).toBe(4);
    expect(benjiRestorePoints("months1", 7 * 86400)).toBe(1);
    expect(benjiRestorePoints("days14", 7 * 86400)).toBe(2);
    expect(zreplGridRestorePoints("1x1h(keep=all) | 24x1h | 30x1d | 6x30d", 600)).toBe(6 + 24 + 30 + 6);
    expect(zreplGridRestorePoints("1x1h(keep=2)", 600)).toBe(2);
  });

  it("shortest gap between cron runs", () => {
    expect(cronMinIntervalSeconds("0 1 * * *")).toBe(86400);
    expect(cronMinIntervalSeconds("* 1 * * *")).toBe(60);
    expect(cronMinIntervalSeconds("0 1,2 * * *")).toBe(3600);
  });

  it("derives the owned chart values from the values builder", () => {
    for (const path of ["image.repository", "image.tag", "initContainers", "credentials.existingSecret", "configuration.backupStorageLocation", "configuration.volumeSnapshotLocation", "schedules", "nodeAgent.podVolumePath", "nodeAgent.containerSecurityContext.privileged", "nodeAgent.resources.limits.memory", "podSecurityContext"]) {
      expect(OWNED_CHART_PATHS).toContain(path);
    }
    for (const tunable of ["resources.limits.memory", "nodeAgent.resources.requests.cpu", "configuration.logLevel", "nodeAgent.tolerations"]) expect(OWNED_CHART_PATHS).not.toContain(tunable);
  });
});
