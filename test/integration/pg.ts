/**
 * Throwaway PostgreSQL servers for the integration tests: `initdb` + `pg_ctl` from the machine's PostgreSQL (Debian's
 * `postgresql` package; `.ci/run` installs it), a unix socket in a temp directory and a free loopback port, trust
 * authentication (nothing listens beyond 127.0.0.1 and the socket directory is private to the test). initdb refuses
 * to run as root, so as root the server runs as the `postgres` system user the package creates.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The bin directory of the newest installed PostgreSQL (`PG_BIN` overrides), or undefined. */
export function pgBinDir(): string | undefined {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], "bin") : undefined;
}

export const PG_BIN = pgBinDir();
/** Integration tests run when PostgreSQL is installed; in CI its absence is an error, not a skip. */
export const HAVE_PG = PG_BIN !== undefined;
if (!HAVE_PG && process.env.CI) throw new Error("PostgreSQL (initdb, pg_ctl) not found under /usr/lib/postgresql: .ci/run installs Debian's postgresql package");

const IS_ROOT = process.getuid?.() === 0;

function serverUser(): { uid: number; gid: number } | undefined {
  if (!IS_ROOT) return undefined;
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  return { uid, gid };
}

/** A directory the server's user (and root) can use. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const user = serverUser();
  if (user) chownSync(dir, user.uid, user.gid);
  return dir;
}

/** Runs a PostgreSQL server program as the server's user. */
function asServerUser(file: string, args: string[]): SpawnSyncReturns<string> {
  const [cmd, argv] = IS_ROOT ? ["runuser", ["-u", "postgres", "--", file, ...args]] : [file, args];
  return spawnSync(cmd, argv, { encoding: "utf8", cwd: tmpdir() });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface PgServer {
  /** Socket directory (PGHOST) and port. */
  readonly host: string;
  readonly port: number;
  /** The bootstrap superuser (the image's POSTGRES_USER). */
  readonly user: string;
  /** Environment for clients and hook scripts: PATH with the PostgreSQL binaries, PGHOST, PGPORT, POSTGRES_USER. */
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** psql -X -At as the superuser; throws on error. */
  sql(database: string, query: string): string;
  /** pg_dumpall --clean --if-exists of the whole server, with the random `\restrict` keys (PostgreSQL ≥ 15.14) masked. */
  dumpall(): string;
  stop(): void;
  start(): void;
  destroy(): void;
}

/** initdb + pg_ctl start: a new, empty server whose bootstrap superuser is `user`. */
export async function startServer(user: string): Promise<PgServer> {
  if (!PG_BIN) throw new Error("no PostgreSQL installed");
  const dir = tempDir("pg-it-");
  const data = join(dir, "data");
  const port = await freePort();
  const init = asServerUser(join(PG_BIN, "initdb"), ["-D", data, "-U", user, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const ctl = (action: "start" | "stop") => {
    const args = action === "start" ? ["-D", data, "-l", join(dir, "server.log"), "-w", "-o", `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off`, "start"] : ["-D", data, "-m", "fast", "-w", "stop"];
    const r = asServerUser(join(PG_BIN, "pg_ctl"), args);
    if (r.status !== 0) throw new Error(`pg_ctl ${action} failed: ${r.stderr}${r.stdout}`);
  };
  ctl("start");
  let running = true;
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    PATH: `${PG_BIN}:${process.env.PATH}`,
    PGHOST: dir,
    PGPORT: String(port),
    POSTGRES_USER: user,
    LC_ALL: "C.UTF-8",
    ...extra,
  });
  const server: PgServer = {
    host: dir,
    port,
    user,
    env,
    sql(database, query) {
      return execFileSync(join(PG_BIN!, "psql"), ["-X", "-At", "-v", "ON_ERROR_STOP=1", "-U", user, "-d", database, "-c", query], { env: env(), encoding: "utf8" });
    },
    dumpall() {
      const out = execFileSync(join(PG_BIN!, "pg_dumpall"), ["--clean", "--if-exists", "-U", user], { env: env(), encoding: "utf8", maxBuffer: 1 << 28 });
      return out.replace(/^\\(un)?restrict [A-Za-z0-9]+$/gm, "\\$1restrict <key>");
    },
    stop() {
      if (running) ctl("stop");
      running = false;
    },
    start() {
      if (!running) ctl("start");
      running = true;
    },
    destroy() {
      try {
        server.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return server;
}
