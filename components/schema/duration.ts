/**
 * Go `time.Duration` strings as Velero writes them (`720h0m0s`, `30m`, `1h30m`). Parsing lives with the policy pack
 * (policy/shared/go-duration.ts), which must stay self-contained; formatting is the program's.
 */
export { parseGoDuration } from "../../policy/shared/go-duration";

/** The canonical `XhYmZs` form Velero's API server stores (so the plan shows no perpetual diff). */
export function formatGoDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h}h${m}m${s}s`;
}

/** Human form for summaries: `30d`, `7d`, `36h`, `10m`. */
export function humanDuration(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
