/**
 * Arguments of `npm run restore`. Defaults are the program's own names (Schedule `tenants-daily` in Velero's namespace
 * `backup-system`, tenants `cust-*`); `--plan <dir>` reads them from a plan of the stack instead (its tenants
 * Schedule manifest), and explicit flags win over both.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { KUBERNETES_NAME, SYSTEM_EXCLUDED_NAMESPACES } from "../../../components/config-schema";
import { DRILL_NAMESPACE_PREFIX, FLOW_LABEL, LEGACY_FLOW_LABEL, RESTORED_FROM_LABEL, TENANT_NAMESPACE_PREFIX } from "../../../components/labels";
import { globToRegExp } from "../../../components/schema/namespace-glob";
import { parseGoDuration } from "../../../components/schema/duration";
import { SCHEDULE_NAMES } from "../../../components/velero/schedules";
import { DEFAULT_VELERO_NAMESPACE } from "../../../components/velero/velero";
import { ZREPL_DEFAULTS } from "../../../components/zrepl/defaults";
import { parseCommandLine, UsageError, userPath } from "../cli-args";
import { EXIT, RestoreError } from "./exit-codes";
import { TENANTS_FLOW } from "./build";

export interface RestoreOptions {
  /** Tenant namespace to restore. */
  readonly tenant: string;
  /** Backup to restore from; undefined = the newest backup of the schedule that holds all of the tenant. */
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
  /** Namespaces of the backup system and the platform: never a restore target. */
  readonly systemNamespaces: readonly string[];
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
  /** Every namespace the plan creates or puts an object in. */
  readonly namespaces: readonly string[];
}

const DEFAULT_TIMEOUT = "24h";
const DEFAULT_POLL_INTERVAL = "2s";
/** Bounds of --timeout and --poll-interval, in seconds: a restore of a large tenant takes hours, not weeks. */
const TIMEOUT_BOUNDS = { min: 60, max: 7 * 24 * 3600 } as const;
const POLL_BOUNDS = { min: 1, max: 600 } as const;

/**
 * Namespaces of the platform and of the backup system when no plan names them: Kubernetes' own, the defaults of the
 * program's components (Velero, Benji, zrepl, MinIO, Garage, PostgreSQL).
 */
const DEFAULT_SYSTEM_NAMESPACES: readonly string[] = [
  ...new Set([DEFAULT_VELERO_NAMESPACE, "benji", ZREPL_DEFAULTS.namespace, ...SYSTEM_EXCLUDED_NAMESPACES.filter((ns) => !ns.includes("*"))]),
];

export const USAGE = `usage: npm run restore -- --tenant cust-<id> [--from-backup NAME | --latest] [--as NAMESPACE]
                            [--dry-run] [--allow-existing] [--plan out/<stack>]
                            [--velero-namespace NS] [--schedule NAME] [--context NAME]
                            [--timeout ${DEFAULT_TIMEOUT}] [--poll-interval ${DEFAULT_POLL_INTERVAL}]

Restores one tenant namespace from a Velero backup of the tenants Schedule, through the current kubeconfig, and
follows the restore until it ends. Never deletes anything: existing objects are left as they are.

  --tenant NAME           tenant namespace to restore (required), e.g. cust-1001
  --latest                newest backup of the schedule that holds all of the tenant: Completed, or PartiallyFailed
                          with no error recorded for the tenant (default)
  --from-backup NAME      this Backup instead (Completed or PartiallyFailed, and containing the tenant)
  --as NAMESPACE          restore into this new namespace (namespace mapping) instead of the tenant's own: created
                          first, excluded from backups, labelled ${RESTORED_FROM_LABEL}=<tenant> and without the
                          tenant label, so no schedule, drill or opt-out sync takes it for a tenant; never a tenant
                          namespace name (${TENANT_NAMESPACE_PREFIX}*), kube-*, default, ${DRILL_NAMESPACE_PREFIX}* or a namespace of the backup system
  --dry-run               print what would be created (YAML), create no Namespace or Restore (judging a PartiallyFailed
                          backup still creates a DownloadRequest); without a cluster it prints them from the
                          arguments alone, checking nothing
  --allow-existing        restore in place even if the tenant's namespace exists (only missing objects are added);
                          not with --as
  --plan DIR              read the Velero namespace, schedule and tenant glob from a plan (npm run plan)
  --velero-namespace NS   Velero's namespace (default ${DEFAULT_VELERO_NAMESPACE})
  --schedule NAME         the tenants Schedule (default ${SCHEDULE_NAMES.tenants})
  --context NAME          kubeconfig context (default: the current context)
  --timeout DURATION      stop following after this long; the restore continues (default ${DEFAULT_TIMEOUT},
                          ${formatBound(TIMEOUT_BOUNDS.min)} to ${formatBound(TIMEOUT_BOUNDS.max)})
  --poll-interval DURATION  time between two status reads (default ${DEFAULT_POLL_INTERVAL}, ${formatBound(POLL_BOUNDS.min)} to ${formatBound(POLL_BOUNDS.max)})
  --help, -h              this text

A PartiallyFailed backup is used for the tenant when Velero recorded no error for its namespace (backup results,
PodVolumeBackups) and none it could not attribute to a namespace; the output says so.

exit codes: ${EXIT.ok} Completed (or dry run) · ${EXIT.partiallyFailed} PartiallyFailed · ${EXIT.usage} bad arguments (not a tenant name, a forbidden --as,
  an unknown --context, an old Node.js) · ${EXIT.failed} Failed/FailedValidation ·
  ${EXIT.noBackup} no backup holds all of the tenant (or it restored nothing) · ${EXIT.badBackup} --from-backup missing, not restorable or without the tenant ·
  ${EXIT.namespaceExists} target namespace exists · ${EXIT.unreachable} no cluster reachable · ${EXIT.apiError} API request refused ·
  ${EXIT.timeout} still running at --timeout · ${EXIT.locationUnavailable} backup storage location unavailable`;

function formatBound(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  return seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`;
}

function usage(message: string): RestoreError {
  return new RestoreError(EXIT.usage, `${message}\n${USAGE.split("\n")[0]}`);
}

function dnsLabel(flag: string, value: string): string {
  if (value.length > 63 || !KUBERNETES_NAME.test(value)) {
    throw usage(`${flag} '${value}': expected a Kubernetes namespace name (lowercase letters, digits and '-', at most 63 characters)`);
  }
  return value;
}

function duration(flag: string, value: string, bounds: { min: number; max: number }, what: string): number {
  const seconds = parseGoDuration(value);
  if (seconds === undefined || seconds <= 0) throw usage(`${flag} '${value}': expected a positive duration with units h, m, s such as '2s', '30m' or '6h'`);
  if (seconds < bounds.min || seconds > bounds.max) throw usage(`${flag} '${value}': expected ${formatBound(bounds.min)} to ${formatBound(bounds.max)} (${what})`);
  return seconds;
}

/** A name for a copy of the tenant outside the tenant namespaces: `restore-<tenant>`, cut to a DNS label. */
export function copyNamespaceName(tenant: string): string {
  return `restore-${tenant}`.slice(0, 63).replace(/-+$/, "");
}

/** Why `--as` must not name this namespace (checked without a cluster), or undefined. */
function asTargetProblem(as: string, tenant: string, tenantPattern: RegExp, tenantGlob: string, systemNamespaces: readonly string[]): string | undefined {
  const instead = `restore into a new namespace of its own such as ${copyNamespaceName(tenant)}`;
  if (as === tenant) return `--as '${as}' is the tenant's own namespace; omit --as to restore in place`;
  if (as === "default" || as.startsWith("kube-")) return `--as '${as}': a namespace of Kubernetes itself; ${instead}`;
  if (systemNamespaces.includes(as)) return `--as '${as}': a namespace of the backup system or the platform; ${instead}`;
  if (as.startsWith(DRILL_NAMESPACE_PREFIX)) return `--as '${as}': ${DRILL_NAMESPACE_PREFIX}* namespaces are the restore drills' scratch namespaces, which the drills delete; ${instead}`;
  if (tenantPattern.test(as)) {
    return `--as '${as}': a tenant namespace name ('${tenantGlob}'): the tenants schedule would back the copy up and the drills take it for a tenant; ${instead}`;
  }
  if (as.startsWith(TENANT_NAMESPACE_PREFIX)) {
    return `--as '${as}': named like a tenant namespace (${TENANT_NAMESPACE_PREFIX}<id>), which the admission policy requires to carry the tenant labels; ${instead}`;
  }
  return undefined;
}

/**
 * The tenants Schedule of a plan: the `velero.io/v1` Schedule manifest labelled `cluster-backup.io/flow: tenants`.
 * Throws a usage error when the folder holds no plan or the plan has no tenants Schedule.
 */
export function readPlanNames(dir: string): PlanNames {
  const manifests = join(dir, "manifests");
  if (!existsSync(manifests)) throw usage(`--plan '${dir}': no manifests/ folder there; write a plan first: npm run plan -- --stack <stack> --out ${dir}`);
  const namespaces = new Set<string>();
  let tenants: Omit<PlanNames, "namespaces"> | undefined;
  for (const file of readdirSync(manifests).filter((f) => f.endsWith(".yaml")).sort()) {
    const object = parse(readFileSync(join(manifests, file), "utf8")) as { kind?: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string> }; spec?: { template?: { includedNamespaces?: string[] } } } | null;
    if (object?.kind === "Namespace" && object.metadata?.name) namespaces.add(object.metadata.name);
    if (object?.metadata?.namespace) namespaces.add(object.metadata.namespace);
    const labels = object?.metadata?.labels;
    if (!tenants && object?.kind === "Schedule" && object.metadata && (labels?.[FLOW_LABEL] ?? labels?.[LEGACY_FLOW_LABEL]) === TENANTS_FLOW && object.metadata.name && object.metadata.namespace) {
      tenants = { veleroNamespace: object.metadata.namespace, schedule: object.metadata.name, tenantGlob: object.spec?.template?.includedNamespaces?.[0] ?? `${TENANT_NAMESPACE_PREFIX}*` };
    }
  }
  if (tenants) return { ...tenants, namespaces: [...namespaces].sort() };
  throw usage(`--plan '${dir}': the plan has no tenants Schedule (flows.tenants is disabled in that stack)`);
}

/** Parses the arguments (without `node script`). Returns undefined for --help. Throws {@link RestoreError} (usage). */
export function parseRestoreArgs(argv: readonly string[], readPlan: (dir: string) => PlanNames = readPlanNames): RestoreOptions | undefined {
  const valued = ["tenant", "from-backup", "as", "plan", "velero-namespace", "schedule", "context", "timeout", "poll-interval"];
  const switches = ["latest", "dry-run", "allow-existing"];
  let line;
  try {
    line = parseCommandLine(argv, Object.fromEntries([...valued.map((n) => [n, { type: "string" }] as const), ...switches.map((n) => [n, { type: "boolean" }] as const)]));
  } catch (err) {
    throw err instanceof UsageError ? usage(err.message) : err;
  }
  if (line.help) return undefined;
  const values = line.values as Readonly<Record<string, string | undefined>>;
  const flags = new Set(switches.filter((n) => line.values[n] === true));
  if (values.tenant === undefined) throw usage("--tenant is required, e.g. --tenant cust-1001");
  if (flags.has("latest") && values["from-backup"] !== undefined) throw usage("--from-backup and --latest exclude each other");

  const plan = values.plan !== undefined ? readPlan(userPath("restore", values.plan)) : undefined;
  const tenantGlob = plan?.tenantGlob ?? `${TENANT_NAMESPACE_PREFIX}*`;
  const tenant = dnsLabel("--tenant", values.tenant);
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
  const veleroNamespace = dnsLabel("--velero-namespace", values["velero-namespace"] ?? plan?.veleroNamespace ?? DEFAULT_VELERO_NAMESPACE);
  const systemNamespaces = [...new Set([veleroNamespace, ...DEFAULT_SYSTEM_NAMESPACES, ...(plan?.namespaces ?? [])])].filter((ns) => ns !== tenant).sort();
  const as = values.as !== undefined ? dnsLabel("--as", values.as) : undefined;
  if (as !== undefined) {
    const problem = asTargetProblem(as, tenant, tenantPattern, tenantGlob, systemNamespaces);
    if (problem) throw usage(problem);
    if (flags.has("allow-existing")) throw usage(`--allow-existing restores only in place (into ${tenant} itself); with --as the target must be a new namespace`);
  }
  const fromBackup = values["from-backup"];
  if (fromBackup !== undefined && !/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(fromBackup)) {
    throw usage(`--from-backup '${fromBackup}': expected a Backup name such as '${SCHEDULE_NAMES.tenants}-20260301010000'`);
  }
  const timeoutSeconds = duration("--timeout", values.timeout ?? DEFAULT_TIMEOUT, TIMEOUT_BOUNDS, "how long to follow the restore; it continues in the cluster after that");
  const pollSeconds = duration("--poll-interval", values["poll-interval"] ?? DEFAULT_POLL_INTERVAL, POLL_BOUNDS, "time between two status reads");
  if (pollSeconds > timeoutSeconds) throw usage(`--poll-interval '${values["poll-interval"]}' is longer than --timeout '${values.timeout ?? DEFAULT_TIMEOUT}'`);
  return {
    tenant,
    ...(fromBackup !== undefined ? { fromBackup } : {}),
    ...(as !== undefined ? { as } : {}),
    dryRun: flags.has("dry-run"),
    allowExisting: flags.has("allow-existing"),
    veleroNamespace,
    schedule: dnsLabel("--schedule", values.schedule ?? plan?.schedule ?? SCHEDULE_NAMES.tenants),
    tenantGlob,
    ...(values.context !== undefined ? { context: values.context } : {}),
    systemNamespaces,
    timeoutSeconds,
    pollSeconds,
  };
}
