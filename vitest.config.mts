import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests against real servers: `npm run test:integration` (vitest.integration.config.mts).
    exclude: ["test/integration/**", "**/node_modules/**"],
    // Workers are reused across files: the modules (the Pulumi SDK above all) load once per worker, not once per
    // file. Runs of the program share the SDK's global state safely: each one resets the module registry and
    // installs fresh mocks and config (test/harness.ts), and runs of the same configuration are evaluated once and
    // shared through test/lib/plan-cache.ts.
    pool: "forks",
    isolate: false,
    // vitest's default in run mode is one worker fewer than the cores: one worker on a 2-core machine, where two took
    // 52 s instead of 82 s (README, Speed). The tests that spawn processes leave a worker's core idle part of the time.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
