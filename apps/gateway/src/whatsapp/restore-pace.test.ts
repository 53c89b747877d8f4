// The boot restore's pace: only the first wave waits for its jitter, so a boot is bounded by the work, not by the
// delays (a delay before every session capped 1 000 sessions at about 16 a second).
import { afterEach, describe, expect, it, vi } from "vitest";
import { forEachLimitedSpread } from "./manager.ts";

describe("forEachLimitedSpread", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("delays only the first `limit` items; the rest start as slots free up", async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, "random").mockReturnValue(0.999);
    const startedAt: number[] = [];
    const t0 = Date.now();
    const done = forEachLimitedSpread(Array.from({ length: 40 }, (_, i) => i), 8, 1_000, async () => {
      startedAt.push(Date.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
    });
    await vi.runAllTimersAsync();
    await done;
    expect(startedAt).toHaveLength(40);
    // The first eight waited for their jitter (999 ms here); the other 32 followed 10 ms apart per slot.
    expect(startedAt.slice(0, 8).every((t) => t === 999)).toBe(true);
    expect(Math.max(...startedAt)).toBeLessThan(999 + 5 * 10);
  });

  it("never runs more than `limit` at once, and runs every item once", async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachLimitedSpread(Array.from({ length: 30 }, (_, i) => i), 4, 20, async (i) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 2));
      seen.push(i);
      running -= 1;
    });
    expect(peak).toBeLessThanOrEqual(4);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });
});
