/**
 * The Postgres flow against real PostgreSQL servers: the pre-hook exactly as the program generates it (under dash and
 * busybox sh), both restore procedures exactly as RESTORE.md writes them, the drill's check script, and the failures a
 * backup meets (server down, disk full, writes during the dump). Restored clusters are compared with the original
 * through `pg_dumpall --clean --if-exists` of both (roles with their passwords, every database with its properties,
 * data, large objects, non-ASCII text), byte for byte except the random `\restrict` keys.
 *
 * The only rewrites: `/backups` (the dump volume) becomes a temp directory, `kubectl exec ... --` becomes the local
 * server's environment, and lines that need a cluster (`velero`, `kubectl rollout status`) are checked, not run.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKUPS_MOUNT_PATH, DUMP_PATH, PG_DUMP_COMPLETE_LINE, PG_DUMP_FAILED_MESSAGE } from "../../components/postgres/hooks";
import { ROOT } from "../harness";
import { HAVE_PG, startServer, tempDir as serverTempDir, type PgServer } from "./pg";
import { generatedDev, localise, shBlocks, type Generated, type LocalPod } from "./runbook-commands";

/** The bootstrap superuser: not `postgres`, and a name pg_dumpall has to quote. */
const SUPERUSER = "Ops-Admin";
const SHELLS = [
  ["dash", ["dash"]],
  ["busybox sh", ["busybox", "sh"]],
] as const;
const TRAILER = `--\n${PG_DUMP_COMPLETE_LINE}\n--\n\n`;
const NON_ASCII = "Grüße aus Köln — 日本語 — 🐘 — ½";

/** Temp directories of this file, removed after it. */
const scratch: string[] = [];
function tempDir(prefix: string): string {
  const dir = serverTempDir(prefix);
  scratch.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the generated pre-hook argv with `/bin/sh` replaced by `shell` and `/backups` by `dir`. */
function runHook(g: Generated, shell: readonly string[], dir: string, server: PgServer): Result {
  const [sh, flag, script] = g.preHook;
  expect([sh, flag]).toEqual(["/bin/sh", "-c"]);
  const local = script.split(`${BACKUPS_MOUNT_PATH}/`).join(`${dir}/`);
  const r = spawnSync(shell[0], [...shell.slice(1), flag, local], { env: server.env(), encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a localised RESTORE.md block under dash in `cwd`, as pasted into a shell (no `set -e`: each line runs). */
function runBlock(block: string, pods: Record<string, LocalPod>, dumpFile: string, cwd: string): Result & { clusterLines: string[] } {
  const { script, clusterLines } = localise(block, pods, dumpFile);
  const r = spawnSync("dash", ["-c", script], { cwd, encoding: "utf8", env: { PATH: process.env.PATH, LC_ALL: "C.UTF-8" }, maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, clusterLines };
}

function pod(server: PgServer, shell = "dash"): LocalPod {
  const env = server.env();
  return { env: { PATH: env.PATH, PGHOST: env.PGHOST, PGPORT: env.PGPORT, POSTGRES_USER: env.POSTGRES_USER, LC_ALL: "C.UTF-8" }, shell };
}

/** Roles, databases (one with a name that needs quoting), settings, comments, grants, data in `postgres` itself, large objects. */
function seed(server: PgServer): void {
  server.sql("postgres", "CREATE ROLE app LOGIN PASSWORD 'app-secret'");
  server.sql("postgres", "CREATE ROLE readonly NOLOGIN");
  server.sql("postgres", "GRANT readonly TO app");
  server.sql("postgres", "CREATE DATABASE appdb OWNER app");
  server.sql("postgres", `CREATE DATABASE "Shop Ω"`);
  server.sql("postgres", "ALTER DATABASE appdb SET work_mem = '8MB'");
  server.sql("postgres", "COMMENT ON DATABASE appdb IS 'the application'");
  server.sql("postgres", `CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, '${NON_ASCII}')`);
  server.sql("appdb", "SET ROLE app; CREATE TABLE orders (id serial PRIMARY KEY, customer text, total numeric); GRANT SELECT ON orders TO readonly");
  server.sql("appdb", `INSERT INTO orders (customer, total) SELECT '${NON_ASCII} ' || g, g * 1.5 FROM generate_series(1, 2000) g`);
  server.sql("appdb", "SELECT lo_from_bytea(424242, decode('00ff10e282ac', 'hex'))");
  server.sql("appdb", "ALTER LARGE OBJECT 424242 OWNER TO app");
  server.sql(`Shop Ω`, `CREATE TABLE "Größe" (v text); INSERT INTO "Größe" VALUES ('${NON_ASCII}')`);
}

describe.skipIf(!HAVE_PG)("Postgres dump and restore against a real server", () => {
  let g: Generated;
  let original: PgServer;
  let originalDump: string;
  /** The dump the generated hook wrote (dash), copied out of its "volume". */
  let dumpFile: string;
  const servers: PgServer[] = [];
  const server = async () => {
    const s = await startServer(SUPERUSER);
    servers.push(s);
    return s;
  };

  beforeAll(async () => {
    g = await generatedDev();
    original = await server();
    seed(original);
    originalDump = original.dumpall();
    const volume = tempDir("backups-");
    expect(runHook(g, ["dash"], volume, original).status).toBe(0);
    dumpFile = join(volume, "dump.sql");
  });
  afterAll(() => {
    for (const s of servers) s.destroy();
  });

  it.each(SHELLS)("the generated pre-hook dumps the whole cluster under %s and leaves only the finished dump", (_name, shell) => {
    const volume = tempDir("backups-");
    const r = runHook(g, shell, volume, original);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(readdirSync(volume)).toEqual(["dump.sql"]);
    const dump = readFileSync(join(volume, "dump.sql"), "utf8");
    expect(dump.endsWith(TRAILER)).toBe(true);
    expect(dump).toContain(NON_ASCII);
    expect(dump.replace(/^\\(un)?restrict [A-Za-z0-9]+$/gm, "\\$1restrict <key>")).toBe(originalDump);
  });

  it("Postgres lost: RESTORE.md's procedure rebuilds the original cluster on a fresh server, byte for byte", async () => {
    const fresh = await server();
    fresh.sql("postgres", "CREATE DATABASE appdb"); // what the image's entrypoint does with POSTGRES_DB
    const work = tempDir("restore-lost-");
    const pods = { [g.namespace]: pod(fresh, "busybox sh") };
    const [fetch] = shBlocks(g.runbook, `Postgres lost (namespace \`${g.namespace}\` gone)`);
    const step1 = runBlock(fetch, pods, dumpFile, work);
    expect(step1.status).toBe(0);
    expect(step1.clusterLines.map((l) => l.split(" --")[0])).toEqual([`velero -n backup-system restore create ${g.namespace}-<yyyyMMddHHmmss>`, `kubectl -n ${g.namespace} rollout status ${g.workload}`]);
    const [load] = shBlocks(g.runbook, "Load the dump");
    const step2 = runBlock(load, pods, dumpFile, work);
    expect(step2.stdout).toContain("dump.sql is complete\n");
    expect(step2.stdout).toContain("load exit status: 0\n");
    expect(step2.stderr).not.toMatch(/ERROR/);
    expect(step2.status).toBe(0);
    expect(fresh.dumpall()).toBe(originalDump);
    expect(fresh.sql("postgres", "SELECT body FROM notes")).toBe(`${NON_ASCII}\n`);
  });

  it("Postgres running: RESTORE.md's roll-back returns every database, postgres included, to the backup; roles created since stay", async () => {
    const live = original;
    // Changes after the backup: data in postgres and appdb, a dropped table, a new password, a new database and role.
    live.sql("postgres", "INSERT INTO notes VALUES (2, 'after the backup')");
    live.sql("appdb", "DELETE FROM orders WHERE id > 10; DROP TABLE IF EXISTS nothing");
    live.sql("Shop Ω", `DROP TABLE "Größe"`);
    live.sql("postgres", "ALTER ROLE app PASSWORD 'changed'");
    live.sql("postgres", "CREATE DATABASE newdb");
    live.sql("postgres", "CREATE ROLE since");
    // A client still connected to appdb (clients were not stopped): the load disconnects it.
    const client = spawn("psql", ["-X", "-U", "app", "-d", "appdb", "-c", "SELECT pg_sleep(600)"], { env: live.env(), stdio: "ignore" });
    const exited = new Promise<number | null>((resolve) => client.on("exit", (code) => resolve(code)));
    for (let i = 0; i < 100 && live.sql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()").trim() !== "1"; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }

    const work = tempDir("restore-rollback-");
    const pods = { [g.namespace]: pod(live), [`${g.namespace}-restore`]: pod(live) };
    const [fetch] = shBlocks(g.runbook, "Postgres running, data to roll back");
    const step1 = runBlock(fetch, pods, dumpFile, work);
    expect(step1.stderr).toBe("");
    expect(step1.status).toBe(0);
    expect(readFileSync(join(work, "before-rollback.sql"), "utf8")).toContain("after the backup");
    expect(step1.clusterLines.map((l) => l.split(" --")[0])).toEqual([`velero -n backup-system restore create ${g.namespace}-restore-<yyyyMMddHHmmss>`, `kubectl -n ${g.namespace}-restore rollout status ${g.workload}`]);
    const [load] = shBlocks(g.runbook, "Load the dump");
    const step2 = runBlock(load, pods, dumpFile, work);
    expect(step2.stdout).toContain("load exit status: 0\n");
    expect(step2.status).toBe(0);
    const since = /^.*\bsince;\n(ALTER ROLE since WITH .*\n)?/gm;
    expect(live.dumpall().replace(since, "")).toBe(originalDump);
    const clientEnd = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("still connected"), 10_000))]);
    client.kill();
    expect(clientEnd).not.toBe("still connected");
    expect(clientEnd).not.toBe(0);
    expect(live.dumpall()).toContain("CREATE ROLE since;\n");
    expect(live.sql("postgres", "SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1")).toBe("Shop Ω\nappdb\npostgres\n");
    // The database list the runbook prints holds every database the dump creates.
    expect(step2.stdout).toContain("Shop Ω\nappdb\npostgres\n");
  });

  it("a dump with a statement that fails: the load stops there and says so instead of exiting 0", async () => {
    const target = await server();
    const work = tempDir("restore-broken-");
    const broken = readFileSync(dumpFile, "utf8").replace("\\connect appdb\n", "\\connect appdb\nSELECT no_such_function();\n");
    writeFileSync(join(work, "dump.sql"), broken);
    const [load] = shBlocks(g.runbook, "Load the dump");
    const r = runBlock(load, { [g.namespace]: pod(target) }, join(work, "dump.sql"), work);
    expect(r.stderr).toMatch(/^ERROR: {2}function no_such_function\(\) does not exist\nLINE 1: SELECT no_such_function\(\);\n/);
    expect(r.stdout).toContain("load exit status: 3\n");
    expect(target.sql("appdb", "SELECT count(*) FROM pg_tables WHERE tablename = 'orders'")).toBe("0\n"); // stopped before appdb's tables
  });

  it("a cut-off copy of the dump is refused before anything is dropped", async () => {
    const target = await server();
    target.sql("postgres", "CREATE DATABASE precious");
    const work = tempDir("restore-cut-");
    const full = readFileSync(dumpFile, "utf8");
    writeFileSync(join(work, "dump.sql"), full.slice(0, full.length - 30));
    const [load] = shBlocks(g.runbook, "Load the dump");
    const r = runBlock(load, { [g.namespace]: pod(target) }, join(work, "dump.sql"), work);
    expect(r.stdout).toContain("dump.sql is cut off: copy it again\n");
    expect(r.stdout).toContain("load exit status: 1\n");
    expect(target.sql("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'precious'")).toBe("1\n");
  });

  it("the restore drill's check script loads the same dump into a fresh server and runs its query", async () => {
    const fresh = await server();
    const dir = tempDir("drill-check-");
    writeFileSync(join(dir, "dump.sql"), readFileSync(dumpFile));
    const script = readFileSync(join(ROOT, "components", "drills", "postgres-check.sh"), "utf8");
    const r = spawnSync("sh", ["-c", script, "postgres-check", join(dir, "dump.sql"), "postgres", "SELECT body FROM notes WHERE id = 1"], { env: fresh.env(), encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`postgres-check: query on postgres returned: ${NON_ASCII}\npostgres-check: loaded ${join(dir, "dump.sql")} (2 databases created, no psql error)\n`);
    expect(r.status).toBe(0);
    expect(fresh.dumpall()).toBe(originalDump);
  });

  it.each(SHELLS)("server down: the pre-hook under %s exits non-zero with its message and leaves no file", async (_name, shell) => {
    const down = await server();
    down.stop();
    const volume = tempDir("backups-");
    writeFileSync(join(volume, "dump.sql"), "an old dump the post-hook did not remove\n");
    const r = runHook(g, shell, volume, down);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("pg_dumpall: error: connection to server on socket");
    expect(r.stderr.endsWith(`${PG_DUMP_FAILED_MESSAGE}\n`)).toBe(true);
    expect(readdirSync(volume)).toEqual([]);
  });

  it("writes during the dump: it completes, and each database is consistent in itself", async () => {
    const busy = await server();
    busy.sql("postgres", "CREATE DATABASE shop");
    busy.sql("shop", "CREATE SEQUENCE s; CREATE TABLE a (id bigint PRIMARY KEY); CREATE TABLE b (id bigint PRIMARY KEY); CREATE TABLE filler (t text)");
    busy.sql("shop", "INSERT INTO filler SELECT repeat(md5(g::text), 20) FROM generate_series(1, 100000) g");
    const work = tempDir("busy-");
    // One transaction writes both tables: a consistent snapshot has the same ids in a and b.
    writeFileSync(join(work, "tx.sql"), "BEGIN;\nINSERT INTO a VALUES (nextval('s'));\nINSERT INTO b VALUES (currval('s'));\nCOMMIT;\n");
    const writer = spawn("pgbench", ["-n", "-c", "2", "-T", "120", "-f", join(work, "tx.sql"), "-U", SUPERUSER, "shop"], { env: busy.env(), stdio: "ignore" });
    const stopped = new Promise<void>((resolve) => writer.on("exit", () => resolve()));
    try {
      while (Number(busy.sql("shop", "SELECT count(*) FROM a")) < 200) await new Promise((r) => setTimeout(r, 50));
      const before = Number(busy.sql("shop", "SELECT count(*) FROM a"));
      const volume = tempDir("backups-");
      const r = runHook(g, ["dash"], volume, busy);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const after = Number(busy.sql("shop", "SELECT count(*) FROM a"));
      const restored = await server();
      const [load] = shBlocks(g.runbook, "Load the dump");
      writeFileSync(join(work, "dump.sql"), readFileSync(join(volume, "dump.sql")));
      const l = runBlock(load, { [g.namespace]: pod(restored) }, join(work, "dump.sql"), work);
      expect(l.stdout).toContain("load exit status: 0\n");
      const [inA, inB, unmatched] = restored.sql("shop", "SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM b), (SELECT count(*) FROM a FULL JOIN b USING (id) WHERE a.id IS NULL OR b.id IS NULL)").trim().split("|").map(Number);
      expect(unmatched).toBe(0);
      expect(inA).toBe(inB);
      expect(inA).toBeGreaterThanOrEqual(before);
      expect(after).toBeGreaterThan(before); // the writer really ran during the dump
    } finally {
      writer.kill("SIGTERM");
      await stopped;
    }
  });
});

/**
 * A full disk at pg_dumpall's very last write: the dump is padded so its completion trailer crosses a page boundary,
 * and the hook writes to a tmpfs exactly as large as the pages before it. pg_dumpall does not check that last
 * `fclose`, exits 0 and leaves a file missing its end; the hook must not publish it. Needs `mount -t tmpfs` (root).
 */
/** Root may still be refused a mount (a container without CAP_SYS_ADMIN): probe once with a real tmpfs. */
function tmpfsMountable(): boolean {
  if (process.getuid?.() !== 0) return false;
  const dir = serverTempDir("tmpfs-probe-");
  const ok = spawnSync("mount", ["-t", "tmpfs", "-o", "size=4096", "tmpfs", dir]).status === 0;
  if (ok) spawnSync("umount", [dir]);
  rmSync(dir, { recursive: true, force: true });
  return ok;
}
const CAN_MOUNT = tmpfsMountable();

describe.skipIf(!HAVE_PG || !CAN_MOUNT)(`Postgres dump hook on a full disk (tmpfs)${CAN_MOUNT ? "" : " — skipped: mounting a tmpfs needs root with CAP_SYS_ADMIN"}`, () => {
  const PAGE = 4096;
  const BEFORE_BOUNDARY = 16;
  const mounts: string[] = [];
  let g: Generated;
  let s: PgServer;

  function mountTmpfs(bytes: number): string {
    const dir = tempDir("tmpfs-");
    const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${bytes},mode=0777`, "tmpfs", dir], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`mount -t tmpfs failed: ${r.stderr}`);
    mounts.push(dir);
    return dir;
  }

  function dumpLength(): number {
    const dir = tempDir("measure-");
    const r = spawnSync("pg_dumpall", ["--clean", "--if-exists", "-U", SUPERUSER, "-f", join(dir, "d.sql")], { env: s.env() });
    expect(r.status).toBe(0);
    return statSync(join(dir, "d.sql")).size;
  }

  beforeAll(async () => {
    g = await generatedDev();
    s = await startServer(SUPERUSER);
    s.sql("postgres", "CREATE TABLE pad (t text); INSERT INTO pad VALUES ('x')");
    const trailer = Buffer.byteLength(TRAILER);
    const body = dumpLength() - trailer;
    const delta = (PAGE - BEFORE_BOUNDARY - (body % PAGE) + PAGE) % PAGE;
    s.sql("postgres", `UPDATE pad SET t = t || repeat('x', ${delta})`);
  });
  afterAll(() => {
    for (const dir of mounts) spawnSync("umount", [dir]);
    s?.destroy();
  });

  it("pg_dumpall itself exits 0 with the trailer cut off (the defect the hook guards against)", () => {
    const full = dumpLength();
    const body = full - Buffer.byteLength(TRAILER);
    expect(body % PAGE).toBe(PAGE - BEFORE_BOUNDARY);
    const disk = mountTmpfs(Math.ceil(body / PAGE) * PAGE);
    const r = spawnSync("pg_dumpall", ["--clean", "--if-exists", "-U", SUPERUSER, "-f", join(disk, "d.sql")], { env: s.env(), encoding: "utf8" });
    expect(r.status).toBe(0);
    const written = readFileSync(join(disk, "d.sql"), "utf8");
    expect(written.length).toBe(body + BEFORE_BOUNDARY);
    expect(written.endsWith(TRAILER)).toBe(false);
  });

  it.each(SHELLS)("the generated pre-hook under %s publishes nothing when the last write fails", (_name, shell) => {
    const body = dumpLength() - Buffer.byteLength(TRAILER);
    const disk = mountTmpfs(Math.ceil(body / PAGE) * PAGE);
    const r = runHook(g, shell, disk, s);
    expect(r.stderr).toBe(`${PG_DUMP_FAILED_MESSAGE}\n`);
    expect(r.status).toBe(1);
    expect(readdirSync(disk)).toEqual([]);
  });

  it("the generated pre-hook fails and cleans up when the disk fills in the middle of the dump", () => {
    const disk = mountTmpfs(4 * PAGE);
    s.sql("postgres", "CREATE TABLE IF NOT EXISTS bulk AS SELECT repeat(md5(g::text), 10) AS t FROM generate_series(1, 2000) g");
    const r = runHook(g, ["dash"], disk, s);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/No space left on device/);
    expect(r.stderr.endsWith(`${PG_DUMP_FAILED_MESSAGE}\n`)).toBe(true);
    expect(readdirSync(disk)).toEqual([]);
    expect(existsSync(join(disk, DUMP_PATH.slice(BACKUPS_MOUNT_PATH.length + 1)))).toBe(false);
    s.sql("postgres", "DROP TABLE bulk");
  });
});
