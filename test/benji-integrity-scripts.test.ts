/**
 * The deep-scrub and restore-drill scripts (components/benji/integrity.ts) under real bash and jq, against stand-ins
 * for `benji`, `benji-command`, `rbd` and `date` that record their arguments. The stand-in `rbd` keeps images as files
 * under <dir>/images/<pool>/, so the tests see which scratch images exist before and after a run.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { benjiDrillCandidatesFilter, BENJI_DRILL_SCRIPT, BENJI_SCRUB_SCRIPT, benjiInvalidVersionsFilter, benjiFinishedVersionsFilter } from "../components/benji/integrity";

const FAKE_BENJI = `#!/bin/sh
echo "benji $*" >> "$D/calls.log"
sub=""
for a in "$@"; do case "$a" in --machine-output|--log-level|INFO|ERROR) ;; *) sub="$a"; break ;; esac; done
for last in "$@"; do :; done
case "$sub" in
  ls) cat "$D/ls.json"; exit "\${LS_RC:-0}" ;;
  restore)
    path="\${last#*:}"
    if [ "\${RESTORE_CREATES:-1}" = 1 ]; then mkdir -p "$D/images/\${path%%/*}"; : > "$D/images/$path"; fi
    [ "\${RESTORE_KILLS_PARENT:-0}" = 1 ] && kill -TERM "$PPID"
    [ "\${RESTORE_BREAKS_CEPH:-0}" = 1 ] && : > "$D/ceph-down"
    exit "\${RESTORE_RC:-0}" ;;
  deep-scrub) [ -f "$D/scrub.log" ] && cat "$D/scrub.log" >&2; exit "\${SCRUB_RC:-0}" ;;
esac
exit 0
`;

const FAKE_BENJI_COMMAND = `#!/bin/sh
echo "benji-command $*" >> "$D/calls.log"
exit "\${COMMAND_RC:-0}"
`;

const FAKE_RBD = `#!/bin/sh
echo "rbd $*" >> "$D/calls.log"
case "$1" in
  ls) [ "\${RBD_LS_RC:-0}" = 0 ] || exit "$RBD_LS_RC"; [ -f "$D/ceph-down" ] && exit 110; [ -d "$D/images/$2" ] && ls -1 "$D/images/$2"; exit 0 ;;
  rm) [ "\${RBD_RM_RC:-0}" = 0 ] || exit "$RBD_RM_RC"; rm "$D/images/$2" 2>/dev/null || { echo "rbd: error opening image $2" >&2; exit 2; } ;;
esac
exit 0
`;

const FAKE_DATE = `#!/bin/sh
case "$*" in
  "-u +%s") echo "$NOW" ;;
  "-u +%Y%m%d%H%M%S") echo 20261206120000 ;;
  *) echo "unexpected date $*" >&2; exit 1 ;;
esac
`;

const WEEK = 604800;
const INSTANCE = "benji-k8s";
const POOLS = ["replicapool", "ssd"];
const IMAGE = "benji-restore-drill-20261206120000";

interface Version {
  uid: string;
  volume: string;
  date: string;
  pool?: string;
}

function listing(versions: Version[]): string {
  return JSON.stringify({
    metadataVersion: "2.0.0",
    versions: versions.map((v) => ({
      uid: v.uid,
      date: v.date,
      volume: v.volume,
      snapshot: "b-2026",
      size: 1073741824,
      status: "valid",
      labels: { "benji-backup.me/instance": INSTANCE, ...(v.pool ? { "benji-backup.me/ceph-pool": v.pool } : {}), "benji-backup.me/k8s-pvc": v.volume.split("/")[1] },
    })),
  });
}

/** garage/data-a (2 versions), garage/data-b (3), tools/cache (1): sorted, volume 1 is garage/data-b. */
const VERSIONS: Version[] = [
  { uid: "garage-data-a-old111", volume: "garage/data-a", date: "2026-12-04T07:30:01.000000Z", pool: "replicapool" },
  { uid: "garage-data-a-new222", volume: "garage/data-a", date: "2026-12-05T07:30:01.000000Z", pool: "replicapool" },
  { uid: "tools-cache-only33", volume: "tools/cache", date: "2026-12-05T07:31:00.000000Z", pool: "ssd" },
  { uid: "garage-data-b-mid444", volume: "garage/data-b", date: "2026-12-04T07:30:02.000000Z", pool: "replicapool" },
  { uid: "garage-data-b-new555", volume: "garage/data-b", date: "2026-12-05T07:30:02.000000Z", pool: "replicapool" },
  { uid: "garage-data-b-old666", volume: "garage/data-b", date: "2026-12-03T07:30:02.000000Z", pool: "replicapool" },
];

interface RunOptions {
  ls?: string;
  env?: Record<string, string>;
  /** Images that exist before the run: pool → names. */
  images?: Record<string, string[]>;
  scrubLog?: string;
}

function run(script: string, args: string[], o: RunOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), "benji-integrity-"));
  writeFileSync(join(dir, "calls.log"), "");
  for (const [name, text] of Object.entries({ benji: FAKE_BENJI, "benji-command": FAKE_BENJI_COMMAND, rbd: FAKE_RBD, date: FAKE_DATE })) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
  writeFileSync(join(dir, "ls.json"), o.ls ?? listing(VERSIONS));
  if (o.scrubLog !== undefined) writeFileSync(join(dir, "scrub.log"), o.scrubLog);
  for (const [pool, names] of Object.entries(o.images ?? {})) {
    mkdirSync(join(dir, "images", pool), { recursive: true });
    for (const n of names) writeFileSync(join(dir, "images", pool, n), "");
  }
  const r = spawnSync("bash", ["-c", script, ...args], { env: { PATH: `${dir}:/usr/bin:/bin`, HOME: dir, D: dir, NOW: String(10 * WEEK + 3600), ...o.env }, encoding: "utf8" });
  const images = (pool: string) => (existsSync(join(dir, "images", pool)) ? readdirSync(join(dir, "images", pool)).sort() : []);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls: readFileSync(join(dir, "calls.log"), "utf8").trim().split("\n").filter(Boolean), images };
}

const drill = (o: RunOptions = {}) => run(BENJI_DRILL_SCRIPT, ["benji-restore-drill", benjiDrillCandidatesFilter(INSTANCE), ...POOLS], o);
const FILTER = `labels["benji-backup.me/instance"] == "benji-k8s" and labels["benji-backup.me/k8s-pvc"] and status == "valid"`;
const URL = `replicapool:replicapool/${IMAGE}`;

describe("benji-restore-drill under bash", () => {
  it("restores the newest valid version of this week's PVC into a scratch image, deep-scrubs it against the image, removes it", () => {
    const r = drill({ images: { replicapool: ["csi-vol-1111"] } });
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.calls).toEqual([
      `benji --machine-output --log-level ERROR ls ${FILTER}`,
      "rbd ls replicapool",
      `benji --log-level INFO restore --sparse garage-data-b-new555 ${URL}`,
      `benji --log-level INFO deep-scrub --source ${URL} garage-data-b-new555`,
      "rbd ls replicapool",
      `rbd rm replicapool/${IMAGE}`,
    ]);
    expect(r.stdout).toBe(
      `restore drill: version garage-data-b-new555 of garage/data-b (week 10: PVC 2 of 3) into replicapool/${IMAGE}\nrestore drill passed: garage-data-b-new555 restored and matches its checksums\n`,
    );
    expect(r.images("replicapool")).toEqual(["csi-vol-1111"]);
  });

  it("rotates: three weeks in a row drill each of the three PVCs once, in name order, each in its own pool", () => {
    const picked = [9, 10, 11, 12].map((week) => {
      const r = drill({ env: { NOW: String(week * WEEK) } });
      expect(r.status).toBe(0);
      return r.calls.find((c) => c.includes(" restore "))!.split(" ").slice(-2);
    });
    expect(picked).toEqual([
      ["garage-data-a-new222", `replicapool:replicapool/${IMAGE}`],
      ["garage-data-b-new555", `replicapool:replicapool/${IMAGE}`],
      ["tools-cache-only33", `ssd:ssd/${IMAGE}`],
      ["garage-data-a-new222", `replicapool:replicapool/${IMAGE}`],
    ]);
  });

  it("blocks that do not match their checksums (deep-scrub exit 65): the drill fails and the scratch image is removed", () => {
    const r = drill({ env: { SCRUB_RC: "65" } });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `benji restore drill: benji deep-scrub of garage-data-b-new555 against replicapool/${IMAGE} failed (exit 65; 65: blocks in the storage do not match their checksums, or the image has data where the version has none; 77: the version is locked by another Benji command)\n`,
    );
    expect(r.calls.slice(-2)).toEqual(["rbd ls replicapool", `rbd rm replicapool/${IMAGE}`]);
    expect(r.images("replicapool")).toEqual([]);
  });

  it("a restored image that differs from the version (deep-scrub exits 0 but logs source mismatches) fails the drill", () => {
    const log = "ERROR: Source data has changed for block 7 of version garage-data-b-new555 (UID 1-7)\nERROR: Version garage-data-b-new555 had source mismatches.\n";
    const r = drill({ scrubLog: log });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(log);
    expect(r.stderr).toBe("benji restore drill: the image restored from garage-data-b-new555 differs from the version's blocks\n");
    expect(r.images("replicapool")).toEqual([]);
  });

  it("a failed restore that created the image removes it; one that did not create it removes nothing", () => {
    const created = drill({ env: { RESTORE_RC: "74" } });
    expect([created.status, created.stderr]).toEqual([1, `benji restore drill: benji restore of garage-data-b-new555 into replicapool/${IMAGE} failed\n`]);
    expect(created.calls.slice(-3)).toEqual([`benji --log-level INFO restore --sparse garage-data-b-new555 ${URL}`, "rbd ls replicapool", `rbd rm replicapool/${IMAGE}`]);
    expect(created.images("replicapool")).toEqual([]);
    const notCreated = drill({ env: { RESTORE_RC: "73", RESTORE_CREATES: "0" }, images: { replicapool: ["csi-vol-1111"] } });
    expect(notCreated.status).toBe(1);
    expect(notCreated.calls.filter((c) => c.startsWith("rbd rm"))).toEqual([]);
    expect(notCreated.images("replicapool")).toEqual(["csi-vol-1111"]);
  });

  it("stopped by Kubernetes (SIGTERM at the deadline): exit 143, the scratch image is still removed", () => {
    const r = drill({ env: { RESTORE_KILLS_PARENT: "1" } });
    expect(r.status).toBe(143);
    expect(r.calls.filter((c) => c.startsWith("benji"))).toHaveLength(2);
    expect(r.calls.slice(-1)).toEqual([`rbd rm replicapool/${IMAGE}`]);
    expect(r.images("replicapool")).toEqual([]);
  });

  it("removes scratch images an earlier killed drill left behind (prefix only), never another image", () => {
    const r = drill({ images: { replicapool: ["benji-restore-drill-20261129120000", "csi-vol-2222", "xbenji-restore-drill-1", "kubernetes-dynamic-pvc-3"] } });
    expect(r.status).toBe(0);
    expect(r.calls.filter((c) => c.startsWith("rbd rm"))).toEqual(["rbd rm replicapool/benji-restore-drill-20261129120000", `rbd rm replicapool/${IMAGE}`]);
    expect(r.stdout.split("\n")[0]).toBe("removing replicapool/benji-restore-drill-20261129120000, left behind by an earlier drill");
    expect(r.images("replicapool")).toEqual(["csi-vol-2222", "kubernetes-dynamic-pvc-3", "xbenji-restore-drill-1"]);
  });

  it("a scratch image that cannot be removed fails an otherwise passing drill", () => {
    const r = drill({ env: { RBD_RM_RC: "16" } });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`benji restore drill: cannot remove the scratch image replicapool/${IMAGE} (the next drill removes it)\n`);
  });

  it("Ceph unreachable after the restore: the drill fails and says the scratch image is left for the next drill", () => {
    const r = drill({ env: { RESTORE_BREAKS_CEPH: "1" } });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`benji restore drill: cannot list the pool replicapool to remove the scratch image replicapool/${IMAGE} (the next drill removes it)\n`);
    expect(r.calls.filter((c) => c.startsWith("rbd rm"))).toEqual([]);
  });

  it("refuses a version in a pool Benji has no io for, before touching Ceph", () => {
    const r = drill({ ls: listing([{ uid: "x-pvc-abc123", volume: "x/pvc", date: "2026-12-05T07:30:00.000000Z", pool: "hdd" }]) });
    expect([r.status, r.stderr]).toEqual([1, "benji restore drill: version x-pvc-abc123 is in the Ceph pool 'hdd', which Benji has no io for (replicapool ssd)\n"]);
    expect(r.calls).toEqual([`benji --machine-output --log-level ERROR ls ${FILTER}`]);
  });

  it("a version without the Ceph pool label, no valid version at all, or a failing benji ls: the drill fails, nothing restored", () => {
    const noPool = drill({ ls: listing([{ uid: "x-pvc-abc123", volume: "x/pvc", date: "2026-12-05T07:30:00.000000Z" }]) });
    expect([noPool.status, noPool.stderr]).toEqual([1, "benji restore drill: cannot tell the version or the Ceph pool of x/pvc\n"]);
    const none = drill({ ls: listing([]) });
    expect([none.status, none.stderr]).toEqual([1, `benji restore drill: no valid version of a labelled PVC to restore (${FILTER})\n`]);
    const broken = drill({ env: { LS_RC: "69" }, ls: "" });
    expect([broken.status, broken.stderr]).toEqual([1, "benji restore drill: benji ls failed\n"]);
    for (const r of [noPool, none, broken]) expect(r.calls).toHaveLength(1);
  });

  it("rbd ls failing stops the drill before the restore", () => {
    const r = drill({ env: { RBD_LS_RC: "1" } });
    expect([r.status, r.stderr]).toEqual([1, "benji restore drill: rbd ls replicapool failed\n"]);
    expect(r.calls.some((c) => c.includes(" restore "))).toBe(false);
  });
});

const scrub = (o: RunOptions = {}) => run(BENJI_SCRUB_SCRIPT, ["benji-deep-scrub", "10", "33", benjiFinishedVersionsFilter(INSTANCE), benjiInvalidVersionsFilter(INSTANCE)], o);
const EMPTY = JSON.stringify({ metadataVersion: "2.0.0", versions: [] });
const INVALID = JSON.stringify({ metadataVersion: "2.0.0", versions: [{ uid: "garage-data-a-old111", volume: "garage/data-a", status: "invalid" }, { uid: "tools-cache-only33", volume: "tools/cache", status: "invalid" }] });

describe("benji-deep-scrub under bash", () => {
  it("scrubs with the percentages and this instance's finished versions, then lists the invalid ones", () => {
    const r = scrub({ ls: EMPTY });
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.calls).toEqual([
      `benji-command batch-deep-scrub --version-percentage 10 --block-percentage 33 labels["benji-backup.me/instance"] == "benji-k8s" and status != "incomplete"`,
      `benji --machine-output --log-level ERROR ls labels["benji-backup.me/instance"] == "benji-k8s" and status == "invalid"`,
    ]);
  });

  it("invalid blocks found (benji-command fails): the Job fails and names every invalid version", () => {
    const r = scrub({ ls: INVALID, env: { COMMAND_RC: "1" } });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      [
        "benji batch-deep-scrub failed: a scrubbed version has blocks that do not match their checksums, or the scrub could not run (log above)",
        "invalid Benji versions (a restore of them fails; remove them or deep-scrub them fully, RESTORE.md#benji):",
        "  garage-data-a-old111 (garage/data-a)",
        "  tools-cache-only33 (tools/cache)",
        "",
      ].join("\n"),
    );
  });

  it("a version marked invalid earlier keeps the Job failing even when this run's sample was clean", () => {
    const r = scrub({ ls: INVALID });
    expect(r.status).toBe(1);
    expect(r.stderr.split("\n")[0]).toBe("invalid Benji versions (a restore of them fails; remove them or deep-scrub them fully, RESTORE.md#benji):");
  });

  it("a failing or unreadable benji ls fails the Job", () => {
    expect(scrub({ ls: "", env: { LS_RC: "64" } })).toMatchObject({ status: 1, stderr: "benji ls of the invalid versions failed\n" });
    expect(scrub({ ls: "not json" })).toMatchObject({ status: 1 });
  });
});
