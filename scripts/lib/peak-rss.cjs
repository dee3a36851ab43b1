/**
 * Preloaded by `npm run bench` (node -r) into each measured process: writes the process's peak resident set size in
 * KiB and the CPU time it used (user + system, microseconds), separated by a space, to the file named by
 * BENCH_RSS_FILE when it exits, also when the bench stops it with SIGTERM.
 */
const { writeFileSync } = require("node:fs");

const file = process.env.BENCH_RSS_FILE;
if (file) {
  const report = () => {
    const usage = process.resourceUsage();
    writeFileSync(file, `${usage.maxRSS} ${usage.userCPUTime + usage.systemCPUTime}`);
  };
  process.on("exit", report);
  process.on("SIGTERM", () => {
    report();
    process.exit(143);
  });
}
