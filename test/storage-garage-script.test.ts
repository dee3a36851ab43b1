/**
 * The Garage provisioning script run for real: POSIX sh (dash) and busybox sh (the curl image is Alpine, /bin/sh is
 * busybox ash), the real curl behind a wrapper that records every argv, against a stand-in Garage admin API on
 * 127.0.0.1. What must hold: no secret (admin token, key id, key secret) is ever on curl's command line, yet Garage
 * receives them (header file, stdin), and the key ends with read+write and owner taken away.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GARAGE_ADMIN_PATHS, GARAGE_AUTH_HEADER_FILE, garageProvisionScript } from "../components/storage/garage";
import { minioProvisionScript } from "../components/storage/minio";

const REAL_CURL = spawnSync("sh", ["-c", "command -v curl"]).stdout?.toString().trim() ?? "";
const HAS_BUSYBOX = spawnSync("busybox", ["true"]).status === 0;
/** CI installs curl and busybox (.ci/run), so there a missing tool fails instead of skipping. */
const RUN = Boolean(REAL_CURL) || Boolean(process.env.CI);

const TOKEN = "admintoken-5f1e9c0d2b7a4e68";
const KEY_ID = "GK0123456789abcdef01234567";
const KEY_SECRET = "f".repeat(8) + "0123456789abcdef".repeat(3) + "e".repeat(8);
const BUCKET_ID = "b".repeat(64);

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: string;
}

/** A Garage admin API answering the calls of the script for one API version, state kept across runs. */
function fakeGarage(version: "v1" | "v2") {
  const p = GARAGE_ADMIN_PATHS[version];
  const seen: Seen[] = [];
  const state = { keyImported: false, bucketCreated: false };
  const read = (req: IncomingMessage) => new Promise<string>((done) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => done(body));
  });
  const server: Server = createServer(async (req, res) => {
    const body = await read(req);
    const url = req.url ?? "";
    seen.push({ method: req.method ?? "", url, auth: req.headers.authorization, body });
    const answer = (code: number, json: unknown = {}) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(JSON.stringify(json, null, 2));
    };
    if (url === "/health") return answer(200);
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return answer(403, { code: "AccessDenied" });
    if (url === `${p.getKey}${KEY_ID}`) return state.keyImported ? answer(200, { accessKeyId: KEY_ID }) : answer(404, { code: "NoSuchAccessKey" });
    if (url === p.importKey && req.method === "POST") {
      state.keyImported = true;
      return answer(200, { accessKeyId: KEY_ID });
    }
    if (url === `${p.getBucket}velero-postgres`) return state.bucketCreated ? answer(200, { id: BUCKET_ID, globalAliases: ["velero-postgres"] }) : answer(404, { code: "NoSuchBucket" });
    if (url === p.createBucket && req.method === "POST") {
      state.bucketCreated = true;
      return answer(200, { id: BUCKET_ID });
    }
    if ((url === p.allowKey || url === p.denyKey) && req.method === "POST") return answer(200, { id: BUCKET_ID });
    return answer(400, { code: "InvalidRequest", url });
  });
  return { server, seen };
}

/** Runs the script with `shell` (argv prefix), the curl wrapper first on PATH; returns exit status and recorded argvs. */
async function runScript(shell: string[], version: "v1" | "v2", adminUrl: string, token = TOKEN) {
  const dir = mkdtempSync(join(tmpdir(), "garage-script-"));
  const argvLog = join(dir, "argv.log");
  writeFileSync(argvLog, "");
  // Records each argument on its own line, one "--END--" per call, then runs the real curl.
  writeFileSync(join(dir, "curl"), `#!/bin/sh\nfor a in "$@"; do echo "$a" >> "${argvLog}"; done\necho --END-- >> "${argvLog}"\nexec "${REAL_CURL}" "$@"\n`);
  chmodSync(join(dir, "curl"), 0o755);
  // The pod's /tmp is a memory emptyDir of its own; here each run gets its own directory instead.
  const script = garageProvisionScript(version).replaceAll("/tmp/", `${dir}/`);
  const env = {
    PATH: `${dir}:/usr/bin:/bin`,
    GARAGE_ADMIN_URL: adminUrl,
    GARAGE_ADMIN_TOKEN: token,
    KEY_ID,
    KEY_SECRET,
    KEY_NAME: "cluster-backup-velero",
    BUCKET: "velero-postgres",
  };
  const child = spawn(shell[0], [...shell.slice(1), script], { env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const status = await new Promise<number | null>((done) => child.on("close", done));
  const calls = readFileSync(argvLog, "utf8").split("--END--\n").filter(Boolean).map((c) => c.split("\n").filter(Boolean));
  let headerFileLeft = true;
  try {
    readFileSync(join(dir, GARAGE_AUTH_HEADER_FILE.replace("/tmp/", "")));
  } catch {
    headerFileLeft = false;
  }
  return { status, stdout, stderr, calls, headerFileLeft };
}

const shells: [string, string[], boolean][] = [
  ["dash (POSIX sh)", ["dash", "-c"], spawnSync("dash", ["-c", "true"]).status === 0 || Boolean(process.env.CI)],
  ["busybox sh (the curl image's /bin/sh)", ["busybox", "sh", "-c"], HAS_BUSYBOX || Boolean(process.env.CI)],
];

for (const version of ["v2", "v1"] as const) {
  for (const [label, shell, available] of shells) {
    describe.skipIf(!RUN || !available)(`Garage provisioning script ${version} under ${label}, real curl`, () => {
      const garage = fakeGarage(version);
      let url = "";
      beforeAll(async () => {
        await new Promise<void>((done) => garage.server.listen(0, "127.0.0.1", done));
        url = `http://127.0.0.1:${(garage.server.address() as AddressInfo).port}`;
      });
      afterAll(() => new Promise<void>((done) => garage.server.close(() => done())));

      it("first run: imports the key, creates the bucket, allows read+write, denies owner; no secret on any argv", async () => {
        const run = await runScript(shell, version, url);
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        expect(run.stdout.split("\n")).toEqual(["key cluster-backup-velero imported", "bucket velero-postgres created", "key cluster-backup-velero may read and write bucket velero-postgres, not own it", ""]);
        const p = GARAGE_ADMIN_PATHS[version];
        expect(garage.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
          "GET /health",
          `GET ${p.getKey}${KEY_ID}`,
          `POST ${p.importKey}`,
          `GET ${p.getBucket}velero-postgres`,
          `POST ${p.createBucket}`,
          `GET ${p.getBucket}velero-postgres`,
          `POST ${p.allowKey}`,
          `POST ${p.denyKey}`,
        ]);
        // Every admin call carried the token (from the header file), the bodies came whole (from stdin).
        expect(garage.seen.slice(1).every((s) => s.auth === `Bearer ${TOKEN}`)).toBe(true);
        expect(JSON.parse(garage.seen[2].body)).toEqual({ accessKeyId: KEY_ID, secretAccessKey: KEY_SECRET, name: "cluster-backup-velero" });
        expect(JSON.parse(garage.seen[6].body)).toEqual({ bucketId: BUCKET_ID, accessKeyId: KEY_ID, permissions: { read: true, write: true, owner: false } });
        expect(JSON.parse(garage.seen[7].body)).toEqual({ bucketId: BUCKET_ID, accessKeyId: KEY_ID, permissions: { read: false, write: false, owner: true } });
        // The attack: read every curl's command line (what /proc/<pid>/cmdline shows to any process of the pod).
        expect(run.calls).toHaveLength(8);
        const argv = run.calls.flat().join("\n");
        for (const secret of [TOKEN, KEY_ID, KEY_SECRET]) expect(argv).not.toContain(secret);
        expect(argv).not.toContain("Bearer");
        expect(run.headerFileLeft).toBe(false);
      });

      it("second run changes nothing but the grants: no ImportKey, no CreateBucket, still nothing secret on argv", async () => {
        garage.seen.length = 0;
        const run = await runScript(shell, version, url);
        expect(run.status).toBe(0);
        expect(run.stdout.split("\n").slice(0, 2)).toEqual(["key cluster-backup-velero exists", "bucket velero-postgres exists"]);
        const p = GARAGE_ADMIN_PATHS[version];
        expect(garage.seen.map((s) => `${s.method} ${s.url}`)).toEqual(["GET /health", `GET ${p.getKey}${KEY_ID}`, `GET ${p.getBucket}velero-postgres`, `GET ${p.getBucket}velero-postgres`, `POST ${p.allowKey}`, `POST ${p.denyKey}`]);
        for (const secret of [TOKEN, KEY_ID, KEY_SECRET]) expect(run.calls.flat().join("\n")).not.toContain(secret);
      });

      it("a wrong token fails the run at the key lookup, with Garage's answer on stderr", async () => {
        garage.seen.length = 0;
        const run = await runScript(shell, version, url, "wrong-token");
        expect(run.status).toBe(1);
        expect(run.stderr).toContain("looking up key cluster-backup-velero failed:");
        expect(run.stderr).toContain("AccessDenied");
        expect(garage.seen.map((s) => s.method)).toEqual(["GET", "GET"]);
      });
    });
  }
}

describe.skipIf(!HAS_BUSYBOX && !process.env.CI)("MinIO provisioning script under busybox sh with a recording mc: no secret on argv", () => {
  it("root credentials travel in MC_HOST_local, the user's keys on stdin; argv holds no secret", () => {
    const dir = mkdtempSync(join(tmpdir(), "minio-script-"));
    const log = join(dir, "mc.log");
    // Records argv, the MC_HOST_local it saw and, for `admin user add`, its stdin.
    writeFileSync(join(dir, "mc"), `#!/bin/sh\n{ echo "ARGV $*"; echo "HOST $MC_HOST_local"; case "$*" in "admin user add local") echo "STDIN $(cat | tr '\\n' ' ')";; esac; } >> "${log}"\n`);
    chmodSync(join(dir, "mc"), 0o755);
    const script = minioProvisionScript({ consumer: "velero", buckets: ["velero"], versioned: false });
    const env = { PATH: `${dir}:/usr/bin:/bin`, MINIO_URL: "http://minio.minio.svc.cluster.local:9000", ROOT_USER: "rootuser1234", ROOT_PASSWORD: "RootPassword5678", ACCESS_KEY: "ACCESSKEY0001", SECRET_KEY: "SecretKey0002xyz" };
    const run = spawnSync("busybox", ["sh", "-c", script], { env });
    expect(run.status).toBe(0);
    const lines = readFileSync(log, "utf8").trim().split("\n");
    const argv = lines.filter((l) => l.startsWith("ARGV ")).join("\n");
    for (const secret of [env.ROOT_USER, env.ROOT_PASSWORD, env.SECRET_KEY]) expect(argv).not.toContain(secret);
    expect(lines.filter((l) => l.startsWith("HOST ")).every((l) => l === "HOST http://rootuser1234:RootPassword5678@minio.minio.svc.cluster.local:9000")).toBe(true);
    expect(lines).toContain("STDIN ACCESSKEY0001 SecretKey0002xyz ");
    expect(lines.filter((l) => l.startsWith("ARGV ")).map((l) => l.slice(5))).toEqual([
      "ls local",
      "mb --ignore-existing local/velero",
      "admin user add local",
      "admin policy create local velero-rw /config/velero-rw.json",
      // The access key id names the user (mc has no other way); it is no credential without the secret.
      "admin policy attach local velero-rw --user ACCESSKEY0001",
    ]);
  });
});
