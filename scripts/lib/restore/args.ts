/**
 * Arguments of `npm run restore`. Defaults are the program's own names (Schedule `tenants-daily` in Velero's namespace
 * `backup-system`, tenants `cust-*`); `--plan <dir>` reads them from a plan of the stack instead (its tenants
 * Schedule manifest), and explicit flags win over both.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { KUBERNETES_NAME } from "../../../components/config-schema";
import { FLOW_LABEL, TENANT_NAMESPACE_PREFIX } from "../../../components/labels";
import { globToRegExp } from "../../../components/schema/namespace-glob";
import { parseGoDuration } from "../../../components/schema/duration";
import { SCHEDULE_NAMES } from "../../../components/velero/schedules";
import { DEFAULT_VELERO_NAMESPACE } from "../../../components/velero/velero";
import { EXIT, RestoreError } from "./exit-codes";
import { TENANTS_FLOW } from "./build";

export interface RestoreOptions {
  /** Tenant namespace to restore. */
  readonly tenant: string;
  /** Backup to restore from; undefined = the newest Completed backup of the schedule that contains the tenant. */
  readonly fromBackup?: string;
  /** Restore into this (new) namespace instead of the tenant's own. */
  readonly as?: string;
  /** Print the Restore and create nothing. */
  readonly dryRun: boolean;
  /** Restore even though the target namespace exists (Velero adds what is missing, overwrites nothing). */
  readonly allowExisting: boolean;
  /** Velero's namespace. */
  readonly veleroNamespace: string;
  /** The tenants Schedule whose Backups are searched. */
  readonly schedule: string;
  /** Namespaces that are tenants (the tenants Schedule's glob). */
  readonly tenantGlob: string;
  /** kubeconfig context; default the current one. */
  readonly context?: string;
  /** How long to follow the restore before giving up (it continues in the cluster). */
  readonly timeoutSeconds: number;
  /** Seconds between two polls of the Restore. */
  readonly pollSeconds: number;
}

/** The names a plan's tenants Schedule gives. */
export interface PlanNames {
  readonly veleroNamespace: string;
  readonly schedule: string;
  readonly tenantGlob: string;
}

const DEFAULT_TIMEOUT = "24h";
const DEFAULT_POLL_INTERVAL = "2s";

export const USAGE = `usage: npm run restore -- --tenant cust-<id> [--from-backup NAME | --latest] [--as NAMESPACE]
                            [--dry-run] [--allow-existing] [--plan out/<stack>]
                            [--velero-namespace NS] [--schedule NAME] [--context NAME]
                            [--timeout ${DEFAULT_TIMEOUT}] [--poll-interval ${DEFAULT_POLL_INTERVAL}]

Restores one tenant namespace from a Velero backup of the tenants Schedule, through the current kubeconfig, and
follows the restore until it ends. Never deletes anything: existing objects are left as they are.

  --tenant NAME           tenant namespace to restore (required), e.g. cust-1001
  --latest                newest Completed backup of the schedule that contains the tenant (default)
  --from-backup NAME      this Backup instead (Completed or PartiallyFailed, and containing the tenant)
  --as NAMESPACE          restore into this new namespace (namespace mapping) instead of the tenant's own
  --dry-run               print the Restore that would be created (YAML), create nothing
  --allow-existing        restore even if the target namespace exists (only missing objects are added)
  --plan DIR              read the Velero namespace, schedule and tenant glob from a plan (npm run plan)
  --velero-namespace NS   Velero's namespace (default ${DEFAULT_VELERO_NAMESPACE})
  --schedule NAME         the tenants Schedule (default ${SCHEDULE_NAMES.tenants})
  --context NAME          kubeconfig context (default: the current context)
  --timeout DURATION      stop following after this long; the restore continues (default ${DEFAULT_TIMEOUT})
  --poll-interval DURATION  time between two status reads (default ${DEFAULT_POLL_INTERVAL})

exit codes: ${EXIT.ok} Completed (or dry run) · ${EXIT.partiallyFailed} PartiallyFailed · ${EXIT.usage} bad arguments or not a tenant name · ${EXIT.failed} Failed/FailedValidation ·
  ${EXIT.noBackup} no Completed backup contains the tenant (or it restored nothing) · ${EXIT.badBackup} --from-backup missing, not restorable or without the tenant ·
  ${EXIT.namespaceExists} target namespace exists · ${EXIT.unreachable} no cluster reachable · ${EXIT.apiError} API request refused ·
  ${EXIT.timeout} still running at --timeout · ${EXIT.locationUnavailable} backup storage location unavailable`;

function usage(message: string): RestoreError {
  return new RestoreError(EXIT.usage, `${message}\n${USAGE.split("\n")[0]}`);
}

function dnsLabel(flag: string, value: string): string {
  if (value.length > 63 || !KUBERNETES_NAME.test(value)) {
    throw usage(`${flag} '${value}': expected a Kubernetes namespace name (lowercase letters, digits and '-', at most 63 characters)`);
  }
  return value;
}

function duration(flag: string, value: string): number {
  const seconds = parseGoDuration(value);
  if (seconds === undefined || seconds <= 0) throw usage(`${flag} '${value}': expected a positive duration with units h, m, s such as '2s', '30m' or '6h'`);
  return seconds;
}

/**
 * The tenants Schedule of a plan: the `velero.io/v1` Schedule manifest labelled `cluster-backup.io/flow: tenants`.
 * Throws a usage error when the folder holds no plan or the plan has no tenants Schedule.
 */
export function readPlanNames(dir: string): PlanNames {
  const manifests = join(dir, "manifests");
  if (!existsSync(manifests)) throw usage(`--plan '${dir}': no manifests/ folder there; write a plan first: npm run plan -- --stack <stack> --out ${dir}`);
  for (const file of readdirSync(manifests).filter((f) => f.startsWith("schedule--")).sort()) {
    const object = parse(readFileSync(join(manifests, file), "utf8")) as { kind?: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string> }; spec?: { template?: { includedNamespaces?: string[] } } };
    if (object?.kind === "Schedule" && object.metadata?.labels?.[FLOW_LABEL] === TENANTS_FLOW && object.metadata.name && object.metadata.namespace) {
      return { veleroNamespace: object.metadata.namespace, schedule: object.metadata.name, tenantGlob: object.spec?.template?.includedNamespaces?.[0] ?? `${TENANT_NAMESPACE_PREFIX}*` };
    }
  }
  throw usage(`--plan '${dir}': the plan has no tenants Schedule (flows.tenants is disabled in that stack)`);
}

/** Parses the arguments (without `node script`). Returns undefined for --help. Throws {@link RestoreError} (usage). */
export function parseRestoreArgs(argv: readonly string[], readPlan: (dir: string) => PlanNames = readPlanNames): RestoreOptions | undefined {
  const values: Record<string, string> = {};
  const flags = new Set<string>();
  const valued = new Set(["--tenant", "--from-backup", "--as", "--plan", "--velero-namespace", "--schedule", "--context", "--timeout", "--poll-interval"]);
  const switches = new Set(["--latest", "--dry-run", "--allow-existing"]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") return undefined;
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (valued.has(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === "" || (eq < 0 && value.startsWith("--"))) throw usage(`${name} needs a value`);
      if (name in values) throw usage(`${name} given twice`);
      values[name] = value;
    } else if (switches.has(arg)) {
      flags.add(arg);
    } else {
      throw usage(`unknown argument '${arg}'`);
    }
  }
  if (values["--tenant"] === undefined) throw usage("--tenant is required, e.g. --tenant cust-1001");
  if (flags.has("--latest") && values["--from-backup"] !== undefined) throw usage("--from-backup and --latest exclude each other");

  const plan = values["--plan"] !== undefined ? readPlan(values["--plan"]) : undefined;
  const tenantGlob = plan?.tenantGlob ?? `${TENANT_NAMESPACE_PREFIX}*`;
  const tenant = dnsLabel("--tenant", values["--tenant"]);
  let tenantPattern: RegExp;
  try {
    tenantPattern = globToRegExp(tenantGlob);
  } catch {
    throw usage(`the tenants Schedule's namespace glob '${tenantGlob}' cannot be read`);
  }
  if (!tenantPattern.test(tenant)) {
    const example = /^[a-z0-9-]+\*$/.test(tenantGlob) ? ` (e.g. ${tenantGlob.replace("*", "1001")})` : "";
    throw usage(`--tenant '${tenant}': not a tenant namespace; tenant namespaces match '${tenantGlob}'${example}`);
  }
  const as = values["--as"] !== undefined ? dnsLabel("--as", values["--as"]) : undefined;
  if (as === tenant) throw usage(`--as '${as}' is the tenant's own namespace; omit --as to restore in place`);
  const fromBackup = values["--from-backup"];
  if (fromBackup !== undefined && !/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(fromBackup)) {
    throw usage(`--from-backup '${fromBackup}': expected a Backup name such as '${SCHEDULE_NAMES.tenants}-20260301010000'`);
  }
  return {
    tenant,
    ...(fromBackup !== undefined ? { fromBackup } : {}),
    ...(as !== undefined ? { as } : {}),
    dryRun: flags.has("--dry-run"),
    allowExisting: flags.has("--allow-existing"),
    veleroNamespace: dnsLabel("--velero-namespace", values["--velero-namespace"] ?? plan?.veleroNamespace ?? DEFAULT_VELERO_NAMESPACE),
    schedule: dnsLabel("--schedule", values["--schedule"] ?? plan?.schedule ?? SCHEDULE_NAMES.tenants),
    tenantGlob,
    ...(values["--context"] !== undefined ? { context: values["--context"] } : {}),
    timeoutSeconds: duration("--timeout", values["--timeout"] ?? DEFAULT_TIMEOUT),
    pollSeconds: duration("--poll-interval", values["--poll-interval"] ?? DEFAULT_POLL_INTERVAL),
  };
}
