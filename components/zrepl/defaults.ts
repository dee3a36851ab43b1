/** Defaults of the zrepl flow (docs/design.md §3.7), shared by the config schema and the component's optional args. */
import type { ZreplFilesystems } from "./config";

export const ZREPL_DEFAULTS = {
  namespace: "zrepl",
  sourceFilesystems: { "tank/garage<": true } as ZreplFilesystems,
  sinkRootFs: "wdc/zrepl",
  clientCn: "garage",
  serverCn: "zrepl-sink",
  snapshotInterval: "10m",
  keepSenderLastN: 10,
  receiverGrid: "1x1h(keep=all) | 24x1h | 30x1d | 6x30d",
} as const;
