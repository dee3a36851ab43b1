/**
 * npm run policy -- <dir> [--config <policy-config.json>]
 * Runs every policy of the pack over <dir>/resources.json (docs/plan-contract.md) and prints one line per violation:
 * `<enforcement> <policy-name> <urn>: <message>`. Exit 1 on a mandatory violation, 2 on a usage error or when the file
 * (or the policy config, same form as `pulumi preview --policy-pack-config`) is missing or malformed. The logic is
 * scripts/lib/policy-command.ts.
 */
import "./lib/node-check";
import { processIo } from "./lib/command-io";
import { policyCommand } from "./lib/policy-command";

process.exit(policyCommand(process.argv.slice(2), processIo()));
