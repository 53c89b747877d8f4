import { describe, expect, it } from "vitest";
import { afterLadderS, ladderBudgetS, stormTopUp } from "./pergw-plan.ts";

describe("sessions-per-gateway time plan", () => {
  it("gives the ladder most of what is left after the fixed parts, never under a minute", () => {
    expect(ladderBudgetS(afterLadderS(0) + 400)).toBeCloseTo(280);
    expect(ladderBudgetS(10)).toBe(60);
  });

  it("tops the storm up with as many stored sessions as the rest affords, and no more than wanted", () => {
    const base = { ladderTop: 30, plainPairingS: 1.5, wanted: 970, forced: false };
    const n = stormTopUp({ ...base, remainingS: afterLadderS(30) + 15 + 200 });
    expect(n).toBe(Math.floor(200 / (1.5 + 0.5)));
    expect(stormTopUp({ ...base, remainingS: 1e9 })).toBe(970);
    expect(stormTopUp({ ...base, remainingS: 5 })).toBe(0);
  });

  it("makes them all when asked, whatever they cost", () => {
    expect(stormTopUp({ remainingS: 0, ladderTop: 30, plainPairingS: 1.5, wanted: 970, forced: true })).toBe(970);
  });
});
