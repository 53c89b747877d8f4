import { describe, expect, it } from "vitest";
import { ownerOf, summarizeProfile } from "./profile.ts";

describe("ownerOf", () => {
  it("names the npm package, our package, Node internals or the native/V8 frame", () => {
    expect(ownerOf({ functionName: "f", url: "file:///r/node_modules/jose/dist/x.js" })).toBe("jose");
    expect(ownerOf({ functionName: "f", url: "file:///r/node_modules/@trpc/server/dist/x.js" })).toBe("@trpc/server");
    expect(ownerOf({ functionName: "f", url: "file:///r/apps/gateway/src/engine.ts" })).toBe("apps/gateway (ours)");
    expect(ownerOf({ functionName: "f", url: "node:internal/crypto/keygen" })).toBe("node:internal/crypto");
    expect(ownerOf({ functionName: "f", url: "node:events" })).toBe("node:events");
    expect(ownerOf({ functionName: "(garbage collector)", url: "" })).toBe("(garbage collector)");
    expect(ownerOf({ functionName: "writev", url: "" })).toBe("native writev");
  });
});

describe("summarizeProfile", () => {
  it("shares samples by owner and leaves idle time out", () => {
    const shares = summarizeProfile({
      startTime: 0,
      endTime: 1,
      nodes: [
        { id: 1, callFrame: { functionName: "(idle)", url: "" } },
        { id: 2, callFrame: { functionName: "a", url: "file:///node_modules/jose/a.js" } },
        { id: 3, callFrame: { functionName: "b", url: "file:///node_modules/pino/b.js" } },
      ],
      samples: [1, 1, 1, 2, 2, 2, 3],
    });
    expect(shares.map((s) => s.owner)).toEqual(["jose", "pino"]);
    expect(shares[0]?.share).toBeCloseTo(0.75);
  });
});
