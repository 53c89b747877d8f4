import { describe, expect, it } from "vitest";
import { PLAN, plannedTotalS, planReport, planVerdict, RUN_LIMIT_S, sectionRemainingMs, startSection } from "./time-plan.ts";

describe("time plan", () => {
  it("says whether the planned total fits the 15-minute limit, with the total", () => {
    expect(new Set(PLAN.map((p) => p.name)).size).toBe(PLAN.length);
    const total = plannedTotalS();
    expect(planVerdict()).toContain(`${total} s`);
    expect(planVerdict()).toContain(total <= RUN_LIMIT_S ? "within" : `over the 15-minute limit by ${total - RUN_LIMIT_S} s`);
  });

  it("gives a starting section its own allowance, counted from its start", () => {
    const first = PLAN[0];
    if (!first) throw new Error("empty plan");
    startSection(first.name, 1_000, undefined);
    expect(sectionRemainingMs(1_000)).toBe(first.seconds * 1000);
    expect(sectionRemainingMs(1_000 + first.seconds * 1000 + 5)).toBe(-5);
    expect(() => startSection("no-such-section", 0, undefined)).toThrow(/no time planned/);
    startSection(first.name, 0, "5");
    expect(sectionRemainingMs(0)).toBe(5_000);
  });

  it("reports each section against its plan and the total, marking an overrun", () => {
    const [a, b] = PLAN;
    if (!a || !b) throw new Error("plan too short");
    const text = planReport([
      { name: a.name, seconds: a.seconds * 2 },
      { name: b.name, seconds: 1 },
    ]);
    expect(text).toContain(`${a.name}: ${a.seconds * 2} s of ${a.seconds} s planned (over)`);
    expect(text).toContain(`${b.name}: 1 s of ${b.seconds} s planned\n`);
    expect(text).toContain(`total: ${a.seconds * 2 + 1} s of ${a.seconds + b.seconds} s planned`);
  });
});
