/**
 * The tenant restore, step by step: choose the backup, check its storage location and the target namespace, create
 * the Restore (or print it), follow it to the end. Everything outside (API, clock, sleep, terminal) is injected.
 */
import { stringify } from "yaml";
import { BACKUP_LABEL, PART_OF_LABEL, OWNERSHIP_LABELS, TENANT_LABEL, VELERO_EXCLUDE_LABEL } from "../../../components/labels";
import { ApiError, type VeleroApi } from "./client";
import { copyNamespaceName, type RestoreOptions } from "./args";
import { buildCopyNamespace, buildRestore } from "./build";
import { EXIT, RestoreError, type ExitCode } from "./exit-codes";
import { formatElapsed, isFinal, plainLine, snapshotOf, summarizeRestore, ttyLine } from "./progress";
import { backupProblem, backupTime, judgePartialBackup, RESTORABLE_PHASES, sortNewestFirst, type Candidate, type PartialVerdict } from "./select";
import { SCHEDULE_NAME_LABEL, type NamespaceInfo, type VeleroBackup, type VeleroRestore } from "./velero-types";

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

/** The per-namespace verdict on a PartiallyFailed backup; an unreadable record is a reason not to use it. */
async function judgePartial(o: RestoreOptions, backup: VeleroBackup, api: VeleroApi): Promise<PartialVerdict> {
  try {
    const [pvbs, results] = await Promise.all([api.listPodVolumeBackups(o.veleroNamespace, backup.metadata.name), api.readBackupResults(o.veleroNamespace, backup.metadata.name)]);
    return judgePartialBackup(backup, o.tenant, results, pvbs);
  } catch (err) {
    return { usable: false, problem: `is PartiallyFailed and its per-namespace results could not be read (${(err as Error).message})` };
  }
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
      const verdict = await judgePartial(o, backup, api);
      out.write(verdict.usable ? `${verdict.note}\n` : `warning: backup ${o.fromBackup} ${verdict.problem}; restoring from it as asked (velero -n ${ns} backup describe ${o.fromBackup} --details)\n`);
    }
    return backup;
  }
  const backups = await api.listBackups(ns, `${SCHEDULE_NAME_LABEL}=${o.schedule}`);
  if (backups.length === 0) {
    throw new RestoreError(EXIT.noBackup, `no backups of schedule ${o.schedule} in namespace ${ns} (${api.target}); check the schedule with: velero -n ${ns} schedule get`);
  }
  const candidates: Candidate[] = [];
  for (const backup of sortNewestFirst(backups)) {
    let problem = backupProblem(backup, o.tenant, RESTORABLE_PHASES);
    let note: string | undefined;
    if (!problem && backup.status?.phase === "PartiallyFailed") {
      const verdict = await judgePartial(o, backup, api);
      if (verdict.usable) note = verdict.note;
      else problem = verdict.problem;
    }
    candidates.push({ name: backup.metadata.name, phase: backup.status?.phase ?? "New", started: backupTime(backup), ...(problem ? { problem } : {}) });
    if (!problem) {
      for (const skipped of candidates.slice(0, -1)) out.write(`skipping newer backup ${skipped.name}: it ${skipped.problem}\n`);
      if (note) out.write(`${note}\n`);
      return backup;
    }
  }
  const listed = candidates.slice(0, MAX_LISTED).map((c) => `  ${c.name} (started ${c.started || "never"}) ${c.problem}`);
  const more = candidates.length > MAX_LISTED ? [`  ... and ${candidates.length - MAX_LISTED} older`] : [];
  throw new RestoreError(
    EXIT.noBackup,
    [
      `no backup of schedule ${o.schedule} holds all of namespace ${o.tenant} (${backups.length} backups looked at; a PartiallyFailed one counts when none of its errors concern ${o.tenant}):`,
      ...listed,
      ...more,
      `Is '${o.tenant}' the right tenant? A tenant labelled ${BACKUP_LABEL}=false (${VELERO_EXCLUDE_LABEL}=true) is never backed up.`,
    ].join("\n"),
  );
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

/** The target namespace, checked: a new one for --as (never a tenant's or the system's), the tenant's own otherwise. */
async function checkTarget(o: RestoreOptions, backup: VeleroBackup, deps: RestoreDeps): Promise<{ target: string; source?: NamespaceInfo }> {
  const target = o.as ?? o.tenant;
  const existing = await deps.api.getNamespace(target);
  if (o.as !== undefined && existing) {
    const instead = `restore into a new namespace such as ${copyNamespaceName(o.tenant)}`;
    if (existing.labels?.[TENANT_LABEL] === "true") throw new RestoreError(EXIT.usage, `--as '${target}': namespace ${target} is a tenant's (labelled ${TENANT_LABEL}=true); ${instead}`);
    if (existing.labels?.[PART_OF_LABEL] === OWNERSHIP_LABELS[PART_OF_LABEL]) throw new RestoreError(EXIT.usage, `--as '${target}': namespace ${target} belongs to the backup system (labelled ${PART_OF_LABEL}=${OWNERSHIP_LABELS[PART_OF_LABEL]}); ${instead}`);
  }
  if (existing?.phase === "Terminating") {
    throw new RestoreError(EXIT.namespaceExists, `namespace ${target} is being deleted (Terminating); wait until it is gone, or restore next to it with --as <new-namespace>`);
  }
  if (existing && o.as !== undefined) {
    throw new RestoreError(EXIT.namespaceExists, `namespace ${target} exists: --as restores into a new namespace only (--allow-existing is for in-place restores); choose another name, or delete ${target} first`);
  }
  if (existing && !o.allowExisting) {
    throw new RestoreError(
      EXIT.namespaceExists,
      `namespace ${target} exists: restoring over it would only add the objects it lacks (Velero never overwrites, this command never deletes). Restore next to it with --as ${copyNamespaceName(o.tenant)}, or pass --allow-existing to add the missing objects.`,
    );
  }
  if (existing) deps.out.write(`namespace ${target} exists: --allow-existing given, Velero will add missing objects and skip existing ones\n`);
  const source = target === o.tenant ? existing : await deps.api.getNamespace(o.tenant);
  if (source?.creationTimestamp && source.creationTimestamp > backupTime(backup)) {
    deps.out.write(`note: namespace ${o.tenant} was created at ${source.creationTimestamp}, after backup ${backup.metadata.name} started (${backupTime(backup)}): the backup holds an earlier namespace of that name, or nothing of it\n`);
  }
  return { target, ...(source ? { source } : {}) };
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
 * failures (map them with {@link exitCodeOf}). Creates the Restore and, with --as, the namespace it goes into first;
 * reading a PartiallyFailed backup's results creates a DownloadRequest, as `velero backup describe --details` does.
 * Deletes nothing.
 */
export async function runRestore(o: RestoreOptions, deps: RestoreDeps): Promise<ExitCode> {
  let backup: VeleroBackup;
  try {
    backup = await chooseBackup(o, deps);
  } catch (err) {
    if (o.dryRun && err instanceof ApiError && err.failure === "unreachable") return printOfflineDryRun(o, deps, err.message);
    throw err;
  }
  deps.out.write(`backup: ${backup.metadata.name} (${backup.status?.phase}, started ${backupTime(backup)}, location ${backup.spec.storageLocation ?? "default"})\n`);
  await checkLocation(o, backup, deps.api);
  const { target, source } = await checkTarget(o, backup, deps);
  const restore = buildRestore({ tenant: o.tenant, backupName: backup.metadata.name, veleroNamespace: o.veleroNamespace, targetNamespace: target, now: deps.now() });
  const namespace = o.as !== undefined ? buildCopyNamespace({ tenant: o.tenant, target, backupName: backup.metadata.name, sourceLabels: source?.labels }) : undefined;
  if (o.dryRun) {
    deps.out.write(`# dry run: ${namespace ? "this Namespace and " : ""}this Restore would be created in ${deps.api.target}; nothing was created\n${namespace ? `${stringify(namespace)}---\n` : ""}${stringify(restore)}`);
    return EXIT.ok;
  }
  if (namespace) {
    await deps.api.createNamespace(namespace).catch((err: unknown) => {
      if (err instanceof ApiError && err.failure === "conflict") throw new RestoreError(EXIT.namespaceExists, `namespace ${target} was created by someone else meanwhile; choose another name`);
      throw err;
    });
    deps.out.write(`created namespace ${target} (${VELERO_EXCLUDE_LABEL}=true, not a tenant: no tenant label, no backups, no drills)\n`);
  }
  const created = await deps.api.createRestore(restore).catch((err: unknown) => {
    const left = namespace ? `\nnamespace ${target} was created and is left empty: delete it (kubectl delete namespace ${target}) before trying again` : "";
    if (err instanceof ApiError && err.failure === "conflict") {
      throw new RestoreError(EXIT.apiError, `a Restore named ${restore.metadata.name} already exists in ${o.veleroNamespace}; run the command again in a second${left}`);
    }
    if (left) throw new RestoreError(exitCodeOf(err), `${(err as Error).message}${left}`);
    throw err;
  });
  deps.out.write(`created restore ${o.veleroNamespace}/${created.metadata.name}: ${o.tenant}${target !== o.tenant ? ` → ${target}` : ""} from ${backup.metadata.name}\n`);
  return follow(created, o, deps);
}

/**
 * `--dry-run` without a cluster: what would be created, from the arguments alone (and the plan). Nothing is checked:
 * without --from-backup the Restore names the schedule (`spec.scheduleName`), and Velero would take its newest
 * Completed backup.
 */
export function printOfflineDryRun(o: RestoreOptions, deps: Pick<RestoreDeps, "now" | "out">, reason: string): ExitCode {
  const target = o.as ?? o.tenant;
  const restore = buildRestore({
    tenant: o.tenant,
    ...(o.fromBackup !== undefined ? { backupName: o.fromBackup } : { scheduleName: o.schedule }),
    veleroNamespace: o.veleroNamespace,
    targetNamespace: target,
    now: deps.now(),
  });
  const namespace = o.as !== undefined ? buildCopyNamespace({ tenant: o.tenant, target, ...(o.fromBackup !== undefined ? { backupName: o.fromBackup } : {}) }) : undefined;
  const backupLine =
    o.fromBackup !== undefined
      ? `# backup ${o.fromBackup} as given: not checked (that it exists, holds ${o.tenant} and its location is available)`
      : `# no --from-backup: the Restore names schedule ${o.schedule}, and Velero would take its newest Completed backup; against the cluster this command picks the newest backup that holds all of ${o.tenant}`;
  deps.out.write(
    [
      `# dry run without a cluster (${reason}): nothing was checked or created`,
      backupLine,
      ...(namespace ? [`# the Namespace gets the Pod Security labels of ${o.tenant} when created against the cluster`] : []),
      `${namespace ? `${stringify(namespace)}---\n` : ""}${stringify(restore)}`,
    ].join("\n"),
  );
  return EXIT.ok;
}
