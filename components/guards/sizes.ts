/** Size floors: a quantity with a unit (checked by the schema) can still be absurdly small. */
import { formatBytes, parseByteQuantity } from "../schema/quantity";
import type { Guard, GuardProblem } from "./types";

const GI = 2 ** 30;
const MI = 2 ** 20;

/** Config key → floor in bytes, hard floor (never overridable) and why. */
export const SIZE_FLOORS = {
  "flows.postgres.dumpVolumeSizeLimit": { bytes: GI, hard: 0, why: "the emptyDir holds the whole pg_dumpall output; when the dump outgrows it the kubelet evicts the Postgres pod" },
  "velero.nodeAgent.memoryLimit": { bytes: GI, hard: 512 * MI, why: "kopia uploads of large volumes get OOM-killed below it (node-agent requests 512Mi; a limit below the request is refused by the API server)" },
  "storage.minio.size": { bytes: GI, hard: 0, why: "the MinIO volume holds every backup of the stack" },
} as const;

export const sizeGuard: Guard = (cfg) => {
  const values: [keyof typeof SIZE_FLOORS, string | undefined][] = [
    ["flows.postgres.dumpVolumeSizeLimit", cfg.flows.postgres.enabled ? cfg.flows.postgres.dumpVolumeSizeLimit : undefined],
    ["velero.nodeAgent.memoryLimit", cfg.velero.nodeAgent.memoryLimit],
    ["storage.minio.size", cfg.storage.minio?.deploy ? cfg.storage.minio.size : undefined],
  ];
  return values.flatMap(([path, value]): GuardProblem[] => {
    const bytes = value === undefined ? undefined : parseByteQuantity(value);
    if (bytes === undefined) return [];
    const { bytes: floor, hard, why } = SIZE_FLOORS[path];
    if (bytes < hard) return [{ path, value, message: `is below ${formatBytes(hard)}: ${why}` }];
    return bytes < floor ? [{ path, value, overridable: true, message: `is below ${formatBytes(floor)}: ${why}` }] : [];
  });
};
