/**
 * zrepl v0.7 duration and retention-grid grammar, so that a value zrepl would refuse at daemon start (or that would
 * make its pruner panic) is refused at `pulumi preview` instead. Mirrors zrepl v0.7.0
 * `internal/config/config_duration.go` (parseDuration), `internal/config/retentiongrid.go`
 * (ParseRetentionIntervalSpec) and `internal/pruning/keep_grid.go` (newKeepGrid).
 */

/**
 * zrepl durations: ONE positive integer and ONE unit `s`, `m`, `h`, `d` (24h) or `w` (7d), e.g. `10m`, `1h`, `30d`.
 * Compound (`1h30m`), fractional, `ms`, `y` and unit-less values are rejected by zrepl (or are not positive). A leading
 * `+`, which zrepl tolerates, is refused here on purpose (one spelling per value).
 */
const ZREPL_DURATION = /^\s*(\d+)\s*(s|m|h|d|w)\s*$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
/** Go's time.Duration holds at most 2^63-1 ns (about 292 years); zrepl multiplies without an overflow check. */
const MAX_SECONDS = Math.floor(9_223_372_036_854_775_807 / 1e9);

/** Seconds of a positive zrepl duration, or undefined when zrepl would reject it (or it is zero). */
export function parseZreplDuration(text: string): number | undefined {
  const match = ZREPL_DURATION.exec(text);
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]];
  return seconds > 0 && seconds <= MAX_SECONDS ? seconds : undefined;
}

/** A zrepl duration written back with its largest exact unit (`3600` → `1h`), for messages. */
export function formatZreplDuration(seconds: number): string {
  for (const unit of ["w", "d", "h", "m"] as const) {
    if (seconds % UNIT_SECONDS[unit] === 0) return `${seconds / UNIT_SECONDS[unit]}${unit}`;
  }
  return `${seconds}s`;
}

/** One `<count>x<length>[(keep=<n>|keep=all)]` entry of a grid. */
export interface GridInterval {
  /** How many consecutive intervals of this length. */
  readonly count: number;
  /** Length of each interval in seconds. */
  readonly seconds: number;
  /**
   * Snapshots kept per interval: a positive count (default 1, the oldest ones of the interval) or `"all"` (every
   * snapshot in the interval).
   */
  readonly keep: number | "all";
}

/** zrepl's entry regex (retentiongrid.go), unchanged: count, `x` (lowercase only), duration, optional `(...)`. */
const GRID_ENTRY = /^\s*(\d+)\s*x\s*([^(]+)\s*(\((.*)\))?\s*$/;
/**
 * zrepl's parameter regex is `^\s*keep=(.+)\s*$`, whose greedy group keeps trailing blanks, and the value then has to
 * be exactly `all` or an integer: so no blank around `=` nor before `)`. zrepl accepts `keep=0` and negative counts
 * at start-up and then panics while pruning ("keep count 0 is not allowed"), so only counts ≥ 1 (digits only, no sign)
 * pass here. Checked against zrepl v0.7.0's own parser: these and the `+` signs are the only deliberate differences.
 */
const KEEP_PARAM = /^\s*keep=(all|\d+)$/;

export const GRID_FORM = "'<count>x<duration>' or '<count>x<duration>(keep=<n>|keep=all)'";

/**
 * Parses a grid such as `1x1h(keep=all) | 24x1h | 30x1d | 6x30d` exactly as zrepl v0.7 does; throws an Error naming
 * the bad interval (1-based, as zrepl counts them) and the form expected.
 */
export function parseGrid(grid: string): GridInterval[] {
  const entries = grid.split("|");
  const parsed = entries.map((raw, i): GridInterval => {
    const entry = raw.trim();
    const where = `grid interval ${i + 1} of ${entries.length} '${entry}'`;
    const match = GRID_ENTRY.exec(raw);
    if (!match) throw new Error(`${where} is not of the form ${GRID_FORM}`);
    const count = Number(match[1]);
    if (count < 1) throw new Error(`${where} has count ${match[1]}; expected a count of at least 1`);
    const seconds = parseZreplDuration(match[2]);
    if (seconds === undefined) {
      throw new Error(`${where} has duration '${match[2].trim()}'; expected one positive number with unit s, m, h, d or w, e.g. '1h' (no compound values such as '1h30m')`);
    }
    if (match[3] === undefined) return { count, seconds, keep: 1 };
    const param = KEEP_PARAM.exec(match[4]);
    const keep = param === null ? undefined : param[1] === "all" ? "all" : Number(param[1]);
    if (keep === undefined || keep === 0) {
      throw new Error(`${where} has parameter '${match[3]}'; expected '(keep=all)' or '(keep=<n>)' with n at least 1, without blanks`);
    }
    return { count, seconds, keep };
  });
  // newKeepGrid: an interval may be shorter than the one before it only if every interval before it is keep=all.
  parsed.forEach((interval, i) => {
    if (i === 0 || interval.seconds >= parsed[i - 1].seconds) return;
    if (parsed.slice(0, i).every((earlier) => earlier.keep === "all")) return;
    throw new Error(
      `grid interval ${i + 1} of ${entries.length} '${entries[i].trim()}' is shorter (${formatZreplDuration(interval.seconds)}) than the interval before it ` +
        `(${formatZreplDuration(parsed[i - 1].seconds)}); zrepl requires interval lengths that never decrease, except after intervals that are all '(keep=all)'`,
    );
  });
  return parsed;
}

/** Total time span covered by a grid: the age of the oldest snapshot it can keep. */
export function gridSpanSeconds(grid: readonly GridInterval[]): number {
  return grid.reduce((sum, g) => sum + g.count * g.seconds, 0);
}
