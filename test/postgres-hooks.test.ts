import { describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import {
  BACKUPS_MOUNT_PATH,
  BACKUPS_VOLUME,
  cleanupScript,
  dbDumpAnnotations,
  dbDumpTemplateFragment,
  DUMP_PATH,
  dumpScript,
  withDbDumpHooks,
  type DbDumpOptions,
  type PodTemplate,
} from "../components/postgres/hooks";
import { buildPodTemplatePatch, buildWorkloadPatchArgs } from "../components/postgres/postgres-backup";
import { PG_ANNOTATIONS } from "./lib/expected";

const options: DbDumpOptions = { container: "postgres", dumpVolumeSizeLimit: "20Gi", hookTimeout: "30m", postHookTimeout: "2m" };

function template(): PodTemplate {
  return {
    metadata: { labels: { app: "pg" }, annotations: { "example.com/keep": "yes" } },
    spec: {
      containers: [
        { name: "exporter", image: "example.com/exporter:1.0" },
        { name: "postgres", image: "docker.io/library/postgres:17.6", volumeMounts: [{ name: "data", mountPath: "/var/lib/postgresql/data" }] },
      ],
      volumes: [{ name: "config", configMap: { name: "pg-config" } }],
    },
  };
}

describe("dump hook annotations (docs/design.md §3.5)", () => {
  it("are exactly the Postgres annotations of the spec", () => {
    expect(dbDumpAnnotations(options)).toEqual(PG_ANNOTATIONS);
  });

  it("wrap the command in /bin/sh -c as a JSON array Velero can parse", () => {
    const command = JSON.parse(dbDumpAnnotations(options)["pre.hook.backup.velero.io/command"]);
    expect(command).toEqual([
      "/bin/sh",
      "-c",
      "rm -f /backups/dump.sql /backups/dump.sql.tmp; " +
        'pg_dumpall --clean --if-exists -U "${POSTGRES_USER:-postgres}" -f /backups/dump.sql.tmp && ' +
        "tail -n 3 /backups/dump.sql.tmp | grep -qxF -e '-- PostgreSQL database cluster dump complete' && " +
        "mv /backups/dump.sql.tmp /backups/dump.sql || { rm -f /backups/dump.sql.tmp; echo 'dump hook: pg_dumpall failed or its output lacks the completion line (disk full?); no dump published' >&2; exit 1; }",
    ]);
  });

  it("MySQL variant: mysqldump as root, the same volume and cleanup, and the data volume excluded", () => {
    const mysql = dbDumpAnnotations({ ...options, container: "mysql", engine: "mysql", excludeVolumes: ["data"] });
    expect(mysql).toEqual({
      "backup.velero.io/backup-volumes": "backups",
      "backup.velero.io/backup-volumes-excludes": "data",
      "pre.hook.backup.velero.io/container": "mysql",
      "pre.hook.backup.velero.io/command":
        '["/bin/sh","-c","mysqldump --single-transaction --routines --events --all-databases -uroot -p\\"$MYSQL_ROOT_PASSWORD\\" > /backups/dump.sql.tmp && mv /backups/dump.sql.tmp /backups/dump.sql"]',
      "pre.hook.backup.velero.io/on-error": "Fail",
      "pre.hook.backup.velero.io/timeout": "30m",
      "post.hook.backup.velero.io/container": "mysql",
      "post.hook.backup.velero.io/command": '["/bin/sh","-c","rm -f /backups/dump.sql /backups/dump.sql.tmp"]',
      "post.hook.backup.velero.io/on-error": "Continue",
      "post.hook.backup.velero.io/timeout": "2m",
    });
  });

  it("join several excluded volumes with commas (Velero's list form)", () => {
    expect(dbDumpAnnotations({ ...options, excludeVolumes: ["data", "wal"] })["backup.velero.io/backup-volumes-excludes"]).toBe("data,wal");
  });
});

describe("withDbDumpHooks on an owned pod template", () => {
  it("adds the annotations, the emptyDir and the mount to the hook container only, keeping everything else", () => {
    const input = template();
    const before = JSON.stringify(input);
    const out = withDbDumpHooks(input, options);
    expect(JSON.stringify(input)).toBe(before); // the input is not modified
    expect(out).toEqual({
      metadata: { labels: { app: "pg" }, annotations: { "example.com/keep": "yes", ...PG_ANNOTATIONS } },
      spec: {
        containers: [
          { name: "exporter", image: "example.com/exporter:1.0" },
          {
            name: "postgres",
            image: "docker.io/library/postgres:17.6",
            volumeMounts: [
              { name: "data", mountPath: "/var/lib/postgresql/data" },
              { name: "backups", mountPath: "/backups" },
            ],
          },
        ],
        volumes: [
          { name: "config", configMap: { name: "pg-config" } },
          { name: "backups", emptyDir: { sizeLimit: "20Gi" } },
        ],
      },
    });
  });

  it("works on a template without annotations, volumes or mounts", () => {
    const out = withDbDumpHooks({ spec: { containers: [{ name: "postgres" }] } }, { ...options, dumpVolumeSizeLimit: "5Gi" });
    expect(out).toEqual({
      metadata: { annotations: PG_ANNOTATIONS },
      spec: { containers: [{ name: "postgres", volumeMounts: [{ name: "backups", mountPath: "/backups" }] }], volumes: [{ name: "backups", emptyDir: { sizeLimit: "5Gi" } }] },
    });
  });
});

describe("withDbDumpHooks refuses templates it cannot hook safely", () => {
  it("a hook container that is not in the template", () => {
    expect(() => withDbDumpHooks(template(), { ...options, container: "db" })).toThrow(
      `dump hook container 'db' is not in the pod template (containers: exporter, postgres); Velero would fail the hook with "container not found"; expected one of the template's container names`,
    );
    expect(() => withDbDumpHooks({ spec: { containers: [] } }, options)).toThrow("dump hook container 'postgres' is not in the pod template (containers: none)");
  });

  it("a volume named backups that already exists", () => {
    const t = template();
    (t.spec as { volumes: unknown[] }).volumes.push({ name: "backups", emptyDir: {} });
    expect(() => withDbDumpHooks(t, options)).toThrow("the pod template already has a volume named 'backups'; the dump hooks add their own emptyDir of that name");
  });

  it("a mount at /backups (or of a volume named backups) in the hook container", () => {
    const t = template();
    const pg = (t.spec as { containers: { volumeMounts?: unknown[] }[] }).containers[1];
    pg.volumeMounts!.push({ name: "dumps", mountPath: "/backups" });
    expect(() => withDbDumpHooks(t, options)).toThrow("container 'postgres' already mounts 'dumps' at '/backups'; the dump hooks mount their 'backups' volume at /backups");
  });

  it("Velero hook annotations that are already there", () => {
    const t = template();
    (t.metadata as { annotations: Record<string, string> }).annotations["pre.hook.backup.velero.io/command"] = '["true"]';
    expect(() => withDbDumpHooks(t, options)).toThrow(
      "the pod template already has Velero hook/volume annotations (pre.hook.backup.velero.io/command); define one set of dump hooks only",
    );
  });

  it("containers that are not plain values", () => {
    expect(() => withDbDumpHooks({ spec: { containers: pulumi.output([{ name: "postgres" }]) } }, options)).toThrow(
      "the pod template's containers must be a plain array to add dump hooks (not an Output or a Promise)",
    );
  });

  it("bad options", () => {
    expect(() => dbDumpAnnotations({ ...options, excludeVolumes: ["backups"] })).toThrow(
      "dump hook option 'excludeVolumes' names 'backups', the volume holding the dump; exclude only the data volumes",
    );
    expect(() => dbDumpAnnotations({ ...options, hookTimeout: "30 minutes" })).toThrow(
      "dump hook option 'hookTimeout' is '30 minutes'; expected a positive Go duration such as '30m' or '2m'",
    );
    expect(() => dbDumpAnnotations({ ...options, dumpVolumeSizeLimit: "500m" })).toThrow(
      "dump hook option 'dumpVolumeSizeLimit' is '500m'; expected a byte quantity such as '20Gi'",
    );
    expect(() => dbDumpAnnotations({ ...options, container: "" })).toThrow("dump hooks need the name of the database container (option 'container')");
  });
});

describe("the dump stays inside the backups volume", () => {
  it("constants", () => {
    expect([BACKUPS_VOLUME, BACKUPS_MOUNT_PATH, DUMP_PATH]).toEqual(["backups", "/backups", "/backups/dump.sql"]);
  });

  it("accepts a file below /backups", () => {
    expect(dumpScript("postgres", "/backups/db/all.sql")).toBe(
      "rm -f /backups/db/all.sql /backups/db/all.sql.tmp; " +
        'pg_dumpall --clean --if-exists -U "${POSTGRES_USER:-postgres}" -f /backups/db/all.sql.tmp && ' +
        "tail -n 3 /backups/db/all.sql.tmp | grep -qxF -e '-- PostgreSQL database cluster dump complete' && " +
        "mv /backups/db/all.sql.tmp /backups/db/all.sql || { rm -f /backups/db/all.sql.tmp; echo 'dump hook: pg_dumpall failed or its output lacks the completion line (disk full?); no dump published' >&2; exit 1; }",
    );
    expect(cleanupScript("/backups/db/all.sql")).toBe("rm -f /backups/db/all.sql /backups/db/all.sql.tmp");
  });

  it.each(["/var/lib/postgresql/data/dump.sql", "/backups", "/backups/", "/backupsX/dump.sql", "/backups/../data/dump.sql", "/backups/dump.sql; rm -rf /", "backups/dump.sql"])(
    "refuses %s",
    (path) => {
      expect(() => dumpScript("postgres", path)).toThrow(
        `dump path '${path}' is outside the 'backups' volume: expected a file below /backups/ (letters, digits, '.', '_', '-', no '..'), e.g. '/backups/dump.sql'; only that volume is backed up`,
      );
    },
  );
});

describe("the fragment for a foreign workload", () => {
  const workload = { kind: "StatefulSet" as const, name: "pg", namespace: "db", container: "postgres" };
  const args = { workload, dumpVolumeSizeLimit: "20Gi", hookTimeout: "30m", postHookTimeout: "2m" };

  it("holds only the hook fields, the container reduced to its name and one mount", () => {
    expect(dbDumpTemplateFragment(options)).toEqual({
      metadata: { annotations: PG_ANNOTATIONS },
      spec: { containers: [{ name: "postgres", volumeMounts: [{ name: "backups", mountPath: "/backups" }] }], volumes: [{ name: "backups", emptyDir: { sizeLimit: "20Gi" } }] },
    });
    expect(buildPodTemplatePatch(args)).toEqual({ spec: { template: dbDumpTemplateFragment(options) } });
  });

  it("the server-side-apply patch adds only the target and the force annotation", () => {
    expect(buildWorkloadPatchArgs(args)).toEqual({
      metadata: { name: "pg", namespace: "db", annotations: { "pulumi.com/patchForce": "true" } },
      spec: { template: dbDumpTemplateFragment(options) },
    });
  });
});
