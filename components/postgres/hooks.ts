/**
 * Velero dump hooks for a database pod (docs/design.md §3.5, §2(g)7). Pure functions over plain Kubernetes values: given a pod
 * template they return a new one with an ephemeral `backups` emptyDir mounted at `/backups` in the database container,
 * a pre-hook that writes a logical dump there, a post-hook that deletes it, and the annotation that makes Velero's
 * fs-backup copy that volume (and, for schedules that back up every volume, skip the data volumes).
 *
 * Everything goes on the POD TEMPLATE: Velero reads hook and volume annotations from the Pod being backed up, so the
 * same annotations on the StatefulSet/Deployment object itself are never seen. Velero runs the command without a
 * shell, hence the explicit `["/bin/sh","-c", ...]` (annotation value = that JSON array), and its default hook timeout
 * is 30 s, hence explicit timeouts. A failed pre-hook (`on-error: Fail`) skips the pod and its volumes and marks the
 * backup PartiallyFailed; the post-hook runs only after the pod's PodVolumeBackups finished, so deleting the dump
 * there cannot race the upload.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { VELERO_ANNOTATIONS } from "../labels";
import { parseGoDuration } from "../schema/duration";

/** Name of the ephemeral pod volume holding the dump. */
export const BACKUPS_VOLUME = "backups";
/** Where that volume is mounted in the database container. */
export const BACKUPS_MOUNT_PATH = "/backups";
/** The finished dump; the restore runbook reads it from here. */
export const DUMP_PATH = `${BACKUPS_MOUNT_PATH}/dump.sql`;
/** Suffix of the file the dump is written to before it is renamed, so a half-written dump never looks complete. */
export const TMP_SUFFIX = ".tmp";
/** Velero runs hooks without a shell. */
export const HOOK_SHELL = ["/bin/sh", "-c"] as const;
/** A failed dump must fail the pod's backup: an old or partial dump would look like a good one. */
export const PRE_HOOK_ON_ERROR = "Fail";
/** A failed cleanup only leaves a file in an emptyDir that the next dump overwrites. */
export const POST_HOOK_ON_ERROR = "Continue";

/** Database engines the dump hooks know. */
export type DumpEngine = "postgres" | "mysql";

/** What the dump hooks need to know about the pod they go into. */
export interface DbDumpOptions {
  /** Name of the container that runs the database (and the dump). */
  readonly container: string;
  /** `postgres` (pg_dumpall over the local socket as `$POSTGRES_USER`) or `mysql` (mysqldump as root). Default `postgres`. */
  readonly engine?: DumpEngine;
  /** `sizeLimit` of the `backups` emptyDir, e.g. `20Gi`; at least twice the dump (exceeding it evicts the pod). */
  readonly dumpVolumeSizeLimit: string;
  /** Pre-hook (dump) timeout as a Go duration, e.g. `30m`. */
  readonly hookTimeout: string;
  /** Post-hook (cleanup) timeout as a Go duration, e.g. `2m`. */
  readonly postHookTimeout: string;
  /** Pod volumes Velero's fs-backup must skip when the schedule backs up every volume (the data volume). Default none. */
  readonly excludeVolumes?: readonly string[];
}

/** A pod template as plain values (no Outputs inside containers, volumes and annotations). */
export type PodTemplate = k8s.types.input.core.v1.PodTemplateSpec;

type Obj = Record<string, unknown>;

const SAFE_PATH = /^[A-Za-z0-9._/-]+$/;

/**
 * The last comment line `pg_dumpall` writes (`main()` of src/bin/pg_dump/pg_dumpall.c, identical in PostgreSQL 15, 16
 * and 17: `fprintf(OPF, "--\n-- PostgreSQL database cluster dump complete\n--\n\n")`, then an unchecked
 * `fclose(OPF)`). pg_dumpall exits 0 even when that last buffered write fails on a full disk, so the hook publishes a
 * dump only when this line is among its last three lines.
 */
export const PG_DUMP_COMPLETE_LINE = "-- PostgreSQL database cluster dump complete";
/** What the pre-hook prints (to Velero's backup log) when it publishes nothing. */
export const PG_DUMP_FAILED_MESSAGE = "dump hook: pg_dumpall failed or its output lacks the completion line (disk full?); no dump published";

/**
 * The shell script of the pre-hook: dump to `<dumpPath>.tmp`, then rename. `dumpPath` must lie inside the `backups`
 * volume, otherwise the dump would land on the data volume (or the container's root filesystem) and never be backed up.
 *
 * Postgres: `pg_dumpall --clean --if-exists`, so the dump drops and recreates every database it holds (`postgres` and
 * `template1` included, with their owner, encoding, locale, settings and grants) and its roles before loading them: the
 * same file restores a fresh server (the drops are no-ops; a `POSTGRES_DB` created by the image's entrypoint is
 * replaced instead of failing `CREATE DATABASE`) and rolls a running one back. The only statements that fail on any
 * server are `DROP ROLE` / `CREATE ROLE` of the role the load runs as (pg_dumpall emits both for every role, see
 * `dropRoles()`/`dumpRoles()` in pg_dumpall.c); the runbook's load filters exactly those two lines. Any old dump and any
 * partial file are removed first and on failure, so a failed hook leaves no file behind.
 */
export function dumpScript(engine: DumpEngine, dumpPath: string = DUMP_PATH): string {
  checkDumpPath(dumpPath);
  const tmp = `${dumpPath}${TMP_SUFFIX}`;
  switch (engine) {
    case "postgres":
      return (
        `rm -f ${dumpPath} ${tmp}; ` +
        `pg_dumpall --clean --if-exists -U "\${POSTGRES_USER:-postgres}" -f ${tmp} && ` +
        `tail -n 3 ${tmp} | grep -qxF -e '${PG_DUMP_COMPLETE_LINE}' && ` +
        `mv ${tmp} ${dumpPath} || { rm -f ${tmp}; echo '${PG_DUMP_FAILED_MESSAGE}' >&2; exit 1; }`
      );
    case "mysql":
      return `mysqldump --single-transaction --routines --events --all-databases -uroot -p"$MYSQL_ROOT_PASSWORD" > ${tmp} && mv ${tmp} ${dumpPath}`;
    default:
      throw new Error(`unknown dump engine '${String(engine)}'; expected 'postgres' or 'mysql'`);
  }
}

/** The shell script of the post-hook: remove the dump and any leftover temporary file. */
export function cleanupScript(dumpPath: string = DUMP_PATH): string {
  checkDumpPath(dumpPath);
  return `rm -f ${dumpPath} ${dumpPath}${TMP_SUFFIX}`;
}

function checkDumpPath(dumpPath: string): void {
  const inside = dumpPath.startsWith(`${BACKUPS_MOUNT_PATH}/`) && dumpPath.length > BACKUPS_MOUNT_PATH.length + 1;
  const segments = dumpPath.split("/");
  if (!inside || !SAFE_PATH.test(dumpPath) || segments.includes("..") || segments.includes(".") || dumpPath.endsWith("/")) {
    throw new Error(
      `dump path '${dumpPath}' is outside the '${BACKUPS_VOLUME}' volume: expected a file below ${BACKUPS_MOUNT_PATH}/ ` +
        `(letters, digits, '.', '_', '-', no '..'), e.g. '${DUMP_PATH}'; only that volume is backed up`,
    );
  }
}

/** A Velero hook command annotation: the JSON array `["/bin/sh","-c","<script>"]`. */
export function hookCommand(script: string): string {
  return JSON.stringify([...HOOK_SHELL, script]);
}

function checkOptions(options: DbDumpOptions): void {
  if (!options.container) throw new Error("dump hooks need the name of the database container (option 'container')");
  for (const [key, value] of [["hookTimeout", options.hookTimeout], ["postHookTimeout", options.postHookTimeout]] as const) {
    if (!((parseGoDuration(value) ?? 0) > 0)) throw new Error(`dump hook option '${key}' is '${value}'; expected a positive Go duration such as '30m' or '2m'`);
  }
  if (!/^\d+(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.test(options.dumpVolumeSizeLimit)) {
    throw new Error(`dump hook option 'dumpVolumeSizeLimit' is '${options.dumpVolumeSizeLimit}'; expected a byte quantity such as '20Gi'`);
  }
  if (options.excludeVolumes?.includes(BACKUPS_VOLUME)) {
    throw new Error(`dump hook option 'excludeVolumes' names '${BACKUPS_VOLUME}', the volume holding the dump; exclude only the data volumes`);
  }
}

/** The pod annotations of the dump hooks (docs/design.md §3.5), keyed by {@link VELERO_ANNOTATIONS}. */
export function dbDumpAnnotations(options: DbDumpOptions): Record<string, string> {
  checkOptions(options);
  const { container } = options;
  const excludes = options.excludeVolumes ?? [];
  return {
    [VELERO_ANNOTATIONS.backupVolumes]: BACKUPS_VOLUME,
    ...(excludes.length > 0 ? { [VELERO_ANNOTATIONS.backupVolumesExcludes]: excludes.join(",") } : {}),
    [VELERO_ANNOTATIONS.preHookContainer]: container,
    [VELERO_ANNOTATIONS.preHookCommand]: hookCommand(dumpScript(options.engine ?? "postgres")),
    [VELERO_ANNOTATIONS.preHookOnError]: PRE_HOOK_ON_ERROR,
    [VELERO_ANNOTATIONS.preHookTimeout]: options.hookTimeout,
    [VELERO_ANNOTATIONS.postHookContainer]: container,
    [VELERO_ANNOTATIONS.postHookCommand]: hookCommand(cleanupScript()),
    [VELERO_ANNOTATIONS.postHookOnError]: POST_HOOK_ON_ERROR,
    [VELERO_ANNOTATIONS.postHookTimeout]: options.postHookTimeout,
  };
}

/** The ephemeral volume the dump is written to. */
export function dbDumpVolume(sizeLimit: string): k8s.types.input.core.v1.Volume & { name: string; emptyDir: { sizeLimit: string } } {
  return { name: BACKUPS_VOLUME, emptyDir: { sizeLimit } };
}

/** Its mount in the database container. */
export function dbDumpVolumeMount(): { name: string; mountPath: string } {
  return { name: BACKUPS_VOLUME, mountPath: BACKUPS_MOUNT_PATH };
}

/**
 * The pod-template fragment of the dump hooks and nothing else: annotations, the `backups` volume, and the database
 * container reduced to its merge key (`name`) plus the one volumeMount. Applied with server-side apply or a strategic
 * merge patch it adds exactly these fields and leaves every other field of the owner untouched.
 */
export function dbDumpTemplateFragment(options: DbDumpOptions) {
  return {
    metadata: { annotations: dbDumpAnnotations(options) },
    spec: {
      containers: [{ name: options.container, volumeMounts: [dbDumpVolumeMount()] }],
      volumes: [dbDumpVolume(options.dumpVolumeSizeLimit)],
    },
  };
}

/** An Output or a Promise: a value the pure helper cannot look into. */
function isDeferred(value: unknown): boolean {
  return pulumi.Output.isInstance(value) || typeof (value as { then?: unknown } | null)?.then === "function";
}

function plainArray(value: unknown, what: string): Obj[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${what} must be a plain array to add dump hooks (not an Output or a Promise)`);
  return value.map((item) => {
    if (!item || typeof item !== "object" || isDeferred(item) || typeof (item as Obj).name !== "string") {
      throw new Error(`${what} must hold plain objects with a plain string 'name' to add dump hooks`);
    }
    return item as Obj;
  });
}

function plainRecord(value: unknown, what: string): Obj {
  if (value === undefined) return {};
  if (!value || typeof value !== "object" || Array.isArray(value) || isDeferred(value)) {
    throw new Error(`${what} must be a plain object to add dump hooks (not an Output or a Promise)`);
  }
  return value as Obj;
}

/**
 * A new pod template with the dump hooks added (the input is not modified). Throws when the hook container is not in
 * the template (Velero would fail with "container not found", velero#4412), when a `backups` volume or a mount at
 * `/backups` already exists, or when the template already carries Velero hook or volume annotations.
 */
export function withDbDumpHooks(template: PodTemplate, options: DbDumpOptions): PodTemplate {
  const annotations = dbDumpAnnotations(options);
  const metadata = plainRecord(template.metadata, "the pod template's metadata");
  const spec = plainRecord(template.spec, "the pod template's spec");
  const existingAnnotations = plainRecord(metadata.annotations, "the pod template's annotations");
  const containers = plainArray(spec.containers, "the pod template's containers");
  const volumes = plainArray(spec.volumes, "the pod template's volumes");

  const names = containers.map((c) => c.name as string);
  const index = names.indexOf(options.container);
  if (index < 0) {
    throw new Error(
      `dump hook container '${options.container}' is not in the pod template (containers: ${names.join(", ") || "none"}); ` +
        `Velero would fail the hook with "container not found"; expected one of the template's container names`,
    );
  }
  const taken = Object.keys(annotations).filter((key) => key in existingAnnotations);
  if (taken.length > 0) {
    throw new Error(`the pod template already has Velero hook/volume annotations (${taken.join(", ")}); define one set of dump hooks only`);
  }
  if (volumes.some((v) => v.name === BACKUPS_VOLUME)) {
    throw new Error(`the pod template already has a volume named '${BACKUPS_VOLUME}'; the dump hooks add their own emptyDir of that name`);
  }
  const container = containers[index];
  const mounts = plainArray(container.volumeMounts, `the volumeMounts of container '${options.container}'`);
  const clash = mounts.find((m) => m.mountPath === BACKUPS_MOUNT_PATH || m.name === BACKUPS_VOLUME);
  if (clash) {
    throw new Error(
      `container '${options.container}' already mounts '${String(clash.name)}' at '${String(clash.mountPath)}'; ` +
        `the dump hooks mount their '${BACKUPS_VOLUME}' volume at ${BACKUPS_MOUNT_PATH}`,
    );
  }

  const newContainers = containers.map((c, i) => (i === index ? { ...c, volumeMounts: [...mounts, dbDumpVolumeMount()] } : c));
  return {
    ...template,
    metadata: { ...metadata, annotations: { ...existingAnnotations, ...annotations } } as k8s.types.input.meta.v1.ObjectMeta,
    spec: { ...spec, containers: newContainers, volumes: [...volumes, dbDumpVolume(options.dumpVolumeSizeLimit)] } as unknown as k8s.types.input.core.v1.PodSpec,
  };
}
