/**
 * Go `time.Duration` strings as Velero writes them in `ttl` and timeouts (`720h0m0s`, `30m`, `1h30m`). Only the
 * units h, m and s: Velero's ttl has no day unit.
 */
const GO_DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Seconds of a Go duration, or undefined when the text is not of that form. */
export function parseGoDuration(text: string): number | undefined {
  const match = GO_DURATION.exec(text);
  if (!match || text === "") return undefined;
  const [, h, m, s] = match;
  return Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0);
}

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
