import type { SessionRoute } from "@wa/db/queries";
import { describe, expect, it } from "vitest";
import { HolderHints } from "./holder-hints.ts";

const route = (sessionId: string, gatewayId: string): SessionRoute => ({
  sessionId,
  organizationId: "org",
  status: "working",
  gatewayId,
  gatewayLive: true,
  gatewayUrl: `http://${gatewayId}.invalid`,
});

describe("holder hints", () => {
  it("remembers a route for its lifetime only", () => {
    let now = 0;
    const hints = new HolderHints({ ttlMs: 1_000, now: () => now });
    expect(hints.get("s1")).toBeUndefined();
    hints.remember(route("s1", "gw-a"));
    now = 1_000;
    expect(hints.get("s1")?.gatewayId).toBe("gw-a");
    now = 1_001;
    expect(hints.get("s1")).toBeUndefined();
  });

  it("forgets a route on demand; another session's stays", () => {
    const hints = new HolderHints({ now: () => 0 });
    hints.remember(route("s1", "gw-a"));
    hints.remember(route("s2", "gw-b"));
    hints.forget("s1");
    expect(hints.get("s1")).toBeUndefined();
    expect(hints.get("s2")?.gatewayId).toBe("gw-b");
  });
});
