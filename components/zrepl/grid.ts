/**
 * zrepl v0.7 duration and retention-grid grammar (internal/config/config.go, retentiongrid.go), so a grid that zrepl
 * would refuse at daemon start is refused at `pulumi preview` instead.
 */

/** zrepl durations: a positive integer with unit s, m, h, d (24h) or w (7d); e.g. `10m`, `1h`, `30d`. */
const ZREPL_DURATION = /^(\d+)\s*(s|m|h|d|w)$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Seconds of a positive zrepl duration, or undefined when zrepl would reject it. */
export function parseZreplDuration(text: string): number | undefined {
  const match = ZREPL_DURATION.exec(text.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]];
  return seconds > 0 ? seconds : undefined;
}

/** One `<count>x<length>[(keep=all)]` entry of a grid. */
export interface GridInterval {
  /** How many consecutive intervals of this length. */
  readonly count: number;
  /** Length of each interval in seconds. */
  readonly seconds: number;
  /** `(keep=all)`: keep every snapshot in the interval instead of the oldest one. */
  readonly keepAll: boolean;
}

const GRID_ENTRY = /^(\d+)\s*x\s*([^(]+?)\s*(?:\(\s*keep\s*=\s*(all|\d+)\s*\))?$/;

/** Parses a grid such as `1x1h(keep=all) | 24x1h | 30x1d | 6x30d`; throws an Error naming the bad entry. */
export function parseGrid(grid: string): GridInterval[] {
  const entries = grid.split("|").map((e) => e.trim());
  return entries.map((entry, i) => {
    const match = GRID_ENTRY.exec(entry);
    if (!match) throw new Error(`grid entry ${i + 1} '${entry}' is not of the form '<count>x<duration>[(keep=all)]'`);
    const count = Number(match[1]);
    const seconds = parseZreplDuration(match[2]);
    if (count < 1) throw new Error(`grid entry ${i + 1} '${entry}' needs a count of at least 1`);
    if (seconds === undefined) throw new Error(`grid entry ${i + 1} '${entry}' has duration '${match[2]}', expected a number with unit s, m, h, d or w`);
    if (match[3] !== undefined && match[3] !== "all") throw new Error(`grid entry ${i + 1} '${entry}': only '(keep=all)' is supported`);
    return { count, seconds, keepAll: match[3] === "all" };
  });
}

/** Total time span covered by a grid: the age of the oldest snapshot it can keep. */
export function gridSpanSeconds(grid: readonly GridInterval[]): number {
  return grid.reduce((sum, g) => sum + g.count * g.seconds, 0);
}
