/**
 * The logic of `npm run restore` (scripts/restore.ts is its process wrapper): restores one tenant namespace from a
 * Velero backup through the current kubeconfig and follows the restore to its end. Returns the exit code
 * (scripts/lib/restore/exit-codes.ts). The kubeconfig is found as kubectl finds it, from the process's environment
 * ($KUBECONFIG, $HOME), as @kubernetes/client-node reads it.
 */
import { parseRestoreArgs, USAGE, type RestoreOptions } from "./restore/args";
import { ApiError } from "./restore/client";
import type * as KubeClient from "./restore/kube-client";
import { EXIT } from "./restore/exit-codes";
import { exitCodeOf, printOfflineDryRun, runRestore, type Output } from "./restore/run";
import type { CommandIo } from "./command-io";

export interface RestoreHooks {
  /** Called once the restore is about to talk to the cluster (the process wrapper handles SIGINT from then on). */
  readonly onStart?: (options: RestoreOptions) => void;
  /** Loads the Kubernetes client module (default: require; tests load it through their own module loader). */
  readonly loadKubeClient?: () => Promise<typeof KubeClient>;
}

const requireKubeClient = async () => require("./restore/kube-client") as typeof KubeClient;

async function restore(argv: readonly string[], io: CommandIo, hooks: RestoreHooks): Promise<number> {
  const options = parseRestoreArgs(argv);
  if (!options) {
    io.stdout(`${USAGE}\n`);
    return EXIT.ok;
  }
  const out: Output = { write: (text) => io.stdout(text), isTTY: io.isTTY };
  const now = () => new Date();
  // Loaded only now: @kubernetes/client-node is heavy, and usage errors and --help need none of it.
  const { KubeVeleroApi, loadKubeConfig } = await (hooks.loadKubeClient ?? requireKubeClient)();
  let kubeconfig;
  try {
    kubeconfig = loadKubeConfig(options.context);
  } catch (err) {
    if (options.dryRun && err instanceof ApiError && err.failure === "unreachable") return printOfflineDryRun(options, { now, out }, err.message);
    throw err;
  }
  const api = new KubeVeleroApi(kubeconfig);
  hooks.onStart?.(options);
  return runRestore(options, { api, now, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), out });
}

/** Runs `npm run restore` with these arguments; returns the exit code. */
export async function restoreCommand(argv: readonly string[], io: CommandIo, hooks: RestoreHooks = {}): Promise<number> {
  try {
    return await restore(argv, io, hooks);
  } catch (err) {
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return exitCodeOf(err);
  }
}
