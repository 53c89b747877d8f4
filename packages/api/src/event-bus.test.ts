// The in-process session event stream: per-subscriber filtering and ending on abort.
import { describe, expect, it } from "vitest";
import { SessionEventBus } from "./event-bus.ts";
import type { SessionEvent } from "./ports.ts";

const event = (organizationId: string, sessionId: string, status: SessionEvent["status"] = "working"): SessionEvent => ({
  sessionId,
  organizationId,
  status,
  qr: null,
  at: Date.now(),
  session: {
    id: sessionId,
    organizationId,
    gatewayId: "gw",
    label: null,
    phoneNumber: null,
    waJid: null,
    waLid: null,
    status,
    statusReason: null,
    isAdminSession: false,
    autoRead: false,
    presenceTyping: false,
    ratePerMin: 20,
    ratePerHour: 600,
    createdByUserId: null,
    createdAt: 0,
    updatedAt: 0,
    lastConnectedAt: null,
  },
});

async function collect(it: AsyncIterable<SessionEvent>, out: SessionEvent[]) {
  for await (const ev of it) out.push(ev);
}

describe("session events", () => {
  it("delivers only the subscriber's organization (and session), in order, and ends on abort", async () => {
    const bus = new SessionEventBus();
    const orgAll: SessionEvent[] = [];
    const oneSession: SessionEvent[] = [];
    const a1 = new AbortController();
    const a2 = new AbortController();
    const p1 = collect(bus.subscribe({ organizationId: "org-a" }, a1.signal), orgAll);
    const p2 = collect(bus.subscribe({ organizationId: "org-a", sessionId: "s2" }, a2.signal), oneSession);
    bus.publish(event("org-a", "s1", "starting"));
    bus.publish(event("org-b", "s9"));
    bus.publish(event("org-a", "s2", "scan_qr_code"));
    bus.publish(event("org-a", "s1", "working"));
    // Aborting drops what is still queued, so wait until both consumers have taken their events.
    const deadline = Date.now() + 5_000;
    while ((orgAll.length < 3 || oneSession.length < 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    a1.abort();
    a2.abort();
    await Promise.all([p1, p2]);
    expect(orgAll.map((e) => `${e.sessionId}:${e.status}`)).toEqual(["s1:starting", "s2:scan_qr_code", "s1:working"]);
    expect(oneSession.map((e) => e.sessionId)).toEqual(["s2"]);
    expect(bus.subscriberCount).toBe(0);
  });

  it("an already aborted signal yields nothing and registers nothing", async () => {
    const bus = new SessionEventBus();
    const abort = new AbortController();
    abort.abort();
    const out: SessionEvent[] = [];
    const iterable = bus.subscribe({ organizationId: "org-a" }, abort.signal);
    bus.publish(event("org-a", "s1"));
    await collect(iterable, out);
    expect(out).toEqual([]);
    expect(bus.subscriberCount).toBe(0);
  });
});
