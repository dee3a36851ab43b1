/**
 * RESTORE.md per stack: the steps of every flow with that stack's real names, every anchor the alerts link to, and
 * the plan writing it (with coverage.md / coverage.json) and linking it from summary.md.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { RUNBOOK_ANCHORS } from "../components/runbook-anchors";
import { buildPlanFiles } from "../scripts/lib/plan-output";
import { buildCoverage } from "../scripts/lib/coverage";
import { buildRunbook } from "../scripts/lib/runbook";
import { readStackFile } from "../scripts/lib/stack-file";
import { ROOT, planStack, planWith, type Plan } from "./harness";

function runbookOf(plan: Plan, stack: string): string {
  const objects = plan.objects();
  const coverage = buildCoverage({ stack, objects, exports: plan.exports });
  return buildRunbook({ stack, objects, registrations: plan.registrations, exports: plan.exports, coverage });
}

/** The lines of one section (from its anchor to the next). */
function section(md: string, anchor: string): string {
  const start = md.indexOf(`<a id="${anchor}"></a>`);
  if (start < 0) throw new Error(`no section ${anchor}`);
  const next = md.indexOf('<a id="', start + 1);
  return md.slice(start, next < 0 ? undefined : next);
}

describe("RESTORE.md of the prod stack", () => {
  let plan: Plan;
  let md: string;
  beforeAll(async () => {
    plan = await planStack("prod");
    md = runbookOf(plan, "prod");
  });

  it("lists Velero's drills in the restore-drills section, and leaves Benji's to the Benji section", () => {
    const rows = section(md, RUNBOOK_ANCHORS.drills).split("\n").filter((l) => /^\| [\w-]+ \| `[\w-]+\/[\w-]+` \| `/.test(l));
    expect(rows).toEqual(["| tenants | `backup-system/restore-drill-tenants` | `0 10 * * 6` UTC |", "| postgres | `backup-system/restore-drill-postgres` | `0 11 * * 6` UTC |"]);
    expect(section(md, RUNBOOK_ANCHORS.benji)).toContain("CronJob `benji/benji-restore-drill`");
  });

  it("has exactly one section per alert anchor, each listed in the contents", () => {
    for (const anchor of Object.values(RUNBOOK_ANCHORS)) {
      expect(md.split(`<a id="${anchor}"></a>`)).toHaveLength(2);
      expect(md).toContain(`](#${anchor})`);
    }
    expect(md.match(/<a id="/g)).toHaveLength(Object.values(RUNBOOK_ANCHORS).length);
  });

  it("tells how to reach the cluster and Velero of this stack", () => {
    expect(md).toContain("pulumi stack output --stack acme/cluster/prod --show-secrets kubeconfig > kubeconfig-prod.yaml\nexport KUBECONFIG=$PWD/kubeconfig-prod.yaml");
    expect(md).toContain("velero client config set namespace=backup-system");
    expect(md).not.toMatch(/velero (?!-n backup-system)(backup|restore|schedule) /);
  });

  it("restores one tenant, several tenants, and a tenant into a new namespace", () => {
    const s = section(md, RUNBOOK_ANCHORS.tenants);
    expect(s).toContain("velero -n backup-system backup get -l velero.io/schedule-name=tenants-daily\n");
    expect(s).toContain("npm run restore -- --tenant cust-1001 --velero-namespace backup-system --schedule tenants-daily --dry-run\n");
    expect(s).toContain(
      "velero -n backup-system restore create cust-1001-<yyyyMMddHHmmss> --from-backup tenants-daily-<yyyyMMddHHmmss> --include-namespaces cust-1001 --existing-resource-policy none --wait\n",
    );
    expect(s).toContain("--include-namespaces cust-1001,cust-1002 --existing-resource-policy none --wait\n");
    expect(s).toContain("npm run restore -- --tenant cust-1001 --as restore-cust-1001 --velero-namespace backup-system\n");
    expect(s).toContain("kubectl create namespace restore-cust-1001 && kubectl label namespace restore-cust-1001 velero.io/exclude-from-backup=true cluster-backup.io/restored-from=cust-1001\n");
    expect(s).toContain("--include-namespaces cust-1001 --namespace-mappings cust-1001:restore-cust-1001 --wait\n");
    expect(s).toContain("without `tenant=true`: Velero restores into an existing namespace without touching its labels, so neither `tenants-daily` nor the drills nor the opt-out sync take the copy for a tenant.");
    expect(s).not.toMatch(/--as cust-|namespace-mappings cust-1001:cust-/);
    expect(s).toContain("stored in location `default` (scaleway bucket `acme-k8s-prod-velero`, prefix `tenants`)");
  });

  it("restores the Garage metadata PVCs from garage-meta-ceph with their selector", () => {
    const s = section(md, RUNBOOK_ANCHORS.garageMetaCeph);
    expect(s).toContain(
      "velero -n backup-system restore create garage-meta-ceph-<yyyyMMddHHmmss> --from-backup garage-meta-ceph-<yyyyMMddHHmmss> --include-namespaces garage --selector backup-this-pvc=true --include-resources persistentvolumeclaims,persistentvolumes --restore-volumes=true --wait\n",
    );
    expect(s).toContain("see [Benji](#benji)");
  });

  it("brings Garage data back from the zrepl sink with zfs send/recv, or promotes it there", () => {
    const s = section(md, RUNBOOK_ANCHORS.garageDataZrepl);
    expect(s).toContain("zfs list -t snapshot -o name,creation -s creation -r wdc/zrepl/garage/tank/garage/<pvc dataset>\n");
    expect(s).toContain("zfs send -R wdc/zrepl/garage/tank/garage/<pvc dataset>@zrepl_<timestamp> | ssh node-garage-1 zfs recv -u tank/garage/<pvc dataset>-restored\n");
    expect(s).toContain("kubectl -n garage scale statefulset <garage> --replicas=0");
    expect(s).toContain("kubectl -n zrepl patch daemonset zrepl-garage-push");
    expect(s).toContain("zfs clone -o canmount=on wdc/zrepl/garage/tank/garage/<pvc dataset>@zrepl_<timestamp> <pool on backup-1>/<pvc dataset>\nzfs promote <pool on backup-1>/<pvc dataset>\n");
  });

  it("rolls Garage data back from the local snapshots through Velero, not zfs rollback", () => {
    const s = section(md, RUNBOOK_ANCHORS.garageDataZfs);
    expect(s).toContain("--from-backup garage-data-zfs-<yyyyMMddHHmmss> --include-namespaces garage --selector backup-strategy=zfs-local");
    expect(s).toContain("(VolumeSnapshotClass `velero-zfs`, deletionPolicy Retain)");
  });

  it("loads the PostgreSQL dump with the workload's real names", () => {
    const s = section(md, RUNBOOK_ANCHORS.postgres);
    expect(s).toContain("velero -n backup-system restore create postgres-<yyyyMMddHHmmss> --from-backup postgres-backup-<yyyyMMddHHmmss> --include-namespaces postgres --wait\n");
    expect(s).toContain("kubectl -n postgres exec statefulset/postgres -c postgres -- cat /backups/dump.sql > dump.sql\n");
    expect(s).toContain(
      `tail -n 3 dump.sql | grep -qxF -e '-- PostgreSQL database cluster dump complete' && cat reset.sql dump.sql | kubectl -n postgres exec -i statefulset/postgres -c postgres -- sh -c 'u=\${POSTGRES_USER:-postgres}; grep -vxF -e "DROP ROLE IF EXISTS $u;" -e "CREATE ROLE $u;" -e "DROP ROLE IF EXISTS \\"$u\\";" -e "CREATE ROLE \\"$u\\";" | PGOPTIONS="-c client_min_messages=warning" psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -U "$u" -d template1'; echo "load exit status: $?"\n`,
    );
    expect(s).toContain("SELECT format('DROP DATABASE %I WITH (FORCE)', datname) FROM pg_database WHERE NOT datistemplate \\gexec\nCREATE DATABASE postgres;\n\\connect postgres\nSQL\n");
    expect(s).not.toContain("-U postgres");
    expect(s).toContain("kubectl -n postgres-restore exec statefulset/postgres -c postgres -- cat /backups/dump.sql > dump.sql\n");
    expect(s).toContain("stored in location `postgres` (garage bucket `velero-postgres`, prefix `postgres`)");
  });

  it("restores a Benji PVC with benji-restore-pvc and the pool-named io", () => {
    const s = section(md, RUNBOOK_ANCHORS.benji);
    expect(s).toContain(
      `kubectl -n benji create job benji-restore-$(date +%Y%m%d%H%M) --from=cronjob/benji-backup-all --dry-run=client -o json | jq '.spec.template.spec.containers[0].command = ["benji-restore-pvc","--restore-url-template","{pool}:{pool}/{image}","<version-uid>","<namespace>","<pvc>"]' | kubectl create -f -\n`,
    );
    expect(s).toContain("kubectl -n <namespace> create rolebinding benji-restore --clusterrole=cluster-backup-benji-restore --serviceaccount=benji:benji\n");
    expect(s).toContain("kubectl -n <namespace> delete rolebinding benji-restore\n");
    expect(s).toContain("named after the pool (`replicapool`)");
    expect(s).toContain("versions carry `benji-backup.me/instance=benji-k8s`");
  });

  it("lists the storage locations with their buckets and credential Secrets, and the drills", () => {
    const s = section(md, RUNBOOK_ANCHORS.storageLocations);
    expect(s).toContain("| `default` | scaleway | `acme-k8s-prod-velero` | `tenants` | https://s3.fr-par.scw.cloud | fr-par | yes | `velero-cred-scaleway` |");
    expect(s).toContain("| `postgres` | garage | `velero-postgres` | `postgres` | http://garage.garage.svc.cluster.local:3900 | garage | no | `velero-cred-garage` |");
    expect(section(md, RUNBOOK_ANCHORS.nodeAgent)).toContain("kubectl -n backup-system rollout status daemonset/node-agent");
  });
});

describe("RESTORE.md: Benji's integrity steps", () => {
  const job = (suffix: string, from: string, command: string) =>
    `kubectl -n benji create job benji-${suffix}-$(date +%Y%m%d%H%M) --from=cronjob/${from} --dry-run=client -o json | jq '.spec.template.spec.containers[0].command = ${command}' | kubectl create -f -\n`;

  it("prod: invalid versions, a failed drill, and the database rebuilt from the metadata copies, as Jobs without the Ceph key", async () => {
    const s = section(runbookOf(await planStack("prod"), "prod"), RUNBOOK_ANCHORS.benji);
    expect(s).toContain(job("ls-invalid", "benji-metadata-backup", `["benji-command","ls","labels[\\"benji-backup.me/instance\\"] == \\"benji-k8s\\" and status == \\"invalid\\""]`));
    expect(s).toContain(job("deep-scrub", "benji-metadata-backup", `["benji-command","deep-scrub","<version-uid>"]`));
    expect(s).toContain(job("rm", "benji-metadata-backup", `["benji-command","rm","--force","<version-uid>"]`));
    expect(s).toContain("CronJob `benji/benji-restore-drill` (`0 12 * * 6`) restores the newest valid version of one labelled PVC a week");
    expect(s).toContain("the next drill removes every `benji-restore-drill-*` image of the pool before it starts");
    expect(s).toContain(
      job("database-init", "benji-metadata-backup", `["benji","database-init"]`) +
        job("metadata-restore", "benji-metadata-backup", `["bash","-c","benji --machine-output metadata-ls | jq -r '\\''.[]'\\'' | xargs -r benji metadata-restore"]`) +
        job("ls", "benji-metadata-backup", `["benji-command","ls"]`),
    );
    expect(s).toContain("and CronJob `benji/benji-metadata-backup` (`30 4 * * *`) rewrites the copy of every version (scrub results, labels)");
  });

  it("with the integrity CronJobs off it says so and builds the Jobs from the backup CronJob", async () => {
    const flows = JSON.parse(readStackFile(ROOT, "prod").config["cluster-backup:flows"]);
    const off = { scrub: { enabled: false }, drill: { enabled: false }, metadataBackup: { enabled: false } };
    const s = section(runbookOf(await planWith("prod", { flows: { ...flows, benji: { ...flows.benji, ...off } } }), "prod"), RUNBOOK_ANCHORS.benji);
    expect(s).toContain("No scheduled deep scrub in this stack (`flows.benji.scrub.enabled`)");
    expect(s).toContain("No restore drill in this stack (`flows.benji.drill.enabled`).");
    expect(s).toContain("(no scheduled metadata backup in this stack: `flows.benji.metadataBackup.enabled`)");
    expect(s).toContain(job("database-init", "benji-backup-all", `["benji","database-init"]`));
    expect(s).toContain(`labels[\\"benji-backup.me/instance\\"] == \\"benji-k8s\\" and status == \\"invalid\\"`);
  });
});

describe("RESTORE.md of the dev stack", () => {
  let md: string;
  beforeAll(async () => {
    md = runbookOf(await planStack("dev"), "dev");
  });

  it("uses the kind context and the demo tenant, and says which flows are off", () => {
    expect(md).toContain("kubectl config use-context kind-cluster-backup\n");
    expect(section(md, RUNBOOK_ANCHORS.tenants)).toContain("npm run restore -- --tenant cust-demo --velero-namespace backup-system --schedule tenants-daily --dry-run\n");
    expect(section(md, RUNBOOK_ANCHORS.benji)).toContain("Not enabled in stack `dev` (`flows.benji.enabled`): nothing to restore from.");
    expect(section(md, RUNBOOK_ANCHORS.garageDataZrepl)).toContain("Not enabled in stack `dev` (`flows.zrepl.enabled`): nothing to restore from.\n\nGarage data then has no off-node copy.");
    expect(section(md, RUNBOOK_ANCHORS.postgres)).toContain("stored in location `postgres` (minio bucket `velero`, prefix `postgres`)");
  });
});

describe("a stack with its own names", () => {
  it("puts the configured Velero namespace in every command", async () => {
    const velero = JSON.parse(readStackFile(ROOT, "prod").config["cluster-backup:velero"]);
    const md = runbookOf(await planWith("prod", { velero: { ...velero, namespace: "velero" } }), "prod");
    expect(md).toContain("velero -n velero restore create cust-1001-<yyyyMMddHHmmss>");
    expect(md).toContain("npm run restore -- --tenant cust-1001 --velero-namespace velero --schedule tenants-daily --dry-run");
    expect(md).not.toContain("backup-system");
  });
});

describe("npm run plan writes coverage.md, coverage.json and RESTORE.md and links them", () => {
  it("from the same run, redacted", async () => {
    const plan = await planStack("prod");
    const files = buildPlanFiles("prod", plan.run).files;
    expect(JSON.parse(files.get("coverage.json")!)).toEqual(JSON.parse(JSON.stringify(buildCoverage({ stack: "prod", objects: plan.objects(), exports: plan.exports }))));
    expect(files.get("coverage.md")).toMatch(/^# Backup coverage of stack `prod`\n/);
    expect(files.get("RESTORE.md")).toBe(runbookOf(plan, "prod"));
    const summary = files.get("summary.md")!;
    expect(summary).toContain(
      "## Coverage and restore\n\n- [coverage.md](coverage.md) ([coverage.json](coverage.json)): 7 flows, 13 gaps (in-cluster-only, unversioned, unverified, overlap, image-tag-only)\n- [RESTORE.md](RESTORE.md): the restore runbook with this stack's names\n",
    );
    for (const name of ["coverage.json", "coverage.md", "RESTORE.md"]) {
      for (const secret of plan.run.secretStrings) if (secret.length >= 8) expect(files.get(name)!.includes(secret), `${name} holds a secret`).toBe(false);
    }
  });
});
