// Gateway tests: real Baileys against the simulator and a real database, so generous timeouts, one file at a time.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    // The in-process simulator logs every login at info; its warnings and errors are what a failing test needs.
    env: { WA_SIM_LOG_LEVEL: "warn" },
    // Each test runs once: tests wait for events and conditions (with deadlines), never for a fixed time.
  },
});
