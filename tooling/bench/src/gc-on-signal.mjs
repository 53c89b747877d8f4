// Bench-only preload (never loaded in production): with `--expose-gc`, SIGUSR2 runs a full garbage collection in
// the process and appends its heap figures right after it to the file named by BENCH_GC_REPORT, one JSON line each,
// so a bench can tell memory a process holds from garbage V8 had not yet collected (tooling/bench/src/forced-gc.ts).
// Plain JavaScript: node loads it before tsx is registered.
import { appendFileSync } from "node:fs";
import process from "node:process";

const report = process.env.BENCH_GC_REPORT;
if (!report) throw new Error("gc-on-signal: BENCH_GC_REPORT is not set");
if (typeof globalThis.gc !== "function") throw new Error("gc-on-signal: start node with --expose-gc");

process.on("SIGUSR2", () => {
  globalThis.gc();
  const { heapUsed, heapTotal, external } = process.memoryUsage();
  appendFileSync(report, `${JSON.stringify({ heapUsed, heapTotal, external })}\n`);
});
