// The session's rate limits against a real gateway: ratePerMin 5 lets exactly 5 of 8 rapid sync sends through
// (the rest 429 with retryAfterMs and Retry-After); 20 concurrent sends never exceed it; the window holds across a
// gateway restart and follows a PATCH from the next send; async sends queue past the limit and go out, in order,
// when the window opens.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../../test/harness.ts";
import { createMessagingHarness, type MessagingHarness } from "../../test/messaging-harness.ts";

let mh: MessagingHarness;

type SendReply = { status: number; body: unknown; headers: Headers };

describe("rate limits", () => {
  beforeAll(async () => {
    mh = await createMessagingHarness();
  });
  afterAll(async () => {
    await mh?.close();
  });

  const send = (sessionId: string, to: string, text: string, opts: { async?: boolean } = {}): Promise<SendReply> =>
    mh.call("POST", `/api/v1/sessions/${sessionId}/messages${opts.async ? "?async=true" : ""}`, {
      apiKey: mh.keys.send,
      body: { type: "text", to, text },
    });
  const firstContact = async (phone: string) => (await mh.account(phone)).contactRows[0]?.phoneNumber ?? "";

  it("ratePerMin 5: 8 rapid sends → exactly 5 × 200 and 3 × 429 with retryAfterMs > 0 and Retry-After", async () => {
    const { sessionId, phone } = await mh.pairSession({ settings: { ratePerMin: 5 } });
    const to = await firstContact(phone);
    const replies: SendReply[] = [];
    for (let i = 0; i < 8; i++) replies.push(await send(sessionId, to, `rapid ${i}`));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    for (const r of replies.slice(5)) {
      const error = (r.body as { error: { code: string; details: { retryAfterMs: number } } }).error;
      expect(error.code).toBe("rate_limited");
      expect(error.details.retryAfterMs).toBeGreaterThan(0);
      expect(error.details.retryAfterMs).toBeLessThanOrEqual(60_000);
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    }
    // only the 5 allowed ones reached the contact
    const texts = (await mh.simMessages(phone)).filter((m) => m.recipient === `${to}@s.whatsapp.net`).map((m) => m.text);
    expect(texts.filter((t) => t?.startsWith("rapid "))).toHaveLength(5);
  });

  it("20 concurrent sends never exceed the limit; the window holds after a restart; a PATCH counts from the next send", async () => {
    const { sessionId, phone } = await mh.pairSession({ settings: { ratePerMin: 5 } });
    const to = await firstContact(phone);
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => send(sessionId, to, `burst ${i}`)));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(5);
    expect(replies.filter((r) => r.status === 429)).toHaveLength(15);

    await mh.restartEngine();
    await mh.h.waitForStatus(sessionId, "working", 30_000);
    const after = await send(sessionId, to, "after restart");
    expect(after.status).toBe(429);

    const patched = await mh.call("PATCH", `/api/v1/sessions/${sessionId}`, { token: mh.tokens.acmeOwner, body: { ratePerMin: 6 } });
    expect(patched.status).toBe(200);
    expect((await send(sessionId, to, "sixth")).status).toBe(200);
    expect((await send(sessionId, to, "seventh")).status).toBe(429);
    const delivered = (await mh.simMessages(phone)).filter((m) => m.text?.startsWith("burst ") || m.text === "sixth");
    expect(new Set(delivered.map((m) => m.id)).size).toBe(6);
  });

  it("async: 8 sends past ratePerMin 5 → all 202; 5 go out at once, 3 when the window opens, in order", async () => {
    const { sessionId, phone } = await mh.pairSession({ settings: { ratePerMin: 5 } });
    const to = await firstContact(phone);
    const replies: SendReply[] = [];
    for (let i = 0; i < 8; i++) replies.push(await send(sessionId, to, `queued ${i}`, { async: true }));
    expect(replies.map((r) => r.status)).toEqual(Array(8).fill(202));
    for (const r of replies) expect(r.body).toMatchObject({ mode: "async", status: "pending", replayed: false });
    const ids = replies.map((r) => (r.body as { waMessageId: string }).waMessageId);

    const arrived = async () => (await mh.simMessages(phone)).filter((m) => m.recipient === `${to}@s.whatsapp.net` && m.text?.startsWith("queued "));
    const firstFive = await until(async () => ((await arrived()).length >= 5 ? await arrived() : null), "the first 5 queued sends", 30_000);
    expect(firstFive.map((m) => m.id)).toEqual(ids.slice(0, 5));
    // the rest wait for the window: still 5 a moment later
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await arrived()).toHaveLength(5);
    const all = await until(async () => ((await arrived()).length >= 8 ? await arrived() : null), "the last 3 after the window opened", 90_000);
    expect(all.map((m) => m.id)).toEqual(ids);
    expect((all[5]?.t ?? 0) - (all[0]?.t ?? 0)).toBeGreaterThanOrEqual(59_000);
    const statuses = await Promise.all(
      ids.map(async (id) => ((await mh.call("GET", `/api/v1/sessions/${sessionId}/messages/${id}`, { apiKey: mh.keys.send })).body as { status: string }).status),
    );
    expect(statuses.every((s) => s === "sent" || s === "delivered" || s === "read")).toBe(true);
  }, 150_000);
});
