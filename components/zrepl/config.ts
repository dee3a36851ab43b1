/**
 * The zrepl v0.7 configuration files of the Garage replication (docs/design.md §2(d), §3.7), built as typed objects by pure
 * functions and serialised with the `yaml` package.
 *
 * The interfaces mirror the structs of zrepl v0.7.0 `internal/config/config.go` (and `retentiongrid.go`), limited to
 * the job, transport and rule types this program writes. zrepl decodes the file with `yaml.UnmarshalStrict`: an
 * unknown key is an error, and a field without `optional`/`default=` in its struct tag is required and must not be a
 * zero value (empty string, list or map, or 0). Optional fields are marked `?` here with zrepl's default.
 */
import { stringify } from "yaml";
import { parseGrid, parseZreplDuration } from "./grid";

/** Where the DaemonSets mount things (the container paths the generated file refers to). */
export const ZREPL_PATHS = {
  /** The config file (ConfigMap key {@link ZREPL_CONFIG_KEY}, subPath mount); the image's entrypoint reads it too. */
  config: "/etc/zrepl/zrepl.yml",
  /** TLS Secret mount. */
  tlsDir: "/etc/zrepl/tls",
  /** Runtime directory (control socket, stdinserver sockets); zrepl refuses it when it is world-accessible. */
  runDir: "/var/run/zrepl",
} as const;

/** Key of the config file in the ConfigMaps. */
export const ZREPL_CONFIG_KEY = "zrepl.yml";
/** Files of the TLS Secrets (Kubernetes `kubernetes.io/tls` names). */
export const ZREPL_TLS_FILES = { ca: "ca.crt", cert: "tls.crt", key: "tls.key" } as const;
/** TLS listener of the sink. */
export const ZREPL_PORT = 8888;
/** Prometheus listener of both daemons (`/metrics`). */
export const ZREPL_METRICS_PORT = 9811;
/** Prefix of the snapshots zrepl takes; every keep rule that means "zrepl's snapshots" uses {@link ZREPL_SNAPSHOT_REGEX}. */
export const ZREPL_SNAPSHOT_PREFIX = "zrepl_";
/** Matches exactly the snapshots zrepl takes (and nothing of Velero's `snapshot-<uid>` or manual snapshots). */
export const ZREPL_SNAPSHOT_REGEX = `^${ZREPL_SNAPSHOT_PREFIX}.*`;
/** Push job name: zrepl keys replication cursors and step holds on it, so it must never change (zrepl#327). */
export const ZREPL_PUSH_JOB = "garage_push";
/** Sink job name. */
export const ZREPL_SINK_JOB = "sink";

// ---------------------------------------------------------------------------------------------------------------
// zrepl v0.7.0 config types (internal/config/config.go)

/** `global.logging[]` of `type: stdout` (StdoutLoggingOutlet). */
export interface ZreplStdoutLogging {
  readonly type: "stdout";
  /** Required (internal/logger). */
  readonly level: "debug" | "info" | "warn" | "error";
  /** Required (internal/daemon/logging parseLogFormat). */
  readonly format: "human" | "logfmt" | "json";
  /** Default true. */
  readonly time?: boolean;
  /** Default true (colour is off anyway when stdout is no terminal). */
  readonly color?: boolean;
}

/** `global.monitoring[]` of `type: prometheus` (PrometheusMonitoring); at most one. */
export interface ZreplPrometheusMonitoring {
  readonly type: "prometheus";
  /** Required, host:port (`:9811`); serves `/metrics`. */
  readonly listen: string;
  /** Default false. */
  readonly listen_freebind?: boolean;
}

/** `global` (Global); every field optional. */
export interface ZreplGlobal {
  /** Default: one stdout outlet, level warn, format human. */
  readonly logging?: readonly ZreplStdoutLogging[];
  readonly monitoring?: readonly ZreplPrometheusMonitoring[];
  /** Default sockpath `/var/run/zrepl/control`. */
  readonly control?: { readonly sockpath?: string };
  /** Default sockdir `/var/run/zrepl/stdinserver`. */
  readonly serve?: { readonly stdinserver?: { readonly sockdir?: string } };
}

/** `connect` of `type: tls` (TLSConnect). Every field but `dial_timeout` is required. */
export interface ZreplTlsConnect {
  readonly type: "tls";
  /** host:port of the sink. */
  readonly address: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** Name the server certificate must carry (as a DNS SAN); overrides the host of `address` for verification. */
  readonly server_cn: string;
  /** Go duration, default `10s`. */
  readonly dial_timeout?: string;
}

/** `serve` of `type: tls` (TLSServe). */
export interface ZreplTlsServe {
  readonly type: "tls";
  /** host:port, e.g. `:8888`. */
  readonly listen: string;
  /** Default false. */
  readonly listen_freebind?: boolean;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** Client certificate CNs allowed in; each is also the client identity (data lands in `root_fs/<cn>/...`). */
  readonly client_cns: readonly string[];
  /** Go duration, default `10s`. */
  readonly handshake_timeout?: string;
}

/** `filesystems` (FilesystemsFilter): dataset path, `<` suffix for the subtree, → included. */
export type ZreplFilesystems = Readonly<Record<string, boolean>>;

/** `send` (SendOptions); all optional, all default false. */
export interface ZreplSendOptions {
  readonly encrypted?: boolean;
  readonly raw?: boolean;
  readonly send_properties?: boolean;
  readonly backup_properties?: boolean;
  readonly large_blocks?: boolean;
  readonly compressed?: boolean;
  readonly embedded_data?: boolean;
  readonly saved?: boolean;
}

/** `snapshotting` of `type: periodic` (SnapshottingPeriodic). */
export interface ZreplPeriodicSnapshotting {
  readonly type: "periodic";
  /** Required, non-empty. */
  readonly prefix: string;
  /** Required; zrepl duration (one number + s/m/h/d/w). */
  readonly interval: string;
  /** Default `dense`. */
  readonly timestamp_format?: string;
  /** Default `UTC`. */
  readonly timestamp_location?: string;
}

/** Keep rules (PruningEnum). A snapshot is destroyed only when no rule of the list keeps it. */
export type ZreplKeepRule =
  /** PruneKeepNotReplicated: keeps what is not yet on the receiver; `keep_snapshot_at_cursor` default true. */
  | { readonly type: "not_replicated"; readonly keep_snapshot_at_cursor?: boolean }
  /** PruneKeepLastN: `count` required (> 0); `regex` optional (empty matches all; non-matching ones are not kept). */
  | { readonly type: "last_n"; readonly count: number; readonly regex?: string }
  /** PruneGrid: both required (NewKeepGrid: "Regex must not be empty"). */
  | { readonly type: "grid"; readonly grid: string; readonly regex: string }
  /** PruneKeepRegex: `regex` required; `negate` default false. */
  | { readonly type: "regex"; readonly regex: string; readonly negate?: boolean };

/** `pruning` of active jobs (PruningSenderReceiver): both lists required and non-empty. */
export interface ZreplSenderReceiverPruning {
  readonly keep_sender: readonly ZreplKeepRule[];
  /** Evaluated on the active side, i.e. here in the push job, not in the sink. */
  readonly keep_receiver: readonly ZreplKeepRule[];
}

/** A job of `type: push` (PushJob = ActiveJob inline + own fields). */
export interface ZreplPushJob {
  readonly name: string;
  readonly type: "push";
  readonly connect: ZreplTlsConnect;
  readonly filesystems: ZreplFilesystems;
  /** Optional (fromdefaults). */
  readonly send?: ZreplSendOptions;
  readonly snapshotting: ZreplPeriodicSnapshotting;
  readonly pruning: ZreplSenderReceiverPruning;
}

/** `recv` (RecvOptions); every part optional (fromdefaults). */
export interface ZreplRecvOptions {
  readonly properties?: {
    /** Properties to `zfs recv -x`. */
    readonly inherit?: readonly string[];
    /** Properties to `zfs recv -o`. */
    readonly override?: Readonly<Record<string, string>>;
  };
  readonly placeholder?: {
    /** Default `unspecified`, which fails as soon as a placeholder must be created. */
    readonly encryption?: "unspecified" | "inherit" | "off";
  };
}

/** A job of `type: sink` (SinkJob = PassiveJob inline + own fields); it has no pruning of its own. */
export interface ZreplSinkJob {
  readonly name: string;
  readonly type: "sink";
  /** Required; must exist on the sink node. Each client's data lands in `<root_fs>/<client identity>/<source path>`. */
  readonly root_fs: string;
  readonly serve: ZreplTlsServe;
  readonly recv?: ZreplRecvOptions;
}

/** A whole zrepl.yml (Config). */
export interface ZreplConfig {
  readonly global?: ZreplGlobal;
  readonly jobs?: readonly (ZreplPushJob | ZreplSinkJob)[];
}

// ---------------------------------------------------------------------------------------------------------------
// Builders

/** The same `global` for both daemons: human logs on stdout (level info), Prometheus on :9811. */
function global(): ZreplGlobal {
  return {
    logging: [{ type: "stdout", level: "info", format: "human" }],
    monitoring: [{ type: "prometheus", listen: `:${ZREPL_METRICS_PORT}` }],
  };
}

const tlsFiles = () => ({
  ca: `${ZREPL_PATHS.tlsDir}/${ZREPL_TLS_FILES.ca}`,
  cert: `${ZREPL_PATHS.tlsDir}/${ZREPL_TLS_FILES.cert}`,
  key: `${ZREPL_PATHS.tlsDir}/${ZREPL_TLS_FILES.key}`,
});

export interface ZreplPushConfigArgs {
  /** host:port the push job dials, e.g. `zrepl-sink.zrepl.svc.cluster.local:8888`. */
  readonly sinkAddress: string;
  /** Name the sink certificate carries as CN and DNS SAN (`server_cn`). */
  readonly serverCn: string;
  /** Datasets to replicate, e.g. `{"tank/garage<": true}`; at least one must be included. */
  readonly filesystems: ZreplFilesystems;
  /** Snapshot interval, zrepl duration such as `10m`. */
  readonly snapshotInterval: string;
  /** How many zrepl snapshots the sender keeps besides the unreplicated ones. */
  readonly keepSenderLastN: number;
  /** Receiver retention grid, e.g. `1x1h(keep=all) | 24x1h | 30x1d | 6x30d`. */
  readonly receiverGrid: string;
}

/**
 * The push job on the Garage node. Sender pruning keeps what is not replicated yet, the last N zrepl snapshots, and
 * every snapshot zrepl did not take (the ZFS-LocalPV `snapshot-<uid>` snapshots of garage-data-zfs would otherwise be
 * destroyed: a snapshot no rule keeps is destroyed). Receiver pruning (the grid) lives here too: keep rules are
 * evaluated on the active side. Throws on arguments zrepl would reject.
 */
export function buildZreplPushConfig(args: ZreplPushConfigArgs): ZreplConfig {
  if (!Object.values(args.filesystems).some((included) => included)) {
    throw new Error(`zrepl push: filesystems ${JSON.stringify(args.filesystems)} include no dataset; expected e.g. {"tank/garage<": true}`);
  }
  if (parseZreplDuration(args.snapshotInterval) === undefined) {
    throw new Error(`zrepl push: snapshot interval '${args.snapshotInterval}' is no zrepl duration; expected one positive number with unit s, m, h, d or w, e.g. '10m'`);
  }
  if (!Number.isInteger(args.keepSenderLastN) || args.keepSenderLastN < 1) {
    throw new Error(`zrepl push: keepSenderLastN ${args.keepSenderLastN} must be an integer of at least 1`);
  }
  parseGrid(args.receiverGrid);
  const job: ZreplPushJob = {
    name: ZREPL_PUSH_JOB,
    type: "push",
    connect: { type: "tls", address: args.sinkAddress, ...tlsFiles(), server_cn: args.serverCn, dial_timeout: "10s" },
    filesystems: { ...args.filesystems },
    send: { encrypted: false },
    snapshotting: { type: "periodic", prefix: ZREPL_SNAPSHOT_PREFIX, interval: args.snapshotInterval },
    pruning: {
      keep_sender: [
        { type: "not_replicated" },
        { type: "last_n", count: args.keepSenderLastN, regex: ZREPL_SNAPSHOT_REGEX },
        { type: "regex", negate: true, regex: ZREPL_SNAPSHOT_REGEX },
      ],
      keep_receiver: [{ type: "grid", grid: args.receiverGrid, regex: ZREPL_SNAPSHOT_REGEX }],
    },
  };
  return { global: global(), jobs: [job] };
}

export interface ZreplSinkConfigArgs {
  /** Existing dataset on the sink node below which each client gets `<client CN>/<source path>`, e.g. `wdc/zrepl`. */
  readonly rootFs: string;
  /** CNs of the client certificates allowed to push (at least one). */
  readonly clientCns: readonly string[];
}

/**
 * The sink job on the backup node: TLS on :8888 for the given client CNs, received datasets never mounted
 * (`canmount=noauto`), placeholders for filter gaps created with inherited encryption (the default `unspecified`
 * fails). Throws on arguments zrepl would reject.
 */
export function buildZreplSinkConfig(args: ZreplSinkConfigArgs): ZreplConfig {
  if (args.clientCns.length === 0) throw new Error("zrepl sink: expected at least one client CN (client_cns must not be empty)");
  if (args.rootFs.length === 0) throw new Error("zrepl sink: expected a root_fs dataset such as 'wdc/zrepl'");
  const job: ZreplSinkJob = {
    name: ZREPL_SINK_JOB,
    type: "sink",
    root_fs: args.rootFs,
    serve: { type: "tls", listen: `:${ZREPL_PORT}`, ...tlsFiles(), client_cns: [...args.clientCns] },
    recv: {
      properties: { override: { canmount: "noauto" } },
      placeholder: { encryption: "inherit" },
    },
  };
  return { global: global(), jobs: [job] };
}

/**
 * zrepl.yml text. zrepl reads YAML 1.1 (go-yaml v2): emitting as 1.1 quotes keys such as `on`/`yes` that 1.1 would read
 * as booleans, and every string value is double-quoted so none (`:9811`, `^zrepl_.*`) depends on plain-scalar rules.
 */
export function renderZreplConfig(config: ZreplConfig): string {
  return stringify(config, { version: "1.1", defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN", lineWidth: 0 });
}
