// Bench-only forced garbage collection in a child process: started with `--expose-gc` and the preload
// gc-on-signal.mjs, the child runs a full GC on SIGUSR2 and appends its heap right after to a report file. Memory
// figures read after it are what the process holds, not garbage V8 has not collected yet.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { onCleanup, rssMiB, sleep, until } from "./processes.ts";
import { quantile } from "./stats.ts";

const GC_PRELOAD = fileURLToPath(new URL("./gc-on-signal.mjs", import.meta.url));

/** Node arguments that make a child answer SIGUSR2 with a full GC (give it `env` too). */
export const GC_NODE_ARGS: readonly string[] = ["--expose-gc", "--import", GC_PRELOAD];

export interface HeapAfterGc {
  heapUsed: number;
  heapTotal: number;
  external: number;
}

/** One report file, shared by every process started with its `env` (one collection at a time). */
export class ForcedGc {
  private readonly file: string;

  constructor(label: string) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `wa-bench-gc-${label}-`));
    onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
    this.file = path.join(dir, "gc.jsonl");
    writeFileSync(this.file, "");
  }

  get env(): Record<string, string> {
    return { BENCH_GC_REPORT: this.file };
  }

  private lines(): string[] {
    return readFileSync(this.file, "utf8").split("\n").filter(Boolean);
  }

  /** A full GC in `pid`, and its heap (bytes) right after. */
  async collect(pid: number): Promise<HeapAfterGc> {
    const before = this.lines().length;
    process.kill(pid, "SIGUSR2");
    await until(async () => Promise.resolve(this.lines().length > before), "the child's GC report", 30_000, 50);
    return JSON.parse(this.lines()[before] ?? "{}") as HeapAfterGc;
  }

  /** RSS in MiB after a full GC: the median of 3 samples, from a second after it (V8 hands freed pages back). */
  async rssAfterGc(pid: number): Promise<number> {
    await this.collect(pid);
    await sleep(1_000);
    const samples: number[] = [];
    for (let i = 0; i < 3; i++) {
      samples.push(rssMiB(pid));
      await sleep(300);
    }
    return quantile(samples.sort((a, b) => a - b), 0.5);
  }
}
