import { defineConfig } from "vitest/config";

// Integration tests against real software installed on the machine (PostgreSQL, dash, busybox; `.ci/run` installs
// them): `npm run test:integration`. `npm test` leaves them out.
export default defineConfig({
  test: {
    include: ["test/integration/**/*.test.ts"],
    pool: "forks",
    // One file at a time: each starts its own PostgreSQL servers.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
