import { describe, expect, it } from "vitest";
import { measureInterleaved, quantile, summarize } from "./stats.ts";

describe("summarize", () => {
  it("gives the median and interpolated p99 of unsorted samples", () => {
    const s = summarize([5, 1, 3, 2, 4]);
    expect(s.median).toBe(3);
    expect(s.min).toBe(1);
    expect(s.max).toBe(5);
    expect(quantile([0, 100], 0.99)).toBeCloseTo(99);
  });
});

describe("measureInterleaved", () => {
  it("calls the functions in turn and keeps one sample list per function", async () => {
    const calls: string[] = [];
    const samples = await measureInterleaved(
      [async () => calls.push("a"), async () => calls.push("b")],
      3,
      1,
    );
    expect(calls.join("")).toBe("abababab");
    expect(samples.map((s) => s.length)).toEqual([3, 3]);
  });
});
