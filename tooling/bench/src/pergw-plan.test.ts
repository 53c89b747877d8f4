import { describe, expect, it } from "vitest";
import { afterLadderS, keepToppingUp, ladderBudgetS } from "./pergw-plan.ts";

describe("sessions-per-gateway time plan", () => {
  it("gives the ladder most of what is left after the fixed parts, never under a minute", () => {
    expect(ladderBudgetS(afterLadderS(0) + 400)).toBeCloseTo(280);
    expect(ladderBudgetS(10)).toBe(60);
  });

  it("tops the storm up chunk by chunk while the chunk and the larger storms still fit, and no more than wanted", () => {
    const base = { ladderTop: 30, lastChunkS: 40, wanted: 970, forced: false };
    const room = (paired: number) => afterLadderS(30 + paired + 32) + 15 + 40;
    expect(keepToppingUp({ ...base, paired: 0, remainingS: room(0) })).toBe(true);
    expect(keepToppingUp({ ...base, paired: 0, remainingS: room(0) - 1 })).toBe(false);
    expect(keepToppingUp({ ...base, paired: 64, remainingS: room(64) - 1 })).toBe(false);
    expect(keepToppingUp({ ...base, paired: 970, remainingS: 1e9 })).toBe(false);
  });

  it("makes them all when asked, whatever they cost", () => {
    expect(keepToppingUp({ remainingS: 0, ladderTop: 30, paired: 500, lastChunkS: 40, wanted: 970, forced: true })).toBe(true);
    expect(keepToppingUp({ remainingS: 0, ladderTop: 30, paired: 970, lastChunkS: 40, wanted: 970, forced: true })).toBe(false);
  });
});
