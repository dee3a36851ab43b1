/**
 * RESTORE.md: the restore runbook of one stack, with that stack's real names (Velero namespace, Schedules, locations,
 * buckets, namespaces, workloads, datasets, nodes, CronJobs), generated from the same run as the plan: which flows,
 * drills and objects exist comes from the flow inventory (export `flows`, components/flows); the details of a Schedule
 * or CronJob are read from the registered object the inventory names. Every section
 * carries the anchor the alerts link to (components/runbook-anchors.ts). Facts: docs/design.md §2(a), §3.4.6, §3.5, §3.6,
 * §3.7. Pure.
 */
import { BACKUP_LABEL, BACKUP_THIS_PVC_LABEL, BENJI_INSTANCE_LABEL, DRILL_LABEL, DRILL_NAMESPACE_PREFIX, RESTORED_FROM_LABEL, TENANT_LABEL, TENANT_NAMESPACE_PREFIX, VELERO_ANNOTATIONS, VELERO_EXCLUDE_LABEL } from "../../components/labels";
import { VELERO_NODE_AGENT_DAEMONSET } from "../../components/flows/velero";
import { BENJI_DRILL_IMAGE_PREFIX, benjiInvalidVersionsFilter } from "../../components/benji/integrity";
import { DUMP_PATH, PG_DUMP_COMPLETE_LINE } from "../../components/postgres/hooks";
import { globToRegExp } from "../../components/schema/namespace-glob";
import { RUNBOOK_ANCHORS, type RunbookAnchor } from "../../components/runbook-anchors";
import { credentialSecretName, CREDENTIALS_KEY, REPO_CREDENTIALS_SECRET, REPO_PASSWORD_KEY } from "../../components/velero/values";
import { flowInventoryOf, splitVeleroCron, type Coverage } from "./coverage";
import { matchLabelsText } from "../../components/flows/text";
import { objectRefText } from "../../components/flows/watches";
import type { Flow, FlowInventory, ObjectRef, Verification } from "../../components/flows/types";
import { ZREPL_SNAPSHOT_PREFIX } from "../../components/zrepl/config";
import type { Registration } from "./run-program";
import { copyNamespaceName } from "./restore/args";
import { RESTORE_NAME_LABEL, SCHEDULE_NAME_LABEL } from "./restore/velero-types";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The Pulumi project name (Pulumi.yaml), for fully qualified stack names. */
const PULUMI_PROJECT = "cluster-backup";

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
  /** The registered Schedule of each Velero flow, by flow id. */
  readonly schedules: ReadonlyMap<string, Obj>;
  readonly inventory: FlowInventory;
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
  const copy = copyNamespaceName(t1);
  const t2 = `${prefix}1002`;
  const name = s.metadata.name;
  const v = n.velero;
  return [
    `${scheduleLine(n, s)} Each backup holds every namespace matching \`${glob}\` except those labelled \`${VELERO_EXCLUDE_LABEL}=true\` (tenants with \`${BACKUP_LABEL}=false\`): objects plus all pod volumes (fs-backup, kopia).`,
    "",
    ...listBackups(n, name),
    "### One tenant",
    "",
    `\`npm run restore\` picks the newest backup of \`${name}\` that contains the tenant and is usable for it (Completed, or PartiallyFailed with none of Velero's recorded errors in the tenant's namespace: the command says which), refuses an existing namespace, creates the Restore and follows it (exit 0 = Completed; \`--help\` lists the other exit codes):`,
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
      `npm run restore -- --tenant ${t1} --as ${copy} --velero-namespace ${v}`,
      `kubectl create namespace ${copy} && kubectl label namespace ${copy} ${VELERO_EXCLUDE_LABEL}=true ${RESTORED_FROM_LABEL}=${t1}`,
      `velero -n ${v} restore create ${t1}-restore-${TS} --from-backup ${name}-${TS} --include-namespaces ${t1} --namespace-mappings ${t1}:${copy} --wait`,
    ),
    `The copy goes into a namespace outside \`${glob}\` created beforehand (\`npm run restore\` does it, with the tenant's Pod Security labels; with the velero CLI the \`kubectl\` line), labelled \`${VELERO_EXCLUDE_LABEL}=true\` and \`${RESTORED_FROM_LABEL}=${t1}\`, without \`${TENANT_LABEL}=true\`: Velero restores into an existing namespace without touching its labels, so neither \`${name}\` nor the drills nor the opt-out sync take the copy for a tenant. \`npm run restore\` refuses \`--as\` names matching \`${glob}\`, \`kube-*\`, \`default\`, \`${DRILL_NAMESPACE_PREFIX}*\` and the backup system's namespaces. The copy gets new PVs filled by the node-agent (fs-restore): delete it when done, and mind Ingress hosts and Services the copy duplicates. Fs-restore adds a \`restore-wait\` init container; PSA-restricted tenants need its securityContext (chart value \`configMaps.fs-restore-action-config\`). Follow the volume data with \`kubectl -n ${v} get podvolumerestores -l ${RESTORE_NAME_LABEL}=<restore>\`.`,
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

/**
 * SQL run from `template1` before a dump is loaded: drop every database (clients are disconnected, PostgreSQL ≥ 13) and
 * give the load an empty `postgres` to start from. The dump (pg_dumpall --clean --if-exists) then drops and recreates
 * `template1` and `postgres` itself, and its roles; it must run connected to a database other than `template1`.
 */
const PG_RESET_SQL = [
  "SELECT format('DROP DATABASE %I WITH (FORCE)', datname) FROM pg_database WHERE NOT datistemplate \\gexec",
  "CREATE DATABASE postgres;",
  "\\connect postgres",
] as const;

/**
 * The shell script the load runs in the Postgres container, reading reset.sql + dump.sql on stdin: drop the two lines
 * that always fail (`DROP ROLE` / `CREATE ROLE` of the role the load runs as, quoted or not), then psql stopping at the
 * first error (exit 3) instead of carrying on and exiting 0.
 */
const PG_LOAD_SCRIPT =
  'u=${POSTGRES_USER:-postgres}; grep -vxF -e "DROP ROLE IF EXISTS $u;" -e "CREATE ROLE $u;" -e "DROP ROLE IF EXISTS \\"$u\\";" -e "CREATE ROLE \\"$u\\";" | PGOPTIONS="-c client_min_messages=warning" psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -U "$u" -d template1';

/** The local check that a copied dump ends with pg_dumpall's completion line (guards the destructive load). */
const PG_DUMP_CHECK = `tail -n 3 dump.sql | grep -qxF -e '${PG_DUMP_COMPLETE_LINE}'`;

/** `kubectl exec` into the Postgres container (`-i` when stdin is piped in). */
function postgresExec(namespace: string, workload: string, container: string, stdin = false): string {
  return `kubectl -n ${namespace} exec${stdin ? " -i" : ""} ${workload} -c ${container} --`;
}

/** The one load procedure (both cases), parameterised by the exec prefix of the target container. */
function postgresLoadCommands(exec: string, execStdin: string): string[] {
  return [
    `${PG_DUMP_CHECK} && echo "dump.sql is complete" || echo "dump.sql is cut off: copy it again"`,
    "cat > reset.sql <<'SQL'",
    ...PG_RESET_SQL,
    "SQL",
    `${PG_DUMP_CHECK} && cat reset.sql dump.sql | ${execStdin} sh -c '${PG_LOAD_SCRIPT}'; echo "load exit status: $?"`,
    `${exec} sh -c 'psql -X -At -U "\${POSTGRES_USER:-postgres}" -d postgres -c "SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1"'`,
    "grep '^CREATE DATABASE ' dump.sql | cut -d' ' -f3",
  ];
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
  const exec = postgresExec(ns, workload, container);
  return [
    `${scheduleLine(n, s)} Before each backup a hook runs \`pg_dumpall --clean --if-exists\` in container \`${container}\` of \`${workload}\` into \`${DUMP_PATH}\` (an emptyDir) and publishes it only when it ends with pg_dumpall's completion line; only that volume is backed up, PGDATA is not.${owner ? "" : " No pod template of this stack carries the hooks: the workload owner applies the `podTemplatePatch` output."}`,
    "",
    "What a dump is and is not:",
    "",
    "- Each database is consistent on its own (one snapshot per database); two databases are dumped one after the other, so they are not consistent with each other.",
    "- Loading it drops and recreates every database of the server (`postgres` and `template1` included), so databases created after the backup are gone afterwards; roles created after the backup stay; every role in the dump gets the backup's attributes and password back, the superuser's included: if the password in the workload's Secret changed since, set it again (`ALTER ROLE ... PASSWORD`).",
    "- A failed dump publishes nothing: the hook removes its partial file and the backup of the pod fails (the Backup ends `PartiallyFailed`, see [After a restore](#after-a-restore)).",
    "",
    ...listBackups(n, name),
    `### Postgres lost (namespace \`${ns}\` gone)`,
    "",
    "PGDATA comes back empty (the image initialises a new server), the dump comes back in the restored `/backups` volume. Keep the clients stopped until the load is done:",
    "",
    ...sh(
      `velero -n ${v} restore create ${ns}-${TS} --from-backup ${name}-${TS} --include-namespaces ${ns} --wait`,
      `kubectl -n ${ns} rollout status ${workload}`,
      `${exec} cat ${DUMP_PATH} > dump.sql`,
    ),
    "Then [load the dump](#load-the-dump).",
    "",
    `### Postgres running, data to roll back`,
    "",
    `Restore the backup next to the live server (namespace \`${scratch}\`), copy its dump out, keep a dump of the current state, then [load the dump](#load-the-dump) into the live server and remove the copy. Stop the clients (scale the applications that use Postgres to 0) first: the load disconnects every session anyway, and writes made during it are lost.`,
    "",
    ...sh(
      `velero -n ${v} restore create ${scratch}-${TS} --from-backup ${name}-${TS} --include-namespaces ${ns} --namespace-mappings ${ns}:${scratch} --wait`,
      `kubectl -n ${scratch} rollout status ${workload}`,
      `${postgresExec(scratch, workload, container)} cat ${DUMP_PATH} > dump.sql`,
      `${exec} sh -c 'pg_dumpall --clean --if-exists -U "\${POSTGRES_USER:-postgres}"' > before-rollback.sql`,
    ),
    "After the load: `kubectl delete namespace " + scratch + "`.",
    "",
    "### Load the dump",
    "",
    `The same steps for both cases, run where \`dump.sql\` is. The first line must print \`dump.sql is complete\` (a copy cut off in transit lacks pg_dumpall's last line \`${PG_DUMP_COMPLETE_LINE}\`; copy it again). The load runs from \`template1\`: it drops every database (\`WITH (FORCE)\` disconnects clients, PostgreSQL ≥ 13), then feeds the dump to psql with \`ON_ERROR_STOP=1\`, leaving out only the two lines that always fail (\`DROP ROLE\`/\`CREATE ROLE\` of the role psql runs as). \`load exit status: 0\` means every statement succeeded; anything else means psql stopped at the error it printed (\`ERROR: ...\` with the statement after \`LINE 1:\`): fix the cause and run the load line again, it starts over. The last two commands list the databases now on the server and the ones the dump creates: the first list must hold every name of the second.`,
    "",
    ...sh(...postgresLoadCommands(exec, postgresExec(ns, workload, container, true))),
    "Then start the clients again and check the applications (see [After a restore](#after-a-restore)).",
    "",
  ];
}

function garageMetaSection(n: Names): string[] {
  const s = scheduleOf(n, "garage-meta-ceph");
  const benji = flowOf(n, "benji") !== undefined;
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
  const flow = flowOf(n, "zrepl");
  const job = flow?.watches.find((w) => w.kind === "zrepl-job");
  const sinkDs = flow?.objects.find((o) => o.kind === "DaemonSet" && o.name !== job?.object.name);
  if (!flow || !job || !sinkDs || flow.destination.kind !== "zfs-sink") return [...notEnabled(n.stack, "flows.zrepl.enabled"), "Garage data then has no off-node copy.", ""];
  const push = { name: job.object.name };
  const source = flow.source?.node ?? "<node>";
  const backup = flow.destination.node;
  const filesystems = flow.source?.datasets ?? [];
  const root = String(filesystems[0] ?? "<pool>/<dataset><").replace(/<$/, "");
  const replica = `${flow.destination.replicaRoot}/${root}`;
  const prefix = ZREPL_SNAPSHOT_PREFIX;
  const ns = job.object.namespace;
  const garageSchedule = scheduleOf(n, "garage-data-zfs") ?? scheduleOf(n, "garage-meta-ceph");
  const garageNs = garageSchedule ? includedNamespace(garageSchedule) : "<garage namespace>";
  return [
    `zrepl job \`${job.job}\` (DaemonSet \`${ns}/${push.name}\` on node \`${source}\`) snapshots ${filesystems.map((f) => `\`${f}\``).join(", ")} ${flow.schedule.text} (\`${prefix}*\`) and sends them to \`${ns}/${sinkDs.name}\` on node \`${backup}\`, which stores them under \`${replica}/<pvc dataset>\` (received with \`canmount=noauto\`, never mounted there).`,
    "",
    `On \`${backup}\`, find the dataset of the PVC and the snapshot to return to:`,
    "",
    ...sh(`kubectl get pv <pv> -o jsonpath='{.spec.csi.volumeHandle}'   # the dataset name under ${root}`, `zfs list -t snapshot -o name,creation -s creation -r ${replica}/<pvc dataset>`),
    "### Send it back to the Garage node",
    "",
    `1. Stop Garage (\`kubectl -n ${garageNs} scale statefulset <garage> --replicas=0\`) and zrepl's push (\`kubectl -n ${ns} patch daemonset ${push.name} -p '{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/hostname":"none"}}}}}'\`).`,
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
    `3. Start Garage, check the data, then re-enable the push (\`kubectl -n ${ns} rollout undo daemonset ${push.name}\`, or \`pulumi up\`). The sink now holds snapshots newer than the source's: rename the sink's copy aside (\`zfs rename ${replica}/<pvc dataset> ${replica}/<pvc dataset>-before-restore\`) so replication starts afresh; destroy the \`-broken\` and \`-before-restore\` datasets once the new replica is complete.`,
    "",
    `### Or promote the replica on \`${backup}\``,
    "",
    `When \`${source}\` is gone, run Garage's data from \`${backup}\`: clone the snapshot into a writable dataset, promote it so it no longer depends on the replica, and point a ZFS-LocalPV volume on \`${backup}\` at it (a \`ZFSVolume\` + PV with \`volumeHandle\` = the dataset name, node affinity \`${backup}\`).`,
    "",
    ...sh(`zfs clone -o canmount=on ${replica}/<pvc dataset>@${prefix}<timestamp> <pool on ${backup}>/<pvc dataset>`, `zfs promote <pool on ${backup}>/<pvc dataset>`),
  ];
}

function benjiSection(n: Names): string[] {
  const flow = flowOf(n, "benji");
  const watch = flow?.watches.find((w) => w.kind === "cronjob" && w.role === "backup");
  const backup = watch && registered(n, watch.object);
  if (!flow || !backup) return notEnabled(n.stack, "flows.benji.enabled");
  const ns = String(backup.metadata.namespace);
  const instance = flow.destination.kind === "benji-storage" ? flow.destination.instance : undefined;
  const pools = flow.source?.pools ?? [];
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
    `   Benji's account may create PVCs only where a restore needs it: bind \`cluster-backup-benji-restore\` in the target namespace first and remove it afterwards:`,
    "",
    ...sh(
      `kubectl -n <namespace> create rolebinding benji-restore --clusterrole=cluster-backup-benji-restore --serviceaccount=${ns}:${String(backup.spec.jobTemplate.spec.template.spec.serviceAccountName)}`,
      job("restore", ["benji-restore-pvc", "--restore-url-template", "{pool}:{pool}/{image}", "<version-uid>", "<namespace>", "<pvc>"]),
      `kubectl -n ${ns} logs -f job/benji-restore-<yyyymmddhhmm>`,
      "kubectl -n <namespace> delete rolebinding benji-restore",
    ),
    "3. Start the workload again. To restore next to the original, give a new PVC name (the PVC is created on the pool's default RBD class, or `--pvc-storage-class <class>`).",
    "",
    ...benjiIntegritySteps(n, flow, ns, backup, instance),
  ];
}

/**
 * The Benji runbook's integrity part: invalid versions (BenjiScrubFailed), a failed drill (BenjiRestoreDrillFailed)
 * and a lost database rebuilt from the metadata copies in the storage (Benji 0.17.0: `benji database-init`,
 * `benji --machine-output metadata-ls` prints a JSON list of version UIDs, `benji metadata-restore <uid>...`).
 */
function benjiIntegritySteps(n: Names, flow: Flow, ns: string, backup: Obj, instanceValue: string | undefined): string[] {
  const watchOf = (role: string) => [...flow.watches, ...flow.verifiedBy.map((v) => v.watch)].find((w) => w.kind === "cronjob" && w.role === role);
  const find = (role: string) => {
    const w = watchOf(role);
    return w ? registered(n, w.object) : undefined;
  };
  const scrub = find("scrub");
  const drill = find("drill");
  const metadata = find("metadata-backup");
  // Database and S3 only, no Ceph key: the metadata backup's (or the scrub's) template; else the backup's.
  const maintenance = metadata ?? scrub ?? backup;
  const job = (suffix: string, cmd: string[]) =>
    `kubectl -n ${ns} create job benji-${suffix}-$(date +%Y%m%d%H%M) --from=cronjob/${maintenance.metadata.name} --dry-run=client -o json | jq '.spec.template.spec.containers[0].command = ${JSON.stringify(cmd).replace(/'/g, "'\\''")}' | kubectl create -f -`;
  const invalid = benjiInvalidVersionsFilter(instanceValue ?? "<instance>");
  return [
    "### Invalid versions (alert BenjiScrubFailed)",
    "",
    scrub
      ? `CronJob \`${ns}/${scrub.metadata.name}\` (\`${scrub.spec.schedule}\`) deep-scrubs a sample of the versions against the checksums recorded at backup and fails while any version is \`invalid\` (a block in the bucket no longer matches; every version sharing that block is marked too). A restore of an invalid version writes the bad blocks as they are. List them, then re-check one fully (a transient read error revalidates it; a real mismatch fails again), and remove those that stay invalid (backups never deduplicate against an invalid block, so the next backups write those blocks anew; \`--force\` because Benji keeps versions younger than 6 days otherwise, \`disallowRemoveWhenYounger\`):`
      : "No scheduled deep scrub in this stack (`flows.benji.scrub.enabled`); the commands below still check and list invalid versions:",
    "",
    ...sh(job("ls-invalid", ["benji-command", "ls", invalid]), job("deep-scrub", ["benji-command", "deep-scrub", "<version-uid>"]), job("rm", ["benji-command", "rm", "--force", "<version-uid>"])),
    "### A failed restore drill (alert BenjiRestoreDrillFailed)",
    "",
    drill
      ? `CronJob \`${ns}/${drill.metadata.name}\` (\`${drill.spec.schedule}\`) restores the newest valid version of one labelled PVC a week (the next in name order) into the scratch RBD image \`<pool>/${BENJI_DRILL_IMAGE_PREFIX}<yyyymmddhhmmss>\`, compares it with \`benji deep-scrub --source\` and removes it. Its log names the version and the failed step: \`benji restore\`, the deep scrub (exit 65: blocks do not match their checksums, see above; 77: another Benji command held the version's lock, run it again), or an image that differs from the version. A drill stopped at its deadline may leave its scratch image; the next drill removes every \`${BENJI_DRILL_IMAGE_PREFIX}*\` image of the pool before it starts.`
      : "No restore drill in this stack (`flows.benji.drill.enabled`).",
    "",
    ...(drill ? sh(`kubectl -n ${ns} get jobs --sort-by=.metadata.creationTimestamp`, `kubectl -n ${ns} logs job/<drill job>`) : []),
    "### Rebuild a lost Benji database",
    "",
    `Every finished backup writes its version's metadata to the Benji storage${metadata ? `, and CronJob \`${ns}/${metadata.metadata.name}\` (\`${metadata.spec.schedule}\`) rewrites the copy of every version (scrub results, labels)` : " (no scheduled metadata backup in this stack: `flows.benji.metadataBackup.enabled`)"}. With a new, empty database at \`benjiDatabaseUrl\`, create the schema and import every copy, then list the versions:`,
    "",
    ...sh(
      job("database-init", ["benji", "database-init"]),
      job("metadata-restore", ["bash", "-c", "benji --machine-output metadata-ls | jq -r '.[]' | xargs -r benji metadata-restore"]),
      job("ls", ["benji-command", "ls"]),
    ),
    "A single version can also be restored without the database: `benji restore --database-less <version-uid> <url>` reads its metadata from the storage.",
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

/** The rotation of a drill without a fixed source (the inventory's rotationWeeks, components/drills/rotation.ts). */
function rotationLines(drill: Verification): string[] {
  const weeks = drill.rotationWeeks;
  if (weeks === undefined) return [];
  return [
    `\`${drill.watch.object.name}\` rotates: every tenant is restored at least once per ${weeks} weeks. Each week it restores the tenants of one of ${weeks} groups (a hash of the namespace name, so a tenant's group never changes), one Restore and scratch namespace each; \`sh restore-drill.sh rotation <unix time> <tenant>...\` (ROTATION_WEEKS and ROTATION_OFFSET_SECONDS from the CronJob) prints the tenants of a week.`,
    "",
  ];
}

function drillsSection(n: Names): string[] {
  // The drills whose alerts link here (Velero's); Benji's drill links to, and has its steps in, the Benji section.
  const drills = n.inventory.flows.flatMap((f) => f.verifiedBy.filter((v) => v.kind === "drill" && v.watch.anchor === RUNBOOK_ANCHORS.drills));
  if (drills.length === 0) return [`No restore drills in stack \`${n.stack}\`.`, ""];
  const ns = drills[0].watch.object.namespace;
  const first = drills[0].watch.object.name;
  return [
    `Each drill restores the newest backup of its Schedule usable for its source (Completed, or PartiallyFailed with no errors recorded in that namespace) into a scratch namespace \`${DRILL_NAMESPACE_PREFIX}<source>-<yyyymmddhhmm>\` (label \`${DRILL_LABEL}\`), checks it, deletes the scratch namespace and reports through its exit status and an Event.`,
    "",
    "| drill | CronJob | schedule |",
    "| --- | --- | --- |",
    ...drills.map((d) => `| ${d.name} | \`${ns}/${d.watch.object.name}\` | \`${d.watch.cron}\` ${n.inventory.timeZone} |`),
    "",
    ...drills.flatMap(rotationLines),
    "Run one now and read its outcome:",
    "",
    ...sh(`kubectl -n ${ns} create job --from=cronjob/${first} ${first}-manual-$(date +%Y%m%d%H%M)`, `kubectl -n ${ns} logs -f job/${first}-manual-<yyyymmddhhmm>`, `kubectl -n ${ns} get events --field-selector involvedObject.kind=CronJob --sort-by=.lastTimestamp`),
    "After a failed or interrupted drill, remove what it left (only objects carrying the drill label):",
    "",
    ...sh(`kubectl get namespaces -l ${DRILL_LABEL}`, `kubectl delete namespaces -l ${DRILL_LABEL}`, `velero -n ${ns} restore get -l ${DRILL_LABEL}`),
  ];
}

/** The Velero version the stack deploys (chart `image.tag`), for the matching CLI. */
function veleroVersion(input: RunbookInput): string | undefined {
  const chart = input.registrations.find((r) => r.type === "kubernetes:helm.sh/v4:Chart");
  const tag = (chart?.inputs.values as Obj | undefined)?.image?.tag;
  return typeof tag === "string" && /^v\d+\.\d+\.\d+$/.test(tag) ? tag : undefined;
}

/** The `--stack` of `pulumi stack output` for this stack (fully qualified when the org is known from the stack reference). */
function pulumiStack(input: RunbookInput): string {
  const stackRef = input.registrations.find((r) => r.type === "pulumi:pulumi:StackReference");
  const parts = typeof stackRef?.inputs.name === "string" ? String(stackRef.inputs.name).split("/") : [];
  return parts.length === 3 ? `${parts[0]}/${PULUMI_PROJECT}/${input.stack}` : input.stack;
}

/** The inventory's flow of that id, when the stack runs it. */
function flowOf(n: Names, id: Flow["id"]): Flow | undefined {
  return n.inventory.flows.find((f) => f.id === id);
}

/** The registered object an inventory reference names. */
function registered(n: Names, ref: ObjectRef): Obj | undefined {
  return n.objects.find((o) => o.kind === ref.kind && String(o.metadata?.namespace ?? "") === ref.namespace && o.metadata?.name === ref.name);
}

function prerequisitesSection(input: RunbookInput, n: Names): string[] {
  const version = veleroVersion(input) ?? "<version>";
  const stack = pulumiStack(input);
  const benji = flowOf(n, "benji") !== undefined;
  const tarball = `velero-${version}-linux-amd64`;
  return [
    `- **velero CLI ${version}**, the version this stack deploys. Check with \`velero version --client-only\`; install it from the release tarball:`,
    "",
    ...sh(`curl -fsSLO https://github.com/vmware-tanzu/velero/releases/download/${version}/${tarball}.tar.gz`, `tar -xzf ${tarball}.tar.gz && install ${tarball}/velero /usr/local/bin/velero`, "velero version --client-only"),
    "- **kubectl** with access to the cluster (see [Before you start](#before-you-start)), and **jq** (the Benji steps and the triage commands use it).",
    `- **The keys**, which a lost cluster no longer holds: the kopia repository password (without it no fs-backup can be read: tenants, system, the Postgres dump)${benji ? " and Benji's encryption key (without it no Benji block can be read)" : ""}. They live in the Pulumi state of this stack; keep an escrow copy outside it (password manager or sealed envelope) and refresh it when they change:`,
    "",
    ...sh(`pulumi stack output --stack ${stack} --show-secrets kopiaRepositoryPassword`, ...(benji ? [`pulumi stack output --stack ${stack} --show-secrets benjiEncryption --json`] : [])),
    "- **`npm run restore`** needs this repository and Node.js ≥ 20 (`git clone --depth 1 <repository> && cd <repository> && npm ci`), nothing else of the project. Every step that uses it also gives the plain `velero` command, which needs only the velero CLI and kubectl.",
    "",
  ];
}

/** When a Schedule stores its backups on Garage (inside the cluster), the DR note saying Garage must come back first. */
function garageFirst(n: Names, s: Obj | undefined): string {
  const location = s ? String(s.spec.template.storageLocation) : "";
  return s && n.bsls[location]?.backend === "garage"
    ? ` Its location \`${location}\` is on Garage inside this cluster: it turns Available only once Garage is back, so do the Garage part of step 7 first.`
    : "";
}

function disasterRecoverySection(input: RunbookInput, n: Names): string[] {
  const v = n.velero;
  const stack = pulumiStack(input);
  const sys = scheduleOf(n, "system");
  const pg = scheduleOf(n, "postgres");
  const tenants = scheduleOf(n, "tenants");
  const garage = scheduleOf(n, "garage-meta-ceph");
  const zrepl = flowOf(n, "zrepl") !== undefined;
  const benji = flowOf(n, "benji") !== undefined;
  const later = [
    garage ? `Garage metadata from \`${garage.metadata.name}\` ([Garage metadata PVCs](#${RUNBOOK_ANCHORS.garageMetaCeph}))` : "",
    zrepl ? `Garage data from the zrepl replica ([Garage data from the zrepl replica](#${RUNBOOK_ANCHORS.garageDataZrepl}); the local ZFS snapshots died with the node)` : "",
    benji ? `other Ceph RBD volumes from Benji ([Benji](#${RUNBOOK_ANCHORS.benji}); rebuild its database first if it was lost, see there)` : "",
  ].filter(Boolean);
  return [
    "The cluster is gone and rebuilt empty. Work in this order; each step says how to know it worked before the next one.",
    "",
    "### 1. Rebuild the cluster and its storage",
    "",
    "Recreate the cluster and what this program builds on (CSI snapshot controller, Rook/Ceph, OpenEBS ZFS-LocalPV, Garage, the PostgreSQL workload) from their own stacks. Check: `kubectl get nodes` shows every node Ready and `kubectl get storageclass` lists the classes the backups used.",
    "",
    "### 2. Restore the keys, then Velero",
    "",
    `With this stack's Pulumi state, \`pulumi up\` recreates Velero with the same kopia password (Secret \`${REPO_CREDENTIALS_SECRET}\`, key \`${REPO_PASSWORD_KEY}\`)${benji ? " and Benji's configuration with the same encryption key" : ""}. Check it against the escrow copy, then pause the Schedules until the restore is done (a backup of the half-restored cluster would become the newest one):`,
    "",
    ...sh(
      `pulumi up --stack ${stack}`,
      `kubectl -n ${v} get secret ${REPO_CREDENTIALS_SECRET} -o jsonpath='{.data.${REPO_PASSWORD_KEY}}' | base64 -d`,
      `velero -n ${v} schedule pause --all`,
    ),
    `If the state is lost, restore it from the state backend's backups first: on an empty state \`pulumi up\` generates new keys (resources \`velero-repo-password\`${benji ? ", \`benji-aes-password\`, \`benji-aes-salt\`" : ""}) and writes them into the Secrets, and no existing backup can be opened with them. If it already happened, put the escrowed password back and let Velero reconnect its repositories (it recreates the BackupRepository objects on the next backup or restore):`,
    "",
    ...sh(
      `kubectl -n ${v} create secret generic ${REPO_CREDENTIALS_SECRET} --from-literal=${REPO_PASSWORD_KEY}='<kopia password from the escrow>' --dry-run=client -o yaml | kubectl apply -f -`,
      `kubectl -n ${v} delete backuprepositories --all`,
      `kubectl -n ${v} rollout restart deployment/velero daemonset/${VELERO_NODE_AGENT_DAEMONSET}`,
    ),
    "The next `pulumi up` on that state writes its own keys again: keep the stack away from the cluster until its state is restored.",
    "",
    "### 3. Wait for the storage locations and the backups",
    "",
    "Velero reads the Backups back from the buckets once a location is Available (it checks every minute). It also takes a first backup as soon as a Schedule is created, so each Schedule now has one backup of the still-empty cluster: restore from backups taken before the loss (compare the CREATED column).",
    "",
    ...sh(`velero -n ${v} backup-location get`, `velero -n ${v} backup get`),
    `Go on when every location shows \`Available\` (locations on Garage only once Garage is back) and the list holds the old backups; otherwise see [Backup storage locations](#${RUNBOOK_ANCHORS.storageLocations}).`,
    "",
    "### 4. System namespaces and cluster resources",
    "",
    sys
      ? `Restore the newest \`${sys.metadata.name}\` backup from before the loss as a whole (\`velero -n ${v} restore create system-${TS} --from-backup ${sys.metadata.name}-${TS} --wait\`, details in [System namespaces](#${RUNBOOK_ANCHORS.system})). Check: \`velero -n ${v} restore describe system-${TS}\` shows \`Completed\` and \`kubectl get pods -A\` the system pods Running.${garageFirst(n, sys)}`
      : "No system flow in this stack: redeploy the system namespaces from their own sources.",
    "",
    "### 5. PostgreSQL",
    "",
    pg
      ? `Follow [Postgres lost](#${RUNBOOK_ANCHORS.postgres}) with the newest \`${pg.metadata.name}\` backup from before the loss and load the dump before the applications start. Check: \`load exit status: 0\` and the two database lists match.${garageFirst(n, pg)}`
      : "No Postgres flow in this stack.",
    "",
    "### 6. Tenants",
    "",
    ...(tenants
      ? [
          `One Restore brings back every tenant of the newest \`${tenants.metadata.name}\` backup from before the loss (if it is PartiallyFailed for a tenant that matters, restore that tenant from an older one afterwards):${garageFirst(n, tenants)}`,
          "",
          ...sh(`velero -n ${v} restore create all-tenants-${TS} --from-backup ${tenants.metadata.name}-${TS} --existing-resource-policy none --wait`, `velero -n ${v} restore describe all-tenants-${TS} --details`),
          "Check each tenant as in [After a restore](#after-a-restore).",
          "",
        ]
      : ["No tenant flow in this stack.", ""]),
    "### 7. Garage, Benji, zrepl",
    "",
    later.length ? `${later.join("; ")}. Check: \`garage status\` in a Garage pod lists every node and \`garage bucket list\` the buckets; Benji restore Jobs end Complete.` : "None of these flows is enabled in this stack.",
    "",
    "### 8. Resume the backups and prove them",
    "",
    ...sh(`velero -n ${v} schedule unpause --all`, `velero -n ${v} schedule get`),
    `Once the first new backups completed, run a restore drill (see [Restore drills](#${RUNBOOK_ANCHORS.drills})) and refresh the escrow copy of the keys if they changed.`,
    "",
  ];
}

function afterRestoreSection(n: Names): string[] {
  const v = n.velero;
  const tenants = scheduleOf(n, "tenants");
  const t = tenants ? includedNamespace(tenants).replace(/\*$/, "1001") : "<namespace>";
  return [
    "Check every restore before calling it done:",
    "",
    "| flow | done when |",
    "| --- | --- |",
    `| every Velero restore | \`velero -n ${v} restore describe <restore> --details\` shows \`Phase: Completed\`, no errors, every pod volume restore Completed |`,
    `| tenants | \`kubectl -n <tenant> get pods,pvc\` shows everything Running/Bound; \`kubectl -n ${v} get podvolumerestores -l ${RESTORE_NAME_LABEL}=<restore>\` all Completed; the tenant's sites answer |`,
    "| system | `kubectl get pods -A` shows no restored pod Pending or in CrashLoopBackOff; DNS, mail and the panel answer |",
    "| PostgreSQL | `load exit status: 0`; the database list holds every database of the dump; each application connects with its own role (its password is the backup's) |",
    `| Garage metadata | \`kubectl -n ${v} get datadownloads -l ${RESTORE_NAME_LABEL}=<restore>\` all Completed; \`garage status\` healthy; an object of each bucket downloads |`,
    "| Garage data (ZFS, zrepl) | the PVCs are Bound on the right node; `zfs list` shows the dataset; Garage serves an object written before the backup |",
    "| Benji | the restore Job is Complete; the PVC is Bound; the workload starts with its data |",
    "",
    "### A restore or backup ended PartiallyFailed",
    "",
    "Velero finished but some items failed. Find the namespace (tenant) and the item:",
    "",
    ...sh(
      `velero -n ${v} restore describe <restore> --details`,
      `velero -n ${v} restore logs <restore> | grep -E 'level=(error|warning)'`,
      `kubectl -n ${v} get podvolumerestores -l ${RESTORE_NAME_LABEL}=<restore> -o json | jq -r '.items[] | select(.status.phase != "Completed") | [.spec.pod.namespace, .spec.pod.name, .spec.volume, .status.phase, .status.message] | @tsv'`,
      `velero -n ${v} backup describe <backup> --details`,
      `velero -n ${v} backup logs <backup> | grep -E 'level=error'`,
    ),
    "`describe` lists errors and warnings per namespace; the jq line names each pod volume that did not come back. Then:",
    "",
    "- `already exists` warnings: Velero skipped objects that were there (it never overwrites); expected when restoring into an existing namespace.",
    `- a pod volume Failed or timed out (node-agent restarted or OOM-killed, node gone): delete that tenant's restored namespace and restore it alone again (\`npm run restore -- --tenant ${t} --velero-namespace ${v}\`, or \`velero -n ${v} restore create --from-backup <backup> --include-namespaces ${t} --wait\`); see [Velero node-agent](#${RUNBOOK_ANCHORS.nodeAgent}).`,
    "- an admission webhook or PodSecurity refused an object: the log line names it; restore that namespace again once the policy allows it, or into a new namespace with a mapping.",
    "- the backup itself was PartiallyFailed for that tenant (its `describe` lists the tenant's pods or volumes under errors): restore that tenant from the previous Completed backup (`--from-backup`); the other tenants of the partial backup are fine.",
    `- a Postgres backup PartiallyFailed: the dump hook failed (its message is in \`velero -n ${v} backup logs <backup>\`) and the backup holds no dump; take the previous Completed one.`,
    "",
  ];
}

function riskyChangeSection(n: Names): string[] {
  const v = n.velero;
  const all = [...n.schedules.values()];
  if (all.length === 0) return ["No Velero schedule in this stack.", ""];
  const example = String((scheduleOf(n, "tenants") ?? all[0]).metadata.name);
  return [
    "Take a backup now with exactly the settings of a Schedule (selection, hooks, location, ttl). Velero names it `<schedule>-<yyyyMMddHHmmss>` and labels it with the Schedule, so `npm run restore` and the drills see it like a scheduled one:",
    "",
    ...sh(...all.map((s) => `velero -n ${v} backup create --from-schedule ${s.metadata.name} --wait`), `velero -n ${v} backup get -l ${SCHEDULE_NAME_LABEL}=${example}`),
    `Go ahead only when it shows \`Completed\`. To undo the change, restore that backup with the procedure of its flow above, naming it with \`--from-backup\` (e.g. \`npm run restore -- --tenant <tenant> --velero-namespace ${v} --schedule ${example} --from-backup ${example}-${TS}\`).`,
    "",
  ];
}

/** RESTORE.md for the stack. Pure. */
export function buildRunbook(input: RunbookInput): string {
  const inventory = flowInventoryOf(input.exports) ?? { timeZone: "UTC", veleroNamespace: String(input.exports.veleroNamespace ?? "<velero namespace>"), flows: [], infrastructure: [] };
  const schedules = new Map<string, Obj>();
  for (const f of inventory.flows) {
    for (const ref of f.objects.filter((r) => r.kind === "Schedule")) {
      const o = input.objects.find((x) => x.kind === "Schedule" && String(x.apiVersion).startsWith("velero.io/") && x.metadata?.namespace === ref.namespace && x.metadata?.name === ref.name);
      if (!o) throw new Error(`runbook: the flow inventory names ${objectRefText(ref)}, which the run does not register`);
      schedules.set(f.id, o);
    }
  }
  const velero = (input.exports.veleroNamespace as string | undefined) ?? [...schedules.values()][0]?.metadata?.namespace ?? "<velero namespace>";
  const demoTenant = input.exports.demoTenantNamespace;
  const n: Names = {
    stack: input.stack,
    velero,
    schedules,
    inventory,
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
    "- [Prerequisites](#prerequisites)",
    "- [Before you start](#before-you-start)",
    "- [Disaster recovery: the cluster is lost](#disaster-recovery-the-cluster-is-lost)",
    ...sections.map(([id, title]) => `- [${title}](#${id})`),
    "- [After a restore](#after-a-restore)",
    "- [Before a risky change](#before-a-risky-change)",
    "",
    "## Prerequisites",
    "",
    ...prerequisitesSection(input, n),
    ...clusterAccess(input, n),
    "## Disaster recovery: the cluster is lost",
    "",
    ...disasterRecoverySection(input, n),
    ...sections.flatMap(([id, title, lines]) => [...anchor(id, title), ...lines]),
    "## After a restore",
    "",
    ...afterRestoreSection(n),
    "## Before a risky change",
    "",
    ...riskyChangeSection(n),
  ]
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .replace(/\n*$/, "\n");
}
