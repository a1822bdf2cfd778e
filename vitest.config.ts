import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: "forks",
    setupFiles: ["./test/helpers/node_host.ts"],
    globalSetup: ["./test/helpers/build-wasm-setup.ts"],
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
  },
});
