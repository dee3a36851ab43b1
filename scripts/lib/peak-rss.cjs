/**
 * Preloaded by `npm run bench` (node -r) into each measured process: writes the process's peak resident set size in
 * KiB to the file named by BENCH_RSS_FILE when it exits, also when the bench stops it with SIGTERM.
 */
const { writeFileSync } = require("node:fs");

const file = process.env.BENCH_RSS_FILE;
if (file) {
  const report = () => writeFileSync(file, String(process.resourceUsage().maxRSS));
  process.on("exit", report);
  process.on("SIGTERM", () => {
    report();
    process.exit(143);
  });
}
