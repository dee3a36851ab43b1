/**
 * The coverage report of the dev and prod stacks (what each flow keeps, and the gaps), derived from the flow inventory
 * the program exports and checked against what it registers, and how it reacts when flows are switched off or changed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { buildCoverage, coverageMarkdown, coverageMermaid, splitVeleroCron, verifiedByText, type Coverage } from "../scripts/lib/coverage";
import { benjiRetentionSpanSeconds } from "../components/flows/benji";
import { roughDuration } from "../components/flows/text";
import { readStackFile } from "../scripts/lib/stack-file";
import { ROOT, planStack, planWith, type Plan } from "./harness";

function coverageOf(plan: Plan, stack: string): Coverage {
  return buildCoverage({ stack, objects: plan.objects(), exports: plan.exports });
}

/** The flows config of a stack file, to switch one flow in a variation. */
function stackFlows(stack: string): Record<string, Record<string, unknown>> {
  return JSON.parse(readStackFile(ROOT, stack).config["cluster-backup:flows"]);
}

const KOPIA = "Kubernetes objects (Secrets included): not encrypted by Velero; volume data: kopia repository (AES-256-GCM), key in Secret velero-repo-credentials (output kopiaRepositoryPassword)";
const VERSIONED = "versioned bucket: a deleted or overwritten object stays recoverable as a noncurrent version for 14 days; no object lock";

describe("coverage of the prod stack", () => {
  let c: Coverage;
  beforeAll(async () => {
    c = coverageOf(await planStack("prod"), "prod");
  });

  it("has one row per registered flow, in the order of docs/design.md §1, with schedule, RPO and retention", () => {
    expect(c.flows.map((f) => [f.flow, f.objects, f.schedule, f.rpo, f.retention, f.oldestRestorePoint])).toEqual([
      ["tenants", ["Schedule backup-system/tenants-daily"], "`0 1 * * *` UTC", "24h", "ttl 720h0m0s (≈30 backups)", "≈30d ago"],
      ["system", ["Schedule backup-system/system-daily"], "`0 5 * * *` UTC", "24h", "ttl 720h0m0s (≈30 backups)", "≈30d ago"],
      ["garage-meta-ceph", ["Schedule backup-system/garage-meta-ceph"], "`0 3 * * *` UTC", "24h", "ttl 720h0m0s (≈30 backups)", "≈30d ago"],
      ["garage-data-zfs", ["Schedule backup-system/garage-data-zfs"], "`0 3 * * *` UTC", "24h", "ttl 168h0m0s (≈7 backups)", "≈7d ago"],
      ["postgres", ["Schedule backup-system/postgres-backup"], "`0 4 * * *` UTC", "24h", "ttl 720h0m0s (≈30 backups)", "≈30d ago"],
      [
        "benji",
        ["CronJob benji/benji-backup-all", "CronJob benji/benji-enforce", "CronJob benji/benji-cleanup"],
        "`30 7 * * *` UTC",
        "24h",
        "`enforce latest7` per PVC at `0 6 * * *`; space freed by `cleanup` at `0 5 * * *`",
        "≈7d ago",
      ],
      [
        "zrepl",
        ["DaemonSet zrepl/zrepl-garage-push", "DaemonSet zrepl/zrepl-sink"],
        "every 10m",
        "10m + transfer",
        "sink: grid `1x1h(keep=all) | 24x1h | 30x1d | 6x30d`; source: not yet replicated + last 10 (≈100m)",
        "≈211d ago (sink)",
      ],
    ]);
    expect(c.flows.map((f) => [f.rpoSeconds, f.oldestRestorePointSeconds])).toEqual([
      [86400, 30 * 86400],
      [86400, 30 * 86400],
      [86400, 30 * 86400],
      [86400, 7 * 86400],
      [86400, 30 * 86400],
      [86400, 7 * 86400],
      [600, 3600 + 24 * 3600 + 30 * 86400 + 6 * 30 * 86400],
    ]);
  });

  it("says what each flow selects and how", () => {
    expect(c.flows.map((f) => [f.flow, f.selection.text, f.mechanism])).toEqual([
      ["tenants", "namespace `cust-*`", "Velero: objects + fs-backup of every pod volume (node-agent, kopia)"],
      [
        "system",
        "namespaces `*` except `cust-*`, `garage`, `postgres`, `backup-system`, `zrepl`, `minio`, `kube-node-lease`, `kube-public`; cluster-scoped resources",
        "Velero: objects + fs-backup of every pod volume (node-agent, kopia)",
      ],
      ["garage-meta-ceph", "namespace `garage`; objects labelled `backup-this-pvc=true`", "Velero: objects + CSI snapshot moved to the bucket (data mover, kopia)"],
      ["garage-data-zfs", "namespace `garage`; objects labelled `backup-strategy=zfs-local`", "Velero: objects + CSI snapshot kept on the node (no data move)"],
      ["postgres", "namespace `postgres`", "Velero: objects + pg_dumpall pre-hook in StatefulSet postgres/postgres, fs-backup of its volume `backups`"],
      ["benji", "PVCs labelled `backup-this-pvc=true` in namespace `garage`, Ceph RBD volumes only", "Benji: RBD snapshot + block-level diff (benji-backup-pvc)"],
      ["zrepl", "ZFS datasets `tank/garage<` on node `node-garage-1`", "zrepl push job `garage_push`: periodic snapshots replicated with zfs send/recv"],
    ]);
  });

  it("names each destination with its backend, bucket and versioning, and the encryption and immutability there", () => {
    expect(c.flows.map((f) => [f.flow, f.destination.text, f.destination.versioned, f.destination.inCluster])).toEqual([
      ["tenants", "BSL `default` → scaleway `acme-k8s-prod-velero/tenants`", true, false],
      ["system", "BSL `system` → scaleway `acme-k8s-prod-velero/system`", true, false],
      ["garage-meta-ceph", "BSL `garage-backups` → scaleway `acme-k8s-prod-velero/garage`", true, false],
      ["garage-data-zfs", "volume snapshots in the source node's ZFS pool; objects → BSL `garage-backups` → scaleway `acme-k8s-prod-velero/garage`", undefined, true],
      ["postgres", "BSL `postgres` → garage `velero-postgres/postgres`", false, true],
      ["benji", "Benji storage → scaleway `acme-k8s-prod-benji`", false, false],
      ["zrepl", "ZFS on node `backup-1`: `wdc/zrepl/garage/tank/garage/…` (TLS to zrepl-sink.zrepl.svc.cluster.local:8888)", undefined, false],
    ]);
    expect(c.flows.map((f) => [f.flow, f.encryption, f.immutability])).toEqual([
      ["tenants", KOPIA, VERSIONED],
      ["system", KOPIA, VERSIONED],
      [
        "garage-meta-ceph",
        "Kubernetes objects (Secrets included): not encrypted by Velero; volume data: kopia repository (AES-256-GCM) via the data mover, key in Secret velero-repo-credentials (output kopiaRepositoryPassword)",
        VERSIONED,
      ],
      [
        "garage-data-zfs",
        "Kubernetes objects (Secrets included): not encrypted by Velero; volume data: none (ZFS snapshot in the source pool)",
        "none: the snapshots live in the source pool and go with it (deletionPolicy Retain survives namespace loss only)",
      ],
      ["postgres", KOPIA, "none: Garage has no versioning and no object lock; a deleted or overwritten object is gone at once"],
      ["benji", "AES-256-GCM (Benji transform `aes`; key material in output benjiEncryption), zstd-compressed first", "none: unversioned bucket (by design: Benji's cleanup must free space); no object lock"],
      [
        "zrepl",
        "TLS in transit (mutual, own CA); at rest as plain datasets on the sink (send.encrypted: false)",
        "separate node; snapshots removed only by the receiver grid; received datasets `canmount=noauto`",
      ],
    ]);
  });

  it("maps every data class of docs/design.md §1 to the flows covering it", () => {
    expect(c.dataClasses.map((d) => [d.id, d.coveredBy, d.level])).toEqual([
      ["tenant-namespaces", ["tenants"], "off-site"],
      ["system-namespaces", ["system"], "off-site"],
      ["cluster-resources", ["system"], "off-site"],
      ["garage-metadata", ["garage-meta-ceph", "benji"], "off-site"],
      ["garage-data", ["garage-data-zfs", "zrepl"], "off-site"],
      ["postgresql", ["postgres"], "in-cluster"],
      ["rbd-pvcs", ["garage-meta-ceph", "benji"], "off-site"],
    ]);
  });

  it("reports the gaps: Postgres kept in Garage, unversioned buckets, flows no drill verifies, the Garage metadata PVCs copied twice", () => {
    expect(c.gaps).toEqual([
      {
        kind: "in-cluster-only",
        subject: "postgresql",
        message: "PostgreSQL (`postgres`, pg_dumpall: each database consistent on its own, not across databases): every copy (postgres) is stored inside the cluster it protects; a cluster loss takes the backup with it",
      },
      {
        kind: "unversioned",
        subject: "postgres",
        message: "postgres writes to garage bucket `velero-postgres` without versioning (Garage has no versioning): whoever holds its credentials can delete or overwrite the backups for good",
      },
      {
        kind: "unversioned",
        subject: "benji",
        message: "benji writes to scaleway bucket `acme-k8s-prod-benji` without versioning (unversioned by design: Benji's cleanup must free space): whoever holds its credentials can delete or overwrite the backups for good",
      },
      {
        kind: "unverified",
        subject: "system",
        message: "system: no restore drill or scrub reads its backups back on a schedule, so a backup that cannot be restored goes unnoticed until it is needed",
      },
      {
        kind: "unverified",
        subject: "garage-meta-ceph",
        message: "garage-meta-ceph: no restore drill or scrub reads its backups back on a schedule, so a backup that cannot be restored goes unnoticed until it is needed",
      },
      {
        kind: "unverified",
        subject: "garage-data-zfs",
        message: "garage-data-zfs: no restore drill or scrub reads its backups back on a schedule, so a backup that cannot be restored goes unnoticed until it is needed",
      },
      {
        kind: "unverified",
        subject: "zrepl",
        message: "zrepl: no restore drill or scrub reads its backups back on a schedule, so a backup that cannot be restored goes unnoticed until it is needed",
      },
      {
        kind: "overlap",
        subject: "garage-metadata",
        message: "Garage metadata PVCs (`garage`, `backup-this-pvc=true`, Ceph RBD): copied by garage-meta-ceph (`backup-this-pvc=true`) and benji (`backup-this-pvc=true`): the same PVCs are backed up twice",
      },
      {
        kind: "overlap",
        subject: "rbd-pvcs",
        message:
          "Ceph RBD PVCs labelled `backup-this-pvc=true` in the platform's namespaces (block level; e.g. `garage`): copied by garage-meta-ceph (`backup-this-pvc=true`) and benji (`backup-this-pvc=true`): the same PVCs are backed up twice",
      },
      {
        kind: "image-tag-only",
        subject: "velero.awsPluginImage",
        message: "velero.awsPluginImage (`docker.io/velero/velero-plugin-for-aws:v1.14.3`) is pinned by tag only (images.allowTagOnly) though it runs inside the Velero pod with the storage keys: whoever can move that tag runs other code with that access",
      },
      {
        kind: "image-tag-only",
        subject: "flows.tenants.optOutImage",
        message: "flows.tenants.optOutImage (`registry.k8s.io/kubectl:v1.34.2`) is pinned by tag only (images.allowTagOnly) though it runs with a token that may patch every namespace: whoever can move that tag runs other code with that access",
      },
      {
        kind: "image-tag-only",
        subject: "flows.benji.image",
        message: "flows.benji.image (`ghcr.io/elemental-lf/benji-k8s:0.17.0`) is pinned by tag only (images.allowTagOnly) though it runs privileged with the Ceph key, the database URL and the S3 keys: whoever can move that tag runs other code with that access",
      },
      {
        kind: "image-tag-only",
        subject: "flows.zrepl.image",
        message: "flows.zrepl.image (`ghcr.io/acme/zrepl:0.7.0-openzfs2.2`) is pinned by tag only (images.allowTagOnly) though it runs privileged on the ZFS nodes with the zrepl TLS keys: whoever can move that tag runs other code with that access",
      },
    ]);
  });

  it("draws the flows as a Mermaid graph from the same rows", () => {
    const graph = coverageMermaid(c).split("\n");
    expect(graph[0]).toBe("graph LR");
    expect(graph).toContain('  src_tenants -- "tenants: 0 1 * * * UTC" --> dst_scaleway_acme_k8s_prod_velero_tenants');
    expect(graph).toContain('  src_zrepl -- "zrepl: every 10m" --> dst_sink_wdc_zrepl_garage_tank_garage__');
    expect(graph).toContain('  subgraph garage_velero_postgres["garage: velero-postgres"]');
    expect(graph).toContain('    dst_local_garage_data_zfs["ZFS pool (local snapshots)"]');
    expect(graph.filter((l) => l.includes(" --> "))).toHaveLength(c.flows.length);
    const md = coverageMarkdown(c);
    expect(md).toContain(`\`\`\`mermaid\n${coverageMermaid(c)}\n\`\`\``);
    expect(md).toContain("| tenants | `Schedule backup-system/tenants-daily` | namespace `cust-*` |");
    expect(md).toContain("- **overlap** — Garage metadata PVCs");
  });
});

describe("coverage of the dev stack", () => {
  let c: Coverage;
  beforeAll(async () => {
    c = coverageOf(await planStack("dev"), "dev");
  });

  it("has the tenants, system and postgres flows, all into the in-cluster MinIO", () => {
    expect(c.flows.map((f) => [f.flow, f.schedule, f.retention, f.destination.text, f.immutability])).toEqual([
      ["tenants", "`0 1 * * *` UTC", "ttl 168h0m0s (≈7 backups)", "BSL `default` → minio `velero/tenants`", VERSIONED],
      ["system", "`0 5 * * *` UTC", "ttl 168h0m0s (≈7 backups)", "BSL `system` → minio `velero/system`", VERSIONED],
      ["postgres", "`0 4 * * *` UTC", "ttl 720h0m0s (≈30 backups)", "BSL `postgres` → minio `velero/postgres`", VERSIONED],
    ]);
    expect(c.flows[2].mechanism).toBe("Velero: objects + pg_dumpall pre-hook in StatefulSet postgres/postgres, fs-backup of its volume `backups`");
  });

  it("reports what a laptop stack leaves out: Garage, Benji, and any copy outside the cluster", () => {
    expect(c.gaps.map((g) => [g.kind, g.subject])).toEqual([
      ["in-cluster-only", "tenant-namespaces"],
      ["in-cluster-only", "system-namespaces"],
      ["in-cluster-only", "cluster-resources"],
      ["uncovered", "garage-metadata"],
      ["uncovered", "garage-data"],
      ["in-cluster-only", "postgresql"],
      ["uncovered", "rbd-pvcs"],
      ["unverified", "system"],
    ]);
    expect(c.gaps[3].message).toBe("Garage metadata PVCs (`garage`, `backup-this-pvc=true`, Ceph RBD): no flow of this stack backs it up");
  });
});

describe("coverage follows the stack's configuration", () => {
  it("verified by: each flow's drills in coverage.md, and a flow whose drill is switched off becomes an unverified gap", async () => {
    const prod = coverageOf(await planStack("prod"), "prod");
    expect(prod.flows.map((f) => [f.flow, verifiedByText(f)])).toEqual([
      ["tenants", "drill `backup-system/restore-drill-tenants` (`0 10 * * 6` UTC; every tenant at least once per 4 weeks)"],
      ["system", "none"],
      ["garage-meta-ceph", "none"],
      ["garage-data-zfs", "none"],
      ["postgres", "drill `backup-system/restore-drill-postgres` (`0 11 * * 6` UTC)"],
      ["benji", "scrub `benji/benji-deep-scrub` (`0 1 * * *` UTC)<br>drill `benji/benji-restore-drill` (`0 12 * * 6` UTC)"],
      ["zrepl", "none"],
    ]);
    expect(prod.flows[0].verifiedBy).toEqual([{ kind: "drill", name: "tenants", object: "CronJob backup-system/restore-drill-tenants", schedule: "`0 10 * * 6` UTC", rotationWeeks: 4 }]);
    const md = coverageMarkdown(prod).split("\n");
    expect(md).toContain("| flow | objects | selects | mechanism | schedule | RPO | retention | oldest restore point | destination | encryption | immutability | verified by |");
    expect(md.find((l) => l.startsWith("| postgres |"))?.endsWith(" | drill `backup-system/restore-drill-postgres` (`0 11 * * 6` UTC) |")).toBe(true);
    expect(md.find((l) => l.startsWith("| zrepl |"))?.endsWith(" | none |")).toBe(true);
    expect(md).toContain("- **unverified** — zrepl: no restore drill or scrub reads its backups back on a schedule, so a backup that cannot be restored goes unnoticed until it is needed");

    const drills = JSON.parse(readStackFile(ROOT, "prod").config["cluster-backup:drills"] ?? "{}") as Record<string, unknown>;
    const off = coverageOf(await planWith("prod", { drills: { ...drills, tenants: { ...(drills.tenants as object), enabled: false } } }), "prod");
    expect(verifiedByText(off.flows[0])).toBe("none");
    expect(off.gaps.filter((g) => g.kind === "unverified").map((g) => g.message)[0]).toBe(
      "tenants: no restore drill or scrub reads its backups back on a schedule, so a backup that cannot be restored goes unnoticed until it is needed; enable drills.tenants",
    );
  });

  it("zrepl off: Garage data has only node-local snapshots", async () => {
    const flows = stackFlows("prod");
    const c = coverageOf(await planWith("prod", { flows: { ...flows, zrepl: { enabled: false } } }), "prod");
    expect(c.flows.map((f) => f.flow)).not.toContain("zrepl");
    expect(c.dataClasses.find((d) => d.id === "garage-data")).toEqual({
      id: "garage-data",
      title: "Garage data (`garage`, `backup-strategy=zfs-local`, ZFS-LocalPV)",
      coveredBy: ["garage-data-zfs"],
      level: "node-local",
    });
    expect(c.gaps.find((g) => g.subject === "garage-data")?.message).toBe(
      "Garage data (`garage`, `backup-strategy=zfs-local`, ZFS-LocalPV): only node-local snapshots (garage-data-zfs); lost with the node or its pool — no off-node copy in this stack",
    );
  });

  it("Benji off: labelled RBD PVCs (Garage's) only in garage-meta-ceph, and no more overlap; both off: uncovered", async () => {
    const flows = stackFlows("prod");
    const c = coverageOf(await planWith("prod", { flows: { ...flows, benji: { enabled: false } } }), "prod");
    expect(c.gaps.map((g) => [g.kind, g.subject])).toEqual([
      ["in-cluster-only", "postgresql"],
      ["unversioned", "postgres"],
      ["unverified", "system"],
      ["unverified", "garage-meta-ceph"],
      ["unverified", "garage-data-zfs"],
      ["unverified", "zrepl"],
      // The waiver of flows.benji.image no longer applies: Benji is not deployed.
      ["image-tag-only", "velero.awsPluginImage"],
      ["image-tag-only", "flows.tenants.optOutImage"],
      ["image-tag-only", "flows.zrepl.image"],
    ]);
    expect(c.dataClasses.find((d) => d.id === "rbd-pvcs")?.coveredBy).toEqual(["garage-meta-ceph"]);
    const none = coverageOf(await planWith("prod", { flows: { ...flows, benji: { enabled: false }, garageMetaCeph: { ...flows.garageMetaCeph, enabled: false } } }), "prod");
    expect(none.gaps.filter((g) => g.subject === "rbd-pvcs").map((g) => g.kind)).toEqual(["uncovered"]);
  });

  it("a Postgres workload owned elsewhere (patchWorkload false): the Schedule backs up no dump until the owner applies the hooks", async () => {
    const flows = stackFlows("prod");
    const c = coverageOf(await planWith("prod", { flows: { ...flows, postgres: { ...flows.postgres, patchWorkload: false } } }), "prod");
    expect(c.flows.find((f) => f.flow === "postgres")?.mechanism).toBe("Velero: Kubernetes objects only");
    expect(c.dataClasses.find((d) => d.id === "postgresql")?.level).toBe("none");
    expect(c.gaps.filter((g) => g.kind === "hooks-missing")).toEqual([
      {
        kind: "hooks-missing",
        subject: "postgres",
        message: "postgres: no pod template in postgres carries the dump hooks in this stack; the workload's owner must apply the podTemplatePatch output, or the backups hold no dump",
      },
    ]);
  });

  it("the legacy kopia password is called out in every flow that stores volume data", async () => {
    const plan = await planWith("prod", { velero: { ...JSON.parse(readStackFile(ROOT, "prod").config["cluster-backup:velero"]), repositoryPassword: "legacy-default" } });
    const c = coverageOf(plan, "prod");
    expect(c.flows.find((f) => f.flow === "tenants")?.encryption).toBe(
      "Kubernetes objects (Secrets included): not encrypted by Velero; volume data: kopia repository (AES-256-GCM) with Velero's well-known default password: readable by anyone with bucket access",
    );
  });
});

describe("coverage helpers", () => {
  it("splits Velero's CRON_TZ prefix", () => {
    expect(splitVeleroCron("CRON_TZ=Europe/Paris 30 2 * * 1-5")).toEqual({ cron: "30 2 * * 1-5", timeZone: "Europe/Paris" });
    expect(splitVeleroCron("0 1 * * *")).toEqual({ cron: "0 1 * * *" });
  });

  it("spans Benji retention rules by their longest window", () => {
    expect(benjiRetentionSpanSeconds("latest7", 86400)).toBe(7 * 86400);
    expect(benjiRetentionSpanSeconds("latest3,days7,weeks4,months3", 86400)).toBe(90 * 86400);
    expect(benjiRetentionSpanSeconds("latest48", 3600)).toBe(2 * 86400);
  });

  it("rounds durations to whole units", () => {
    expect([roughDuration(600), roughDuration(6000), roughDuration(86400), roughDuration(18234000), roughDuration(45)]).toEqual(["10m", "100m", "24h", "211d", "45s"]);
  });
});
