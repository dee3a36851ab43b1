/**
 * npm run plan -- --stack <name> [--out <dir>]
 * Evaluates index.ts with the stack's config under the SDK's mocks and writes resources.json, manifests/ and
 * summary.md (docs/plan-contract.md). Exit 0 when the stack evaluates, 1 on a configuration or program error, 2 on a usage
 * error. The logic is scripts/lib/plan-command.ts.
 */
import "./lib/node-check";
import { processIo } from "./lib/command-io";
import { planCommand } from "./lib/plan-command";

planCommand(process.argv.slice(2), processIo()).then((code) => process.exit(code));
