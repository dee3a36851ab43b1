/**
 * The guards of `npm run restore`: where a restore may go (--as, --allow-existing), which PartiallyFailed
 * backup serves which tenant (per-namespace results and PodVolumeBackups), the dry run without a cluster, bounds.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { parseRestoreArgs } from "../scripts/lib/restore/args";
import { ApiError } from "../scripts/lib/restore/client";
import { EXIT } from "../scripts/lib/restore/exit-codes";
import { exitCodeOf } from "../scripts/lib/restore/run";
import { judgePartialBackup } from "../scripts/lib/restore/select";
import type { BackupResultsFile, PodVolumeBackup, VeleroBackup, VeleroRestore } from "../scripts/lib/restore/velero-types";
import { fixture, runFakeRestore, type Recording } from "./restore-fake";

const NOW = new Date("2026-03-04T09:12:00Z");
const backups = fixture<{ items: VeleroBackup[] }>("backups-tenants-daily.json").items;
const partial = fixture<VeleroBackup>("backup-tenants-daily-20260303010000-partially-failed.json");
const results = fixture<BackupResultsFile>("backup-results-tenants-daily-20260303010000.json");
const pvbs = fixture<{ items: PodVolumeBackup[] }>("podvolumebackups-tenants-daily-20260303010000.json").items;
const completed = fixture<{ polls: VeleroRestore[] }>("restore-cust-1001-completed.json");
const PARTIAL = "tenants-daily-20260303010000";

/** Yesterday's nightly backup PartiallyFailed because of cust-1002; cust-1001 and cust-1002 exist. */
function cluster(overrides: Partial<Recording> = {}): Recording {
  return {
    backups: [...backups, partial],
    bsls: [fixture("bsl-default-available.json")],
    namespaces: [{ metadata: { name: "cust-1002", creationTimestamp: "2025-10-01T00:00:00Z", labels: { tenant: "true", backup: "true" } } }],
    podVolumeBackups: pvbs,
    backupResults: { [PARTIAL]: results },
    polls: completed.polls,
    pvrLists: [],
    ...overrides,
  };
}

async function restore(argv: string[], recording: Recording) {
  return runFakeRestore(argv, recording, NOW);
}

function usageError(argv: string[]): string {
  try {
    parseRestoreArgs(argv);
  } catch (err) {
    expect(exitCodeOf(err)).toBe(EXIT.usage);
    return (err as Error).message.split("\n")[0];
  }
  throw new Error(`accepted: ${argv.join(" ")}`);
}

describe("--as: a new namespace of its own, never a system's or a tenant's", () => {
  it.each([
    ["kube-system", "--as 'kube-system': a namespace of Kubernetes itself; restore into a new namespace of its own such as restore-cust-1001"],
    ["kube-public", "--as 'kube-public': a namespace of Kubernetes itself; restore into a new namespace of its own such as restore-cust-1001"],
    ["default", "--as 'default': a namespace of Kubernetes itself; restore into a new namespace of its own such as restore-cust-1001"],
    ["backup-system", "--as 'backup-system': a namespace of the backup system or the platform; restore into a new namespace of its own such as restore-cust-1001"],
    ["benji", "--as 'benji': a namespace of the backup system or the platform; restore into a new namespace of its own such as restore-cust-1001"],
    ["postgres", "--as 'postgres': a namespace of the backup system or the platform; restore into a new namespace of its own such as restore-cust-1001"],
    ["drill-cust-1001-202603010100", "--as 'drill-cust-1001-202603010100': drill-* namespaces are the restore drills' scratch namespaces, which the drills delete; restore into a new namespace of its own such as restore-cust-1001"],
    ["cust-2002", "--as 'cust-2002': a tenant namespace name ('cust-*'): the tenants schedule would back the copy up and the drills take it for a tenant; restore into a new namespace of its own such as restore-cust-1001"],
    ["cust-1001-restore", "--as 'cust-1001-restore': a tenant namespace name ('cust-*'): the tenants schedule would back the copy up and the drills take it for a tenant; restore into a new namespace of its own such as restore-cust-1001"],
    ["cust-1001", "--as 'cust-1001' is the tenant's own namespace; omit --as to restore in place"],
  ])("--as %s is refused before any cluster access (exit 2)", (as, line) => {
    expect(usageError(["--tenant", "cust-1001", "--as", as])).toBe(line);
  });

  it("--velero-namespace and a plan's namespaces are system namespaces too", () => {
    expect(usageError(["--tenant", "cust-1001", "--velero-namespace", "velero", "--as", "velero"])).toBe(
      "--as 'velero': a namespace of the backup system or the platform; restore into a new namespace of its own such as restore-cust-1001",
    );
    const plan = mkdtempSync(join(tmpdir(), "restore-guards-plan-"));
    mkdirSync(join(plan, "manifests"));
    writeFileSync(join(plan, "manifests", "namespace--cluster--garage-prod.yaml"), stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "garage-prod" } }));
    writeFileSync(join(plan, "manifests", "schedule--backup-system--tenants-daily.yaml"), stringify({ apiVersion: "velero.io/v1", kind: "Schedule", metadata: { name: "tenants-daily", namespace: "backup-system", labels: { "cluster-backup/flow": "tenants" } }, spec: { template: { includedNamespaces: ["client-*"] } } }));
    expect(usageError(["--tenant", "client-7", "--plan", plan, "--as", "cust-7"])).toBe(
      "--as 'cust-7': named like a tenant namespace (cust-<id>), which the admission policy requires to carry the tenant labels; restore into a new namespace of its own such as restore-client-7",
    );
    expect(usageError(["--tenant", "client-7", "--plan", plan, "--as", "client-7-copy"])).toBe(
      "--as 'client-7-copy': a tenant namespace name ('client-*'): the tenants schedule would back the copy up and the drills take it for a tenant; restore into a new namespace of its own such as restore-client-7",
    );
    expect(usageError(["--tenant", "client-7", "--plan", plan, "--as", "garage-prod"])).toBe("--as 'garage-prod': a namespace of the backup system or the platform; restore into a new namespace of its own such as restore-client-7");
  });

  it("--allow-existing restores in place only", () => {
    expect(usageError(["--tenant", "cust-1001", "--as", "restore-cust-1001", "--allow-existing"])).toBe(
      "--allow-existing restores only in place (into cust-1001 itself); with --as the target must be a new namespace",
    );
    expect(parseRestoreArgs(["--tenant", "cust-1001", "--allow-existing"])).toMatchObject({ allowExisting: true });
  });

  it("suggests a name that stays a DNS label for the longest tenant names", () => {
    const tenant = `cust-${"9".repeat(58)}`;
    expect(usageError(["--tenant", tenant, "--as", "default"])).toBe(`--as 'default': a namespace of Kubernetes itself; restore into a new namespace of its own such as restore-cust-${"9".repeat(50)}`);
  });

  it("an existing namespace: a tenant's or the backup system's is a usage error, any other exit 6; nothing created", async () => {
    const tenantElsewhere = await restore(["--tenant", "cust-1001", "--as", "acme"], cluster({ namespaces: [{ metadata: { name: "acme", labels: { tenant: "true" } } }] }));
    expect([tenantElsewhere.code, tenantElsewhere.error]).toEqual([EXIT.usage, "--as 'acme': namespace acme is a tenant's (labelled tenant=true); restore into a new namespace such as restore-cust-1001"]);
    const system = await restore(["--tenant", "cust-1001", "--as", "monitoring"], cluster({ namespaces: [{ metadata: { name: "monitoring", labels: { "app.kubernetes.io/part-of": "cluster-backup" } } }] }));
    expect([system.code, system.error]).toEqual([EXIT.usage, "--as 'monitoring': namespace monitoring belongs to the backup system (labelled app.kubernetes.io/part-of=cluster-backup); restore into a new namespace such as restore-cust-1001"]);
    const other = await restore(["--tenant", "cust-1001", "--as", "scratch"], cluster({ namespaces: [{ metadata: { name: "scratch" } }] }));
    expect([other.code, other.error]).toEqual([
      EXIT.namespaceExists,
      "namespace scratch exists: --as restores into a new namespace only (--allow-existing is for in-place restores); choose another name, or delete scratch first",
    ]);
    for (const r of [tenantElsewhere, system, other]) expect(r.api.writes).toEqual([]);
  });

  it("creates the copy's namespace first: Velero's exclude label, restored-from, no tenant label", async () => {
    const r = await restore(["--tenant", "cust-1002", "--as", "restore-cust-1002"], cluster({ backups: backups }));
    expect(r.code).toBe(EXIT.ok);
    expect(r.api.writes).toEqual(["createNamespace restore-cust-1002", "createRestore backup-system/cust-1002-20260304091200"]);
    expect(r.api.createdNamespaces[0].metadata.labels).toEqual({ "velero.io/exclude-from-backup": "true", "cluster-backup.io/restored-from": "cust-1002" });
    expect(r.api.created[0].spec.namespaceMapping).toEqual({ "cust-1002": "restore-cust-1002" });
  });
});

describe("a refused Restore after the copy's namespace was created", () => {
  it("says the namespace is left empty, with the exit code of the failure", async () => {
    const r = await restore(["--tenant", "cust-1001", "--as", "restore-cust-1001"], cluster({ failCreateRestore: new ApiError("forbidden", "creating Restore backup-system/cust-1001-20260304091200: HTTP 403: restores.velero.io is forbidden", 403) }));
    expect(r.code).toBe(EXIT.apiError);
    expect(r.error).toBe(
      "creating Restore backup-system/cust-1001-20260304091200: HTTP 403: restores.velero.io is forbidden\nnamespace restore-cust-1001 was created and is left empty: delete it (kubectl delete namespace restore-cust-1001) before trying again",
    );
    expect(r.api.writes).toEqual(["createNamespace restore-cust-1001", "createRestore backup-system/cust-1001-20260304091200"]);
  });
});

describe("bounds", () => {
  it.each([
    [["--timeout", "5s"], "--timeout '5s': expected 1m to 168h (how long to follow the restore; it continues in the cluster after that)"],
    [["--timeout", "9999h"], "--timeout '9999h': expected 1m to 168h (how long to follow the restore; it continues in the cluster after that)"],
    [["--timeout", "0s"], "--timeout '0s': expected a positive duration with units h, m, s such as '2s', '30m' or '6h'"],
    [["--poll-interval", "1h"], "--poll-interval '1h': expected 1s to 10m (time between two status reads)"],
    [["--poll-interval", "5m", "--timeout", "2m"], "--poll-interval '5m' is longer than --timeout '2m'"],
    [["--dry-run=yes"], "--dry-run takes no value"],
    [["--tenant", "cust-2"], "--tenant given twice"],
  ])("%j → exit 2", (extra, line) => {
    expect(usageError(["--tenant", "cust-1001", ...extra])).toBe(line);
  });

  it("accepts the bounds themselves", () => {
    expect(parseRestoreArgs(["--tenant", "cust-1001", "--timeout", "1m", "--poll-interval", "1m"])).toMatchObject({ timeoutSeconds: 60, pollSeconds: 60 });
    expect(parseRestoreArgs(["--tenant", "cust-1001", "--timeout", "168h", "--poll-interval", "10m"])).toMatchObject({ timeoutSeconds: 604800, pollSeconds: 600 });
  });
});

describe("one tenant's failure does not block the others: PartiallyFailed backups judged per namespace", () => {
  it("uses last night's PartiallyFailed backup for a tenant without errors, and says so", async () => {
    const r = await restore(["--tenant", "cust-1001", "--as", "restore-cust-1001"], cluster());
    expect(r.code).toBe(EXIT.ok);
    expect(r.lines.slice(0, 3)).toEqual([
      "backup tenants-daily-20260303010000 is PartiallyFailed, but none of its errors concern cust-1001: they are in 1 other namespace (cust-1002) and no pod volume backup of cust-1001 failed (backup results and PodVolumeBackups)",
      "backup: tenants-daily-20260303010000 (PartiallyFailed, started 2026-03-03T01:00:00Z, location default)",
      "created namespace restore-cust-1001 (velero.io/exclude-from-backup=true, not a tenant: no tenant label, no backups, no drills)",
    ]);
    expect(r.api.calls.slice(0, 3)).toEqual(["listBackups backup-system velero.io/schedule-name=tenants-daily", `listPodVolumeBackups backup-system ${PARTIAL}`, `readBackupResults backup-system/${PARTIAL}`]);
    expect(r.api.created[0].spec.backupName).toBe(PARTIAL);
  });

  it("goes back to the newest Completed backup for the tenant whose volume failed", async () => {
    const r = await restore(["--tenant", "cust-1002", "--as", "restore-cust-1002"], cluster());
    expect(r.code).toBe(EXIT.ok);
    expect(r.lines.slice(0, 3)).toEqual([
      "skipping newer backup tenants-daily-20260303010000: it is PartiallyFailed and 1 pod volume backup of cust-1002 failed (pod shop-db-0 volume pgdata: data path backup failed: Failed to run kopia backup: unable to read file base/16384/2619: input/output error)",
      "skipping newer backup tenants-daily-20260302010000: it is InProgress, not Completed or PartiallyFailed",
      "backup: tenants-daily-20260301010000 (Completed, started 2026-03-01T01:00:00Z, location default)",
    ]);
  });

  it("an error recorded against the tenant in the results disqualifies the backup for it", async () => {
    const r = await restore(["--tenant", "cust-1002", "--as", "restore-cust-1002", "--dry-run"], cluster({ podVolumeBackups: [] }));
    expect(r.lines[0]).toBe(
      "skipping newer backup tenants-daily-20260303010000: it is PartiallyFailed with 2 errors in cust-1002: resource: /pods name: /shop-db-0 message: /Error backing up item error: /pod volume backup failed: error to backup pod volume data: data path backup failed: Failed to run kopia backup: unable to read file /host_pods/5e0f1a2b-7c3d-4e8f-9a6b-1c2d3e4f5a6b/volumes/kubernetes.io~csi/pvc-8d2e/mount/base/16384/2619: input/output error",
    );
  });

  it("errors Velero did not place in a namespace, missing or unreadable results: not used, with the reason", async () => {
    const unplaced = await restore(["--tenant", "cust-1001", "--dry-run"], cluster({ backupResults: { [PARTIAL]: { errors: { velero: [" message: /Error getting backup store for this location error: /timeout"], namespaces: { "cust-1002": ["x"] } } } } }));
    expect(unplaced.lines[0]).toBe(
      "skipping newer backup tenants-daily-20260303010000: it is PartiallyFailed with 1 error Velero did not record against a namespace, so cust-1001 may be incomplete: message: /Error getting backup store for this location error: /timeout",
    );
    const missing = await restore(["--tenant", "cust-1001", "--dry-run"], cluster({ backupResults: {} }));
    expect(missing.lines[0]).toBe("skipping newer backup tenants-daily-20260303010000: it is PartiallyFailed and the object store holds no results file for it, so its errors cannot be placed");
    const unreadable = await restore(["--tenant", "cust-1001", "--dry-run"], cluster({ backupResults: { [PARTIAL]: new ApiError("forbidden", "creating DownloadRequest backup-system/x: HTTP 403: downloadrequests.velero.io is forbidden", 403) } }));
    expect(unreadable.lines[0]).toBe(
      "skipping newer backup tenants-daily-20260303010000: it is PartiallyFailed and its per-namespace results could not be read (creating DownloadRequest backup-system/x: HTTP 403: downloadrequests.velero.io is forbidden)",
    );
    for (const r of [unplaced, missing, unreadable]) expect(r.lines[2]).toBe("backup: tenants-daily-20260301010000 (Completed, started 2026-03-01T01:00:00Z, location default)");
  });

  it("--from-backup of a PartiallyFailed backup: a note when the tenant is whole, a warning naming its errors otherwise", async () => {
    const clean = await restore(["--tenant", "cust-1001", "--as", "restore-cust-1001", "--from-backup", PARTIAL, "--dry-run"], cluster());
    expect(clean.lines[0]).toMatch(/^backup tenants-daily-20260303010000 is PartiallyFailed, but none of its errors concern cust-1001: /);
    const hit = await restore(["--tenant", "cust-1002", "--as", "restore-cust-1002", "--from-backup", PARTIAL, "--dry-run"], cluster());
    expect(hit.code).toBe(EXIT.ok);
    expect(hit.lines[0]).toBe(
      "warning: backup tenants-daily-20260303010000 is PartiallyFailed and 1 pod volume backup of cust-1002 failed (pod shop-db-0 volume pgdata: data path backup failed: Failed to run kopia backup: unable to read file base/16384/2619: input/output error); restoring from it as asked (velero -n backup-system backup describe tenants-daily-20260303010000 --details)",
    );
  });

  it("judgePartialBackup: a PartiallyFailed backup without any placed error is not trusted", () => {
    expect(judgePartialBackup(partial, "cust-1001", { errors: {} }, [])).toEqual({ usable: false, problem: "is PartiallyFailed but its results place no error in any namespace, so the failure cannot be ruled out for it" });
    expect(judgePartialBackup(partial, "cust-1001", { errors: { cluster: [" resource: /persistentvolumes name: /pvc-1 message: /x"] } }, [])).toEqual({
      usable: false,
      problem: "is PartiallyFailed with 1 error Velero did not record against a namespace, so cust-1001 may be incomplete: resource: /persistentvolumes name: /pvc-1 message: /x",
    });
  });
});

describe("--dry-run without a cluster", () => {
  const unreachable = new ApiError("unreachable", "no cluster reachable at https://127.0.0.1:6443 (context kind): connect ECONNREFUSED 127.0.0.1:6443");

  it("prints the Namespace and the Restore of --from-backup, checking nothing", async () => {
    const r = await restore(["--tenant", "cust-1001", "--as", "restore-cust-1001", "--from-backup", "tenants-daily-20260301010000", "--dry-run"], cluster({ failAll: unreachable }));
    expect(r.code).toBe(EXIT.ok);
    expect(r.lines.slice(0, 3)).toEqual([
      "# dry run without a cluster (no cluster reachable at https://127.0.0.1:6443 (context kind): connect ECONNREFUSED 127.0.0.1:6443): nothing was checked or created",
      "# backup tenants-daily-20260301010000 as given: not checked (that it exists, holds cust-1001 and its location is available)",
      "# the Namespace gets the Pod Security labels of cust-1001 when created against the cluster",
    ]);
    expect(parseAllDocuments(r.out).map((d) => d.toJS())).toEqual([
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "restore-cust-1001", labels: { "velero.io/exclude-from-backup": "true", "cluster-backup.io/restored-from": "cust-1001" }, annotations: { "cluster-backup.io/restore-source": "cust-1001", "cluster-backup.io/restore-backup": "tenants-daily-20260301010000" } } },
      {
        apiVersion: "velero.io/v1",
        kind: "Restore",
        metadata: { name: "cust-1001-20260304091200", namespace: "backup-system", labels: { "app.kubernetes.io/part-of": "cluster-backup", "cluster-backup.io/flow": "tenants" } },
        spec: { backupName: "tenants-daily-20260301010000", includedNamespaces: ["cust-1001"], namespaceMapping: { "cust-1001": "restore-cust-1001" }, restorePVs: true, existingResourcePolicy: "none" },
      },
    ]);
  });

  it("without --from-backup the Restore names the schedule (Velero's newest Completed backup of it)", async () => {
    const r = await restore(["--tenant", "cust-1001", "--dry-run"], cluster({ failAll: unreachable }));
    expect(r.code).toBe(EXIT.ok);
    expect(r.lines[1]).toBe("# no --from-backup: the Restore names schedule tenants-daily, and Velero would take its newest Completed backup; against the cluster this command picks the newest backup that holds all of cust-1001");
    expect(parseAllDocuments(r.out).map((d) => d.toJS())[0].spec).toEqual({ scheduleName: "tenants-daily", includedNamespaces: ["cust-1001"], restorePVs: true, existingResourcePolicy: "none" });
  });

  it("without --dry-run an unreachable cluster stays exit 7", async () => {
    const r = await restore(["--tenant", "cust-1001", "--from-backup", "tenants-daily-20260301010000"], cluster({ failAll: unreachable }));
    expect(r.code).toBe(EXIT.unreachable);
  });
});
