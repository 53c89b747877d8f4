// The failure counter behind sign-in rate limiting: a sliding window per key, bounded memory.
import { describe, expect, it } from "vitest";
import { FailureLimiter } from "./rate-limit.ts";

describe("FailureLimiter", () => {
  it("limits after max failures inside the window and frees the key when the window slides past", () => {
    const l = new FailureLimiter({ max: 3, windowMs: 1000 });
    for (let t = 0; t < 3; t++) {
      expect(l.retryAfterMs("k", t)).toBe(0);
      l.recordFailure("k", t);
    }
    expect(l.retryAfterMs("k", 10)).toBe(990);
    expect(l.retryAfterMs("other", 10)).toBe(0);
    expect(l.retryAfterMs("k", 1000)).toBe(0);
  });

  it("reset clears a key; the number of tracked keys stays bounded", () => {
    const l = new FailureLimiter({ max: 1, windowMs: 1000, maxKeys: 10 });
    l.recordFailure("a", 0);
    expect(l.retryAfterMs("a", 1)).toBeGreaterThan(0);
    l.reset("a");
    expect(l.retryAfterMs("a", 1)).toBe(0);
    for (let i = 0; i < 100; i++) l.recordFailure(`k${i}`, 0);
    let tracked = 0;
    for (let i = 0; i < 100; i++) if (l.retryAfterMs(`k${i}`, 1) > 0) tracked++;
    expect(tracked).toBeLessThanOrEqual(10);
  });
});
