import { defineConfig } from "vitest/config";

// Two projects: every test on the default backend ("auto": WebAssembly SIMD where the runtime has
// it), and the numeric suites (kernels, gradient checks, equivalences, TF.js and PyTorch parity, interop,
// models) again on the reference TypeScript backend, so both backends pass the same checks.
export default defineConfig({
  test: {
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: "forks",
    setupFiles: ["./test/helpers/node_host.ts", "./test/helpers/backend_setup.ts", "./test/helpers/fuzz_setup.ts"],
    globalSetup: ["./test/helpers/build-wasm-setup.ts"],
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
    projects: [
      { extends: true, test: { name: "auto", include: ["test/**/*.test.ts"] } },
      {
        extends: true,
        test: {
          name: "js",
          include: ["test/kernels/**/*.test.ts", "test/layers/**/*.test.ts", "test/parity/**/*.test.ts", "test/io/torch.test.ts", "test/interop/**/*.test.ts", "test/models/**/*.test.ts", "test/backend/**/*.test.ts"],
          env: { RECURRENT_BACKEND: "js" },
        },
      },
    ],
  },
});
