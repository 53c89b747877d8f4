import { describe, expect, it } from "vitest";
import { pergwScale, stormWaitMs } from "./pergw-plan.ts";

describe("sessions-per-gateway scale", () => {
  it("is the issue's populations by default and smaller with --quick", () => {
    expect(pergwScale(false, {})).toEqual({ floor: 16, low: 50, tail: 16, top: 1000 });
    expect(pergwScale(true, {}).top).toBeLessThan(1000);
  });

  it("takes overrides and refuses a scale whose steps do not follow each other", () => {
    expect(pergwScale(false, { BENCH_PERGW_TOP: "2000" }).top).toBe(2000);
    expect(() => pergwScale(false, { BENCH_PERGW_TOP: "40" })).toThrow(/does not hold together/);
  });

  it("waits at least 5 minutes for a storm, longer for a large one", () => {
    expect(stormWaitMs(100)).toBe(300_000);
    expect(stormWaitMs(1000)).toBe(600_000);
  });
});
