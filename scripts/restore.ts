/**
 * npm run restore -- --tenant cust-1001 [--from-backup NAME | --latest] [--as NEW-NAMESPACE] [--dry-run]
 *                    [--allow-existing] [--plan out/<stack>] [--velero-namespace NS] [--schedule NAME] [--context NAME]
 * Restores one tenant namespace from a Velero backup through the current kubeconfig and follows the restore to its end.
 * Exit codes: scripts/lib/restore/exit-codes.ts (and --help).
 */
import "./lib/node-check";
import { parseRestoreArgs, USAGE } from "./lib/restore/args";
import { ApiError } from "./lib/restore/client";
import type * as KubeClient from "./lib/restore/kube-client";
import { EXIT } from "./lib/restore/exit-codes";
import { exitCodeOf, printOfflineDryRun, runRestore, type Output } from "./lib/restore/run";

async function main(): Promise<number> {
  const options = parseRestoreArgs(process.argv.slice(2));
  if (!options) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const out: Output = { write: (text) => process.stdout.write(text), isTTY: Boolean(process.stdout.isTTY) };
  const now = () => new Date();
  // Loaded only now: @kubernetes/client-node is heavy, and usage errors and --help need none of it.
  const { KubeVeleroApi, loadKubeConfig } = require("./lib/restore/kube-client") as typeof KubeClient;
  let kubeconfig;
  try {
    kubeconfig = loadKubeConfig(options.context);
  } catch (err) {
    if (options.dryRun && err instanceof ApiError && err.failure === "unreachable") return printOfflineDryRun(options, { now, out }, err.message);
    throw err;
  }
  const api = new KubeVeleroApi(kubeconfig);
  process.once("SIGINT", () => {
    process.stdout.write(`\ninterrupted: a restore already created continues in the cluster (velero -n ${options.veleroNamespace} restore get)\n`);
    process.exit(130);
  });
  return runRestore(options, { api, now, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), out });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(exitCodeOf(err));
  },
);
