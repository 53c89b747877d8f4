import { describe, expect, it } from "vitest";
import { quantile, summarize } from "./stats.ts";

describe("summarize", () => {
  it("gives the median and interpolated p99 of unsorted samples", () => {
    const s = summarize([5, 1, 3, 2, 4]);
    expect(s.median).toBe(3);
    expect(s.min).toBe(1);
    expect(s.max).toBe(5);
    expect(quantile([0, 100], 0.99)).toBeCloseTo(99);
  });
});
