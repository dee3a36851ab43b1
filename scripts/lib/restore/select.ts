/**
 * Which Backup a tenant restore reads. Pure functions over Backup objects as the API server returns them.
 *
 * What can be known without the object store: a Backup's contents (the list of backed-up items) live only in the
 * bucket, so the command judges a Backup by its own object: its phase, its namespace filters (`spec.includedNamespaces`
 * globs, `spec.excludedNamespaces` — into which Velero appends every namespace labelled
 * `velero.io/exclude-from-backup=true` when the backup starts, `pkg/controller/backup_controller.go`) and that it
 * backed up something (`status.progress.totalItems > 0`). A namespace that matched the filters but did not exist
 * when the backup ran is not detectable here; Velero then restores nothing and reports it in the restore's warnings.
 */
import { VELERO_EXCLUDE_LABEL } from "../../../components/labels";
import { namespaceGlobMatches } from "../../../components/schema/namespace-glob";
import type { BackupPhase, BackupResultsFile, PodVolumeBackup, VeleroBackup } from "./velero-types";

/** The phases a Backup can be restored from: Velero's restore controller reads any backup it can fetch, but only
 *  Completed ones are complete; a PartiallyFailed one serves the namespaces it recorded no error for
 *  ({@link judgePartialBackup}), or any when named explicitly. */
export const RESTORABLE_PHASES: readonly BackupPhase[] = ["Completed", "PartiallyFailed"];

/** Why a Backup's namespace filters leave the namespace out, or undefined when they select it. */
export function namespaceFilterProblem(backup: VeleroBackup, namespace: string): string | undefined {
  const included = backup.spec.includedNamespaces ?? [];
  const excluded = backup.spec.excludedNamespaces ?? [];
  const exclusion = excluded.find((glob) => namespaceGlobMatches(glob, namespace));
  if (exclusion !== undefined) {
    return exclusion === namespace
      ? `excludes namespace ${namespace} (spec.excludedNamespaces; a namespace labelled ${VELERO_EXCLUDE_LABEL}=true when the backup ran is listed there)`
      : `excludes namespace ${namespace} (spec.excludedNamespaces pattern '${exclusion}')`;
  }
  if (included.length > 0 && !included.some((glob) => namespaceGlobMatches(glob, namespace))) {
    return `does not include namespace ${namespace} (spec.includedNamespaces ${JSON.stringify(included)})`;
  }
  return undefined;
}

/** Why a Backup cannot serve a restore of the namespace (phase, filters, emptiness), or undefined when it can. */
export function backupProblem(backup: VeleroBackup, namespace: string, phases: readonly BackupPhase[] = ["Completed"]): string | undefined {
  const phase = backup.status?.phase ?? "New";
  if (!phases.includes(phase)) {
    const reason = backup.status?.failureReason ? `: ${backup.status.failureReason}` : "";
    return `is ${phase}, not ${phases.join(" or ")}${reason}`;
  }
  const filter = namespaceFilterProblem(backup, namespace);
  if (filter) return filter;
  if ((backup.status?.progress?.totalItems ?? 0) === 0) return "backed up no items (status.progress.totalItems is 0)";
  return undefined;
}

/** When a Backup started (`status.startTimestamp`, else `metadata.creationTimestamp`), for ordering. */
export function backupTime(backup: VeleroBackup): string {
  return backup.status?.startTimestamp ?? backup.metadata.creationTimestamp ?? "";
}

export interface Candidate {
  readonly name: string;
  readonly phase: string;
  readonly started: string;
  /** Why it was passed over; undefined for the selected backup. */
  readonly problem?: string;
}

export interface BackupSelection {
  /** The newest Completed backup containing the namespace, if any. */
  readonly backup?: VeleroBackup;
  /** Every backup looked at, newest first, each with why it was skipped (up to and including the selected one). */
  readonly candidates: readonly Candidate[];
}

/**
 * The newest Completed Backup (by start time, as Velero's own `--from-schedule` does) whose namespace filters select
 * `namespace` and that backed up at least one item. Pure.
 */
export function selectBackup(backups: readonly VeleroBackup[], namespace: string): BackupSelection {
  const newestFirst = sortNewestFirst(backups);
  const candidates: Candidate[] = [];
  for (const backup of newestFirst) {
    const problem = backupProblem(backup, namespace);
    candidates.push({ name: backup.metadata.name, phase: backup.status?.phase ?? "New", started: backupTime(backup), ...(problem ? { problem } : {}) });
    if (!problem) return { backup, candidates };
  }
  return { candidates };
}

/** Backups by start time, newest first (ties: name, descending). */
export function sortNewestFirst(backups: readonly VeleroBackup[]): VeleroBackup[] {
  return [...backups].sort((a, b) => backupTime(b).localeCompare(backupTime(a)) || b.metadata.name.localeCompare(a.metadata.name));
}

/** Whether a PartiallyFailed backup holds all of one namespace: usable with a note saying why, or the problem. */
export type PartialVerdict = { readonly usable: true; readonly note: string } | { readonly usable: false; readonly problem: string };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * Judges a PartiallyFailed backup for one namespace from what Velero recorded per namespace: the backup's results
 * file (`errors.namespaces`; errors under `velero` or `cluster` cannot be placed, so they disqualify it) and its
 * PodVolumeBackups (a Failed one whose pod is in the namespace). `results` undefined: the store has no results file.
 */
export function judgePartialBackup(backup: VeleroBackup, namespace: string, results: BackupResultsFile | undefined, pvbs: readonly PodVolumeBackup[]): PartialVerdict {
  const failed = pvbs.filter((p) => p.status?.phase === "Failed" && p.spec.pod.namespace === namespace);
  if (failed.length > 0) {
    const first = failed[0];
    return { usable: false, problem: `is PartiallyFailed and ${plural(failed.length, "pod volume backup")} of ${namespace} failed (pod ${first.spec.pod.name ?? "?"} volume ${first.spec.volume}${first.status?.message ? `: ${first.status.message}` : ""})` };
  }
  if (!results) return { usable: false, problem: `is PartiallyFailed and the object store holds no results file for it, so its errors cannot be placed` };
  const errors = results.errors ?? {};
  const own = errors.namespaces?.[namespace] ?? [];
  if (own.length > 0) return { usable: false, problem: `is PartiallyFailed with ${plural(own.length, "error")} in ${namespace}: ${own[0].trim()}` };
  const unplaced = [...(errors.velero ?? []), ...(errors.cluster ?? [])];
  if (unplaced.length > 0) {
    return { usable: false, problem: `is PartiallyFailed with ${plural(unplaced.length, "error")} Velero did not record against a namespace, so ${namespace} may be incomplete: ${unplaced[0].trim()}` };
  }
  const others = Object.keys(errors.namespaces ?? {}).filter((ns) => (errors.namespaces?.[ns] ?? []).length > 0).sort();
  const failedElsewhere = new Set(pvbs.filter((p) => p.status?.phase === "Failed").map((p) => p.spec.pod.namespace ?? "?"));
  const elsewhere = [...new Set([...others, ...failedElsewhere])].sort();
  if (elsewhere.length === 0) return { usable: false, problem: "is PartiallyFailed but its results place no error in any namespace, so the failure cannot be ruled out for it" };
  const listed = elsewhere.length > 5 ? `${elsewhere.slice(0, 5).join(", ")}, ...` : elsewhere.join(", ");
  return {
    usable: true,
    note: `backup ${backup.metadata.name} is PartiallyFailed, but none of its errors concern ${namespace}: they are in ${plural(elsewhere.length, "other namespace")} (${listed}) and no pod volume backup of ${namespace} failed (backup results and PodVolumeBackups)`,
  };
}
