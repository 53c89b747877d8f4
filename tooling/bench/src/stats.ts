// Summary statistics for timing samples (milliseconds).
export interface Summary {
  n: number;
  median: number;
  p99: number;
  min: number;
  max: number;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (b - a) * (pos - lo);
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** Runs `fn` `warmup` times unmeasured, then `runs` times, returning per-run milliseconds. */
export async function measure(fn: () => Promise<unknown>, runs: number, warmup = Math.min(10, runs)): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples;
}

/**
 * Like `measure` for several functions at once, called in turn (a, b, a, b, …) so that each sees the same
 * conditions; returns one sample list per function.
 */
export async function measureInterleaved(fns: (() => Promise<unknown>)[], runs: number, warmup = Math.min(10, runs)): Promise<number[][]> {
  for (let i = 0; i < warmup; i++) for (const fn of fns) await fn();
  const samples = fns.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    for (const [k, fn] of fns.entries()) {
      const start = process.hrtime.bigint();
      await fn();
      samples[k]?.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  return samples;
}

export const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1));
