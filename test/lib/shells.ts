/**
 * The POSIX shells the restore-drill script tests run under, and a key telling which of their command lines start the
 * same interpreter (so a run under one is a run under the other).
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, realpathSync } from "node:fs";
import { basename, delimiter, join } from "node:path";

export interface Shell {
  name: string;
  argv: string[];
  present: boolean;
}

/** The system sh, dash and busybox sh (CI installs both; elsewhere a missing one is skipped). */
export const SHELLS: Shell[] = [
  { name: "sh", argv: ["sh"], present: true },
  { name: "dash", argv: ["dash"], present: spawnSync("dash", ["-c", "exit 0"]).status === 0 || Boolean(process.env.CI) },
  { name: "busybox sh", argv: ["busybox", "sh"], present: spawnSync("busybox", ["sh", "-c", "exit 0"]).status === 0 || Boolean(process.env.CI) },
];

/** The file a command name runs (PATH lookup, symbolic links resolved), or undefined when there is none. */
export function resolveCommand(name: string, path = process.env.PATH ?? ""): string | undefined {
  const candidates = name.includes("/") ? [name] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return realpathSync(candidate);
    } catch {
      // not this one
    }
  }
  return undefined;
}

/**
 * What a shell command line runs, as a key: equal for command lines that start the same interpreter the same way. dash
 * does not look at the name it is started under, so `sh` where /bin/sh is dash (Debian) and `dash` are one; bash (POSIX
 * mode as sh) and busybox (the applet) act by that name, so any other command line stays its own.
 */
export function interpreterKey(argv: readonly string[], path = process.env.PATH ?? ""): string {
  const file = resolveCommand(argv[0], path);
  return JSON.stringify(file !== undefined && basename(file) === "dash" ? [file, ...argv.slice(1)] : argv);
}

/**
 * `make`'s result for this interpreter: made by the first call for `what` under a command line starting it, returned as
 * is to the later calls (sh where it is dash and dash share one run; a caller must not change what it gets).
 */
export function oncePerInterpreter<T>(memo: Map<string, unknown>, what: string, argv: readonly string[], make: () => T): T {
  const key = JSON.stringify([what, interpreterKey(argv)]);
  if (!memo.has(key)) memo.set(key, make());
  return memo.get(key) as T;
}
