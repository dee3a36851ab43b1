/** Small text forms the inventory and its readers share. Pure. */

/** A label selector's matchLabels in `k=v,k2=v2` form (as `velero --selector` and `kubectl -l` take it). */
export function matchLabelsText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/** `24h`, `7d`, `211d`, `100m`: whole units, rounded where a duration is not a whole number of them. */
export function roughDuration(seconds: number): string {
  if (seconds >= 2 * 86400) return `${Math.round(seconds / 86400)}d`;
  if (seconds >= 2 * 3600) return `${Math.round(seconds / 3600)}h`;
  if (seconds >= 120) return `${Math.round(seconds / 60)}m`;
  return `${seconds}s`;
}
