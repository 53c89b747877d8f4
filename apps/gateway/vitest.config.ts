// Gateway tests: real Baileys against the simulator and a real database, so generous timeouts, one file at a time.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    // In CI one retry absorbs a scheduling hiccup of these real-protocol timing tests on 2 cores; a behaviour that
    // is broken fails both tries. Retries are reported in the output, so a flaky test stays visible.
    retry: process.env.CI ? 1 : 0,
  },
});
