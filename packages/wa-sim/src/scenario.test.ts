// Scenario generation is deterministic, sized as asked, and shared between identical option sets.
import { describe, expect, it } from "vitest";
import { buildScenario, clampScenario } from "./scenario.ts";

describe("scenario", () => {
  it("is deterministic for a seed and differs between seeds", () => {
    const a = buildScenario({ seed: "s1", contacts: 30, groups: 5, membersPerGroup: 8 });
    const b = buildScenario({ seed: "s1", contacts: 30, groups: 5, membersPerGroup: 8 });
    const c = buildScenario({ seed: "s2", contacts: 30, groups: 5, membersPerGroup: 8 });
    expect(b).toBe(a);
    expect(c.people[0]?.phoneNumber).not.toBe(a.people[0]?.phoneNumber);
    expect(JSON.stringify(buildScenario({ seed: "s1", contacts: 30, groups: 5, membersPerGroup: 9 }).people.slice(0, 30))).toBe(JSON.stringify(a.people));
  });

  it("has the requested counts, unique members and exactly one superadmin per group", () => {
    const s = buildScenario({ seed: "counts", contacts: 100, groups: 40, membersPerGroup: 50 });
    expect(s.contactCount).toBe(100);
    expect(new Set(s.people.map((p) => p.phoneNumber)).size).toBe(s.people.length);
    expect(s.groups).toHaveLength(40);
    expect(new Set(s.groups.map((g) => g.id)).size).toBe(40);
    for (const g of s.groups) {
      expect(g.members).toHaveLength(50);
      expect(new Set(g.members.map((m) => m.person)).size).toBe(50);
      expect(g.members.filter((m) => m.role === "superadmin")).toHaveLength(1);
      expect(g.members.some((m) => m.person === -1)).toBe(true);
    }
    expect(s.groupMemberCount).toBe(40 * 50);
  });

  it("adds non-contact people when groups need more members than there are contacts", () => {
    const s = buildScenario({ seed: "few", contacts: 2, groups: 1, membersPerGroup: 10 });
    expect(s.contactCount).toBe(2);
    expect(s.people.length).toBe(9);
    expect(s.groups[0]?.members).toHaveLength(10);
  });

  it("refuses out-of-range options", () => {
    expect(() => clampScenario({ contacts: -1 })).toThrow(RangeError);
    expect(() => clampScenario({ groups: 1.5 })).toThrow(RangeError);
    expect(() => clampScenario({ seed: "" })).toThrow(RangeError);
  });
});
