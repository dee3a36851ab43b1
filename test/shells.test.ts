/**
 * The shell key of the script tests' run caches (test/lib/shells.ts): command lines starting dash share runs, any other
 * interpreter (bash as sh, busybox) keeps its own, so no shell's case is answered by another shell's run.
 */
import { mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { interpreterKey, oncePerInterpreter, resolveCommand } from "./lib/shells";

describe("interpreterKey", () => {
  const root = mkdtempSync(join(tmpdir(), "shells-"));
  /** A directory holding `sh` (and `dash`, `busybox`) as links to the given files. */
  const bin = (name: string, links: Record<string, string>) => {
    const dir = join(root, name);
    mkdirSync(dir);
    for (const [link, target] of Object.entries(links)) symlinkSync(target, join(dir, link));
    return dir;
  };
  const debian = bin("debian", { sh: "/usr/bin/dash", dash: "/usr/bin/dash", busybox: "/usr/bin/busybox" });
  const bashAsSh = bin("bash-as-sh", { sh: "/bin/bash", dash: "/usr/bin/dash" });
  const busyboxAsSh = bin("busybox-as-sh", { sh: "/usr/bin/busybox", busybox: "/usr/bin/busybox", dash: "/usr/bin/dash" });

  it.skipIf(resolveCommand("dash") === undefined)("sh where it is dash and dash are one interpreter; bash as sh and busybox are not", () => {
    const dash = resolveCommand("dash")!;
    expect(resolveCommand("sh", debian)).toBe(dash);
    expect(interpreterKey(["sh"], debian)).toBe(JSON.stringify([dash]));
    expect(interpreterKey(["dash"], debian)).toBe(interpreterKey(["sh"], debian));
    expect(interpreterKey(["dash", "-e"], debian)).not.toBe(interpreterKey(["sh"], debian));
    expect(interpreterKey(["busybox", "sh"], debian)).toBe(JSON.stringify(["busybox", "sh"]));
    expect(interpreterKey(["sh"], bashAsSh)).toBe(JSON.stringify(["sh"]));
    expect(interpreterKey(["sh"], bashAsSh)).not.toBe(interpreterKey(["dash"], bashAsSh));
    expect(interpreterKey(["sh"], busyboxAsSh)).not.toBe(interpreterKey(["busybox", "sh"], busyboxAsSh));
    expect(interpreterKey(["sh"], busyboxAsSh)).not.toBe(interpreterKey(["dash"], busyboxAsSh));
    expect(interpreterKey(["no-such-shell"], debian)).toBe(JSON.stringify(["no-such-shell"]));
  });
});

describe("oncePerInterpreter", () => {
  it.skipIf(resolveCommand("dash") === undefined)("makes a result once per interpreter and purpose: dash by any path shares it, busybox sh and another purpose do not", () => {
    const memo = new Map<string, unknown>();
    const made: string[] = [];
    const make = (label: string) => () => {
      made.push(label);
      return { label };
    };
    const first = oncePerInterpreter(memo, "run", ["dash"], make("dash"));
    expect(oncePerInterpreter(memo, "run", [resolveCommand("dash")!], make("dash by path"))).toBe(first);
    expect(oncePerInterpreter(memo, "run", ["busybox", "sh"], make("busybox sh"))).toEqual({ label: "busybox sh" });
    expect(oncePerInterpreter(memo, "other run", ["dash"], make("dash, other run"))).toEqual({ label: "dash, other run" });
    expect(made).toEqual(["dash", "busybox sh", "dash, other run"]);
  });
});
