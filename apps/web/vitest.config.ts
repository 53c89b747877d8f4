import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@/": new URL("./src/", import.meta.url).pathname } },
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
