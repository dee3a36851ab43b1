import { defineConfig } from "vitest/config";

// Integration tests against real software: PostgreSQL, dash, busybox, kubectl (`.ci/run` installs them), and Pulumi's own
// entry points cmd/run and cmd/run-policy-pack driven over gRPC (the program and the policy pack as the CLI loads
// them; the self-contained pack copy needs the npm registry). `npm test` leaves them out:
// `npm run test:integration`.
export default defineConfig({
  test: {
    include: ["test/integration/**/*.test.ts"],
    pool: "forks",
    // One file at a time: each starts its own servers or Pulumi processes.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
