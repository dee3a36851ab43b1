/**
 * sink-check.sh (components/zrepl/sink-check.sh) for real under sh, dash and busybox sh against a stand-in `zfs`:
 * the exact text file it writes, the exact zfs invocation, a missing dataset (readable 0, no stale snapshot series
 * left behind), the atomic replacement, and the `every` loop. The file is also parsed by promtool's text-format check.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SINK_CHECK_SCRIPT, sinkCheckCommand, sinkCheckDatasets, sinkCheckExporterArgs, sinkCheckPodParts, sinkCheckRoots, sinkClientPrefix } from "../components/zrepl/sink-check";
import { HAS_PROMTOOL } from "./lib/promtool";
import { oncePerInterpreter, SHELLS } from "./lib/shells";

/** Each shell case's runs, by interpreter: sh where it is dash and dash run once (test/lib/shells.ts). */
const shared = new Map<string, unknown>();

/** A stand-in zfs: `zfs list ... <dataset>` prints listings/<dataset with / as _>.tsv, or fails like zfs on a missing dataset. */
const FAKE_ZFS = `#!/bin/sh
printf '%s\\n' "$*" >>"$FAKE_ZFS_DIR/calls"
for last in "$@"; do :; done
file="$FAKE_ZFS_DIR/listings/$(printf '%s' "$last" | tr '/' '_').tsv"
if [ ! -f "$file" ]; then
  echo "cannot open '$last': dataset does not exist" >&2
  exit 1
fi
cat "$file"
`;

interface Run {
  status: number | null;
  stderr: string;
  file: string | undefined;
  calls: string[];
  dir: string;
}

function workspace(listings: Record<string, string[][]>): string {
  const dir = mkdtempSync(join(tmpdir(), "sink-check-"));
  mkdirSync(join(dir, "bin"));
  mkdirSync(join(dir, "listings"));
  mkdirSync(join(dir, "out"));
  writeFileSync(join(dir, "bin", "zfs"), FAKE_ZFS);
  chmodSync(join(dir, "bin", "zfs"), 0o755);
  writeFileSync(join(dir, "script.sh"), SINK_CHECK_SCRIPT);
  for (const [dataset, rows] of Object.entries(listings)) {
    writeFileSync(join(dir, "listings", `${dataset.replaceAll("/", "_")}.tsv`), rows.map((r) => `${r.join("\t")}\n`).join(""));
  }
  return dir;
}

function run(dir: string, args: string[], shell: string[] = ["sh"], extraPath = ""): Run {
  const r = spawnSync(shell[0], [...shell.slice(1), join(dir, "script.sh"), ...args], {
    env: { PATH: `${extraPath}${join(dir, "bin")}:${process.env.PATH}`, FAKE_ZFS_DIR: dir },
    encoding: "utf8",
    timeout: 30_000,
  });
  const out = join(dir, "out", "zrepl-sink.prom");
  const calls = existsSync(join(dir, "calls")) ? readFileSync(join(dir, "calls"), "utf8").split("\n").filter(Boolean) : [];
  return { status: r.status, stderr: r.stderr, file: existsSync(out) ? readFileSync(out, "utf8") : undefined, calls, dir };
}

const ROOT = "wdc/zrepl/garage/tank/garage";
const LISTING = {
  [ROOT]: [
    [ROOT, "1700000000"],
    [`${ROOT}@zrepl_20260101_000000_000`, "1767225600"],
    [`${ROOT}@zrepl_20260101_001000_000`, "1767226200"],
    [`${ROOT}@manual-before-upgrade`, "1767300000"],
    [`${ROOT}/pvc-1`, "1700000100"],
    [`${ROOT}/pvc-1@zrepl_20260101_000000_000`, "1767225600"],
    [`${ROOT}/pvc-2`, "1700000200"],
  ],
};
const once = (dir: string, ...datasets: string[]) => ["once", join(dir, "out", "zrepl-sink.prom"), "wdc/zrepl/garage/", "zrepl_", ...datasets];

/** The file for the listing above with `extra` readable lines; the last-run timestamp is replaced by T. */
function expectedFile(readable: string[], snapshotLines: boolean): string {
  const series = (ds: string, fs: string, expected: boolean) => `{dataset="${ds}",filesystem="${fs}",expected="${expected}"}`;
  return [
    "# HELP cluster_backup_zrepl_sink_dataset_readable 1 when zfs list of the expected sink dataset succeeded, 0 when it failed.",
    "# TYPE cluster_backup_zrepl_sink_dataset_readable gauge",
    ...readable,
    "# HELP cluster_backup_zrepl_sink_newest_snapshot_timestamp_seconds Creation time of the newest zrepl snapshot of the sink dataset, 0 when it has none.",
    "# TYPE cluster_backup_zrepl_sink_newest_snapshot_timestamp_seconds gauge",
    ...(snapshotLines
      ? [
          `cluster_backup_zrepl_sink_newest_snapshot_timestamp_seconds${series(ROOT, "tank/garage", true)} 1767226200`,
          `cluster_backup_zrepl_sink_newest_snapshot_timestamp_seconds${series(`${ROOT}/pvc-1`, "tank/garage/pvc-1", false)} 1767225600`,
          `cluster_backup_zrepl_sink_newest_snapshot_timestamp_seconds${series(`${ROOT}/pvc-2`, "tank/garage/pvc-2", false)} 0`,
        ]
      : []),
    "# HELP cluster_backup_zrepl_sink_snapshots zrepl snapshots of the sink dataset.",
    "# TYPE cluster_backup_zrepl_sink_snapshots gauge",
    ...(snapshotLines
      ? [
          `cluster_backup_zrepl_sink_snapshots${series(ROOT, "tank/garage", true)} 2`,
          `cluster_backup_zrepl_sink_snapshots${series(`${ROOT}/pvc-1`, "tank/garage/pvc-1", false)} 1`,
          `cluster_backup_zrepl_sink_snapshots${series(`${ROOT}/pvc-2`, "tank/garage/pvc-2", false)} 0`,
        ]
      : []),
    "# HELP cluster_backup_zrepl_sink_check_timestamp_seconds When the sink check last ran.",
    "# TYPE cluster_backup_zrepl_sink_check_timestamp_seconds gauge",
    "cluster_backup_zrepl_sink_check_timestamp_seconds T",
    "",
  ].join("\n");
}
const stamp = (file: string | undefined) => (file ?? "").replace(/(cluster_backup_zrepl_sink_check_timestamp_seconds) \d{10}\n$/, "$1 T\n");

describe("zrepl sink check: the datasets and the containers", () => {
  it("one expected sink dataset per included filter, in zrepl's syntax, below <root_fs>/<client identity>/", () => {
    expect(sinkCheckDatasets({ "tank/garage<": true, "tank/garage/tmp": false, "tank/meta": true }, "wdc/zrepl", "garage")).toEqual(["wdc/zrepl/garage/tank/garage<", "wdc/zrepl/garage/tank/meta"]);
    expect(sinkCheckDatasets({ "<": true }, "wdc/zrepl", "garage")).toEqual(["wdc/zrepl/garage<"]);
    expect(sinkCheckRoots(["wdc/zrepl/garage/tank/garage<", "wdc/zrepl/garage/tank/meta"])).toEqual(["wdc/zrepl/garage/tank/garage", "wdc/zrepl/garage/tank/meta"]);
    expect(sinkClientPrefix("wdc/zrepl", "garage")).toBe("wdc/zrepl/garage/");
  });

  it("the check container: privileged for /dev/zfs only, root, read-only root filesystem, the script inline; the exporter: restricted", () => {
    const args = { image: "zrepl:1", exporterImage: "quay.io/prometheus/node-exporter:v1.12.1", intervalSeconds: 300, datasets: ["wdc/zrepl/garage/tank/garage<"], clientPrefix: "wdc/zrepl/garage/" };
    const parts = sinkCheckPodParts(args, "dev-zfs");
    expect(parts.containers.map((c) => c.name)).toEqual(["sink-check", "sink-check-exporter"]);
    const [check, exporter] = parts.containers;
    expect(check.command).toEqual(["/bin/sh", "-c", SINK_CHECK_SCRIPT, "sink-check", "every", "300", "/var/lib/sink-check/zrepl-sink.prom", "wdc/zrepl/garage/", "zrepl_", "wdc/zrepl/garage/tank/garage<"]);
    expect(check.securityContext).toEqual({ privileged: true, runAsUser: 0, readOnlyRootFilesystem: true });
    expect(check.volumeMounts).toEqual([{ name: "dev-zfs", mountPath: "/dev/zfs" }, { name: "sink-check", mountPath: "/var/lib/sink-check" }]);
    expect(exporter.args).toEqual(["--collector.disable-defaults", "--collector.textfile", "--collector.textfile.directory=/var/lib/sink-check", "--web.disable-exporter-metrics", "--web.listen-address=:9812"]);
    expect(sinkCheckExporterArgs()).toEqual(exporter.args);
    expect(exporter.securityContext).toEqual({ runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" }, runAsUser: 65534, runAsGroup: 65534, readOnlyRootFilesystem: true });
    expect(exporter.volumeMounts).toEqual([{ name: "sink-check", mountPath: "/var/lib/sink-check", readOnly: true }]);
    expect(exporter.ports).toEqual([{ name: "sink-check", containerPort: 9812, protocol: "TCP" }]);
    expect(parts.volumes).toEqual([{ name: "sink-check", emptyDir: { sizeLimit: "16Mi" } }]);
    expect(() => sinkCheckCommand({ ...args, datasets: [] })).toThrow("sink check: no dataset to check (the push job includes none)");
  });
});

for (const shell of SHELLS) {
  describe.skipIf(!shell.present)(`sink-check.sh under ${shell.name}`, () => {
    it("lists each expected dataset with one zfs call and writes the newest zrepl snapshot of every dataset below it", () => {
      const { r, left } = oncePerInterpreter(shared, "lists", shell.argv, () => {
        const dir = workspace(LISTING);
        return { r: run(dir, once(dir, `${ROOT}<`), shell.argv), left: readdirSync(join(dir, "out")) };
      });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.calls).toEqual([`list -H -p -r -t filesystem,volume,snapshot -o name,creation ${ROOT}`]);
      expect(stamp(r.file)).toBe(expectedFile([`cluster_backup_zrepl_sink_dataset_readable{dataset="${ROOT}"} 1`], true));
      expect(r.file).toMatch(/cluster_backup_zrepl_sink_check_timestamp_seconds \d{10}\n$/);
      // Nothing but the result is left in the directory (the temporary files are gone).
      expect(left).toEqual(["zrepl-sink.prom"]);
    });

    it("a dataset without '<' counts its own snapshots only", () => {
      const r = oncePerInterpreter(shared, "own", shell.argv, () => {
        const dir = workspace(LISTING);
        return run(dir, once(dir, ROOT), shell.argv);
      });
      expect(r.status).toBe(0);
      expect(r.file).toContain(`cluster_backup_zrepl_sink_snapshots{dataset="${ROOT}",filesystem="tank/garage",expected="true"} 2\n# HELP`);
      expect(r.file).not.toContain("pvc-1");
    });

    it("zrepl's match-all filter '<': the client's placeholder dataset is listed but not expected (it holds no snapshots of its own)", () => {
      const r = oncePerInterpreter(shared, "match-all", shell.argv, () => {
        const dir = workspace({ "wdc/zrepl/garage": [["wdc/zrepl/garage", "1700000000"], ["wdc/zrepl/garage/tank", "1700000000"], ["wdc/zrepl/garage/tank@zrepl_1", "1767226200"]] });
        return run(dir, once(dir, "wdc/zrepl/garage<"), shell.argv);
      });
      expect(r.status).toBe(0);
      expect(r.file).toContain(
        'cluster_backup_zrepl_sink_newest_snapshot_timestamp_seconds{dataset="wdc/zrepl/garage",filesystem="",expected="false"} 0\n' +
          'cluster_backup_zrepl_sink_newest_snapshot_timestamp_seconds{dataset="wdc/zrepl/garage/tank",filesystem="tank",expected="false"} 1767226200\n',
      );
    });

    it("a missing dataset: readable 0, the reason in the log, exit 1, and no snapshot series of it survive from the previous run", () => {
      const { first, r, left } = oncePerInterpreter(shared, "missing", shell.argv, () => {
        const dir = workspace(LISTING);
        const first = run(dir, once(dir, `${ROOT}<`), shell.argv);
        // The dataset disappears (destroyed, pool not imported): the next run replaces the whole file.
        spawnSync("rm", [join(dir, "listings", `${ROOT.replaceAll("/", "_")}.tsv`)]);
        return { first, r: run(dir, once(dir, `${ROOT}<`, "wdc/zrepl/garage/tank/meta"), shell.argv), left: readdirSync(join(dir, "out")) };
      });
      expect(first.status).toBe(0);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ sink-check: cannot list ${ROOT}: cannot open '${ROOT}': dataset does not exist\\n\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ sink-check: cannot list wdc/zrepl/garage/tank/meta: cannot open 'wdc/zrepl/garage/tank/meta': dataset does not exist\\n$`));
      expect(stamp(r.file)).toBe(
        expectedFile([`cluster_backup_zrepl_sink_dataset_readable{dataset="${ROOT}"} 0`, 'cluster_backup_zrepl_sink_dataset_readable{dataset="wdc/zrepl/garage/tank/meta"} 0'], false),
      );
      expect(left).toEqual(["zrepl-sink.prom"]);
    });

    it("no zfs binary at all: every dataset unreadable", () => {
      const { r, file } = oncePerInterpreter(shared, "no zfs", shell.argv, () => {
        const dir = workspace(LISTING);
        spawnSync("rm", [join(dir, "bin", "zfs")]);
        const r = spawnSync(shell.argv[0], [...shell.argv.slice(1), join(dir, "script.sh"), ...once(dir, `${ROOT}<`)], { env: { PATH: `${join(dir, "bin")}:/usr/bin:/bin`, FAKE_ZFS_DIR: dir }, encoding: "utf8" });
        return { r, file: readFileSync(join(dir, "out", "zrepl-sink.prom"), "utf8") };
      });
      expect(r.status).toBe(1);
      expect(file).toContain(`cluster_backup_zrepl_sink_dataset_readable{dataset="${ROOT}"} 0\n`);
    });

    it("usage errors exit 2 without writing anything", () => {
      const { runs, left } = oncePerInterpreter(shared, "usage", shell.argv, () => {
        const dir = workspace(LISTING);
        const argLists = [[], ["once", "x"], ["every", "0", join(dir, "out", "f.prom"), "p/", "zrepl_", ROOT], ["every", "5m", join(dir, "out", "f.prom"), "p/", "zrepl_", ROOT], ["check"]];
        return { runs: argLists.map((args) => ({ args, r: run(dir, args, shell.argv) })), left: readdirSync(join(dir, "out")) };
      });
      expect(runs).toHaveLength(5);
      for (const { args, r } of runs) {
        expect(r.status, args.join(" ")).toBe(2);
        expect(r.stderr).toMatch(/^usage: /);
      }
      expect(left).toEqual([]);
    });
  });
}

describe.skipIf(!SHELLS[2].present)("sink-check.sh with busybox's own tools only (an Alpine-based zrepl image: busybox awk, sed, date, mv)", () => {
  it("writes the same file as with the system's tools", () => {
    const dir = workspace(LISTING);
    const bb = join(dir, "busybox-bin");
    mkdirSync(bb);
    const busybox = spawnSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).stdout.trim();
    for (const tool of ["awk", "sed", "date", "mv", "rm", "cat", "head", "dirname", "basename", "printf", "cut", "tr"]) symlinkSync(busybox, join(bb, tool));
    const r = spawnSync(busybox, ["sh", join(dir, "script.sh"), ...once(dir, `${ROOT}<`, "wdc/zrepl/garage/tank/meta")], {
      env: { PATH: `${join(dir, "bin")}:${bb}`, FAKE_ZFS_DIR: dir },
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(stamp(readFileSync(join(dir, "out", "zrepl-sink.prom"), "utf8"))).toBe(
      expectedFile([`cluster_backup_zrepl_sink_dataset_readable{dataset="${ROOT}"} 1`, 'cluster_backup_zrepl_sink_dataset_readable{dataset="wdc/zrepl/garage/tank/meta"} 0'], true),
    );
  });
});

describe.skipIf(!SHELLS[1].present)("sink-check.sh every: checks, sleeps the interval, checks again (dash, stand-in sleep)", () => {
  it("runs a check before each sleep and keeps going when a dataset is unreadable", () => {
    const dir = workspace(LISTING);
    // The stand-in sleep records its argument and ends the loop at the second call.
    mkdirSync(join(dir, "sleepbin"));
    writeFileSync(join(dir, "sleepbin", "sleep"), `#!/bin/sh\necho "sleep $1" >>"$FAKE_ZFS_DIR/calls"\n[ "$(grep -c '^sleep' "$FAKE_ZFS_DIR/calls")" -lt 2 ]\n`);
    chmodSync(join(dir, "sleepbin", "sleep"), 0o755);
    const r = run(dir, ["every", "300", ...once(dir, `${ROOT}<`, "wdc/zrepl/garage/tank/meta").slice(1)], ["dash"], `${join(dir, "sleepbin")}:`);
    expect(r.status).toBe(1);
    const list = (ds: string) => `list -H -p -r -t filesystem,volume,snapshot -o name,creation ${ds}`;
    expect(r.calls).toEqual([list(ROOT), list("wdc/zrepl/garage/tank/meta"), "sleep 300", list(ROOT), list("wdc/zrepl/garage/tank/meta"), "sleep 300"]);
  });
});

for (const shell of SHELLS) {
  describe.skipIf(!shell.present)(`sink-check.sh every under ${shell.name}: SIGTERM ends it at once`, () => {
    it("exits 143 on SIGTERM while it sleeps, and stops its sleep too", async () => {
      const { wrote, code, left } = await oncePerInterpreter(shared, "SIGTERM", shell.argv, async () => {
        const dir = workspace(LISTING);
        // An hour-long interval no other process of this machine is likely to sleep: 3000 to 3996 s by this worker's pid and the shell.
        const interval = String(3000 + ((process.pid * 3 + SHELLS.indexOf(shell)) % 997));
        const child = spawn(shell.argv[0], [...shell.argv.slice(1), join(dir, "script.sh"), "every", interval, ...once(dir, `${ROOT}<`).slice(1)], {
          env: { PATH: `${join(dir, "bin")}:${process.env.PATH}`, FAKE_ZFS_DIR: dir },
        });
        const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
        // Wait for the first result, then stop it.
        for (let i = 0; i < 200 && !existsSync(join(dir, "out", "zrepl-sink.prom")); i++) await new Promise((r) => setTimeout(r, 50));
        const wrote = existsSync(join(dir, "out", "zrepl-sink.prom"));
        child.kill("SIGTERM");
        const code = await exited;
        // No `sleep <interval>` is left behind (an interval of this run alone, so a concurrent or earlier run's sleep does not count).
        const left = spawnSync("sh", ["-c", `ps -eo ppid,args | grep -c '^ *1 sleep ${interval}$' || true`], { encoding: "utf8" }).stdout.trim();
        return { wrote, code, left };
      });
      expect(wrote).toBe(true);
      expect(code).toBe(143);
      expect(left).toBe("0");
    });
  });
}

describe.skipIf(!HAS_PROMTOOL)("the text file is valid Prometheus exposition format (promtool check metrics)", () => {
  it("both the healthy and the failed result parse", () => {
    const dir = workspace(LISTING);
    for (const datasets of [[`${ROOT}<`], ["wdc/zrepl/garage/tank/missing"]]) {
      run(dir, once(dir, ...datasets));
      const r = spawnSync("promtool", ["check", "metrics"], { input: readFileSync(join(dir, "out", "zrepl-sink.prom")), encoding: "utf8" });
      // promtool's lint notes (e.g. about counters' names) go to stdout with status 3; parse errors give status 1.
      expect(r.stderr + r.stdout).not.toMatch(/error while linting|text format parsing error/);
      expect([0, 3]).toContain(r.status);
    }
  });
});
