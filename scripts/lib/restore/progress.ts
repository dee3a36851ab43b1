/**
 * Reading a Restore's status: progress while it runs, and the final verdict. Pure.
 */
import { EXIT, type ExitCode } from "./exit-codes";
import type { PodVolumeRestore, RestorePhase, VeleroRestore } from "./velero-types";

/** Phases after which Velero no longer changes a Restore, and the exit code of each. */
const FINAL_PHASES: Readonly<Partial<Record<RestorePhase, ExitCode>>> = {
  Completed: EXIT.ok,
  PartiallyFailed: EXIT.partiallyFailed,
  Failed: EXIT.failed,
  FailedValidation: EXIT.failed,
};

export function isFinal(phase: RestorePhase | undefined): boolean {
  return phase !== undefined && phase in FINAL_PHASES;
}

/** Volume data restored by the node-agent (fs-backup restores: one PodVolumeRestore per pod volume). */
export interface VolumeProgress {
  readonly total: number;
  readonly completed: number;
  readonly failed: number;
  readonly bytesDone: number;
  readonly totalBytes: number;
}

/** What one poll saw. */
export interface RestoreSnapshot {
  readonly phase: RestorePhase;
  readonly itemsRestored: number;
  readonly totalItems: number;
  readonly warnings: number;
  readonly errors: number;
  readonly volumes: VolumeProgress;
}

function volumeProgress(pvrs: readonly PodVolumeRestore[]): VolumeProgress {
  let completed = 0;
  let failed = 0;
  let bytesDone = 0;
  let totalBytes = 0;
  for (const pvr of pvrs) {
    const phase = pvr.status?.phase;
    if (phase === "Completed") completed++;
    else if (phase === "Failed" || phase === "Canceled") failed++;
    bytesDone += pvr.status?.progress?.bytesDone ?? 0;
    totalBytes += pvr.status?.progress?.totalBytes ?? 0;
  }
  return { total: pvrs.length, completed, failed, bytesDone, totalBytes };
}

export function snapshotOf(restore: VeleroRestore, pvrs: readonly PodVolumeRestore[] = []): RestoreSnapshot {
  const status = restore.status ?? {};
  return {
    phase: status.phase ?? "New",
    itemsRestored: status.progress?.itemsRestored ?? 0,
    totalItems: status.progress?.totalItems ?? 0,
    warnings: status.warnings ?? 0,
    errors: status.errors ?? 0,
    volumes: volumeProgress(pvrs),
  };
}

/** `1.5 GiB`, `512 B`. */
function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** `1h02m03s`, `4m05s`, `7s`. */
export function formatElapsed(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m${rest}s`;
  if (m > 0) return `${m}m${rest}s`;
  return `${s % 60}s`;
}

/** Share of items restored, 0..1 (0 while Velero has not counted the items yet). */
function fraction(s: RestoreSnapshot): number {
  if (s.phase === "Completed") return 1;
  return s.totalItems > 0 ? Math.min(1, s.itemsRestored / s.totalItems) : 0;
}

/** `[##########----------]  50%`. */
export function progressBar(s: RestoreSnapshot, width = 30): string {
  const share = fraction(s);
  const filled = Math.round(share * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%`;
}

/** The facts of a snapshot on one line: phase, items, volumes. */
function progressText(s: RestoreSnapshot): string {
  const items = s.totalItems > 0 ? `${s.itemsRestored}/${s.totalItems} items` : "counting items";
  const v = s.volumes;
  const volumes = v.total > 0 ? `, volumes ${v.completed}/${v.total}${v.failed ? ` (${v.failed} failed)` : ""} ${formatBytes(v.bytesDone)}/${formatBytes(v.totalBytes)}` : "";
  return `${s.phase}: ${items}${volumes}`;
}

/** The line a terminal redraws in place. */
export function ttyLine(s: RestoreSnapshot, elapsedSeconds: number): string {
  return `${progressBar(s)} ${progressText(s)} (${formatElapsed(elapsedSeconds)})`;
}

/** The line printed to a log (not a TTY) when something changed. */
export function plainLine(s: RestoreSnapshot, elapsedSeconds: number): string {
  const percent = s.totalItems > 0 ? ` (${Math.floor(fraction(s) * 100)}%)` : "";
  return `[${formatElapsed(elapsedSeconds)}] ${progressText(s)}${percent}`;
}

export interface RestoreSummary {
  readonly exitCode: ExitCode;
  readonly lines: readonly string[];
}

/** The final verdict of a Restore: one headline, counts, reasons, and where to read more. Pure. */
export function summarizeRestore(restore: VeleroRestore, pvrs: readonly PodVolumeRestore[] = []): RestoreSummary {
  const s = snapshotOf(restore, pvrs);
  const name = restore.metadata.name;
  const ns = restore.metadata.namespace ?? "";
  const status = restore.status ?? {};
  const source = restore.spec.includedNamespaces.join(",");
  const target = restore.spec.namespaceMapping?.[restore.spec.includedNamespaces[0]] ?? restore.spec.includedNamespaces[0];
  // The backup's filters matched the namespace, but it held no object of it: an unknown tenant, or one created later.
  const empty = s.phase === "Completed" && s.totalItems === 0;
  const exitCode = empty ? EXIT.noBackup : (FINAL_PHASES[s.phase] ?? EXIT.timeout);
  const verdict: Record<string, string> = {
    Completed: empty
      ? `restored nothing: backup ${restore.spec.backupName} holds no object of namespace ${source} (unknown tenant, or the namespace did not exist when the backup ran)`
      : `restored ${source} into namespace ${target}`,
    PartiallyFailed: `restored ${source} into namespace ${target} with errors: some items or volumes were not restored`,
    Failed: "the restore failed; nothing more will be restored",
    FailedValidation: "Velero rejected the restore; nothing was restored",
  };
  const lines = [
    `Restore ${ns}/${name} from backup ${restore.spec.backupName}: ${s.phase} — ${verdict[s.phase] ?? "still running"}`,
    `  items restored: ${s.itemsRestored}/${s.totalItems}, warnings: ${s.warnings}, errors: ${s.errors}`,
  ];
  if (s.volumes.total > 0) {
    lines.push(`  pod volumes: ${s.volumes.completed}/${s.volumes.total} completed, ${s.volumes.failed} failed, ${formatBytes(s.volumes.bytesDone)} of ${formatBytes(s.volumes.totalBytes)}`);
  }
  if (status.failureReason) lines.push(`  failure reason: ${status.failureReason}`);
  for (const e of status.validationErrors ?? []) lines.push(`  validation error: ${e}`);
  lines.push(`  details: velero -n ${ns} restore describe ${name} --details`);
  lines.push(`  logs:    velero -n ${ns} restore logs ${name}`);
  return { exitCode, lines };
}
