import { describe, expect, it } from "vitest";
import { scaleOf } from "./cluster.ts";

describe("cluster scale from the time plan", () => {
  it("runs the issue's 100 then 300 sessions when the allowance affords them", () => {
    expect(scaleOf(false, 600, undefined)).toEqual({ first: 100, total: 300 });
  });

  it("runs fewer, a third then all, when it does not", () => {
    const scale = scaleOf(false, 150, undefined);
    expect(scale.total).toBeLessThan(300);
    expect(scale.total).toBeGreaterThanOrEqual(30);
    expect(scale.first).toBeLessThan(scale.total);
  });

  it("takes BENCH_CLUSTER_SESSIONS or --quick over the plan", () => {
    expect(scaleOf(false, 60, "50,150")).toEqual({ first: 50, total: 150 });
    expect(scaleOf(true, 9_999, undefined)).toEqual({ first: 30, total: 60 });
    expect(() => scaleOf(false, 60, "300,100")).toThrow(/two increasing counts/);
  });
});
