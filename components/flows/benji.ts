/** The Benji flow: block-level backups of Ceph RBD PVCs (components/benji), its CronJobs and their watches. Pure. */
import { BENJI_TRANSFORMS } from "../benji/benji-config";
import { BENJI_INTEGRITY_ALERTS, benjiIntegrityCronJobs, type BenjiIntegritySettings } from "../benji/integrity";
import { parseBenjiRetention, type BenjiRetentionCategory } from "../benji/retention";
import { BACKUP_THIS_PVC_LABEL } from "../labels";
import { staleAfterSeconds, type StaleKey, type StaleSettings } from "../monitoring/stale";
import { RUNBOOK_ANCHORS } from "../runbook-anchors";
import { cronMaxIntervalSeconds } from "../schema/cron";
import { matchLabelsText } from "./text";
import { cronJobWatch } from "./watches";
import type { CronJobWatch, Flow, Severity, Verification } from "./types";

/** A Benji CronJob: its name and cron (without time zone). */
export interface BenjiCronJobRef {
  readonly name: string;
  readonly schedule: string;
}

/** What the Benji flow is built from (the CronJobs as components/benji/benji.ts `benjiCronJobs` names them). */
export interface BenjiFlowArgs extends StaleSettings {
  readonly namespace: string;
  /** flows.benji.instance: the label value on every version this installation writes. */
  readonly instance: string;
  /** Ceph RBD pools whose images it may read (flows.benji.ceph.pools). */
  readonly pools: readonly string[];
  /** IANA zone of the CronJobs. */
  readonly timeZone: string;
  /** flows.benji.retention, a Benji retention spec such as `latest7`. */
  readonly retention: string;
  /** The namespaces whose labelled PVCs are backed up. */
  readonly pvcNamespaces: readonly string[];
  readonly cronJobs: { readonly backup: BenjiCronJobRef; readonly enforce: BenjiCronJobRef; readonly cleanup: BenjiCronJobRef };
  /** flows.benji.{scrub,drill,metadataBackup}: the scrub and the drill verify the flow, the metadata backup is watched. */
  readonly integrity?: BenjiIntegritySettings;
}

/** What each Benji CronJob does, by role, and how bad it is when it stops succeeding. */
const BENJI_ROLES = {
  backup: { key: "benjiBackup", purpose: "backs up every Ceph RBD PVC labelled backup-this-pvc=true", severity: "critical" },
  enforce: { key: "benjiEnforce", purpose: "drops Benji versions outside the retention", severity: "warning" },
  cleanup: { key: "benjiCleanup", purpose: "frees the storage of dropped Benji blocks", severity: "warning" },
} as const satisfies Record<string, { key: StaleKey; purpose: string; severity: Severity }>;

/** Seconds of the longest window a Benji retention spec keeps, given the backup interval for `latestN`. */
export function benjiRetentionSpanSeconds(spec: string, backupIntervalSeconds: number): number {
  const rules = parseBenjiRetention(spec);
  const unit: Record<BenjiRetentionCategory, number> = { latest: backupIntervalSeconds, hours: 3600, days: 86400, weeks: 7 * 86400, months: 30 * 86400, years: 365 * 86400 };
  return Math.max(0, ...Object.entries(rules).map(([category, count]) => unit[category as BenjiRetentionCategory] * (count ?? 0)));
}

export function benjiFlow(args: BenjiFlowArgs): Flow {
  const { backup, enforce, cleanup } = args.cronJobs;
  const watches: CronJobWatch[] = (["backup", "enforce", "cleanup"] as const).map((role) => {
    const job = args.cronJobs[role];
    const intervalSeconds = cronMaxIntervalSeconds(job.schedule);
    return cronJobWatch({
      flow: "benji",
      namespace: args.namespace,
      name: job.name,
      role,
      cron: job.schedule,
      intervalSeconds,
      staleAfterSeconds: staleAfterSeconds(args, BENJI_ROLES[role].key, intervalSeconds),
      purpose: BENJI_ROLES[role].purpose,
      severity: BENJI_ROLES[role].severity,
      anchor: RUNBOOK_ANCHORS.benji,
    });
  });
  const integrity = args.integrity ? benjiIntegrityCronJobs(args.instance, args.integrity, args.pools) : [];
  const integrityWatch = (job: (typeof integrity)[number]): CronJobWatch => {
    const alert = BENJI_INTEGRITY_ALERTS[job.role];
    const intervalSeconds = cronMaxIntervalSeconds(job.schedule);
    return cronJobWatch({
      flow: "benji",
      namespace: args.namespace,
      name: job.name,
      role: job.role,
      cron: job.schedule,
      intervalSeconds,
      // A drill may run up to its deadline: never call it late before that.
      staleAfterSeconds: staleAfterSeconds(args, alert.key, intervalSeconds, job.activeDeadlineSeconds),
      purpose: alert.purpose,
      severity: alert.severity,
      anchor: RUNBOOK_ANCHORS.benji,
      alert: { prefix: alert.prefix, failedSeverity: alert.failedSeverity, failedMeaning: alert.failedMeaning },
    });
  };
  const verifiedBy: Verification[] = integrity.flatMap((job) => (job.verifies ? [{ kind: job.verifies, name: job.name, purpose: BENJI_INTEGRITY_ALERTS[job.role].purpose, watch: integrityWatch(job) }] : []));
  const maintenance = integrity.filter((job) => !job.verifies).map(integrityWatch);
  const rpoSeconds = cronMaxIntervalSeconds(backup.schedule);
  const include = [...args.pvcNamespaces];
  const labels = { [BACKUP_THIS_PVC_LABEL]: "true" };
  return {
    id: "benji",
    configPath: "flows.benji",
    mechanism: "benji-rbd",
    objects: watches.map((w) => w.object),
    selection: {
      include,
      exclude: [],
      labels,
      clusterResources: false,
      volumes: "block",
      storage: "rbd",
      text: `PVCs labelled \`${matchLabelsText(labels)}\` in ${include[0] === "*" ? "all namespaces" : `${include.length > 1 ? "namespaces" : "namespace"} ${include.map((n) => `\`${n}\``).join(", ")}`}, Ceph RBD volumes only`,
    },
    source: { pools: [...args.pools] },
    schedule: { cron: backup.schedule, timeZone: args.timeZone, text: `\`${backup.schedule}\` ${args.timeZone}` },
    rpoSeconds,
    retention: {
      text: `\`enforce ${args.retention}\` per PVC at \`${enforce.schedule}\`; space freed by \`cleanup\` at \`${cleanup.schedule}\``,
      oldestRestorePointSeconds: benjiRetentionSpanSeconds(args.retention, rpoSeconds),
    },
    destination: { kind: "benji-storage", store: "benji", instance: args.instance },
    // The storage's active transforms are always zstd then aes (components/benji/benji-config.ts).
    encryption: `AES-256-GCM (Benji transform \`${BENJI_TRANSFORMS.aes}\`; key material in output benjiEncryption), zstd-compressed first`,
    watches: [...watches, ...maintenance],
    verifiedBy,
    metrics: [...watches, ...maintenance].map((w) => w.metric),
    anchor: RUNBOOK_ANCHORS.benji,
  };
}

/** The Benji CronJob refs by role, from a list such as `benjiCronJobs` returns; throws when a role is missing. */
export function benjiCronJobsByRole(jobs: readonly { readonly name: string; readonly role: string; readonly schedule: string }[]): BenjiFlowArgs["cronJobs"] {
  const find = (role: string): BenjiCronJobRef => {
    const job = jobs.find((j) => j.role === role);
    if (!job) throw new Error(`Benji: no ${role} CronJob among ${jobs.map((j) => j.name).join(", ")}`);
    return { name: job.name, schedule: job.schedule };
  };
  return { backup: find("backup"), enforce: find("enforce"), cleanup: find("cleanup") };
}
