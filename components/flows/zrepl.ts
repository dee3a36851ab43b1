/**
 * The zrepl flow: the push job on the Garage node replicating to the sink on the backup node (components/zrepl), with
 * its facts read from the very zrepl configs the component renders. Pure.
 */
import { zreplSinkTarget } from "../monitoring/zrepl-sink";
import { SINK_CHECK_METRICS } from "../zrepl/sink-check";
import { RUNBOOK_ANCHORS } from "../runbook-anchors";
import { METRICS, selector } from "../monitoring/rules";
import { buildZreplPushConfig, buildZreplSinkConfig, ZREPL_PUSH_JOB, type ZreplFilesystems, type ZreplPushJob, type ZreplSinkJob } from "../zrepl/config";
import { gridSpanSeconds, parseGrid, parseZreplDuration } from "../zrepl/grid";
import { roughDuration } from "./text";
import { daemonSetWatch, objectRef } from "./watches";
import type { Flow, ZreplJobWatch, ZreplSinkWatch } from "./types";

/** What the zrepl flow is built from (components/zrepl/replication.ts's args with defaults applied, and its names). */
export interface ZreplFlowArgs {
  readonly namespace: string;
  /** The push and sink DaemonSets (`ZREPL_K8S.push`, `ZREPL_K8S.sink`). */
  readonly pushDaemonSet: string;
  readonly sinkDaemonSet: string;
  /** host:port of the sink Service the push job dials. */
  readonly sinkAddress: string;
  readonly serverCn: string;
  readonly sourceNode: string;
  readonly sinkNode: string;
  readonly sourceFilesystems: ZreplFilesystems;
  readonly sinkRootFs: string;
  readonly clientCn: string;
  /** zrepl durations. */
  readonly snapshotInterval: string;
  readonly lagThreshold: string;
  readonly keepSenderLastN: number;
  readonly receiverGrid: string;
  /** The sink check (flows.zrepl.sinkCheck), when it runs: its interval and the sink datasets it lists. */
  readonly sinkCheck?: { readonly intervalSeconds: number; readonly datasets: readonly string[] };
}

export function zreplFlow(args: ZreplFlowArgs): Flow {
  const push = buildZreplPushConfig({
    sinkAddress: args.sinkAddress,
    serverCn: args.serverCn,
    filesystems: args.sourceFilesystems,
    snapshotInterval: args.snapshotInterval,
    keepSenderLastN: args.keepSenderLastN,
    receiverGrid: args.receiverGrid,
  }).jobs?.[0] as ZreplPushJob;
  const sink = buildZreplSinkConfig({ rootFs: args.sinkRootFs, clientCns: [args.clientCn] }).jobs?.[0] as ZreplSinkJob;
  const filesystems = Object.entries(push.filesystems).filter(([, on]) => on).map(([fs]) => fs);
  const rpoSeconds = parseZreplDuration(args.snapshotInterval) ?? 0;
  // zrepl stores a received filesystem at <root_fs>/<client identity>/<source path> (docs/design.md §2(d)).
  const sourceRoot = filesystems.length === 1 ? filesystems[0].replace(/<$/, "") : undefined;
  const dataset = `${sink.root_fs}/${args.clientCn}/${sourceRoot ? `${sourceRoot}/…` : "<source dataset>"}`;
  const pushRef = objectRef("DaemonSet", args.namespace, args.pushDaemonSet);
  const sinkRef = objectRef("DaemonSet", args.namespace, args.sinkDaemonSet);
  const job: ZreplJobWatch = {
    kind: "zrepl-job",
    flow: "zrepl",
    job: ZREPL_PUSH_JOB,
    object: pushRef,
    intervalSeconds: rpoSeconds,
    lagSeconds: parseZreplDuration(args.lagThreshold) ?? 0,
    anchor: RUNBOOK_ANCHORS.garageDataZrepl,
    metric: selector(METRICS.zreplLastSuccess, { zrepl_job: ZREPL_PUSH_JOB }),
  };
  const sinkCheck: ZreplSinkWatch[] = args.sinkCheck
    ? [
        {
          kind: "zrepl-sink",
          flow: "zrepl",
          object: sinkRef,
          anchor: RUNBOOK_ANCHORS.garageDataZrepl,
          metric: SINK_CHECK_METRICS.newestSnapshot,
          target: zreplSinkTarget({
            namespace: args.namespace,
            daemonSet: args.sinkDaemonSet,
            pushDaemonSet: args.pushDaemonSet,
            pushJob: ZREPL_PUSH_JOB,
            datasets: args.sinkCheck.datasets,
            checkIntervalSeconds: args.sinkCheck.intervalSeconds,
            snapshotIntervalSeconds: job.intervalSeconds,
            lagSeconds: job.lagSeconds,
            anchor: RUNBOOK_ANCHORS.garageDataZrepl,
          }),
        },
      ]
    : [];
  const watches = [
    job,
    daemonSetWatch("zrepl", pushRef, `zrepl push job ${ZREPL_PUSH_JOB} on the Garage node`, RUNBOOK_ANCHORS.garageDataZrepl),
    daemonSetWatch("zrepl", sinkRef, "zrepl sink on the backup node", RUNBOOK_ANCHORS.garageDataZrepl),
    ...sinkCheck,
  ];
  const canmount = sink.recv?.properties?.override?.canmount;
  return {
    id: "zrepl",
    configPath: "flows.zrepl",
    mechanism: "zrepl",
    objects: [pushRef, sinkRef],
    selection: {
      include: [],
      exclude: [],
      clusterResources: false,
      volumes: "zfs",
      storage: "zfs",
      text: `ZFS datasets ${filesystems.map((f) => `\`${f}\``).join(", ")} on node \`${args.sourceNode}\``,
    },
    source: { node: args.sourceNode, datasets: filesystems },
    schedule: { everySeconds: rpoSeconds, text: `every ${push.snapshotting.interval}` },
    rpoSeconds,
    retention: {
      text: `sink: grid \`${args.receiverGrid}\`; source: not yet replicated + last ${args.keepSenderLastN} (≈${roughDuration(args.keepSenderLastN * rpoSeconds)})`,
      oldestRestorePointSeconds: gridSpanSeconds(parseGrid(args.receiverGrid)),
    },
    destination: {
      kind: "zfs-sink",
      node: args.sinkNode,
      dataset,
      replicaRoot: `${sink.root_fs}/${args.clientCn}`,
      address: push.connect.address,
      immutability: `separate node; snapshots removed only by the receiver grid${canmount ? `; received datasets \`canmount=${canmount}\`` : ""}`,
    },
    encryption: push.send?.encrypted
      ? "raw encrypted send: the sink stores the source's ZFS encryption, keys stay on the source"
      : "TLS in transit (mutual, own CA); at rest as plain datasets on the sink (send.encrypted: false)",
    watches,
    verifiedBy: [],
    metrics: watches.map((w) => w.metric),
    anchor: RUNBOOK_ANCHORS.garageDataZrepl,
  };
}
