/**
 * The commands (npm run plan, policy, restore) run in-process, through the same functions their scripts/<command>.ts
 * wrappers call: exit code returned, standard output and error captured. One end-to-end run per command as a real
 * process lives in test/integration/commands.test.ts.
 */
import { ConfigError } from "../../components/config";
import { planCommand } from "../../scripts/lib/plan-command";
import { policyCommand } from "../../scripts/lib/policy-command";
import { restoreCommand } from "../../scripts/lib/restore-command";
import type { CommandIo } from "../../scripts/lib/command-io";
import { evaluateForPlan } from "../harness";

export interface CommandRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The variables a test sets (undefined: unset), over the test process's own environment as a child would inherit it. */
export type EnvChanges = Record<string, string | undefined>;

function withEnv(changes: EnvChanges): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

function capture(env: NodeJS.ProcessEnv): { io: CommandIo; output: () => { stdout: string; stderr: string } } {
  let stdout = "";
  let stderr = "";
  return {
    io: { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY: false, env },
    output: () => ({ stdout, stderr }),
  };
}

/**
 * `npm run plan -- <args>`. Evaluations are shared through the plan cache unless `fresh` (each evaluation of the run
 * then happens anew, as in a new process).
 */
export async function plan(args: string[], env: EnvChanges = {}, opts: { fresh?: boolean } = {}): Promise<CommandRun> {
  const { io, output } = capture(withEnv(env));
  const code = await planCommand(args, io, (e) =>
    evaluateForPlan(e, opts.fresh).catch((err: unknown) => {
      // The program ran in a fresh module registry: its ConfigError is another class than the command's (in a process
      // there is one), so it is handed back as the command's own.
      throw err instanceof Error && err.name === "ConfigError" ? new ConfigError((err as ConfigError).problems) : err;
    }),
  );
  return { code, ...output() };
}

/** `npm run policy -- <args>`. */
export function policy(args: string[], env: EnvChanges = {}): CommandRun {
  const { io, output } = capture(withEnv(env));
  const code = policyCommand(args, io);
  return { code, ...output() };
}

/**
 * `npm run restore -- <args>`. The kubeconfig is read from the process environment (as @kubernetes/client-node does),
 * so `env` is applied to process.env for the duration of the run: run one at a time.
 */
export async function restore(args: string[], env: EnvChanges = {}): Promise<CommandRun> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const apply = (changes: EnvChanges) => {
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(env);
  try {
    const { io, output } = capture({ ...process.env });
    const code = await restoreCommand(args, io, { loadKubeClient: () => import("../../scripts/lib/restore/kube-client.ts") });
    return { code, ...output() };
  } finally {
    apply(saved);
  }
}
