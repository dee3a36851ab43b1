/**
 * The Benji CronJob and init Job scripts run under real bash (the benji-k8s image's shell) against stand-ins for the
 * benji binaries that record their arguments and exit as told.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BENJI_BACKUP_SCRIPT, BENJI_DB_INIT_SCRIPT } from "../components/benji/benji";

/** A stand-in binary: appends its arguments to calls.log, exits with the code named for its first argument (or 0). */
function standIn(dir: string, name: string, exits: Record<string, number> = {}): void {
  const cases = Object.entries(exits).map(([arg, code]) => `  ${JSON.stringify(arg)}) exit ${code} ;;`).join("\n");
  writeFileSync(join(dir, name), `#!/bin/sh\necho "${name} $*" >> "${dir}/calls.log"\ncase "$2" in\n${cases}\n  *) exit 0 ;;\nesac\n`);
  chmodSync(join(dir, name), 0o755);
}

function run(script: string, args: string[], setup: (dir: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), "benji-script-"));
  writeFileSync(join(dir, "calls.log"), "");
  setup(dir);
  const r = spawnSync("bash", ["-c", script, ...args], { env: { PATH: `${dir}:/usr/bin:/bin`, HOME: dir }, encoding: "utf8" });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, calls: readFileSync(join(dir, "calls.log"), "utf8").trim().split("\n").filter(Boolean) };
}

describe("benji-backup-all under bash", () => {
  it("backs up each platform namespace with the label selector, one benji-backup-pvc call each", () => {
    const r = run(BENJI_BACKUP_SCRIPT, ["benji-backup-all", "garage", "benji"], (dir) => standIn(dir, "benji-backup-pvc"));
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.calls).toEqual(["benji-backup-pvc --namespace garage --selector backup-this-pvc=true", "benji-backup-pvc --namespace benji --selector backup-this-pvc=true"]);
  });

  it("a failing namespace does not stop the others, and the Job fails", () => {
    const r = run(BENJI_BACKUP_SCRIPT, ["benji-backup-all", "garage", "benji"], (dir) => standIn(dir, "benji-backup-pvc", { garage: 1 }));
    expect([r.status, r.stderr]).toEqual([1, "benji-backup-pvc failed in namespace garage\n"]);
    expect(r.calls).toHaveLength(2);
  });
});

describe("benji database init under bash", () => {
  it("initialises a new database", () => {
    const r = run(BENJI_DB_INIT_SCRIPT, [], (dir) => standIn(dir, "benji"));
    expect([r.status, r.calls]).toEqual([0, ["benji database-init"]]);
  });

  it("an existing schema (exit 73) is checked with benji ls instead of failing", () => {
    const r = run(BENJI_DB_INIT_SCRIPT, [], (dir) => {
      writeFileSync(join(dir, "benji"), `#!/bin/sh\necho "benji $*" >> "${dir}/calls.log"\n[ "$1" = database-init ] && exit 73\nexit 0\n`);
      chmodSync(join(dir, "benji"), 0o755);
    });
    expect(r.status).toBe(0);
    expect(r.calls).toEqual(["benji database-init", "benji ls"]);
    expect(r.stdout).toBe("benji database-init: the schema already has tables (exit 73); checking that it opens\n");
  });

  it("any other failure fails the Job with benji's exit status", () => {
    const r = run(BENJI_DB_INIT_SCRIPT, [], (dir) => {
      writeFileSync(join(dir, "benji"), `#!/bin/sh\necho "benji $*" >> "${dir}/calls.log"\nexit 2\n`);
      chmodSync(join(dir, "benji"), 0o755);
    });
    expect([r.status, r.calls]).toEqual([2, ["benji database-init"]]);
  });
});
