// Vitest settings for the simulator: real Baileys clients, so generous timeouts and one file at a time.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    setupFiles: ["./src/test-setup.ts"],
  },
});
