import { describe, expect, it } from "vitest";
import { formatZreplDuration, gridSpanSeconds, parseGrid, parseZreplDuration } from "../components/zrepl/grid";

describe("zrepl durations (internal/config/config_duration.go)", () => {
  it.each([
    ["10s", 10],
    ["10m", 600],
    ["1h", 3600],
    ["30d", 30 * 86400],
    ["2w", 14 * 86400],
    [" 5 m ", 300],
  ])("accepts %j as %d seconds", (text, seconds) => {
    expect(parseZreplDuration(text)).toBe(seconds);
  });

  it.each(["1h30m", "10 minutes", "1.5h", "500ms", "1y", "1M", "10", "0m", "0", "-5m", "", "m", "1H"])("rejects %j", (text) => {
    expect(parseZreplDuration(text)).toBeUndefined();
  });

  it("rejects durations that overflow Go's time.Duration", () => {
    expect(parseZreplDuration("15250w")).toBe(15250 * 604800);
    expect(parseZreplDuration("16000w")).toBeUndefined();
  });

  it("formats seconds with the largest exact unit", () => {
    expect([604800, 86400, 3600, 600, 90, 7200].map(formatZreplDuration)).toEqual(["1w", "1d", "1h", "10m", "90s", "2h"]);
  });
});

describe("zrepl retention grid (retentiongrid.go + keep_grid.go)", () => {
  it("parses the default receiver grid", () => {
    expect(parseGrid("1x1h(keep=all) | 24x1h | 30x1d | 6x30d")).toEqual([
      { count: 1, seconds: 3600, keep: "all" },
      { count: 24, seconds: 3600, keep: 1 },
      { count: 30, seconds: 86400, keep: 1 },
      { count: 6, seconds: 30 * 86400, keep: 1 },
    ]);
    expect(gridSpanSeconds(parseGrid("1x1h(keep=all) | 24x1h | 30x1d | 6x30d"))).toBe(3600 + 24 * 3600 + 30 * 86400 + 180 * 86400);
  });

  it("reads keep=N as the number of snapshots kept per interval", () => {
    expect(parseGrid("4x1h(keep=3)|7x1d( keep=2)")).toEqual([
      { count: 4, seconds: 3600, keep: 3 },
      { count: 7, seconds: 86400, keep: 2 },
    ]);
  });

  it("accepts blanks where zrepl's regex allows them", () => {
    expect(parseGrid(" 2 x 1h (keep=all) |24x1h ")).toEqual([
      { count: 2, seconds: 3600, keep: "all" },
      { count: 24, seconds: 3600, keep: 1 },
    ]);
  });

  it("allows a shorter interval after intervals that are all keep=all", () => {
    expect(parseGrid("1x1d(keep=all) | 1x1h(keep=all) | 24x10m | 24x1h").map((g) => g.seconds)).toEqual([86400, 3600, 600, 3600]);
  });

  it("allows equal lengths in a row", () => {
    expect(parseGrid("24x1h | 1x1h | 30x1d").length).toBe(3);
  });

  it.each([
    ["24x1h | x1d", "grid interval 2 of 2 'x1d' is not of the form '<count>x<duration>' or '<count>x<duration>(keep=<n>|keep=all)'"],
    ["", "grid interval 1 of 1 '' is not of the form '<count>x<duration>' or '<count>x<duration>(keep=<n>|keep=all)'"],
    ["24X1h", "grid interval 1 of 1 '24X1h' is not of the form '<count>x<duration>' or '<count>x<duration>(keep=<n>|keep=all)'"],
    ["24x1h |", "grid interval 2 of 2 '' is not of the form '<count>x<duration>' or '<count>x<duration>(keep=<n>|keep=all)'"],
    ["0x1h", "grid interval 1 of 1 '0x1h' has count 0; expected a count of at least 1"],
    ["1x1h30m", "grid interval 1 of 1 '1x1h30m' has duration '1h30m'; expected one positive number with unit s, m, h, d or w, e.g. '1h' (no compound values such as '1h30m')"],
    ["1x10 minutes", "grid interval 1 of 1 '1x10 minutes' has duration '10 minutes'; expected one positive number with unit s, m, h, d or w, e.g. '1h' (no compound values such as '1h30m')"],
    ["1x0h", "grid interval 1 of 1 '1x0h' has duration '0h'; expected one positive number with unit s, m, h, d or w, e.g. '1h' (no compound values such as '1h30m')"],
    ["1x1h(keep=0)", "grid interval 1 of 1 '1x1h(keep=0)' has parameter '(keep=0)'; expected '(keep=all)' or '(keep=<n>)' with n at least 1, without blanks"],
    ["1x1h(keep=-1)", "grid interval 1 of 1 '1x1h(keep=-1)' has parameter '(keep=-1)'; expected '(keep=all)' or '(keep=<n>)' with n at least 1, without blanks"],
    ["1x1h(keep = all)", "grid interval 1 of 1 '1x1h(keep = all)' has parameter '(keep = all)'; expected '(keep=all)' or '(keep=<n>)' with n at least 1, without blanks"],
    ["1x1h(keep=all )", "grid interval 1 of 1 '1x1h(keep=all )' has parameter '(keep=all )'; expected '(keep=all)' or '(keep=<n>)' with n at least 1, without blanks"],
    ["1x1h(keep=some)", "grid interval 1 of 1 '1x1h(keep=some)' has parameter '(keep=some)'; expected '(keep=all)' or '(keep=<n>)' with n at least 1, without blanks"],
    ["1x1h(count=2)", "grid interval 1 of 1 '1x1h(count=2)' has parameter '(count=2)'; expected '(keep=all)' or '(keep=<n>)' with n at least 1, without blanks"],
    [
      "24x1h | 24x10m",
      "grid interval 2 of 2 '24x10m' is shorter (10m) than the interval before it (1h); zrepl requires interval lengths that never decrease, except after intervals that are all '(keep=all)'",
    ],
    [
      "1x1h(keep=all) | 1x1d(keep=3) | 24x1h",
      "grid interval 3 of 3 '24x1h' is shorter (1h) than the interval before it (1d); zrepl requires interval lengths that never decrease, except after intervals that are all '(keep=all)'",
    ],
    [
      "1x1d(keep=all) | 1x1h | 1x10m",
      "grid interval 3 of 3 '1x10m' is shorter (10m) than the interval before it (1h); zrepl requires interval lengths that never decrease, except after intervals that are all '(keep=all)'",
    ],
  ])("rejects %j", (grid, message) => {
    expect(() => parseGrid(grid)).toThrow(new Error(message));
  });
});
