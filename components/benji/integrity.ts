/**
 * Proof that Benji's backups can be read back (issue 19): a scheduled deep scrub, a weekly restore drill of one PVC
 * version into a scratch RBD image, and a scheduled metadata backup so the versions survive the loss of Benji's
 * database. Pure: the CronJobs are data here (names, roles, commands, scripts); components/benji/benji.ts creates them.
 *
 * Upstream facts, all Benji 0.17.0 (elemental-lf/benji tag v0.17.0):
 * - `benji batch-deep-scrub [-P|--version-percentage N] [-p|--block-percentage N] [filter]` (N 1..100, default 100;
 *   `src/benji/scripts/benji.py`). It deep-scrubs a random N% sample of the matching versions (at least one), reading
 *   N% of each version's blocks from the storage and comparing each with the checksum recorded at backup time; a
 *   mismatch marks the block and every version holding it `invalid` (`src/benji/benji.py` `Benji.deep_scrub`,
 *   `src/benji/database.py` `Version.set_block_valid`). Any version with errors raises `ScrubbingError`, which the CLI
 *   maps to exit 65 (`os.EX_DATAERR`); `benji-command` (benji-k8s `k8s_tools/scripts/command.py`) then raises and
 *   exits non-zero, so the Job fails. A locked version is skipped with a warning; an `incomplete` one is an error,
 *   hence the `status != "incomplete"` filter.
 * - The chart ships no scrub CronJob; the percentages 10 (versions) and 33 (blocks) are the benji-k8s example
 *   (`docs/source/container.rst`: `benji-command batch-deep-scrub --version-percentage 10 --block-percentage 33`).
 * - A scrub below 100% of the blocks never marks an invalid version valid again (`docs/source/scrub.rst`), so the scrub
 *   Job also lists the `invalid` versions (`benji --machine-output ls`, JSON `{"versions": [...]}`) and fails while
 *   any exists: the alert keeps firing until they are removed or a full deep scrub revalidates them.
 * - `benji restore [--sparse] [--force] <version> <io>:<pool>/<image>` creates the RBD image when it is missing and
 *   refuses an existing one without `--force` (`src/benji/io/rbdaio.py` `open_w`: FileExistsError, exit 73). It
 *   compares every block read from the storage with its checksum but on a mismatch only logs and marks the block
 *   invalid: it still exits 0 (`Benji.restore`). So the drill verifies separately with
 *   `benji deep-scrub --source <restored image> <version>`: every block is read from the storage and checked against
 *   its checksum (mismatch: exit 65), sparse blocks must read as zeros in the image (else exit 65), and each block is
 *   compared byte for byte with the restored image; a difference there is only logged ("Version <uid> had source
 *   mismatches.", `Benji.deep_scrub`), so the drill fails on that line.
 * - `benji metadata-backup [--force] <filter>` writes each version's metadata to its storage (`versions/<uid>`);
 *   without `--force` an existing copy is an error (`src/benji/storage/base.py` `write_version`). A backup already
 *   writes its new version's metadata (`Benji.backup` → `metadata_backup(overwrite=True)`); the scheduled run keeps
 *   later changes (scrub results, labels, protection) in the storage too. `benji metadata-ls` lists the copies,
 *   `benji metadata-restore <uid>...` imports them into an initialised database.
 * - The benji-k8s image has bash, jq and the Ceph `rbd` CLI (`images/benji/Dockerfile`: `jq`, `ceph-base`).
 */
import { BENJI_INSTANCE_LABEL } from "../labels";
import type { StaleKey } from "../monitoring/stale";
import { humanDuration } from "../schema/duration";

/** Kubernetes names of the integrity CronJobs and the drill's account. */
export const BENJI_INTEGRITY_K8S = {
  scrubCronJob: "benji-deep-scrub",
  drillCronJob: "benji-restore-drill",
  metadataBackupCronJob: "benji-metadata-backup",
  /** The drill's own account: no rights, no token (it talks to Ceph and the database only). */
  drillServiceAccount: "benji-drill",
} as const;

/**
 * Every scratch image of the drill starts with this: no provisioner names images so (Ceph CSI: `csi-vol-<uuid>`,
 * in-tree: `kubernetes-dynamic-pvc-<uuid>`), so the drill never touches a real image.
 */
export const BENJI_DRILL_IMAGE_PREFIX = "benji-restore-drill-";

/** Seconds in the drill's rotation period: one PVC per week. */
export const BENJI_DRILL_ROTATION_SECONDS = 7 * 24 * 3600;

/** The log line of `benji deep-scrub --source` when the restored image differs from the storage (Benji 0.17.0 `Benji.deep_scrub`). */
export const BENJI_SOURCE_MISMATCH_LOG = "had source mismatches";

/** Scheduled `benji batch-deep-scrub`. */
export interface BenjiScrubSettings {
  readonly enabled: boolean;
  readonly schedule: string;
  /** `--version-percentage`: share of the versions scrubbed per run (1..100). */
  readonly versionPercentage: number;
  /** `--block-percentage`: share of each scrubbed version's blocks read per run (1..100). */
  readonly blockPercentage: number;
}

/** The weekly restore drill. */
export interface BenjiDrillSettings {
  readonly enabled: boolean;
  readonly schedule: string;
  /** `activeDeadlineSeconds` of a drill Job. */
  readonly timeoutSeconds: number;
}

/** Scheduled `benji metadata-backup`. */
export interface BenjiMetadataBackupSettings {
  readonly enabled: boolean;
  readonly schedule: string;
}

/** flows.benji.{scrub,drill,metadataBackup}. */
export interface BenjiIntegritySettings {
  readonly scrub: BenjiScrubSettings;
  readonly drill: BenjiDrillSettings;
  readonly metadataBackup: BenjiMetadataBackupSettings;
}

/**
 * Defaults (also the config defaults). Scrub at 01:00 and the metadata backup at 04:30, before cleanup (05:00),
 * enforce (06:00) and the backup (07:30); the drill on Saturdays at 12:00, after the backup and the Velero drills: a version locked by
 * another Benji command makes the drill and the metadata backup fail (AlreadyLocked, exit 77).
 */
export const BENJI_INTEGRITY_DEFAULTS: BenjiIntegritySettings = {
  scrub: { enabled: true, schedule: "0 1 * * *", versionPercentage: 10, blockPercentage: 33 },
  drill: { enabled: true, schedule: "0 12 * * 6", timeoutSeconds: 6 * 3600 },
  metadataBackup: { enabled: true, schedule: "30 4 * * *" },
};

/** Versions of this installation: `labels["benji-backup.me/instance"] == "<instance>"`. */
function instanceOnly(instance: string): string {
  return `labels["${BENJI_INSTANCE_LABEL}"] == "${instance}"`;
}

/** The versions the scrub and the metadata backup act on: this installation's, not being written. */
export function benjiFinishedVersionsFilter(instance: string): string {
  return `${instanceOnly(instance)} and status != "incomplete"`;
}

/** This installation's invalid versions. */
export function benjiInvalidVersionsFilter(instance: string): string {
  return `${instanceOnly(instance)} and status == "invalid"`;
}

/** The drill's candidates: valid versions of labelled PVCs (benji-backup-pvc sets `benji-backup.me/k8s-pvc`). */
export function benjiDrillCandidatesFilter(instance: string): string {
  return `${instanceOnly(instance)} and labels["benji-backup.me/k8s-pvc"] and status == "valid"`;
}

/**
 * The scrub Job. Arguments: version percentage, block percentage, the filter of the versions to scrub, the filter of
 * the invalid versions. Fails when the scrub failed or any version of this installation is invalid.
 */
export const BENJI_SCRUB_SCRIPT = [
  "set -u",
  "rc=0",
  'benji-command batch-deep-scrub --version-percentage "$1" --block-percentage "$2" "$3" || { echo "benji batch-deep-scrub failed: a scrubbed version has blocks that do not match their checksums, or the scrub could not run (log above)" >&2; rc=1; }',
  'listing=$(benji --machine-output --log-level ERROR ls "$4") || { echo "benji ls of the invalid versions failed" >&2; exit 1; }',
  `invalid=$(printf '%s' "$listing" | jq -r '.versions[] | "\\(.uid) (\\(.volume))"') || { echo "benji ls printed no version list" >&2; exit 1; }`,
  'if [ -n "$invalid" ]; then',
  '  echo "invalid Benji versions (a restore of them fails; remove them or deep-scrub them fully, RESTORE.md#benji):" >&2',
  `  printf '%s\\n' "$invalid" | sed 's/^/  /' >&2`,
  "  rc=1",
  "fi",
  'exit "$rc"',
].join("\n");

/**
 * The restore drill. Arguments: the candidates filter, then the Ceph pools Benji has an io for.
 *
 * Which PVC: the candidates' volumes (`<namespace>/<pvc>`) sorted by name, the one at index
 * (weeks since the Unix epoch) mod (their count), so every labelled PVC is drilled once every <count> weeks; of it the
 * newest valid version. It is restored into `<pool>/benji-restore-drill-<UTC yyyymmddhhmmss>` in the version's own
 * pool (never with `--force`), checked with `benji deep-scrub --source`, and the image is removed on every exit
 * (trap). Scratch images a killed drill left behind (same prefix) are removed first.
 */
export const BENJI_DRILL_SCRIPT = [
  "set -uo pipefail",
  'fail() { echo "benji restore drill: $*" >&2; exit 1; }',
  'filter="$1"; shift',
  `prefix=${BENJI_DRILL_IMAGE_PREFIX}`,
  'listing=$(benji --machine-output --log-level ERROR ls "$filter") || fail "benji ls failed"',
  `volumes=$(printf '%s' "$listing" | jq -r '[.versions[].volume] | unique | .[]') || fail "benji ls printed no version list"`,
  'count=$(printf \'%s\' "$volumes" | grep -c .)',
  '[ "$count" -gt 0 ] || fail "no valid version of a labelled PVC to restore ($filter)"',
  `week=$(( $(date -u +%s) / ${BENJI_DRILL_ROTATION_SECONDS} ))`,
  'volume=$(printf \'%s\\n\' "$volumes" | sed -n "$(( week % count + 1 ))p")',
  `read -r uid pool < <(printf '%s' "$listing" | jq -r --arg v "$volume" '[.versions[] | select(.volume == $v)] | sort_by(.date) | last | "\\(.uid) \\(.labels["benji-backup.me/ceph-pool"] // "")"')`,
  'if [ -z "${uid:-}" ] || [ -z "${pool:-}" ]; then fail "cannot tell the version or the Ceph pool of $volume"; fi',
  'case " $* " in *" $pool "*) ;; *) fail "version $uid is in the Ceph pool \'$pool\', which Benji has no io for ($*)" ;; esac',
  'existing=$(rbd ls "$pool") || fail "rbd ls $pool failed"',
  'for old in $(printf \'%s\\n\' "$existing" | grep "^$prefix"); do',
  '  echo "removing $pool/$old, left behind by an earlier drill"',
  '  rbd rm "$pool/$old" || fail "cannot remove $pool/$old"',
  "done",
  'image="$prefix$(date -u +%Y%m%d%H%M%S)"',
  'url="$pool:$pool/$image"',
  "cleanup() {",
  "  rc=$?",
  "  trap - EXIT",
  '  if ! listed=$(rbd ls "$pool"); then',
  '    echo "benji restore drill: cannot list the pool $pool to remove the scratch image $pool/$image (the next drill removes it)" >&2; [ "$rc" -ne 0 ] || rc=1',
  '  elif printf \'%s\\n\' "$listed" | grep -qxF "$image"; then',
  '    rbd rm "$pool/$image" || { echo "benji restore drill: cannot remove the scratch image $pool/$image (the next drill removes it)" >&2; [ "$rc" -ne 0 ] || rc=1; }',
  "  fi",
  '  exit "$rc"',
  "}",
  "trap cleanup EXIT",
  "trap 'exit 143' TERM",
  "trap 'exit 130' INT",
  'log=$(mktemp)',
  'echo "restore drill: version $uid of $volume (week $week: PVC $(( week % count + 1 )) of $count) into $pool/$image"',
  'benji --log-level INFO restore --sparse "$uid" "$url" || fail "benji restore of $uid into $pool/$image failed"',
  'benji --log-level INFO deep-scrub --source "$url" "$uid" 2>&1 | tee "$log"',
  "scrub=${PIPESTATUS[0]}",
  '[ "$scrub" -eq 0 ] || fail "benji deep-scrub of $uid against $pool/$image failed (exit $scrub; 65: blocks in the storage do not match their checksums, or the image has data where the version has none; 77: the version is locked by another Benji command)"',
  `! grep -qF "${BENJI_SOURCE_MISMATCH_LOG}" "$log" || fail "the image restored from $uid differs from the version's blocks"`,
  'echo "restore drill passed: $uid restored and matches its checksums"',
].join("\n");

/**
 * How the alerts watch each integrity CronJob (components/flows/alert-targets.ts): its `monitoring.staleAfter` key, alert
 * name prefix, purpose, severities and what a failed Job means. Benji exports no metric of its own without a
 * Pushgateway (benji-k8s `helpers/prometheus.py` pushes only when PROM_PUSH_GATEWAY is set), so a failed Job
 * (kube-state-metrics) is the signal.
 */
export const BENJI_INTEGRITY_ALERTS = {
  scrub: {
    key: "benjiScrub",
    prefix: "BenjiScrub",
    purpose: "deep-scrubs a sample of the Benji versions against their checksums",
    severity: "warning",
    failedSeverity: "critical",
    failedMeaning: "A failed scrub means Benji found blocks that do not match their checksums (their versions are now invalid and cannot be restored), an invalid version is still listed, or the scrub could not run.",
  },
  drill: {
    key: "benjiDrill",
    prefix: "BenjiRestoreDrill",
    purpose: "restores the newest valid version of one labelled PVC into a scratch RBD image and compares it with benji deep-scrub --source",
    severity: "warning",
    failedSeverity: "critical",
    failedMeaning: "A failed drill means a Benji version could not be restored or did not match its checksums; the log names the version and the step.",
  },
  "metadata-backup": {
    key: "benjiMetadataBackup",
    prefix: "BenjiMetadataBackup",
    purpose: "copies the metadata of every Benji version to the Benji storage",
    severity: "warning",
    failedSeverity: "warning",
    failedMeaning: "Until it succeeds, changes to versions since their backup (scrub results, labels) are missing from the storage copy that rebuilds a lost database.",
  },
} as const satisfies Record<BenjiIntegrityCronJob["role"], { key: StaleKey; prefix: string; purpose: string; severity: "critical" | "warning"; failedSeverity: "critical" | "warning"; failedMeaning: string }>;

/** One integrity CronJob as data: what benji.ts creates and what monitoring and the flow inventory watch. */
export interface BenjiIntegrityCronJob {
  readonly name: string;
  readonly role: "scrub" | "drill" | "metadata-backup";
  readonly schedule: string;
  readonly command: readonly string[];
  /** `maintenance`: database + S3 only; `drill`: also the Ceph key, own account. */
  readonly profile: "maintenance" | "drill";
  /** `activeDeadlineSeconds` of its Jobs, when bounded. */
  readonly activeDeadlineSeconds?: number;
  /** What this CronJob proves about the Benji flow (flow inventory `verifiedBy`). */
  readonly verifies?: "scrub" | "drill";
}

/** The enabled integrity CronJobs, in order scrub, drill, metadata backup. */
export function benjiIntegrityCronJobs(instance: string, settings: BenjiIntegritySettings, pools: readonly string[]): BenjiIntegrityCronJob[] {
  const { scrub, drill, metadataBackup } = settings;
  const k = BENJI_INTEGRITY_K8S;
  return [
    ...(scrub.enabled
      ? [
          {
            name: k.scrubCronJob,
            role: "scrub",
            schedule: scrub.schedule,
            command: ["bash", "-c", BENJI_SCRUB_SCRIPT, k.scrubCronJob, String(scrub.versionPercentage), String(scrub.blockPercentage), benjiFinishedVersionsFilter(instance), benjiInvalidVersionsFilter(instance)],
            profile: "maintenance",
            verifies: "scrub",
          } as const,
        ]
      : []),
    ...(drill.enabled
      ? [
          {
            name: k.drillCronJob,
            role: "drill",
            schedule: drill.schedule,
            command: ["bash", "-c", BENJI_DRILL_SCRIPT, k.drillCronJob, benjiDrillCandidatesFilter(instance), ...pools],
            profile: "drill",
            activeDeadlineSeconds: drill.timeoutSeconds,
            verifies: "drill",
          } as const,
        ]
      : []),
    ...(metadataBackup.enabled
      ? [{ name: k.metadataBackupCronJob, role: "metadata-backup", schedule: metadataBackup.schedule, command: ["benji-command", "metadata-backup", "--force", benjiFinishedVersionsFilter(instance)], profile: "maintenance" } as const]
      : []),
  ];
}

/** Plan-summary line: what the scrub, the drill and the metadata backup do with these settings, and what is off. */
export function benjiIntegrityNote(settings: BenjiIntegritySettings, timeZone: string): string {
  const { scrub, drill, metadataBackup } = settings;
  const k = BENJI_INTEGRITY_K8S;
  const parts = [
    scrub.enabled
      ? `\`${k.scrubCronJob}\` ('${scrub.schedule}' ${timeZone}) deep-scrubs ${scrub.versionPercentage}% of the versions (at least one, picked at random) reading ${scrub.blockPercentage}% of their blocks against the checksums recorded at backup (flows.benji.scrub), and fails while any version is invalid`
      : "no deep scrub (flows.benji.scrub.enabled is false): blocks that rot in the bucket go unnoticed until a restore",
    drill.enabled
      ? `\`${k.drillCronJob}\` ('${drill.schedule}' ${timeZone}, up to ${humanDuration(drill.timeoutSeconds)}) restores the newest valid version of one labelled PVC (the next in name order each week) into a scratch RBD image \`<pool>/${BENJI_DRILL_IMAGE_PREFIX}<timestamp>\`, compares it with \`benji deep-scrub --source\` and removes it (flows.benji.drill)`
      : "no restore drill (flows.benji.drill.enabled is false)",
    metadataBackup.enabled
      ? `\`${k.metadataBackupCronJob}\` ('${metadataBackup.schedule}' ${timeZone}) copies the metadata of every version to the Benji storage, so \`benji metadata-restore\` rebuilds a lost database (flows.benji.metadataBackup)`
      : "no scheduled metadata backup (flows.benji.metadataBackup.enabled is false): only each backup's own copy of its new version's metadata is in the storage",
  ];
  return `Benji integrity: ${parts.join("; ")}.`;
}
