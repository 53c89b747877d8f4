// Ids: ULIDs, increasing within one millisecond, random past the time part (the pooled source refills).
import { decodeTime } from "ulid";
import { describe, expect, it } from "vitest";
import { newId } from "./ids.ts";

describe("newId", () => {
  it("makes increasing, distinct ULIDs of the current time across many pool refills", () => {
    const before = Date.now();
    const ids = Array.from({ length: 10_000 }, () => newId());
    expect(ids.every((id) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(decodeTime(ids[0] ?? "")).toBeGreaterThanOrEqual(before);
  });

  it("draws a fresh random part in each new millisecond", async () => {
    const heads = new Set<string>();
    for (let i = 0; i < 5; i++) {
      heads.add(newId().slice(10, 16));
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(heads.size).toBe(5);
  });
});
