/**
 * RESTORE.md: the restore runbook of one stack, with that stack's real names (Velero namespace, Schedules, locations,
 * buckets, namespaces, workloads, datasets, nodes, CronJobs), generated from the same run as the plan. Every section
 * carries the anchor the alerts link to (components/runbook-anchors.ts). Facts: SPEC §2(a), §3.4.6, §3.5, §3.6,
 * §3.7. Pure.
 */
import { parse } from "yaml";
import { BACKUP_LABEL, BACKUP_THIS_PVC_LABEL, BENJI_INSTANCE_LABEL, DRILL_LABEL, DRILL_NAMESPACE_PREFIX, FLOW_LABEL, RESTORED_FROM_LABEL, TENANT_LABEL, TENANT_NAMESPACE_PREFIX, VELERO_ANNOTATIONS, VELERO_EXCLUDE_LABEL } from "../../components/labels";
import { VELERO_NODE_AGENT_DAEMONSET } from "../../components/monitoring/targets";
import { DUMP_PATH } from "../../components/postgres/hooks";
import { globToRegExp } from "../../components/schema/namespace-glob";
import { RUNBOOK_ANCHORS, type RunbookAnchor } from "../../components/runbook-anchors";
import { credentialSecretName, CREDENTIALS_KEY, REPO_CREDENTIALS_SECRET, REPO_PASSWORD_KEY } from "../../components/velero/values";
import { labelsOf, matchLabelsText, splitVeleroCron, zreplConfig, type Coverage } from "./coverage";
import type { Registration } from "./run-program";
import { RESTORE_NAME_LABEL, SCHEDULE_NAME_LABEL } from "./restore/velero-types";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface RunbookInput {
  readonly stack: string;
  /** Kubernetes objects the stack applies. */
  readonly objects: readonly Obj[];
  /** All registrations (provider, stack reference, chart). */
  readonly registrations: readonly Registration[];
  readonly exports: Readonly<Record<string, unknown>>;
  readonly coverage: Coverage;
}

/** Placeholders the operator fills in. */
const TS = "<yyyyMMddHHmmss>";

interface Names {
  readonly stack: string;
  readonly velero: string;
  readonly schedules: ReadonlyMap<string, Obj>;
  readonly bsls: Readonly<Record<string, Obj>>;
  readonly objects: readonly Obj[];
  /** The demo tenant namespace (export demoTenantNamespace), if the stack has one. */
  readonly demoTenant?: string;
}

function anchor(id: RunbookAnchor, title: string): string[] {
  return [`<a id="${id}"></a>`, "", `## ${title}`, ""];
}

function sh(...lines: string[]): string[] {
  return ["```sh", ...lines, "```", ""];
}

function scheduleOf(n: Names, flow: string): Obj | undefined {
  return n.schedules.get(flow);
}

/** The (first) namespace or glob a Schedule includes. */
function includedNamespace(s: Obj): string {
  return String((s.spec.template.includedNamespaces as string[])[0]);
}

/** A Schedule's matchLabels as `velero restore create --selector` takes them. */
function selectorOf(s: Obj): string {
  return matchLabelsText((s.spec.template.labelSelector?.matchLabels ?? {}) as Record<string, string>);
}

function scheduleLine(n: Names, s: Obj): string {
  const t = s.spec.template as Obj;
  const { cron, timeZone } = splitVeleroCron(String(s.spec.schedule));
  const bsl = n.bsls[String(t.storageLocation)];
  const where = bsl ? `${bsl.backend} bucket \`${bsl.bucket}\`${bsl.prefix ? `, prefix \`${bsl.prefix}\`` : ""}` : "";
  return `Schedule \`${s.metadata.name}\` runs \`${cron}\` (${timeZone ?? "UTC"}) and keeps each backup ${t.ttl}; backups are named \`${s.metadata.name}-${TS}\` (UTC) and stored in location \`${t.storageLocation}\`${where ? ` (${where})` : ""}.`;
}

function notEnabled(what: string, key: string): string[] {
  return [`Not enabled in stack \`${what}\` (\`${key}\`): nothing to restore from.`, ""];
}

function listBackups(n: Names, schedule: string): string[] {
  return sh(`velero -n ${n.velero} backup get -l ${SCHEDULE_NAME_LABEL}=${schedule}`, `velero -n ${n.velero} backup describe ${schedule}-${TS} --details`);
}

function clusterAccess(input: RunbookInput, n: Names): string[] {
  const provider = input.registrations.find((r) => r.type === "pulumi:providers:kubernetes");
  const stackRef = input.registrations.find((r) => r.type === "pulumi:pulumi:StackReference");
  const context = provider?.inputs.context as string | undefined;
  const access = context
    ? [`This stack deploys to kubeconfig context \`${context}\`:`, "", ...sh(`kubectl config use-context ${context}`)]
    : stackRef
      ? [
          `This stack reads its kubeconfig from stack \`${stackRef.inputs.name}\` (its output named by \`kubernetes.kubeconfigOutput\`):`,
          "",
          ...sh(`pulumi stack output --stack ${stackRef.inputs.name} --show-secrets kubeconfig > kubeconfig-${n.stack}.yaml`, `export KUBECONFIG=$PWD/kubeconfig-${n.stack}.yaml`),
        ]
      : ["Point `KUBECONFIG` at the cluster of this stack.", ""];
  return [
    "## Before you start",
    "",
    ...access,
    `Velero runs in namespace \`${n.velero}\`: every \`velero\` command needs \`-n ${n.velero}\` (as written below), or set it once:`,
    "",
    ...sh(`velero client config set namespace=${n.velero}`, `velero -n ${n.velero} backup-location get`),
    "Velero never overwrites: a restore skips every object that already exists (PV data included) and deletes nothing. Restore into a namespace that does not exist, or next to the original with a namespace mapping.",
    "",
  ];
}

function tenantsSection(n: Names): string[] {
  const s = scheduleOf(n, "tenants");
  if (!s) return notEnabled(n.stack, "flows.tenants.enabled");
  const glob = includedNamespace(s);
  const prefix = glob.endsWith("*") ? glob.slice(0, -1) : TENANT_NAMESPACE_PREFIX;
  // The stack's demo tenant, when it has one, is the example: the commands then work as written.
  const demo = typeof n.demoTenant === "string" && globToRegExp(glob).test(n.demoTenant) ? n.demoTenant : undefined;
  const t1 = demo ?? `${prefix}1001`;
  const t2 = `${prefix}1002`;
  const name = s.metadata.name;
  const v = n.velero;
  return [
    `${scheduleLine(n, s)} Each backup holds every namespace matching \`${glob}\` except those labelled \`${VELERO_EXCLUDE_LABEL}=true\` (tenants with \`${BACKUP_LABEL}=false\`): objects plus all pod volumes (fs-backup, kopia).`,
    "",
    ...listBackups(n, name),
    "### One tenant",
    "",
    `\`npm run restore\` picks the newest Completed backup of \`${name}\` that contains the tenant, refuses an existing namespace, creates the Restore and follows it (exit 0 = Completed; \`--help\` lists the other exit codes):`,
    "",
    ...sh(`npm run restore -- --tenant ${t1} --velero-namespace ${v} --schedule ${name} --dry-run`, `npm run restore -- --tenant ${t1} --velero-namespace ${v} --schedule ${name}`, `npm run restore -- --tenant ${t1} --velero-namespace ${v} --schedule ${name} --from-backup ${name}-${TS}`),
    "The same with the velero CLI:",
    "",
    ...sh(`velero -n ${v} restore create ${t1}-${TS} --from-backup ${name}-${TS} --include-namespaces ${t1} --existing-resource-policy none --wait`, `velero -n ${v} restore describe ${t1}-${TS} --details`, `velero -n ${v} restore logs ${t1}-${TS}`),
    "### Several tenants",
    "",
    "One Restore can carry several namespaces of the same backup:",
    "",
    ...sh(`velero -n ${v} restore create tenants-${TS} --from-backup ${name}-${TS} --include-namespaces ${t1},${t2} --existing-resource-policy none --wait`),
    `or one \`npm run restore -- --tenant <ns> --velero-namespace ${v}\` per tenant (each checks its own namespace and backup).`,
    "",
    "### A tenant into a new namespace",
    "",
    "Restore next to the live tenant (namespace mapping) to compare or copy data back:",
    "",
    ...sh(
      `npm run restore -- --tenant ${t1} --as restore-${t1} --velero-namespace ${v}`,
      `kubectl create namespace restore-${t1} && kubectl label namespace restore-${t1} ${VELERO_EXCLUDE_LABEL}=true ${RESTORED_FROM_LABEL}=${t1}`,
      `velero -n ${v} restore create ${t1}-restore-${TS} --from-backup ${name}-${TS} --include-namespaces ${t1} --namespace-mappings ${t1}:restore-${t1} --wait`,
    ),
    `The copy goes into a namespace outside \`${glob}\` created beforehand (\`npm run restore\` does it, with the tenant's Pod Security labels; with the velero CLI the \`kubectl\` line), labelled \`${VELERO_EXCLUDE_LABEL}=true\` and \`${RESTORED_FROM_LABEL}=${t1}\`, without \`${TENANT_LABEL}=true\`: Velero restores into an existing namespace without touching its labels, so neither \`${name}\` nor the drills nor the opt-out sync take the copy for a tenant. \`npm run restore\` refuses \`--as\` names matching \`${glob}\`, \`kube-*\`, \`default\`, \`${DRILL_NAMESPACE_PREFIX}*\` and the backup system's namespaces. The copy gets new PVs filled by the node-agent (fs-restore): delete it when done, and mind Ingress hosts and Services the copy duplicates. Fs-restore adds a \`restore-wait\` init container; PSA-restricted tenants need its securityContext (chart \`configMaps.fs-restore-action-config\`, SPEC §3.4.7). Follow the volume data with \`kubectl -n ${v} get podvolumerestores -l ${RESTORE_NAME_LABEL}=<restore>\`.`,
    "",
  ];
}

function systemSection(n: Names): string[] {
  const s = scheduleOf(n, "system");
  if (!s) return notEnabled(n.stack, "flows.system.enabled");
  const name = s.metadata.name;
  const v = n.velero;
  const excluded = ((s.spec.template.excludedNamespaces ?? []) as string[]).map((x) => `\`${x}\``).join(", ");
  return [
    `${scheduleLine(n, s)} It covers every namespace except ${excluded}, plus cluster-scoped resources.`,
    "",
    ...listBackups(n, name),
    `One system namespace (e.g. PowerDNS); databases annotated with dump hooks come back with their dump in \`/backups\` (load it as in [PostgreSQL](#${RUNBOOK_ANCHORS.postgres})):`,
    "",
    ...sh(`velero -n ${v} restore create system-${TS} --from-backup ${name}-${TS} --include-namespaces <namespace> --wait`),
    "Cluster-scoped resources only (existing ones are skipped, never replaced):",
    "",
    ...sh(`velero -n ${v} restore create cluster-${TS} --from-backup ${name}-${TS} --include-cluster-resources=true --include-resources customresourcedefinitions.apiextensions.k8s.io,clusterroles.rbac.authorization.k8s.io,clusterrolebindings.rbac.authorization.k8s.io,storageclasses.storage.k8s.io --wait`),
  ];
}

function podTemplateOwner(n: Names, namespace: string): { kind: string; name: string; container: string } | undefined {
  const o = n.objects.find(
    (x) => ["StatefulSet", "Deployment"].includes(String(x.kind)) && x.metadata?.namespace === namespace && x.spec?.template?.metadata?.annotations?.[VELERO_ANNOTATIONS.preHookCommand],
  );
  if (!o) return undefined;
  return { kind: String(o.kind).toLowerCase(), name: String(o.metadata.name), container: String(o.spec.template.metadata.annotations[VELERO_ANNOTATIONS.preHookContainer]) };
}

function postgresSection(n: Names): string[] {
  const s = scheduleOf(n, "postgres");
  if (!s) return notEnabled(n.stack, "flows.postgres.enabled");
  const name = s.metadata.name;
  const v = n.velero;
  const ns = includedNamespace(s);
  const owner = podTemplateOwner(n, ns);
  const workload = owner ? `${owner.kind}/${owner.name}` : "<statefulset/postgres>";
  const container = owner?.container ?? "<container>";
  const scratch = `${ns}-restore`;
  return [
    `${scheduleLine(n, s)} Before each backup a hook runs \`pg_dumpall\` in container \`${container}\` of \`${workload}\` into \`${DUMP_PATH}\` (an emptyDir); only that volume is backed up, PGDATA is not.${owner ? "" : " No pod template of this stack carries the hooks: the workload owner applies the `podTemplatePatch` output."}`,
    "",
    ...listBackups(n, name),
    `### Postgres lost (namespace \`${ns}\` gone)`,
    "",
    ...sh(
      `velero -n ${v} restore create ${ns}-${TS} --from-backup ${name}-${TS} --include-namespaces ${ns} --wait`,
      `kubectl -n ${ns} rollout status ${workload}`,
      `kubectl -n ${ns} exec ${workload} -c ${container} -- sh -c 'psql -U "\${POSTGRES_USER:-postgres}" -d postgres -f ${DUMP_PATH}'`,
    ),
    "PGDATA comes back empty (it is not in the backup); the dump is in the restored `/backups` volume. Load it before clients connect.",
    "",
    `### Postgres running, data to roll back`,
    "",
    `Restore next to it, take the dump out, feed it to the live server, then remove the copy:`,
    "",
    ...sh(
      `velero -n ${v} restore create ${scratch}-${TS} --from-backup ${name}-${TS} --include-namespaces ${ns} --namespace-mappings ${ns}:${scratch} --wait`,
      `kubectl -n ${scratch} rollout status ${workload}`,
      `kubectl -n ${scratch} exec ${workload} -c ${container} -- cat ${DUMP_PATH} > dump.sql`,
      `kubectl -n ${ns} exec -i ${workload} -c ${container} -- sh -c 'psql -U "\${POSTGRES_USER:-postgres}" -d postgres' < dump.sql`,
      `kubectl delete namespace ${scratch}`,
    ),
    "`pg_dumpall` output recreates roles and databases: drop (or rename) the databases to roll back first, or edit `dump.sql` down to the ones you need.",
    "",
  ];
}

function garageMetaSection(n: Names): string[] {
  const s = scheduleOf(n, "garage-meta-ceph");
  const benji = n.objects.some((o) => o.kind === "CronJob" && labelsOf(o)[FLOW_LABEL] === "benji");
  if (!s) return [...notEnabled(n.stack, "flows.garageMetaCeph.enabled"), ...(benji ? [`Benji also holds these PVCs: see [Benji](#${RUNBOOK_ANCHORS.benji}).`, ""] : [])];
  const name = s.metadata.name;
  const v = n.velero;
  const ns = includedNamespace(s);
  const selector = selectorOf(s);
  return [
    `${scheduleLine(n, s)} It takes CSI snapshots of the PVCs labelled \`${selector}\` in \`${ns}\` and moves their data to the bucket (data mover, kopia).`,
    "",
    ...listBackups(n, name),
    `1. Stop Garage so nothing writes metadata: \`kubectl -n ${ns} scale statefulset <garage> --replicas=0\`.`,
    `2. Velero restores a PVC only where none exists: move the broken claim away (this deletes it; snapshot it first if in doubt): \`kubectl -n ${ns} delete pvc <pvc>\`.`,
    "3. Restore the labelled PVCs (and their PVs) from the backup; the node-agent downloads the data into new volumes:",
    "",
    ...sh(
      `velero -n ${v} restore create ${name}-${TS} --from-backup ${name}-${TS} --include-namespaces ${ns} --selector ${selector} --include-resources persistentvolumeclaims,persistentvolumes --restore-volumes=true --wait`,
      `kubectl -n ${v} get datadownloads -l ${RESTORE_NAME_LABEL}=${name}-${TS}`,
    ),
    `4. Start Garage again (\`--replicas=<n>\`) and check \`garage status\` in a Garage pod.`,
    "",
    ...(benji ? [`The same PVCs are also in Benji (\`${BACKUP_THIS_PVC_LABEL}=true\`): see [Benji](#${RUNBOOK_ANCHORS.benji}) for a block-level restore.`, ""] : []),
  ];
}

function garageDataZfsSection(n: Names): string[] {
  const s = scheduleOf(n, "garage-data-zfs");
  if (!s) return notEnabled(n.stack, "flows.garageDataZfs.enabled");
  const name = s.metadata.name;
  const v = n.velero;
  const ns = includedNamespace(s);
  const selector = selectorOf(s);
  const vsc = n.objects.find((o) => o.kind === "VolumeSnapshotClass" && String(o.driver).includes("zfs"));
  return [
    `${scheduleLine(n, s)} The snapshots stay in the node's ZFS pool${vsc ? ` (VolumeSnapshotClass \`${vsc.metadata.name}\`, deletionPolicy ${vsc.deletionPolicy})` : ""}: a rollback, not disaster recovery — for a lost node or pool use [the zrepl replica](#${RUNBOOK_ANCHORS.garageDataZrepl}).`,
    "",
    ...listBackups(n, name),
    `Restore the PVCs labelled \`${selector}\` as clones of the snapshots (ZFS-LocalPV creates them on the same node), after stopping Garage and moving the broken claims away:`,
    "",
    ...sh(
      `kubectl -n ${ns} scale statefulset <garage> --replicas=0`,
      `kubectl -n ${ns} delete pvc <pvc>`,
      `velero -n ${v} restore create ${name}-${TS} --from-backup ${name}-${TS} --include-namespaces ${ns} --selector ${selector} --include-resources persistentvolumeclaims,persistentvolumes,volumesnapshots.snapshot.storage.k8s.io,volumesnapshotcontents.snapshot.storage.k8s.io --wait`,
    ),
    "Do not `zfs rollback` by hand: it destroys every later snapshot of the dataset, zrepl's replication base included.",
    "",
  ];
}

function zreplSection(n: Names): string[] {
  const daemonSets = n.objects.filter((o) => o.kind === "DaemonSet" && labelsOf(o)[FLOW_LABEL] === "zrepl");
  const parts = daemonSets.map((ds) => ({ ds, job: ((zreplConfig(n.objects, ds)?.jobs ?? []) as Obj[])[0] }));
  const push = parts.find((p) => p.job?.type === "push");
  const sink = parts.find((p) => p.job?.type === "sink");
  if (!push || !sink) return [...notEnabled(n.stack, "flows.zrepl.enabled"), "Garage data then has no off-node copy.", ""];
  const nodeOf = (ds: Obj) => String(ds.spec?.template?.spec?.nodeSelector?.["kubernetes.io/hostname"] ?? "<node>");
  const source = nodeOf(push.ds);
  const backup = nodeOf(sink.ds);
  const filesystems = Object.keys((push.job.filesystems ?? {}) as Record<string, boolean>);
  const root = String(filesystems[0] ?? "<pool>/<dataset><").replace(/<$/, "");
  const identity = ((sink.job.serve?.client_cns ?? []) as string[])[0] ?? "<client>";
  const replica = `${sink.job.root_fs}/${identity}/${root}`;
  const prefix = String(push.job.snapshotting?.prefix ?? "zrepl_");
  const ns = String(push.ds.metadata.namespace);
  const garageSchedule = scheduleOf(n, "garage-data-zfs") ?? scheduleOf(n, "garage-meta-ceph");
  const garageNs = garageSchedule ? includedNamespace(garageSchedule) : "<garage namespace>";
  return [
    `zrepl job \`${push.job.name}\` (DaemonSet \`${ns}/${push.ds.metadata.name}\` on node \`${source}\`) snapshots ${filesystems.map((f) => `\`${f}\``).join(", ")} every ${push.job.snapshotting?.interval} (\`${prefix}*\`) and sends them to \`${ns}/${sink.ds.metadata.name}\` on node \`${backup}\`, which stores them under \`${replica}/<pvc dataset>\` (received with \`canmount=noauto\`, never mounted there).`,
    "",
    `On \`${backup}\`, find the dataset of the PVC and the snapshot to return to:`,
    "",
    ...sh(`kubectl get pv <pv> -o jsonpath='{.spec.csi.volumeHandle}'   # the dataset name under ${root}`, `zfs list -t snapshot -o name,creation -s creation -r ${replica}/<pvc dataset>`),
    "### Send it back to the Garage node",
    "",
    `1. Stop Garage (\`kubectl -n ${garageNs} scale statefulset <garage> --replicas=0\`) and zrepl's push (\`kubectl -n ${ns} patch daemonset ${push.ds.metadata.name} -p '{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/hostname":"none"}}}}}'\`).`,
    "2. Receive into a new dataset, then swap names (the broken one is kept until the restore is verified):",
    "",
    ...sh(
      `# on ${backup}`,
      `zfs send -R ${replica}/<pvc dataset>@${prefix}<timestamp> | ssh ${source} zfs recv -u ${root}/<pvc dataset>-restored`,
      `# on ${source}`,
      `zfs get -s local all ${root}/<pvc dataset>          # note the properties ZFS-LocalPV set (mountpoint, quota...)`,
      `zfs rename ${root}/<pvc dataset> ${root}/<pvc dataset>-broken`,
      `zfs rename ${root}/<pvc dataset>-restored ${root}/<pvc dataset>`,
      `zfs set canmount=on ${root}/<pvc dataset>           # plus the properties noted above`,
    ),
    `3. Start Garage, check the data, then re-enable the push (\`kubectl -n ${ns} rollout undo daemonset ${push.ds.metadata.name}\`, or \`pulumi up\`). The sink now holds snapshots newer than the source's: rename the sink's copy aside (\`zfs rename ${replica}/<pvc dataset> ${replica}/<pvc dataset>-before-restore\`) so replication starts afresh; destroy the \`-broken\` and \`-before-restore\` datasets once the new replica is complete.`,
    "",
    `### Or promote the replica on \`${backup}\``,
    "",
    `When \`${source}\` is gone, run Garage's data from \`${backup}\`: clone the snapshot into a writable dataset, promote it so it no longer depends on the replica, and point a ZFS-LocalPV volume on \`${backup}\` at it (a \`ZFSVolume\` + PV with \`volumeHandle\` = the dataset name, node affinity \`${backup}\`).`,
    "",
    ...sh(`zfs clone -o canmount=on ${replica}/<pvc dataset>@${prefix}<timestamp> <pool on ${backup}>/<pvc dataset>`, `zfs promote <pool on ${backup}>/<pvc dataset>`),
  ];
}

function benjiSection(n: Names): string[] {
  const cronJobs = n.objects.filter((o) => o.kind === "CronJob" && labelsOf(o)[FLOW_LABEL] === "benji");
  const command = (o: Obj) => ((o.spec?.jobTemplate?.spec?.template?.spec?.containers ?? [])[0]?.command ?? []) as string[];
  const backup = cronJobs.find((o) => command(o)[0] === "benji-backup-pvc");
  if (!backup) return notEnabled(n.stack, "flows.benji.enabled");
  const ns = String(backup.metadata.namespace);
  const enforce = cronJobs.find((o) => command(o)[1] === "enforce");
  const instance = enforce ? /==\s*"([^"]+)"/.exec(command(enforce).at(-1) ?? "")?.[1] : undefined;
  const secret = n.objects.find((o) => o.kind === "Secret" && o.metadata?.namespace === ns && o.stringData?.["benji.yaml"]);
  const config = secret ? (parse(String(secret.stringData["benji.yaml"])) as Obj) : undefined;
  const pools = ((config?.ios ?? []) as Obj[]).filter((io) => io.module === "rbdaio").map((io) => String(io.name));
  const job = (suffix: string, cmd: string[]) =>
    `kubectl -n ${ns} create job benji-${suffix}-$(date +%Y%m%d%H%M) --from=cronjob/${backup.metadata.name} --dry-run=client -o json | jq '.spec.template.spec.containers[0].command = ${JSON.stringify(cmd).replace(/'/g, "'\\''")}' | kubectl create -f -`;
  const filter = `labels["benji-backup.me/k8s-pvc-namespace"] == "<namespace>" and labels["benji-backup.me/k8s-pvc"] == "<pvc>"`;
  return [
    `CronJob \`${ns}/${backup.metadata.name}\` (\`${backup.spec.schedule}\`) backs up every Ceph RBD PVC labelled \`${BACKUP_THIS_PVC_LABEL}=true\`${instance ? `; versions carry \`${BENJI_INSTANCE_LABEL}=${instance}\`` : ""}. Benji commands run as one-off Jobs built from that CronJob (same image, Secrets and service account); read each with \`kubectl -n ${ns} logs job/<name>\`, then delete the Job.`,
    "",
    "1. List the versions of the PVC:",
    "",
    ...sh(job("ls", ["benji-command", "ls", filter])),
    `2. Stop the workload using the PVC. \`benji-restore-pvc\` creates the PVC if it is missing, or overwrites an existing one only with \`--force\` (it must be at least as large as the version). The io of each pool is named after the pool (${pools.length ? pools.map((p) => `\`${p}\``).join(", ") : "one per pool"}), so the restore URL is \`{pool}:{pool}/{image}\` (with a RADOS namespace: \`{pool}:{pool}/{namespace}/{image}\`), not the tool's default \`rbd:…\`:`,
    "",
    ...sh(job("restore", ["benji-restore-pvc", "--restore-url-template", "{pool}:{pool}/{image}", "<version-uid>", "<namespace>", "<pvc>"]), `kubectl -n ${ns} logs -f job/benji-restore-<yyyymmddhhmm>`),
    "3. Start the workload again. To restore next to the original, give a new PVC name (the PVC is created on the pool's default RBD class, or `--pvc-storage-class <class>`).",
    "",
    "A lost Benji database is rebuilt from the storage: `benji database-init` on an empty database, then `benji metadata-ls` and `benji metadata-restore <version-uid>...` (same Job pattern).",
    "",
  ];
}

function locationsSection(input: RunbookInput, n: Names): string[] {
  const entries = Object.entries(n.bsls);
  if (entries.length === 0) return ["No Velero in this stack.", ""];
  const buckets = (input.exports.buckets ?? {}) as Record<string, Obj>;
  const rows = entries.map(([name, b]) => `| \`${name}\` | ${b.backend} | \`${b.bucket}\` | \`${b.prefix ?? ""}\` | ${b.endpoint ?? "(AWS default)"} | ${b.region} | ${buckets[name]?.versioned === true ? "yes" : buckets[name]?.versioned === false ? "no" : "?"} | \`${credentialSecretName(b.backend)}\` |`);
  return [
    "| location | backend | bucket | prefix | endpoint | region | versioned | credentials Secret (key `" + CREDENTIALS_KEY + "`) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    ...sh(`velero -n ${n.velero} backup-location get`, `kubectl -n ${n.velero} get backupstoragelocations -o custom-columns=NAME:.metadata.name,PHASE:.status.phase,MESSAGE:.status.message`, `kubectl -n ${n.velero} logs deploy/velero | grep -i backup-storage-location`),
    "An Unavailable location blocks backups and restores from it. Check the message: credentials (the Secret above; Scaleway IAM changes take up to 5 minutes), the endpoint and region (Garage signs only with its `s3_region`), the bucket's existence. Velero re-validates every minute.",
    "",
    `Rebuilding the cluster: create Secret \`${REPO_CREDENTIALS_SECRET}\` (key \`${REPO_PASSWORD_KEY}\`) with the old kopia password *before* Velero starts (\`pulumi stack output --show-secrets kopiaRepositoryPassword\`; \`pulumi up\` does it from the state), or the existing fs-backups cannot be read. Velero then syncs the Backups from the buckets.`,
    "",
  ];
}

function nodeAgentSection(input: RunbookInput, n: Names): string[] {
  const chart = input.registrations.find((r) => r.type === "kubernetes:helm.sh/v4:Chart");
  if (!chart) return ["No Velero in this stack.", ""];
  const podVolumePath = (chart.inputs.values as Obj | undefined)?.nodeAgent?.podVolumePath as string | undefined;
  return [
    `DaemonSet \`${n.velero}/${VELERO_NODE_AGENT_DAEMONSET}\` runs the fs-backups and fs-restores (kopia) and the data mover on every node; it reads pod volumes under \`${podVolumePath ?? "/var/lib/kubelet/pods"}\` on the host.`,
    "",
    ...sh(
      `kubectl -n ${n.velero} rollout status daemonset/${VELERO_NODE_AGENT_DAEMONSET}`,
      `kubectl -n ${n.velero} get pods -l name=${VELERO_NODE_AGENT_DAEMONSET} -o wide`,
      `kubectl -n ${n.velero} logs -l name=${VELERO_NODE_AGENT_DAEMONSET} --tail=200`,
      `kubectl -n ${n.velero} get podvolumebackups,podvolumerestores --sort-by=.metadata.creationTimestamp`,
    ),
    "A missing node-agent pod on a node means no fs-backup of the pods there (their backups end PartiallyFailed); OOM-killed pods need a higher memory limit (`velero.nodeAgent.memoryLimit`); a wrong kubelet path shows as `hostPath ... not found` in PodVolumeBackups.",
    "",
  ];
}

function drillsSection(n: Names): string[] {
  const drills = n.objects.filter((o) => o.kind === "CronJob" && labelsOf(o)[DRILL_LABEL] !== undefined);
  if (drills.length === 0) return [`No restore drills in stack \`${n.stack}\`.`, ""];
  const ns = String(drills[0].metadata.namespace);
  return [
    `Each drill restores the newest completed backup of its Schedule into a scratch namespace \`${DRILL_NAMESPACE_PREFIX}<source>-<yyyymmddhhmm>\` (label \`${DRILL_LABEL}\`), checks it, deletes the scratch namespace and reports through its exit status and an Event.`,
    "",
    "| drill | CronJob | schedule |",
    "| --- | --- | --- |",
    ...drills.map((d) => `| ${labelsOf(d)[DRILL_LABEL]} | \`${ns}/${d.metadata.name}\` | \`${d.spec.schedule}\` ${d.spec.timeZone ?? ""} |`),
    "",
    "Run one now and read its outcome:",
    "",
    ...sh(`kubectl -n ${ns} create job --from=cronjob/${drills[0].metadata.name} ${drills[0].metadata.name}-manual-$(date +%Y%m%d%H%M)`, `kubectl -n ${ns} logs -f job/${drills[0].metadata.name}-manual-<yyyymmddhhmm>`, `kubectl -n ${ns} get events --field-selector involvedObject.kind=CronJob --sort-by=.lastTimestamp`),
    "After a failed or interrupted drill, remove what it left (only objects carrying the drill label):",
    "",
    ...sh(`kubectl get namespaces -l ${DRILL_LABEL}`, `kubectl delete namespaces -l ${DRILL_LABEL}`, `velero -n ${ns} restore get -l ${DRILL_LABEL}`),
  ];
}

/** RESTORE.md for the stack. Pure. */
export function buildRunbook(input: RunbookInput): string {
  const schedules = new Map<string, Obj>();
  for (const o of input.objects) if (o.kind === "Schedule" && String(o.apiVersion).startsWith("velero.io/")) schedules.set(labelsOf(o)[FLOW_LABEL] ?? String(o.metadata.name), o);
  const velero = (input.exports.veleroNamespace as string | undefined) ?? [...schedules.values()][0]?.metadata?.namespace ?? "<velero namespace>";
  const demoTenant = input.exports.demoTenantNamespace;
  const n: Names = {
    stack: input.stack,
    velero,
    schedules,
    bsls: (input.exports.backupStorageLocations ?? {}) as Record<string, Obj>,
    objects: input.objects,
    ...(typeof demoTenant === "string" ? { demoTenant } : {}),
  };
  const sections: [RunbookAnchor, string, string[]][] = [
    [RUNBOOK_ANCHORS.tenants, "Tenant namespaces", tenantsSection(n)],
    [RUNBOOK_ANCHORS.system, "System namespaces and cluster resources", systemSection(n)],
    [RUNBOOK_ANCHORS.garageMetaCeph, "Garage metadata PVCs", garageMetaSection(n)],
    [RUNBOOK_ANCHORS.garageDataZfs, "Garage data: local ZFS snapshots", garageDataZfsSection(n)],
    [RUNBOOK_ANCHORS.garageDataZrepl, "Garage data from the zrepl replica", zreplSection(n)],
    [RUNBOOK_ANCHORS.postgres, "PostgreSQL", postgresSection(n)],
    [RUNBOOK_ANCHORS.benji, "Benji: a Ceph RBD PVC", benjiSection(n)],
    [RUNBOOK_ANCHORS.storageLocations, "Backup storage locations", locationsSection(input, n)],
    [RUNBOOK_ANCHORS.nodeAgent, "Velero node-agent", nodeAgentSection(input, n)],
    [RUNBOOK_ANCHORS.drills, "Restore drills", drillsSection(n)],
  ];
  return [
    `# Restore runbook of stack \`${input.stack}\``,
    "",
    "Generated by `npm run plan` from this stack's configuration: every name below is the one this stack deploys. What each flow keeps is in [coverage.md](coverage.md).",
    "",
    ...sections.map(([id, title]) => `- [${title}](#${id})`),
    "",
    ...clusterAccess(input, n),
    ...sections.flatMap(([id, title, lines]) => [...anchor(id, title), ...lines]),
  ]
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .replace(/\n*$/, "\n");
}
