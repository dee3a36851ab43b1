import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../components/config";
import { configProblems, rawConfig } from "./harness";

/** A prod config with only the zrepl flow on. */
const zrepl = {
  enabled: true,
  image: "ghcr.io/skaronator/zrepl@sha256:" + "a".repeat(64),
  sourceNode: "node-garage-1",
  sinkNode: "backup-1",
};
const base = { environment: "prod", kubernetes: { context: "prod-admin" } };

/** The raw config of a prod stack with only the zrepl flow on. */
function raw(flow: Record<string, unknown>): Record<string, string> {
  return rawConfig({ ...base, flows: { tenants: { enabled: false }, zrepl: flow } });
}

function parse(flow: Record<string, unknown>) {
  return parseStackConfig(raw(flow), new Set(), "prod");
}

function problems(flow: Record<string, unknown>): string[] {
  return configProblems(raw(flow), [], "prod");
}

const GRID_EXAMPLE = "expected e.g. '1x1h(keep=all) | 24x1h | 30x1d | 6x30d'";
const DURATION = "expected a zrepl duration: one positive number with unit s, m, h, d or w, e.g. '10m' (no compound values such as '1h30m')";

describe("flows.zrepl config", () => {
  it("fills the defaults of docs/design.md §1/§3.7", () => {
    expect(parse(zrepl).flows.zrepl).toEqual({
      ...zrepl,
      namespace: "zrepl",
      sourceFilesystems: { "tank/garage<": true },
      sinkRootFs: "wdc/zrepl",
      clientCn: "garage",
      serverCn: "zrepl-sink",
      snapshotInterval: "10m",
      keepSenderLastN: 10,
      receiverGrid: "1x1h(keep=all) | 24x1h | 30x1d | 6x30d",
      lagThreshold: "1h",
      sinkCheck: { enabled: true, exporterImage: "quay.io/prometheus/node-exporter:v1.12.1", interval: "5m" },
    });
  });

  it("accepts keep=N grids and grids that shorten after keep=all intervals", () => {
    expect(problems({ ...zrepl, receiverGrid: "1x1d(keep=all) | 6x1h(keep=2) | 30x1d" })).toEqual([]);
  });

  it("accepts several filters, exclusions and the match-all filter", () => {
    expect(problems({ ...zrepl, sourceFilesystems: { "tank/garage<": true, "tank/garage/tmp<": false, "tank/other": true } })).toEqual([]);
    expect(problems({ ...zrepl, sourceFilesystems: { "<": true } })).toEqual([]);
  });

  it("does not require nodes or an image while zrepl is off", () => {
    expect(problems({ enabled: false })).toEqual([]);
  });

  it("rejects a malformed grid", () => {
    expect(problems({ ...zrepl, receiverGrid: "24x1h | x1d" })).toEqual([
      `cluster-backup:flows.zrepl.receiverGrid: grid interval 2 of 2 'x1d' is not of the form '<count>x<duration>' or '<count>x<duration>(keep=<n>|keep=all)'; ${GRID_EXAMPLE} (got "24x1h | x1d")`,
    ]);
  });

  it("rejects a grid whose intervals get shorter", () => {
    expect(problems({ ...zrepl, receiverGrid: "24x1h | 30x1d | 7x1h" })).toEqual([
      `cluster-backup:flows.zrepl.receiverGrid: grid interval 3 of 3 '7x1h' is shorter (1h) than the interval before it (1d); zrepl requires interval lengths that never decrease, except after intervals that are all '(keep=all)'; ${GRID_EXAMPLE} (got "24x1h | 30x1d | 7x1h")`,
    ]);
  });

  it("rejects keep=0, which makes zrepl's pruner panic", () => {
    expect(problems({ ...zrepl, receiverGrid: "24x1h(keep=0)" })).toEqual([
      `cluster-backup:flows.zrepl.receiverGrid: grid interval 1 of 1 '24x1h(keep=0)' has parameter '(keep=0)'; expected '(keep=all)' or '(keep=<n>)' with n at least 1, without blanks; ${GRID_EXAMPLE} (got "24x1h(keep=0)")`,
    ]);
  });

  it("rejects a compound grid duration", () => {
    expect(problems({ ...zrepl, receiverGrid: "24x1h30m" })).toEqual([
      `cluster-backup:flows.zrepl.receiverGrid: grid interval 1 of 1 '24x1h30m' has duration '1h30m'; expected one positive number with unit s, m, h, d or w, e.g. '1h' (no compound values such as '1h30m'); ${GRID_EXAMPLE} (got "24x1h30m")`,
    ]);
  });

  it.each(["1h30m", "10 minutes", "0m", "1.5h", "600"])("rejects the snapshot interval %j", (interval) => {
    expect(problems({ ...zrepl, snapshotInterval: interval })).toEqual([`cluster-backup:flows.zrepl.snapshotInterval: ${DURATION} (got ${JSON.stringify(interval)})`]);
  });

  it("rejects a lag threshold zrepl cannot parse and one not longer than the snapshot interval", () => {
    expect(problems({ ...zrepl, lagThreshold: "1h30m" })).toEqual([`cluster-backup:flows.zrepl.lagThreshold: ${DURATION} (got "1h30m")`]);
    expect(problems({ ...zrepl, snapshotInterval: "1h", lagThreshold: "60m" })).toEqual([
      `cluster-backup:flows.zrepl.lagThreshold: is not longer than flows.zrepl.snapshotInterval '1h': replication runs once per interval, so the lag alert would fire between runs; expected a zrepl duration longer than 1h (got "60m")`,
    ]);
  });

  it("rejects the same node for sender and sink", () => {
    expect(problems({ ...zrepl, sinkNode: "node-garage-1" })).toEqual([
      `cluster-backup:flows.zrepl.sinkNode: is the same node as flows.zrepl.sourceNode; a replica on the same node is no off-node copy (got "node-garage-1")`,
    ]);
  });

  it("rejects an empty dataset filter and one that excludes everything", () => {
    expect(problems({ ...zrepl, sourceFilesystems: {} })).toEqual([
      "cluster-backup:flows.zrepl.sourceFilesystems: includes no dataset; expected e.g. {'tank/garage<': true} (got {})",
    ]);
    expect(problems({ ...zrepl, sourceFilesystems: { "tank/garage<": false, "tank/other": false } })).toEqual([
      `cluster-backup:flows.zrepl.sourceFilesystems: includes no dataset; expected e.g. {'tank/garage<': true} (got {"tank/garage<":false,"tank/other":false})`,
    ]);
  });

  it("rejects filter keys zrepl cannot parse", () => {
    expect(problems({ ...zrepl, sourceFilesystems: { "tank/garage<": true, "tank/<garage": true, "/tank": true } })).toEqual([
      `cluster-backup:flows.zrepl.sourceFilesystems.tank/<garage: is not a zrepl dataset filter; expected a dataset path, optionally ending in '<' for the dataset and everything below it, e.g. 'tank/garage<' (got "tank/<garage")`,
      `cluster-backup:flows.zrepl.sourceFilesystems./tank: is not a zrepl dataset filter; expected a dataset path, optionally ending in '<' for the dataset and everything below it, e.g. 'tank/garage<' (got "/tank")`,
    ]);
  });

  it("requires the image and both nodes when enabled", () => {
    expect(problems({ enabled: true })).toEqual([
      "cluster-backup:flows.zrepl.image: zrepl has no official image; expected a pinned image whose zfsutils match the nodes, e.g. 'ghcr.io/skaronator/zrepl@sha256:<digest>'",
      "cluster-backup:flows.zrepl.sourceNode: expected the node name (kubernetes.io/hostname) holding the Garage data pool",
      "cluster-backup:flows.zrepl.sinkNode: expected the node name (kubernetes.io/hostname) of the backup node",
    ]);
  });

  it("rejects identities and names that cannot become certificates, datasets or node selectors", () => {
    expect(problems({ ...zrepl, clientCn: "garage/node-1" })).toEqual([
      `cluster-backup:flows.zrepl.clientCn: expected a client identity, one ZFS dataset name component (letters, digits, '.', '_', '-'; no '/'), e.g. 'garage' (got "garage/node-1")`,
    ]);
    expect(problems({ ...zrepl, serverCn: "Zrepl_Sink" })).toEqual([
      `cluster-backup:flows.zrepl.serverCn: expected a DNS name for the sink certificate (CN and DNS SAN), e.g. 'zrepl-sink' (got "Zrepl_Sink")`,
    ]);
    expect(problems({ ...zrepl, sinkNode: "Backup_1" })).toEqual([
      `cluster-backup:flows.zrepl.sinkNode: expected a node name (the node's kubernetes.io/hostname label), e.g. 'backup-1' (got "Backup_1")`,
    ]);
    expect(problems({ ...zrepl, sinkRootFs: "/wdc/zrepl" })).toEqual([`cluster-backup:flows.zrepl.sinkRootFs: expected a ZFS dataset path such as 'wdc/zrepl' (got "/wdc/zrepl")`]);
  });

  it("rejects unknown keys (no silently ignored typo)", () => {
    expect(problems({ ...zrepl, grid: "24x1h" })).toEqual([
      "cluster-backup:flows.zrepl.grid: unknown key; expected one of: enabled, namespace, image, sourceNode, sinkNode, sourceFilesystems, sinkRootFs, clientCn, serverCn, snapshotInterval, keepSenderLastN, receiverGrid, lagThreshold, sinkCheck",
    ]);
  });
});
