/**
 * npm run restore -- --tenant cust-1001 [--from-backup NAME | --latest] [--as NEW-NAMESPACE] [--dry-run]
 *                    [--allow-existing] [--plan out/<stack>] [--velero-namespace NS] [--schedule NAME] [--context NAME]
 * Restores one tenant namespace from a Velero backup through the current kubeconfig and follows the restore to its end.
 * Exit codes: scripts/lib/restore/exit-codes.ts (and --help). The logic is scripts/lib/restore-command.ts.
 */
import "./lib/node-check";
import { processIo } from "./lib/command-io";
import { restoreCommand } from "./lib/restore-command";

restoreCommand(process.argv.slice(2), processIo(), {
  onStart: (options) =>
    process.once("SIGINT", () => {
      process.stdout.write(`\ninterrupted: a restore already created continues in the cluster (velero -n ${options.veleroNamespace} restore get)\n`);
      process.exit(130);
    }),
}).then((code) => process.exit(code));
