import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { parseRestoreArgs, readPlanNames } from "../scripts/lib/restore/args";
import { buildRestore, restoreName } from "../scripts/lib/restore/build";
import { EXIT, RestoreError } from "../scripts/lib/restore/exit-codes";
import { plainLine, progressBar, snapshotOf, summarizeRestore, ttyLine } from "../scripts/lib/restore/progress";
import { backupProblem, namespaceFilterProblem, RESTORABLE_PHASES, selectBackup } from "../scripts/lib/restore/select";
import { veleroLabelValue, type PodVolumeRestore, type VeleroBackup, type VeleroRestore } from "../scripts/lib/restore/velero-types";
import { validateObject, veleroCrdsAvailable } from "./lib/conformance";
import { fixture } from "./restore-fake";

const backups = fixture<{ items: VeleroBackup[] }>("backups-tenants-daily.json").items;
const systemBackup = fixture<VeleroBackup>("backup-system-daily.json");
const completed = fixture<{ created: VeleroRestore; polls: VeleroRestore[] }>("restore-cust-1001-completed.json");
const pvrLists = fixture<{ items: PodVolumeRestore[] }[]>("podvolumerestores-cust-1001.json");
const byName = (name: string) => backups.find((b) => b.metadata.name === name)!;
const NOW = new Date("2026-03-02T09:12:00.417Z");

describe.skipIf(!veleroCrdsAvailable())("recorded Velero API responses are faithful to the v1.18 CRDs", () => {
  const objects: [string, Record<string, unknown>][] = [
    ...backups.map((b): [string, Record<string, unknown>] => [`backups-tenants-daily.json ${b.metadata.name}`, b as never]),
    ["backup-system-daily.json", systemBackup as never],
    ["bsl-default-available.json", fixture("bsl-default-available.json")],
    ["bsl-default-unavailable.json", fixture("bsl-default-unavailable.json")],
    ["namespace-cust-1001.json", fixture("namespace-cust-1001.json")],
    ["restore-cust-1001-completed.json created", completed.created as never],
    ...completed.polls.map((r, i): [string, Record<string, unknown>] => [`restore-cust-1001-completed.json poll ${i}`, r as never]),
    ["restore-cust-1001-partially-failed.json", fixture("restore-cust-1001-partially-failed.json").polls[0]],
    ["restore-cust-1001-failed-validation.json", fixture("restore-cust-1001-failed-validation.json").polls[0]],
    ...pvrLists.flatMap((l, i) => l.items.map((p): [string, Record<string, unknown>] => [`podvolumerestores-cust-1001.json list ${i} ${p.metadata.name}`, p as never])),
    ["backup-tenants-daily-20260303010000-partially-failed.json", fixture("backup-tenants-daily-20260303010000-partially-failed.json")],
    ...fixture<{ items: Record<string, unknown>[] }>("podvolumebackups-tenants-daily-20260303010000.json").items.map((p, i): [string, Record<string, unknown>] => [`podvolumebackups-tenants-daily-20260303010000.json item ${i}`, p]),
  ];

  it.each(objects)("%s", async (_name, object) => {
    expect(await validateObject(object)).toEqual([]);
  });

  it("the validator would catch a wrong field in a recorded object", async () => {
    const wrong = { ...completed.polls[4], status: { ...completed.polls[4].status, phase: "Done" } };
    expect(await validateObject(wrong as never)).toEqual([
      '/status/phase enum: must be one of ["New","FailedValidation","InProgress","WaitingForPluginOperations","WaitingForPluginOperationsPartiallyFailed","Completed","PartiallyFailed","Failed","Finalizing","FinalizingPartiallyFailed"]',
    ]);
  });
});

describe("selectBackup: newest Completed backup whose filters select the tenant", () => {
  it("skips the running backup and picks yesterday's for cust-1001", () => {
    const selection = selectBackup(backups, "cust-1001");
    expect(selection.backup?.metadata.name).toBe("tenants-daily-20260301010000");
    expect(selection.candidates).toEqual([
      { name: "tenants-daily-20260302010000", phase: "InProgress", started: "2026-03-02T01:00:00Z", problem: "is InProgress, not Completed" },
      { name: "tenants-daily-20260301010000", phase: "Completed", started: "2026-03-01T01:00:00Z" },
    ]);
  });

  it("goes back past the backups that exclude an opted-out tenant and past PartiallyFailed ones", () => {
    const selection = selectBackup(backups, "cust-1003");
    expect(selection.backup?.metadata.name).toBe("tenants-daily-20260227010000");
    expect(selection.candidates.map((c) => c.problem)).toEqual([
      "is InProgress, not Completed",
      "excludes namespace cust-1003 (spec.excludedNamespaces; a namespace labelled velero.io/exclude-from-backup=true when the backup ran is listed there)",
      "is PartiallyFailed, not Completed",
      undefined,
    ]);
  });

  it("finds nothing for a namespace outside the tenants glob, saying why for each backup, newest first", () => {
    const selection = selectBackup(backups, "postgres");
    expect(selection.backup).toBeUndefined();
    expect(selection.candidates.map((c) => `${c.name}: ${c.problem}`)).toEqual([
      "tenants-daily-20260302010000: is InProgress, not Completed",
      'tenants-daily-20260301010000: does not include namespace postgres (spec.includedNamespaces ["cust-*"])',
      "tenants-daily-20260228010000: is PartiallyFailed, not Completed",
      'tenants-daily-20260227010000: does not include namespace postgres (spec.includedNamespaces ["cust-*"])',
      'tenants-daily-20260226010000: is Failed, not Completed: found a backup with status "InProgress" during the server starting, mark it as "Failed"',
    ]);
  });

  it("is independent of the order the API lists the backups in", () => {
    expect(selectBackup([...backups].reverse(), "cust-1001").backup?.metadata.name).toBe("tenants-daily-20260301010000");
  });

  it("judges namespace filters like Velero: exclusion (glob) wins over inclusion, empty inclusion = all", () => {
    expect(namespaceFilterProblem(systemBackup, "cust-1001")).toBe("excludes namespace cust-1001 (spec.excludedNamespaces pattern 'cust-*')");
    expect(namespaceFilterProblem(systemBackup, "powerdns")).toBeUndefined();
    const all = { ...systemBackup, spec: { storageLocation: "system" } } as VeleroBackup;
    expect(namespaceFilterProblem(all, "cust-1001")).toBeUndefined();
    const bracket = { ...systemBackup, spec: { includedNamespaces: ["cust-100[0-2]"] } } as VeleroBackup;
    expect(namespaceFilterProblem(bracket, "cust-1001")).toBeUndefined();
    expect(namespaceFilterProblem(bracket, "cust-1003")).toBe('does not include namespace cust-1003 (spec.includedNamespaces ["cust-100[0-2]"])');
  });

  it("accepts a PartiallyFailed backup only when asked to, and never an empty one", () => {
    const partial = byName("tenants-daily-20260228010000");
    expect(backupProblem(partial, "cust-1001")).toBe("is PartiallyFailed, not Completed");
    expect(backupProblem(partial, "cust-1001", RESTORABLE_PHASES)).toBeUndefined();
    const empty = { ...byName("tenants-daily-20260301010000"), status: { ...byName("tenants-daily-20260301010000").status, progress: { itemsBackedUp: 0, totalItems: 0 } } } as VeleroBackup;
    expect(backupProblem(empty, "cust-1001")).toBe("backed up no items (status.progress.totalItems is 0)");
  });
});

describe("buildRestore", () => {
  it("names the restore <tenant>-<UTC yyyyMMddHHmmss> from the injected clock", () => {
    expect(restoreName("cust-1001", NOW)).toBe("cust-1001-20260302091200");
  });

  it("restores only the tenant, PVs included, existing objects untouched, mapped to a new namespace with --as", async () => {
    const restore = buildRestore({ tenant: "cust-1001", backupName: "tenants-daily-20260301010000", veleroNamespace: "backup-system", targetNamespace: "restore-cust-1001", now: NOW });
    expect(restore).toEqual({
      apiVersion: "velero.io/v1",
      kind: "Restore",
      metadata: { name: "cust-1001-20260302091200", namespace: "backup-system", labels: { "app.kubernetes.io/part-of": "cluster-backup", "cluster-backup.io/flow": "tenants" } },
      spec: {
        backupName: "tenants-daily-20260301010000",
        includedNamespaces: ["cust-1001"],
        namespaceMapping: { "cust-1001": "restore-cust-1001" },
        restorePVs: true,
        existingResourcePolicy: "none",
      },
    });
    // The recorded API answer to creating it is this very object plus server fields.
    expect(completed.created.spec).toEqual(restore.spec);
    if (veleroCrdsAvailable()) expect(await validateObject(restore as never)).toEqual([]);
  });

  it("has no namespaceMapping for an in-place restore", async () => {
    const restore = buildRestore({ tenant: "cust-1001", backupName: "tenants-daily-20260301010000", veleroNamespace: "velero", now: NOW });
    expect(restore.spec).toEqual({ backupName: "tenants-daily-20260301010000", includedNamespaces: ["cust-1001"], restorePVs: true, existingResourcePolicy: "none" });
    expect(restore.metadata.namespace).toBe("velero");
    if (veleroCrdsAvailable()) expect(await validateObject(restore as never)).toEqual([]);
  });

  it("computes the label value Velero gives long restore names", () => {
    expect(veleroLabelValue("cust-1001-20260302091200")).toBe("cust-1001-20260302091200");
    const long = `cust-${"a".repeat(58)}-20260302091200`;
    expect(veleroLabelValue(long)).toHaveLength(63);
    // sha256 of the name, computed independently: printf %s "$name" | sha256sum
    expect(veleroLabelValue(long)).toBe(`${long.slice(0, 57)}fa1ca1`);
  });
});

describe("progress and summary of a recorded restore", () => {
  const snapshots = completed.polls.map((r, i) => snapshotOf(r, pvrLists[i].items));

  it("reads items, volumes and bytes from each poll", () => {
    expect(snapshots.map((s) => plainLine(s, 7))).toEqual([
      "[7s] InProgress: counting items",
      "[7s] InProgress: 12/57 items (21%)",
      "[7s] InProgress: 57/57 items, volumes 0/2 256.0 MiB/1.0 GiB (100%)",
      "[7s] Finalizing: 57/57 items, volumes 2/2 1.3 GiB/1.3 GiB (100%)",
      "[7s] Completed: 57/57 items, volumes 2/2 1.3 GiB/1.3 GiB (100%)",
    ]);
    expect(progressBar(snapshots[1], 20)).toBe("[####----------------]  21%");
    expect(ttyLine(snapshots[1], 125)).toBe("[######------------------------]  21% InProgress: 12/57 items (2m05s)");
  });

  it("summarizes Completed, PartiallyFailed and FailedValidation with their exit codes", () => {
    expect(summarizeRestore(completed.polls[4], pvrLists[4].items)).toEqual({
      exitCode: EXIT.ok,
      lines: [
        "Restore backup-system/cust-1001-20260302091200 from backup tenants-daily-20260301010000: Completed — restored cust-1001 into namespace restore-cust-1001",
        "  items restored: 57/57, warnings: 2, errors: 0",
        "  pod volumes: 2/2 completed, 0 failed, 1.3 GiB of 1.3 GiB",
        "  details: velero -n backup-system restore describe cust-1001-20260302091200 --details",
        "  logs:    velero -n backup-system restore logs cust-1001-20260302091200",
      ],
    });
    const partial = summarizeRestore(fixture("restore-cust-1001-partially-failed.json").polls[0]);
    expect(partial.exitCode).toBe(EXIT.partiallyFailed);
    expect(partial.lines.slice(0, 2)).toEqual([
      "Restore backup-system/cust-1001-20260302091200 from backup tenants-daily-20260301010000: PartiallyFailed — restored cust-1001 into namespace restore-cust-1001 with errors: some items or volumes were not restored",
      "  items restored: 57/57, warnings: 4, errors: 1",
    ]);
    const invalid = summarizeRestore(fixture("restore-cust-1001-failed-validation.json").polls[0]);
    expect(invalid.exitCode).toBe(EXIT.failed);
    expect(invalid.lines.slice(0, 3)).toEqual([
      "Restore backup-system/cust-1001-20260302091200 from backup tenants-daily-20260301010000: FailedValidation — Velero rejected the restore; nothing was restored",
      "  items restored: 0/0, warnings: 0, errors: 0",
      "  validation error: The BSL default is unavailable, cannot retrieve the backup",
    ]);
  });

  it("treats a Completed restore of zero items as 'the backup held nothing of that tenant'", () => {
    const empty = { ...completed.polls[4], status: { ...completed.polls[4].status, progress: { itemsRestored: 0, totalItems: 0 } } } as VeleroRestore;
    const summary = summarizeRestore(empty);
    expect(summary.exitCode).toBe(EXIT.noBackup);
    expect(summary.lines[0]).toBe(
      "Restore backup-system/cust-1001-20260302091200 from backup tenants-daily-20260301010000: Completed — restored nothing: backup tenants-daily-20260301010000 holds no object of namespace cust-1001 (unknown tenant, or the namespace did not exist when the backup ran)",
    );
  });
});

describe("restore arguments", () => {
  const parse = (...argv: string[]) => parseRestoreArgs(argv);
  const usageError = (argv: string[]): string => {
    try {
      parseRestoreArgs(argv);
    } catch (err) {
      expect(err).toBeInstanceOf(RestoreError);
      expect((err as RestoreError).exitCode).toBe(EXIT.usage);
      return (err as Error).message.split("\n")[0];
    }
    throw new Error("no error");
  };

  it("defaults to the program's names, the latest backup and a 24h follow", () => {
    expect(parse("--tenant", "cust-1001")).toEqual({
      tenant: "cust-1001",
      dryRun: false,
      allowExisting: false,
      veleroNamespace: "backup-system",
      schedule: "tenants-daily",
      tenantGlob: "cust-*",
      systemNamespaces: ["backup-system", "benji", "garage", "kube-node-lease", "kube-public", "minio", "postgres", "zrepl"],
      timeoutSeconds: 86400,
      pollSeconds: 2,
    });
    expect(parse("--tenant=cust-1001", "--from-backup", "tenants-daily-20260301010000", "--as", "restore-cust-1001", "--dry-run", "--velero-namespace", "velero", "--schedule", "tenants", "--context", "prod", "--timeout", "2h", "--poll-interval", "5s")).toEqual({
      tenant: "cust-1001",
      fromBackup: "tenants-daily-20260301010000",
      as: "restore-cust-1001",
      dryRun: true,
      allowExisting: false,
      veleroNamespace: "velero",
      schedule: "tenants",
      tenantGlob: "cust-*",
      context: "prod",
      systemNamespaces: ["backup-system", "benji", "garage", "kube-node-lease", "kube-public", "minio", "postgres", "velero", "zrepl"],
      timeoutSeconds: 7200,
      pollSeconds: 5,
    });
    expect(parse("--help")).toBeUndefined();
  });

  it("refuses bad input with a message naming the flag and the expected form", () => {
    expect(usageError([])).toBe("--tenant is required, e.g. --tenant cust-1001");
    expect(usageError(["--tenant", "postgres"])).toBe("--tenant 'postgres': not a tenant namespace; tenant namespaces match 'cust-*' (e.g. cust-1001)");
    expect(usageError(["--tenant", "Cust_1"])).toBe("--tenant 'Cust_1': expected a Kubernetes namespace name (lowercase letters, digits and '-', at most 63 characters)");
    expect(usageError(["--tenant", "cust-1", "--latest", "--from-backup", "x"])).toBe("--from-backup and --latest exclude each other");
    expect(usageError(["--tenant", "cust-1", "--as", "cust-1"])).toBe("--as 'cust-1' is the tenant's own namespace; omit --as to restore in place");
    expect(usageError(["--tenant", "cust-1", "--timeout", "1d"])).toBe("--timeout '1d': expected a positive duration with units h, m, s such as '2s', '30m' or '6h'");
    expect(usageError(["--tenant", "cust-1", "--as"])).toBe("--as needs a value");
    expect(usageError(["--tenant", "cust-1", "--force"])).toBe("unknown argument '--force'");
  });

  it("reads the Velero namespace, schedule and tenant glob from a plan's tenants Schedule", () => {
    const dir = mkdtempSync(join(tmpdir(), "restore-plan-"));
    mkdirSync(join(dir, "manifests"));
    writeFileSync(
      join(dir, "manifests", "schedule--velero--tenants-daily.yaml"),
      stringify({ apiVersion: "velero.io/v1", kind: "Schedule", metadata: { name: "tenants-daily", namespace: "velero", labels: { "cluster-backup.io/flow": "tenants" } }, spec: { schedule: "CRON_TZ=UTC 0 1 * * *", template: { includedNamespaces: ["client-*"] } } }),
    );
    expect(readPlanNames(dir)).toEqual({ veleroNamespace: "velero", schedule: "tenants-daily", tenantGlob: "client-*", namespaces: ["velero"] });
    expect(parseRestoreArgs(["--tenant", "client-7", "--plan", dir])).toMatchObject({ veleroNamespace: "velero", schedule: "tenants-daily", tenantGlob: "client-*" });
    expect(usageError(["--tenant", "cust-7", "--plan", dir])).toBe("--tenant 'cust-7': not a tenant namespace; tenant namespaces match 'client-*' (e.g. client-1001)");
    expect(usageError(["--tenant", "cust-7", "--plan", join(dir, "nope")])).toBe(`--plan '${join(dir, "nope")}': no manifests/ folder there; write a plan first: npm run plan -- --stack <stack> --out ${join(dir, "nope")}`);
  });
});
