import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/integration/**", "**/node_modules/**"],
    // Each file runs the program under fresh mocks in its own process: the Pulumi SDK keeps global state.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
