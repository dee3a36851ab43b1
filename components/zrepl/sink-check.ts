/**
 * The sink readability check (docs/design.md §3.7): two more containers in the zrepl sink DaemonSet's pod, on the
 * backup node. `sink-check` runs sink-check.sh every interval: `zfs list` of the datasets zrepl receives, written as a
 * Prometheus text file into a pod-local emptyDir; `sink-check-exporter` (node_exporter with only its textfile
 * collector) serves that file on the `sink-check` port, which the zrepl PodMonitor scrapes. Pure.
 *
 * Why this and not zrepl's own metrics: zrepl v0.7.0 exports nothing per dataset about what the sink holds; its
 * per-filesystem series are `zrepl_replication_bytes_replicated{filesystem}` (a byte counter of the push job,
 * internal/daemon/job/active.go lines 328-334, labelled with the sender's dataset path,
 * internal/replication/logic/replication_logic.go line 310 `WithLabelValues(fs.Path)`; internal/zfs/prometheus.go)
 * and `zrepl_zfs_*_duration{filesystem}` histograms; the job-level `zrepl_replication_last_successful` says that a
 * replication attempt ended without error, not that each dataset's newest snapshot is on the sink.
 *
 * Access: the check container mounts nothing of the host but /dev/zfs (its result goes to an emptyDir, not a host
 * directory) and runs only `zfs list`. It must nevertheless be privileged: the ZFS CLI talks to the kernel module
 * through /dev/zfs ioctls, and Kubernetes has no way to allow one host device in an unprivileged container's device
 * cgroup (no device plugin exists for /dev/zfs), exactly as for the zrepl container next to it. It runs as root
 * because /dev/zfs is root-only on hosts whose udev rules leave the kernel's default mode. The list ioctls themselves
 * need no privilege (OpenZFS module/zfs/zfs_ioctl.c: zfs_ioc_dataset_list_next and zfs_ioc_snapshot_list_next are
 * guarded by zfs_secpolicy_read). The exporter container is unprivileged (restricted profile, uid 65534, read-only).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type * as k8s from "@pulumi/kubernetes";
import { RESTRICTED_CONTAINER } from "../pod-security";
import type { ConfigProblem } from "../config-problem";
import { ZREPL_SNAPSHOT_PREFIX, type ZreplFilesystems } from "./config";
import { parseZreplDuration } from "./grid";

/** sink-check.sh, shipped inline in the container's arguments (a change rolls the pod). */
export const SINK_CHECK_SCRIPT = readFileSync(join(__dirname, "sink-check.sh"), "utf8");

/** Names, port and paths of the check. */
export const SINK_CHECK_K8S = {
  checkContainer: "sink-check",
  exporterContainer: "sink-check-exporter",
  /** Container port name the PodMonitor scrapes (the push pod has none, so it yields no target there). */
  portName: "sink-check",
  port: 9812,
  /** The emptyDir both containers share, and where it is mounted. */
  volume: "sink-check",
  dir: "/var/lib/sink-check",
  /** The text file; node_exporter's textfile collector reads only `*.prom`, so the script's temporary file is never read. */
  file: "zrepl-sink.prom",
} as const;

/** The metrics the text file holds. */
export const SINK_CHECK_METRICS = {
  readable: "cluster_backup_zrepl_sink_dataset_readable",
  newestSnapshot: "cluster_backup_zrepl_sink_newest_snapshot_timestamp_seconds",
  snapshots: "cluster_backup_zrepl_sink_snapshots",
  lastRun: "cluster_backup_zrepl_sink_check_timestamp_seconds",
} as const;

/** Default seconds between two checks (`flows.zrepl.sinkCheck.interval`). */
export const SINK_CHECK_DEFAULT_INTERVAL = "5m";

/** Where the sink keeps what a client pushed: `<root_fs>/<client identity>/` (zrepl v0.7.0 sink job). */
export function sinkClientPrefix(sinkRootFs: string, clientCn: string): string {
  return `${sinkRootFs}/${clientCn}/`;
}

/**
 * The sink datasets the check lists, one per included filter of the push job, in zrepl's own syntax: `tank/garage<`
 * (the dataset and everything below it) → `<root_fs>/<cn>/tank/garage<`, `tank/x` → `<root_fs>/<cn>/tank/x`, `<`
 * (everything) → `<root_fs>/<cn><`. Excluded filters are left out (what they exclude is not received).
 */
export function sinkCheckDatasets(filesystems: ZreplFilesystems, sinkRootFs: string, clientCn: string): string[] {
  const prefix = sinkClientPrefix(sinkRootFs, clientCn);
  return Object.entries(filesystems)
    .filter(([, included]) => included)
    .map(([filter]) => (filter === "<" ? `${prefix.slice(0, -1)}<` : `${prefix}${filter}`))
    .sort();
}

/** The expected datasets without zrepl's `<` (their names on the sink, the `dataset` label of the readable series). */
export function sinkCheckRoots(datasets: readonly string[]): string[] {
  return datasets.map((d) => d.replace(/<$/, ""));
}

export interface SinkCheckArgs {
  /** The zrepl image: its zfs CLI matches the node's OpenZFS. */
  readonly image: string;
  /** node_exporter image serving the text file. */
  readonly exporterImage: string;
  /** Seconds between two checks. */
  readonly intervalSeconds: number;
  /** {@link sinkCheckDatasets}. */
  readonly datasets: readonly string[];
  /** {@link sinkClientPrefix}. */
  readonly clientPrefix: string;
}

/** The check container's command: sink-check.sh inline, `every <seconds> <file> <prefix> zrepl_ <datasets...>`. */
export function sinkCheckCommand(args: SinkCheckArgs): string[] {
  if (args.datasets.length === 0) throw new Error("sink check: no dataset to check (the push job includes none)");
  return [
    "/bin/sh",
    "-c",
    SINK_CHECK_SCRIPT,
    SINK_CHECK_K8S.checkContainer,
    "every",
    String(args.intervalSeconds),
    `${SINK_CHECK_K8S.dir}/${SINK_CHECK_K8S.file}`,
    args.clientPrefix,
    ZREPL_SNAPSHOT_PREFIX,
    ...args.datasets,
  ];
}

/** node_exporter v1.12.1 flags (node_exporter.go, collector/textfile.go, exporter-toolkit's web.listen-address). */
export function sinkCheckExporterArgs(): string[] {
  return [
    "--collector.disable-defaults",
    "--collector.textfile",
    `--collector.textfile.directory=${SINK_CHECK_K8S.dir}`,
    "--web.disable-exporter-metrics",
    `--web.listen-address=:${SINK_CHECK_K8S.port}`,
  ];
}

/** The two containers and the emptyDir to add to the sink pod. `devZfsVolume` is the pod's /dev/zfs hostPath volume. */
export function sinkCheckPodParts(args: SinkCheckArgs, devZfsVolume: string): { containers: k8s.types.input.core.v1.Container[]; volumes: k8s.types.input.core.v1.Volume[] } {
  const mount = { name: SINK_CHECK_K8S.volume, mountPath: SINK_CHECK_K8S.dir };
  return {
    containers: [
      {
        name: SINK_CHECK_K8S.checkContainer,
        image: args.image,
        command: sinkCheckCommand(args),
        // Privileged only for /dev/zfs (see the module comment); nothing else of the host is mounted.
        securityContext: { privileged: true, runAsUser: 0, readOnlyRootFilesystem: true },
        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
        volumeMounts: [{ name: devZfsVolume, mountPath: "/dev/zfs" }, mount],
      },
      {
        name: SINK_CHECK_K8S.exporterContainer,
        image: args.exporterImage,
        args: sinkCheckExporterArgs(),
        ports: [{ name: SINK_CHECK_K8S.portName, containerPort: SINK_CHECK_K8S.port, protocol: "TCP" }],
        securityContext: { ...RESTRICTED_CONTAINER, runAsUser: 65534, runAsGroup: 65534, readOnlyRootFilesystem: true },
        resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } },
        volumeMounts: [{ ...mount, readOnly: true }],
      },
    ],
    volumes: [{ name: SINK_CHECK_K8S.volume, emptyDir: { sizeLimit: "16Mi" } }],
  };
}

/** The zrepl flow's keys the sink check is checked against. */
export interface SinkCheckConfig {
  readonly flows: { readonly zrepl: { readonly enabled: boolean; readonly lagThreshold: string; readonly sinkCheck: { readonly enabled: boolean; readonly interval: string } } };
}

/** A check interval longer than the lag threshold would notice a stale dataset later than the job's own lag alert. */
export function sinkCheckProblems(cfg: SinkCheckConfig): ConfigProblem[] {
  const z = cfg.flows.zrepl;
  if (!z.enabled || !z.sinkCheck.enabled) return [];
  const interval = parseZreplDuration(z.sinkCheck.interval);
  const lag = parseZreplDuration(z.lagThreshold);
  if (interval === undefined || lag === undefined || interval <= lag) return [];
  return [
    {
      path: "flows.zrepl.sinkCheck.interval",
      value: z.sinkCheck.interval,
      message: `is longer than flows.zrepl.lagThreshold '${z.lagThreshold}': a dataset falling behind would be noticed later than the replication lag alert; expected a zrepl duration of at most ${z.lagThreshold}, e.g. '5m'`,
    },
  ];
}
