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
