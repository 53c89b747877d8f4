// Sending through a real session (Baileys against the simulator, a real database): a text to a contact and to a
// group arrives at the simulated recipients, the stored message follows the receipts to `delivered` and `read`,
// and presenceTyping shows "composing" before the text and "paused" after it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../../test/harness.ts";
import { createMessagingHarness, waitForSimMessage, type MessagingHarness } from "../../test/messaging-harness.ts";

let mh: MessagingHarness;

interface SendBody {
  mode: string;
  outboxId: string;
  waMessageId: string;
  status: string;
  replayed: boolean;
  timestamp: number;
  message: { id: string; waMessageId: string; chatJid: string; status: string; direction: string; body: string };
}

describe("sending messages", () => {
  let sessionId: string;
  let phone: string;
  let contact: string;

  beforeAll(async () => {
    mh = await createMessagingHarness();
    ({ sessionId, phone } = await mh.pairSession());
    const account = await mh.account(phone);
    contact = account.contactRows[0]?.phoneNumber ?? "";
    expect(contact).not.toBe("");
  });
  afterAll(async () => {
    await mh?.close();
  });

  it("sends a text to a contact (digits): 200 SendResult, the contact receives it in its chat, status reaches delivered and read", async () => {
    const res = await mh.call("POST", `/api/v1/sessions/${sessionId}/messages`, {
      apiKey: mh.keys.send,
      body: { type: "text", to: contact, text: "hello from the gateway" },
    });
    expect(res.status, res.text).toBe(200);
    const body = res.body as SendBody;
    expect(body).toMatchObject({ mode: "sync", status: "sent", replayed: false });
    expect(body.message.waMessageId).toBe(body.waMessageId);
    expect(body.message).toMatchObject({ chatJid: `${contact}@s.whatsapp.net`, direction: "out", body: "hello from the gateway" });

    const received = await waitForSimMessage(mh, phone, (m) => m.id === body.waMessageId && m.recipient === `${contact}@s.whatsapp.net`, "the contact to receive the text");
    expect(received).toMatchObject({ text: "hello from the gateway", chat: `${contact}@s.whatsapp.net`, groupJid: null });

    await until(async () => {
      const r = await mh.call("GET", `/api/v1/sessions/${sessionId}/messages/${body.message.id}`, { apiKey: mh.keys.send });
      return (r.body as { status?: string }).status === "delivered";
    }, "status delivered");

    const read = await fetch(`${mh.h.sim.httpUrl}/sim/accounts/${phone}/messages/${body.waMessageId}/read`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(read.status).toBe(200);
    await until(async () => {
      const r = await mh.call("GET", `/api/v1/sessions/${sessionId}/messages/${body.waMessageId}`, { apiKey: mh.keys.send });
      return (r.body as { status?: string }).status === "read";
    }, "status read");

    // the chat is listed with its last message time
    const chats = await mh.call("GET", `/api/v1/sessions/${sessionId}/chats`, { apiKey: mh.keys.send });
    expect(chats.status).toBe(200);
    expect((chats.body as { data: { jid: string; lastMessageAt: number }[] }).data).toContainEqual(
      expect.objectContaining({ jid: `${contact}@s.whatsapp.net`, type: "dm", unreadCount: 0 }),
    );
  });

  it("sends a text to a group the account is in: every member receives it, status reaches delivered", async () => {
    const account = await mh.account(phone);
    const group = account.groupRows[0]?.jid ?? "";
    expect(group).toMatch(/@g\.us$/);
    const res = await mh.call("POST", `/api/v1/sessions/${sessionId}/messages`, {
      token: mh.tokens.acmeMember,
      body: { type: "text", to: group, text: "hello group" },
    });
    expect(res.status, res.text).toBe(200);
    const body = res.body as SendBody;
    const copies = await until(async () => {
      const got = (await mh.simMessages(phone)).filter((m) => m.id === body.waMessageId);
      return got.length > 0 ? got : null;
    }, "group members to receive the text");
    expect(copies.every((m) => m.groupJid === group && m.text === "hello group")).toBe(true);
    await until(async () => {
      const r = await mh.call("GET", `/api/v1/sessions/${sessionId}/messages/${body.message.id}`, { apiKey: mh.keys.send });
      return (r.body as { status?: string }).status === "delivered";
    }, "group message delivered");
  });

  it("presenceTyping: composing is recorded before the message and paused after it, in that order", async () => {
    const patched = await mh.call("PATCH", `/api/v1/sessions/${sessionId}`, { token: mh.tokens.acmeOwner, body: { presenceTyping: true } });
    expect(patched.status).toBe(200);
    const before = Date.now();
    const res = await mh.call("POST", `/api/v1/sessions/${sessionId}/messages`, {
      apiKey: mh.keys.send,
      body: { type: "text", to: contact, text: "typed slowly" },
    });
    expect(res.status, res.text).toBe(200);
    const body = res.body as SendBody;
    const received = await waitForSimMessage(mh, phone, (m) => m.id === body.waMessageId, "the typed text");
    const chat = `${contact}@s.whatsapp.net`;
    const presences = await until(async () => {
      const list = (await mh.simPresences(phone)).filter((p) => p.chat === chat && p.t >= before - 1000);
      return list.some((p) => p.state === "paused") ? list : null;
    }, "paused presence");
    const composing = presences.find((p) => p.state === "composing");
    const paused = presences.find((p) => p.state === "paused");
    expect(composing).toBeDefined();
    expect(paused).toBeDefined();
    expect(composing?.t ?? Infinity).toBeLessThanOrEqual(received.t);
    expect(paused?.t ?? 0).toBeGreaterThanOrEqual(received.t);
    await mh.call("PATCH", `/api/v1/sessions/${sessionId}`, { token: mh.tokens.acmeOwner, body: { presenceTyping: false } });

    // without it, a send shows no presence
    const quiet = Date.now();
    const res2 = await mh.call("POST", `/api/v1/sessions/${sessionId}/messages`, { apiKey: mh.keys.send, body: { type: "text", to: contact, text: "no typing" } });
    expect(res2.status).toBe(200);
    await waitForSimMessage(mh, phone, (m) => m.id === (res2.body as SendBody).waMessageId, "the untyped text");
    expect((await mh.simPresences(phone)).filter((p) => p.t >= quiet)).toEqual([]);
  });

  it("PUT …/chats/{chat}/presence shows composing, recording and paused in that chat; read-only keys and bad states are refused", async () => {
    const chat = `${contact}@s.whatsapp.net`;
    const since = Date.now();
    for (const state of ["composing", "recording", "paused"] as const) {
      const res = await mh.call("PUT", `/api/v1/sessions/${sessionId}/chats/${chat}/presence`, { apiKey: mh.keys.send, body: { state } });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ chat, state });
    }
    const shown = await until(async () => {
      const list = (await mh.simPresences(phone)).filter((p) => p.chat === chat && p.t >= since);
      return list.some((p) => p.state === "paused") ? list : null;
    }, "the three presences at the simulator");
    expect(shown.map((p) => p.state)).toEqual(["composing", "recording", "paused"]);

    const readOnly = await mh.call("PUT", `/api/v1/sessions/${sessionId}/chats/${chat}/presence`, { apiKey: mh.keys.read, body: { state: "composing" } });
    expect(readOnly.status).toBe(403);
    const bad = await mh.call("PUT", `/api/v1/sessions/${sessionId}/chats/${chat}/presence`, { apiKey: mh.keys.send, body: { state: "dancing" } });
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { code: string } }).error.code).toBe("validation_error");
  });

  it("a message WhatsApp refuses ends failed, with the reason in words on the message", async () => {
    const refuse = (error: string | null) =>
      fetch(`${mh.h.sim.httpUrl}/sim/accounts/${phone}/refuse-sends`, { method: "POST", body: JSON.stringify({ error }) });
    expect((await refuse("463")).status).toBe(200);
    try {
      const res = await mh.call("POST", `/api/v1/sessions/${sessionId}/messages`, {
        apiKey: mh.keys.send,
        body: { type: "text", to: contact, text: "this one is refused" },
      });
      // A sync send says so at once (the message exists, with its id, so a script can look it up).
      expect(res.status, res.text).toBe(503);
      const refused = (res.body as { error: { code: string; message: string; details: { messageId: string } } }).error;
      expect(refused.code).toBe("gateway_unavailable");
      expect(refused.message).toBe("the message was not sent: WhatsApp refused the message (error 463)");
      const stored = await mh.call("GET", `/api/v1/sessions/${sessionId}/messages/${refused.details.messageId}`, { apiKey: mh.keys.send });
      expect(stored.body).toMatchObject({ direction: "out", body: "this one is refused", status: "failed", error: "WhatsApp refused the message (error 463)" });
      // Nothing reached the contact.
      expect((await mh.simMessages(phone)).filter((m) => m.text === "this one is refused")).toEqual([]);
    } finally {
      await refuse(null);
    }
  });
});
