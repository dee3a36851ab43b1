import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { ApiError } from "../scripts/lib/restore/client";
import { EXIT } from "../scripts/lib/restore/exit-codes";
import type { PodVolumeRestore, VeleroBackup, VeleroRestore } from "../scripts/lib/restore/velero-types";
import { validateObject, veleroCrdsAvailable } from "./lib/conformance";
import { fixture, runFakeRestore, type Recording } from "./restore-fake";

const NOW = new Date("2026-03-02T09:12:00Z");
const backups = fixture<{ items: VeleroBackup[] }>("backups-tenants-daily.json").items;
const systemBackup = fixture<VeleroBackup>("backup-system-daily.json");
const completed = fixture<{ polls: VeleroRestore[] }>("restore-cust-1001-completed.json");

/** The cluster as recorded: yesterday's backups, an Available location, tenant cust-1001 present, a restore that completes. */
function cluster(overrides: Partial<Recording> = {}): Recording {
  return {
    backups: [...backups, systemBackup],
    bsls: [fixture("bsl-default-available.json")],
    namespaces: [fixture("namespace-cust-1001.json")],
    polls: completed.polls,
    pvrLists: fixture("podvolumerestores-cust-1001.json"),
    ...overrides,
  };
}

async function restore(argv: string[], recording: Recording, tty = false) {
  return runFakeRestore(argv, recording, NOW, tty);
}

describe("npm run restore against recorded API responses", () => {
  it("restores cust-1001 into a new namespace from the newest Completed backup and follows it to Completed", async () => {
    const r = await restore(["--tenant", "cust-1001", "--as", "restore-cust-1001"], cluster());
    expect(r.error).toBe("");
    expect(r.code).toBe(EXIT.ok);
    expect(r.api.calls).toEqual([
      "listBackups backup-system velero.io/schedule-name=tenants-daily",
      "getBackupStorageLocation backup-system/default",
      "getNamespace restore-cust-1001",
      "getNamespace cust-1001",
      "createNamespace restore-cust-1001",
      "createRestore backup-system/cust-1001-20260302091200",
      ...[0, 1, 2, 3, 4].flatMap(() => ["getRestore backup-system/cust-1001-20260302091200", "listPodVolumeRestores backup-system cust-1001-20260302091200"]),
    ]);
    expect(r.api.writes).toEqual(["createNamespace restore-cust-1001", "createRestore backup-system/cust-1001-20260302091200"]);
    expect(r.api.createdNamespaces).toEqual([
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
          name: "restore-cust-1001",
          labels: { "pod-security.kubernetes.io/enforce": "restricted", "velero.io/exclude-from-backup": "true", "cluster-backup.io/restored-from": "cust-1001" },
          annotations: { "cluster-backup.io/restore-source": "cust-1001", "cluster-backup.io/restore-backup": "tenants-daily-20260301010000" },
        },
      },
    ]);
    expect(r.api.created).toEqual([
      {
        apiVersion: "velero.io/v1",
        kind: "Restore",
        metadata: { name: "cust-1001-20260302091200", namespace: "backup-system", labels: { "app.kubernetes.io/part-of": "cluster-backup", "cluster-backup.io/flow": "tenants" } },
        spec: { backupName: "tenants-daily-20260301010000", includedNamespaces: ["cust-1001"], namespaceMapping: { "cust-1001": "restore-cust-1001" }, restorePVs: true, existingResourcePolicy: "none" },
      },
    ]);
    if (veleroCrdsAvailable()) expect(await validateObject(r.api.created[0] as never)).toEqual([]);
    expect(r.sleeps).toEqual([2000, 2000, 2000, 2000]);
    expect(r.out).toBe(
      [
        "skipping newer backup tenants-daily-20260302010000: it is InProgress, not Completed or PartiallyFailed",
        "backup: tenants-daily-20260301010000 (Completed, started 2026-03-01T01:00:00Z, location default)",
        "created namespace restore-cust-1001 (velero.io/exclude-from-backup=true, not a tenant: no tenant label, no backups, no drills)",
        "created restore backup-system/cust-1001-20260302091200: cust-1001 → restore-cust-1001 from tenants-daily-20260301010000",
        "[0s] InProgress: counting items",
        "[2s] InProgress: 12/57 items (21%)",
        "[4s] InProgress: 57/57 items, volumes 0/2 256.0 MiB/1.0 GiB (100%)",
        "[6s] Finalizing: 57/57 items, volumes 2/2 1.3 GiB/1.3 GiB (100%)",
        "[8s] Completed: 57/57 items, volumes 2/2 1.3 GiB/1.3 GiB (100%)",
        "Restore backup-system/cust-1001-20260302091200 from backup tenants-daily-20260301010000: Completed — restored cust-1001 into namespace restore-cust-1001",
        "  items restored: 57/57, warnings: 2, errors: 0",
        "  pod volumes: 2/2 completed, 0 failed, 1.3 GiB of 1.3 GiB",
        "  details: velero -n backup-system restore describe cust-1001-20260302091200 --details",
        "  logs:    velero -n backup-system restore logs cust-1001-20260302091200",
        "",
      ].join("\n"),
    );
  });

  it("draws a progress bar in place on a terminal", async () => {
    const r = await restore(["--tenant", "cust-1001", "--as", "restore-cust-1001"], cluster(), true);
    expect(r.code).toBe(EXIT.ok);
    const frames = r.out.split("\r").slice(1).map((f) => f.split("\x1b[K")[0]);
    expect(frames).toEqual([
      "[------------------------------]   0% InProgress: counting items (0s)",
      "[######------------------------]  21% InProgress: 12/57 items (2s)",
      "[##############################] 100% InProgress: 57/57 items, volumes 0/2 256.0 MiB/1.0 GiB (4s)",
      "[##############################] 100% Finalizing: 57/57 items, volumes 2/2 1.3 GiB/1.3 GiB (6s)",
      "[##############################] 100% Completed: 57/57 items, volumes 2/2 1.3 GiB/1.3 GiB (8s)",
    ]);
  });

  it("--dry-run prints the Restore as YAML and creates nothing", async () => {
    const r = await restore(["--tenant", "cust-1003", "--as", "check-cust-1003", "--dry-run"], cluster());
    expect(r.code).toBe(EXIT.ok);
    expect(r.api.writes).toEqual([]);
    const yaml = r.out.slice(r.out.indexOf("# dry run"));
    expect(yaml.split("\n")[0]).toBe("# dry run: this Namespace and this Restore would be created in https://apiserver.example:6443 (context fake); nothing was created");
    expect(parseAllDocuments(yaml).map((d) => d.toJS())).toEqual([
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "check-cust-1003", labels: { "velero.io/exclude-from-backup": "true", "cluster-backup.io/restored-from": "cust-1003" }, annotations: { "cluster-backup.io/restore-source": "cust-1003", "cluster-backup.io/restore-backup": "tenants-daily-20260227010000" } },
      },
      {
        apiVersion: "velero.io/v1",
        kind: "Restore",
        metadata: { name: "cust-1003-20260302091200", namespace: "backup-system", labels: { "app.kubernetes.io/part-of": "cluster-backup", "cluster-backup.io/flow": "tenants" } },
        spec: { backupName: "tenants-daily-20260227010000", includedNamespaces: ["cust-1003"], namespaceMapping: { "cust-1003": "check-cust-1003" }, restorePVs: true, existingResourcePolicy: "none" },
      },
    ]);
  });

  it("refuses to restore over an existing namespace, and creates nothing", async () => {
    const r = await restore(["--tenant", "cust-1001"], cluster());
    expect(r.code).toBe(EXIT.namespaceExists);
    expect(r.error).toBe(
      "namespace cust-1001 exists: restoring over it would only add the objects it lacks (Velero never overwrites, this command never deletes). Restore next to it with --as restore-cust-1001, or pass --allow-existing to add the missing objects.",
    );
    expect(r.api.writes).toEqual([]);
    const dry = await restore(["--tenant", "cust-1001", "--dry-run"], cluster());
    expect(dry.code).toBe(EXIT.namespaceExists);
  });

  it("--allow-existing restores into the existing namespace (only missing objects are added)", async () => {
    const r = await restore(["--tenant", "cust-1001", "--allow-existing"], cluster());
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toContain("namespace cust-1001 exists: --allow-existing given, Velero will add missing objects and skip existing ones\n");
    expect(r.api.created[0].spec).toEqual({ backupName: "tenants-daily-20260301010000", includedNamespaces: ["cust-1001"], restorePVs: true, existingResourcePolicy: "none" });
  });

  it("never restores into a namespace being deleted", async () => {
    const terminating = { metadata: { name: "cust-1001" }, status: { phase: "Terminating" } };
    const r = await restore(["--tenant", "cust-1001", "--allow-existing"], cluster({ namespaces: [terminating] }));
    expect(r.code).toBe(EXIT.namespaceExists);
    expect(r.error).toBe("namespace cust-1001 is being deleted (Terminating); wait until it is gone, or restore next to it with --as <new-namespace>");
  });

  it("notes when the tenant namespace is newer than the backup", async () => {
    const young = { metadata: { name: "cust-1001", creationTimestamp: "2026-03-01T12:00:00Z" }, status: { phase: "Active" } };
    const r = await restore(["--tenant", "cust-1001", "--as", "old-cust-1001", "--dry-run"], cluster({ namespaces: [young] }));
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toContain(
      "note: namespace cust-1001 was created at 2026-03-01T12:00:00Z, after backup tenants-daily-20260301010000 started (2026-03-01T01:00:00Z): the backup holds an earlier namespace of that name, or nothing of it\n",
    );
  });

  describe("refusals with distinct exit codes, nothing created", () => {
    it("a tenant no Completed backup contains (opted out since the only good backup)", async () => {
      const r = await restore(["--tenant", "cust-1003"], cluster({ backups: backups.filter((b) => b.metadata.name >= "tenants-daily-20260228") }));
      expect(r.code).toBe(EXIT.noBackup);
      expect(r.error).toBe(
        [
          "no backup of schedule tenants-daily holds all of namespace cust-1003 (3 backups looked at; a PartiallyFailed one counts when none of its errors concern cust-1003):",
          "  tenants-daily-20260302010000 (started 2026-03-02T01:00:00Z) is InProgress, not Completed or PartiallyFailed",
          "  tenants-daily-20260301010000 (started 2026-03-01T01:00:00Z) excludes namespace cust-1003 (spec.excludedNamespaces; a namespace labelled velero.io/exclude-from-backup=true when the backup ran is listed there)",
          "  tenants-daily-20260228010000 (started 2026-02-28T01:00:00Z) excludes namespace cust-1003 (spec.excludedNamespaces; a namespace labelled velero.io/exclude-from-backup=true when the backup ran is listed there)",
          "Is 'cust-1003' the right tenant? A tenant labelled backup=false (velero.io/exclude-from-backup=true) is never backed up.",
        ].join("\n"),
      );
      expect(r.api.writes).toEqual([]);
    });

    it("a schedule without backups", async () => {
      const r = await restore(["--tenant", "cust-1001"], cluster({ backups: [systemBackup] }));
      expect(r.code).toBe(EXIT.noBackup);
      expect(r.error).toBe("no backups of schedule tenants-daily in namespace backup-system (https://apiserver.example:6443 (context fake)); check the schedule with: velero -n backup-system schedule get");
    });

    it("a tenant that is not a cust-* name", async () => {
      const r = await restore(["--tenant", "kube-system"], cluster());
      expect(r.code).toBe(EXIT.usage);
      expect(r.error.split("\n")[0]).toBe("--tenant 'kube-system': not a tenant namespace; tenant namespaces match 'cust-*' (e.g. cust-1001)");
      expect(r.api.calls).toEqual([]);
    });

    it("--from-backup that does not exist, does not contain the tenant, or is not finished", async () => {
      const missing = await restore(["--tenant", "cust-1001", "--as", "x1", "--from-backup", "tenants-daily-20250101010000"], cluster());
      expect(missing.code).toBe(EXIT.badBackup);
      expect(missing.error).toBe("backup 'tenants-daily-20250101010000' not found in namespace backup-system (https://apiserver.example:6443 (context fake)); list the backups with: velero -n backup-system backup get");
      const other = await restore(["--tenant", "cust-1001", "--as", "x1", "--from-backup", "system-daily-20260301050000"], cluster());
      expect(other.code).toBe(EXIT.badBackup);
      expect(other.error).toBe("backup 'system-daily-20260301050000' cannot restore cust-1001: it excludes namespace cust-1001 (spec.excludedNamespaces pattern 'cust-*')");
      const running = await restore(["--tenant", "cust-1001", "--as", "x1", "--from-backup", "tenants-daily-20260302010000"], cluster());
      expect(running.code).toBe(EXIT.badBackup);
      expect(running.error).toBe("backup 'tenants-daily-20260302010000' cannot restore cust-1001: it is InProgress, not Completed or PartiallyFailed");
      for (const r of [missing, other, running]) expect(r.api.writes).toEqual([]);
    });

    it("--from-backup of a PartiallyFailed backup goes ahead with a warning", async () => {
      const r = await restore(["--tenant", "cust-1001", "--as", "x1", "--from-backup", "tenants-daily-20260228010000", "--dry-run"], cluster());
      expect(r.code).toBe(EXIT.ok);
      expect(r.out.split("\n")[0]).toBe(
        "warning: backup tenants-daily-20260228010000 is PartiallyFailed and the object store holds no results file for it, so its errors cannot be placed; restoring from it as asked (velero -n backup-system backup describe tenants-daily-20260228010000 --details)",
      );
    });

    it("an unavailable backup storage location", async () => {
      const r = await restore(["--tenant", "cust-1001", "--as", "x1"], cluster({ bsls: [fixture("bsl-default-unavailable.json")] }));
      expect(r.code).toBe(EXIT.locationUnavailable);
      expect(r.error).toMatch(/^BackupStorageLocation 'default' is Unavailable \(BackupStorageLocation "default" is unavailable: rpc error: .*AccessDenied: Access Denied\): Velero cannot read backup tenants-daily-20260301010000; check it with: velero -n backup-system backup-location get default$/);
      expect(r.api.writes).toEqual([]);
    });

    it("no cluster reachable", async () => {
      const r = await restore(["--tenant", "cust-1001"], cluster({ failAll: new ApiError("unreachable", "no cluster reachable at https://127.0.0.1:6443 (context kind): connect ECONNREFUSED 127.0.0.1:6443") }));
      expect(r.code).toBe(EXIT.unreachable);
      expect(r.error).toBe("no cluster reachable at https://127.0.0.1:6443 (context kind): connect ECONNREFUSED 127.0.0.1:6443");
    });

    it("a refused API request", async () => {
      const r = await restore(["--tenant", "cust-1001"], cluster({ failAll: new ApiError("forbidden", "listing Backups in backup-system: HTTP 403: backups.velero.io is forbidden", 403) }));
      expect(r.code).toBe(EXIT.apiError);
      expect(r.error).toBe("listing Backups in backup-system: HTTP 403: backups.velero.io is forbidden");
      expect(r.api.calls).toEqual(["listBackups backup-system velero.io/schedule-name=tenants-daily"]);
    });
  });

  describe("the end of a restore", () => {
    it("PartiallyFailed → exit 1, FailedValidation → exit 3", async () => {
      const partial = await restore(["--tenant", "cust-1001", "--as", "x1"], cluster({ polls: fixture("restore-cust-1001-partially-failed.json").polls, pvrLists: [] }));
      expect(partial.code).toBe(EXIT.partiallyFailed);
      const invalid = await restore(["--tenant", "cust-1001", "--as", "x1"], cluster({ polls: fixture("restore-cust-1001-failed-validation.json").polls, pvrLists: [] }));
      expect(invalid.code).toBe(EXIT.failed);
      expect(invalid.out).toContain("  validation error: The BSL default is unavailable, cannot retrieve the backup\n");
    });

    it("gives up following at --timeout; the restore continues", async () => {
      const r = await restore(["--tenant", "cust-1001", "--as", "x1", "--timeout", "1m", "--poll-interval", "20s"], cluster({ polls: completed.polls.slice(0, 2), pvrLists: [] }));
      expect(r.code).toBe(EXIT.timeout);
      expect(r.sleeps).toEqual([20000, 20000, 20000]);
      expect(r.out.trimEnd().split("\n").at(-1)).toBe(
        "restore backup-system/cust-1001-20260302091200 is still InProgress after 1m00s: it continues in the cluster; follow it with: velero -n backup-system restore describe cust-1001-20260302091200",
      );
    });

    it("in a log, repeats byte progress alone only every 30 seconds", async () => {
      const pvrs = fixture<{ items: PodVolumeRestore[] }[]>("podvolumerestores-cust-1001.json")[2].items;
      const growing = Array.from({ length: 25 }, (_, i) => ({ items: pvrs.map((p) => ({ ...p, status: { ...p.status, progress: { bytesDone: (i + 1) * 1048576, totalBytes: 1073741824 } } })) }));
      const r = await restore(["--tenant", "cust-1001", "--as", "x1", "--timeout", "1m"], cluster({ polls: [completed.polls[2]], pvrLists: growing }));
      expect(r.code).toBe(EXIT.timeout);
      expect(r.out.split("\n").filter((l) => l.startsWith("["))).toEqual([
        "[0s] InProgress: 57/57 items, volumes 0/2 2.0 MiB/2.0 GiB (100%)",
        "[30s] InProgress: 57/57 items, volumes 0/2 32.0 MiB/2.0 GiB (100%)",
        "[1m00s] InProgress: 57/57 items, volumes 0/2 50.0 MiB/2.0 GiB (100%)",
      ]);
    });

    it("rides out a few failed status reads, and stops after five in a row", async () => {
      const blip = new ApiError("unreachable", "no cluster reachable at https://apiserver.example:6443 (context fake): connect ECONNRESET");
      const ok = await restore(["--tenant", "cust-1001", "--as", "x1"], cluster({ failPolls: { 1: blip, 2: blip } }));
      expect(ok.code).toBe(EXIT.ok);
      const down = await restore(["--tenant", "cust-1001", "--as", "x1"], cluster({ failPolls: { 1: blip, 2: blip, 3: blip, 4: blip, 5: blip } }));
      expect(down.code).toBe(EXIT.unreachable);
      expect(down.error).toBe(
        "no cluster reachable at https://apiserver.example:6443 (context fake): connect ECONNRESET\nrestore backup-system/cust-1001-20260302091200 was created and continues in the cluster; follow it with: velero -n backup-system restore describe cust-1001-20260302091200",
      );
    });
  });
});
