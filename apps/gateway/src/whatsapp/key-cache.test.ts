import { describe, expect, it } from "vitest";
import { SignalKeyCache } from "./key-cache.ts";

describe("SignalKeyCache", () => {
  it("does not keep one-time pre-keys (a pairing writes 812 of them), and a pre-key write drops an older cached copy", () => {
    const cache = new SignalKeyCache();
    cache.set("session.123", { record: 1 });
    for (let id = 1; id <= 812; id++) cache.set(`pre-key.${id}`, { public: Buffer.alloc(32), private: Buffer.alloc(32) });
    expect(cache.size).toBe(1);
    expect(cache.get("pre-key.1")).toBeUndefined();
    expect(cache.get("session.123")).toEqual({ record: 1 });
  });

  it("forgets entries after the TTL, on read and in a sweep on a later write", () => {
    let t = 0;
    const cache = new SignalKeyCache(1_000, () => t);
    cache.set("session.a", 1);
    cache.set("session.b", 2);
    t = 500;
    expect(cache.get("session.a")).toBe(1);
    t = 1_001;
    expect(cache.get("session.a")).toBeUndefined();
    cache.set("session.c", 3);
    expect(cache.size).toBe(1);
    cache.del("session.c");
    cache.set("session.d", null);
    expect(cache.get("session.d")).toBeNull();
    cache.flushAll();
    expect(cache.size).toBe(0);
  });
});
