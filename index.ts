/**
 * cluster-backup: reads the stack config once, wires the components, exports what other stacks read.
 */
import { loadConfig } from "./components/config";
import { clusterProvider } from "./components/cluster";

const cfg = loadConfig();
const provider = clusterProvider(cfg);
void provider;

/** The environment this stack deploys (`dev`, `staging`, `prod`). */
export const environment = cfg.environment;
/** Namespace of Velero; the velero CLI needs `-n <it>`. */
export const veleroNamespace = cfg.velero.namespace;
/** Lines the offline plan adds to summary.md. */
export const summaryNotes: string[] = [];
