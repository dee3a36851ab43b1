/**
 * The cluster-backup policy pack: `pulumi preview --policy-pack policy`. Only constructs the pack (which starts the
 * analyzer's gRPC server); the policies live in policies.ts so tests and scripts can import them.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("cluster-backup", { policies });
