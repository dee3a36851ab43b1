/**
 * The tenant restore, step by step: choose the backup, check its storage location and the target namespace, create
 * the Restore (or print it), follow it to the end. Everything outside (API, clock, sleep, terminal) is injected.
 */
import { stringify } from "yaml";
import { BACKUP_LABEL, VELERO_EXCLUDE_LABEL } from "../../../components/labels";
import { ApiError, type VeleroApi } from "./client";
import type { RestoreOptions } from "./args";
import { buildRestore } from "./build";
import { EXIT, RestoreError, type ExitCode } from "./exit-codes";
import { formatElapsed, isFinal, plainLine, snapshotOf, summarizeRestore, ttyLine } from "./progress";
import { backupProblem, backupTime, RESTORABLE_PHASES, selectBackup } from "./select";
import { SCHEDULE_NAME_LABEL, type VeleroBackup, type VeleroRestore } from "./velero-types";

export interface Output {
  write(text: string): void;
  /** Whether this is a terminal (a redrawn progress bar) or a log (one line per change). */
  readonly isTTY: boolean;
}

export interface RestoreDeps {
  readonly api: VeleroApi;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** Where progress, warnings and the result go (errors are thrown, the caller prints them). */
  readonly out: Output;
}

/** In a log, progress without a change of phase or count is printed at most this often (seconds). */
const PLAIN_REPEAT_SECONDS = 30;
/** Consecutive failed status reads tolerated while following a created restore. */
const MAX_POLL_FAILURES = 5;
/** Skipped candidates listed when no backup fits. */
const MAX_LISTED = 10;

/** The exit code of an error thrown by {@link runRestore}. */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof RestoreError) return err.exitCode;
  if (err instanceof ApiError) return err.failure === "unreachable" ? EXIT.unreachable : EXIT.apiError;
  return EXIT.apiError;
}

async function chooseBackup(o: RestoreOptions, deps: RestoreDeps): Promise<VeleroBackup> {
  const { api, out } = deps;
  const ns = o.veleroNamespace;
  if (o.fromBackup !== undefined) {
    const backup = await api.getBackup(ns, o.fromBackup);
    if (!backup) {
      throw new RestoreError(EXIT.badBackup, `backup '${o.fromBackup}' not found in namespace ${ns} (${api.target}); list the backups with: velero -n ${ns} backup get`);
    }
    const problem = backupProblem(backup, o.tenant, RESTORABLE_PHASES);
    if (problem) throw new RestoreError(EXIT.badBackup, `backup '${o.fromBackup}' cannot restore ${o.tenant}: it ${problem}`);
    if (backup.status?.phase === "PartiallyFailed") {
      out.write(`warning: backup ${o.fromBackup} is PartiallyFailed: some items or volumes of it may be missing (velero -n ${ns} backup describe ${o.fromBackup} --details)\n`);
    }
    return backup;
  }
  const backups = await api.listBackups(ns, `${SCHEDULE_NAME_LABEL}=${o.schedule}`);
  if (backups.length === 0) {
    throw new RestoreError(EXIT.noBackup, `no backups of schedule ${o.schedule} in namespace ${ns} (${api.target}); check the schedule with: velero -n ${ns} schedule get`);
  }
  const selection = selectBackup(backups, o.tenant);
  if (!selection.backup) {
    const listed = selection.candidates.slice(0, MAX_LISTED).map((c) => `  ${c.name} (started ${c.started || "never"}) ${c.problem}`);
    const more = selection.candidates.length > MAX_LISTED ? [`  ... and ${selection.candidates.length - MAX_LISTED} older`] : [];
    throw new RestoreError(
      EXIT.noBackup,
      [
        `no Completed backup of schedule ${o.schedule} contains namespace ${o.tenant} (${backups.length} backups looked at):`,
        ...listed,
        ...more,
        `Is '${o.tenant}' the right tenant? A tenant labelled ${BACKUP_LABEL}=false (${VELERO_EXCLUDE_LABEL}=true) is never backed up.`,
      ].join("\n"),
    );
  }
  for (const skipped of selection.candidates.slice(0, -1)) out.write(`skipping newer backup ${skipped.name}: it ${skipped.problem}\n`);
  return selection.backup;
}

async function checkLocation(o: RestoreOptions, backup: VeleroBackup, api: VeleroApi): Promise<void> {
  const name = backup.spec.storageLocation;
  if (!name) return;
  const bsl = await api.getBackupStorageLocation(o.veleroNamespace, name);
  if (!bsl) throw new RestoreError(EXIT.locationUnavailable, `backup ${backup.metadata.name} is stored in BackupStorageLocation '${name}', which does not exist in ${o.veleroNamespace}`);
  const phase = bsl.status?.phase;
  if (phase !== "Available") {
    throw new RestoreError(
      EXIT.locationUnavailable,
      `BackupStorageLocation '${name}' is ${phase ?? "not validated yet"}${bsl.status?.message ? ` (${bsl.status.message})` : ""}: Velero cannot read backup ${backup.metadata.name}; check it with: velero -n ${o.veleroNamespace} backup-location get ${name}`,
    );
  }
}

async function checkTarget(o: RestoreOptions, backup: VeleroBackup, deps: RestoreDeps): Promise<string> {
  const target = o.as ?? o.tenant;
  const existing = await deps.api.getNamespace(target);
  if (existing?.phase === "Terminating") {
    throw new RestoreError(EXIT.namespaceExists, `namespace ${target} is being deleted (Terminating); wait until it is gone, or restore next to it with --as <new-namespace>`);
  }
  if (existing && !o.allowExisting) {
    throw new RestoreError(
      EXIT.namespaceExists,
      `namespace ${target} exists: restoring over it would only add the objects it lacks (Velero never overwrites, this command never deletes). Restore next to it with --as ${o.tenant}-restore, or pass --allow-existing to add the missing objects.`,
    );
  }
  if (existing) deps.out.write(`namespace ${target} exists: --allow-existing given, Velero will add missing objects and skip existing ones\n`);
  const source = target === o.tenant ? existing : await deps.api.getNamespace(o.tenant);
  if (source?.creationTimestamp && source.creationTimestamp > backupTime(backup)) {
    deps.out.write(`note: namespace ${o.tenant} was created at ${source.creationTimestamp}, after backup ${backup.metadata.name} started (${backupTime(backup)}): the backup holds an earlier namespace of that name, or nothing of it\n`);
  }
  return target;
}

async function follow(created: VeleroRestore, o: RestoreOptions, deps: RestoreDeps): Promise<ExitCode> {
  const { api, out } = deps;
  const ns = created.metadata.namespace!;
  const name = created.metadata.name;
  const started = deps.now().getTime();
  let lastKey = "";
  let lastPrinted = -Infinity;
  let failures = 0;
  let restore = created;
  for (;;) {
    try {
      restore = (await api.getRestore(ns, name)) ?? restore;
      const pvrs = await api.listPodVolumeRestores(ns, name);
      failures = 0;
      const snapshot = snapshotOf(restore, pvrs);
      const elapsed = (deps.now().getTime() - started) / 1000;
      if (out.isTTY) {
        out.write(`\r${ttyLine(snapshot, elapsed)}\x1b[K`);
      } else {
        // A log gets a line when the phase or a count changes; byte progress alone at most every PLAIN_REPEAT_SECONDS.
        const key = `${snapshot.phase} ${snapshot.itemsRestored}/${snapshot.totalItems} ${snapshot.volumes.completed}/${snapshot.volumes.failed}/${snapshot.volumes.total}`;
        if (key !== lastKey || elapsed - lastPrinted >= PLAIN_REPEAT_SECONDS) {
          out.write(`${plainLine(snapshot, elapsed)}\n`);
          lastKey = key;
          lastPrinted = elapsed;
        }
      }
      if (isFinal(snapshot.phase)) {
        if (out.isTTY) out.write("\n");
        const summary = summarizeRestore(restore, pvrs);
        out.write(`${summary.lines.join("\n")}\n`);
        return summary.exitCode;
      }
      if (elapsed >= o.timeoutSeconds) {
        if (out.isTTY) out.write("\n");
        out.write(
          `restore ${ns}/${name} is still ${snapshot.phase} after ${formatElapsed(elapsed)}: it continues in the cluster; follow it with: velero -n ${ns} restore describe ${name}\n`,
        );
        return EXIT.timeout;
      }
    } catch (err) {
      if (!(err instanceof ApiError) || ++failures >= MAX_POLL_FAILURES) {
        if (out.isTTY) out.write("\n");
        throw new RestoreError(exitCodeOf(err), `${(err as Error).message}\nrestore ${ns}/${name} was created and continues in the cluster; follow it with: velero -n ${ns} restore describe ${name}`);
      }
    }
    await deps.sleep(o.pollSeconds * 1000);
  }
}

/**
 * Restores one tenant. Returns the exit code; throws {@link RestoreError} / {@link ApiError} for refusals and API
 * failures (map them with {@link exitCodeOf}). Creates at most one object (the Restore), deletes nothing.
 */
export async function runRestore(o: RestoreOptions, deps: RestoreDeps): Promise<ExitCode> {
  const backup = await chooseBackup(o, deps);
  deps.out.write(`backup: ${backup.metadata.name} (${backup.status?.phase}, started ${backupTime(backup)}, location ${backup.spec.storageLocation ?? "default"})\n`);
  await checkLocation(o, backup, deps.api);
  const target = await checkTarget(o, backup, deps);
  const restore = buildRestore({ tenant: o.tenant, backupName: backup.metadata.name, veleroNamespace: o.veleroNamespace, targetNamespace: target, now: deps.now() });
  if (o.dryRun) {
    deps.out.write(`# dry run: this Restore would be created in ${deps.api.target}; nothing was created\n${stringify(restore)}`);
    return EXIT.ok;
  }
  const created = await deps.api.createRestore(restore).catch((err: unknown) => {
    if (err instanceof ApiError && err.failure === "conflict") {
      throw new RestoreError(EXIT.apiError, `a Restore named ${restore.metadata.name} already exists in ${o.veleroNamespace}; run the command again in a second`);
    }
    throw err;
  });
  deps.out.write(`created restore ${o.veleroNamespace}/${created.metadata.name}: ${o.tenant}${target !== o.tenant ? ` → ${target}` : ""} from ${backup.metadata.name}\n`);
  return follow(created, o, deps);
}
