/**
 * What a command (plan, policy, restore) reads and writes besides its arguments, so that its logic runs in-process
 * (the tests) as well as in its own process (scripts/<command>.ts, a thin wrapper that exits with the returned code).
 */

export interface CommandIo {
  /** Writes to standard output. */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** Whether standard output is a terminal. */
  readonly isTTY: boolean;
  /** The environment (npm's INIT_CWD and npm_lifecycle_event, PLAN_STACK_DIR). */
  readonly env: NodeJS.ProcessEnv;
}

/** The process's own streams and environment. */
export function processIo(): CommandIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTTY: Boolean(process.stdout.isTTY),
    env: process.env,
  };
}
