/**
 * The DNS-prefix migration (docs/labels.md, "Migration"): Backups created by the Schedules before it carry only
 * `cluster-backup/flow`; the restore CLI selects by `velero.io/schedule-name`, so it still finds and restores them.
 */
import { describe, expect, it } from "vitest";
import { FLOW_LABEL, LEGACY_FLOW_LABEL } from "../policy/shared/labels";
import { EXIT } from "../scripts/lib/restore/exit-codes";
import type { VeleroBackup, VeleroRestore } from "../scripts/lib/restore/velero-types";
import { fixture, runFakeRestore, type Recording } from "./restore-fake";

/** A backup as an old Schedule labelled it: the legacy flow key instead of the new one. */
function legacy(backup: VeleroBackup): VeleroBackup {
  const rename = (labels: Record<string, string> | undefined) =>
    labels && Object.fromEntries(Object.entries(labels).map(([k, v]) => [k === FLOW_LABEL ? LEGACY_FLOW_LABEL : k, v]));
  return { ...backup, metadata: { ...backup.metadata, labels: rename(backup.metadata.labels) } } as VeleroBackup;
}

describe("restore after the label migration", () => {
  it("finds and restores a tenant from Backups that carry only the legacy flow label", async () => {
    expect(LEGACY_FLOW_LABEL).toBe("cluster-backup/flow");
    const backups = fixture<{ items: VeleroBackup[] }>("backups-tenants-daily.json").items.map(legacy);
    expect(backups.every((b) => b.metadata.labels?.[FLOW_LABEL] === undefined && b.metadata.labels?.[LEGACY_FLOW_LABEL] === "tenants")).toBe(true);
    const recording: Recording = {
      backups,
      bsls: [fixture("bsl-default-available.json")],
      namespaces: [fixture("namespace-cust-1001.json")],
      polls: fixture<{ polls: VeleroRestore[] }>("restore-cust-1001-completed.json").polls,
      pvrLists: fixture("podvolumerestores-cust-1001.json"),
    };
    const { code, error, api } = await runFakeRestore(["--tenant", "cust-1001", "--as", "restore-cust-1001"], recording, new Date("2026-03-02T09:12:00Z"));
    expect(error).toBe("");
    expect(code).toBe(EXIT.ok);
    expect(api.calls[0]).toBe("listBackups backup-system velero.io/schedule-name=tenants-daily");
  });
});
