// Receiving through a real session: a simulated contact's text is stored and listed (its chat with an unread
// count) within a second; autoRead sends a read receipt and without it none is sent; a group text is stored with
// its sender; a message sent while the gateway is down is redelivered at login and stored once.
import { getSession } from "@wa/db/queries";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../../test/harness.ts";
import { createMessagingHarness, type MessagingHarness } from "../../test/messaging-harness.ts";

let mh: MessagingHarness;

interface Msg {
  id: string;
  waMessageId: string;
  chatJid: string;
  direction: string;
  body: string | null;
  senderJid: string | null;
  fromMe: boolean;
  status: string | null;
}
interface ChatRow {
  jid: string;
  type: string;
  unreadCount: number;
  lastMessageAt: number | null;
}

async function contactSends(phone: string, body: { text: string; from?: string; groupJid?: string }) {
  const res = await fetch(`${mh.h.sim.httpUrl}/sim/accounts/${phone}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { id: string; from: string };
}

describe("receiving messages", () => {
  let sessionId: string;
  let phone: string;

  beforeAll(async () => {
    mh = await createMessagingHarness();
    ({ sessionId, phone } = await mh.pairSession());
  });
  afterAll(async () => {
    await mh?.close();
  });

  const chatMessages = async (chat: string) =>
    (await mh.call("GET", `/api/v1/sessions/${sessionId}/chats/${chat}/messages`, { apiKey: mh.keys.send })).body as { data: Msg[] };
  const chats = async () => ((await mh.call("GET", `/api/v1/sessions/${sessionId}/chats`, { apiKey: mh.keys.send })).body as { data: ChatRow[] }).data;

  it("a contact's text is listed in its chat and the chat shows an unread count; without autoRead no read receipt", async () => {
    const sent = await contactSends(phone, { text: "hi there" });
    const chat = sent.from.includes("@") ? sent.from : `${sent.from}@s.whatsapp.net`;
    const listed = await until(async () => (await chatMessages(chat)).data.find((m) => m.waMessageId === sent.id), "the inbound text in its chat", 10_000);
    expect(listed).toMatchObject({ direction: "in", fromMe: false, body: "hi there", status: null, senderJid: chat });
    expect((await chats()).find((c) => c.jid === chat)).toMatchObject({ type: "dm", unreadCount: 1 });
    // the cross-chat list and the single read (by our id and by WhatsApp's)
    const all = (await mh.call("GET", `/api/v1/sessions/${sessionId}/messages?direction=in`, { apiKey: mh.keys.send })).body as { data: Msg[] };
    expect(all.data.map((m) => m.id)).toContain(listed.id);
    const one = await mh.call("GET", `/api/v1/sessions/${sessionId}/messages/${sent.id}`, { apiKey: mh.keys.send });
    expect((one.body as Msg).id).toBe(listed.id);
    // no receipt of type read was sent for it (checked after the autoRead window of a second)
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await mh.simReceipts(phone)).filter((r) => r.messageId === sent.id && r.type === "read")).toEqual([]);

    // marking the chat read sends the receipt and clears the count
    const read = await mh.call("POST", `/api/v1/sessions/${sessionId}/chats/${chat}/read`, { apiKey: mh.keys.send });
    expect(read.status, read.text).toBe(200);
    expect(read.body).toMatchObject({ marked: 1, chat: { unreadCount: 0 } });
    await until(async () => (await mh.simReceipts(phone)).find((r) => r.messageId === sent.id && r.type === "read"), "read receipt after chat read");
  });

  it("with autoRead the simulator records a read receipt for the inbound message", async () => {
    const patched = await mh.call("PATCH", `/api/v1/sessions/${sessionId}`, { token: mh.tokens.acmeOwner, body: { autoRead: true } });
    expect(patched.status).toBe(200);
    const sent = await contactSends(phone, { text: "please read me" });
    const receipt = await until(
      async () => (await mh.simReceipts(phone)).find((r) => r.messageId === sent.id && r.type === "read"),
      "autoRead receipt",
      10_000,
    );
    expect(receipt.messageId).toBe(sent.id);
    // The delivery receipt first, then the read one (the message is stored before either).
    const kinds = (await mh.simReceipts(phone)).filter((r) => r.messageId === sent.id).map((r) => (r.type === "read" ? "read" : "delivery"));
    expect(kinds).toEqual(["delivery", "read"]);
    await mh.call("PATCH", `/api/v1/sessions/${sessionId}`, { token: mh.tokens.acmeOwner, body: { autoRead: false } });
  });

  it("a contact's text is stored before WhatsApp gets its delivery receipt (a crash in between cannot lose it)", async () => {
    // Holds every write to messages: the store waits, and so must the receipt.
    const holder = await mh.h.db.sql.reserve();
    let sent: { id: string; from: string };
    try {
      await holder`begin`;
      await holder`lock table messages in exclusive mode`;
      sent = await contactSends(phone, { text: "stored first" });
      await new Promise((r) => setTimeout(r, 1_500));
      expect((await mh.simReceipts(phone)).filter((r) => r.messageId === sent.id)).toEqual([]);
    } finally {
      await holder`rollback`;
      holder.release();
    }
    const receipt = await until(async () => (await mh.simReceipts(phone)).find((r) => r.messageId === sent.id), "the delivery receipt once stored", 10_000);
    expect(["delivery", "inactive"]).toContain(receipt.type);
    const chat = sent.from.includes("@") ? sent.from : `${sent.from}@s.whatsapp.net`;
    const copies = (await chatMessages(chat)).data.filter((m) => m.waMessageId === sent.id);
    expect(copies).toHaveLength(1); // the upsert after the receipt found it stored
  });

  it("a group member's text is stored in the group chat with its sender", async () => {
    const account = await mh.account(phone);
    const group = account.groupRows[0]?.jid ?? "";
    const sent = await contactSends(phone, { text: "group hello", groupJid: group });
    const listed = await until(async () => (await chatMessages(group)).data.find((m) => m.waMessageId === sent.id), "the group text", 10_000);
    expect(listed).toMatchObject({ body: "group hello", direction: "in", senderJid: sent.from.includes("@") ? sent.from : `${sent.from}@s.whatsapp.net` });
    expect((await chats()).find((c) => c.jid === group)).toMatchObject({ type: "group" });
  });

  it("a message sent while the gateway is down is redelivered at login and stored once", async () => {
    await mh.engine.shutdown();
    const sent = await contactSends(phone, { text: "while you were away" });
    await mh.restartEngine();
    await mh.h.waitForStatus(sessionId, "working", 30_000);
    const chat = sent.from.includes("@") ? sent.from : `${sent.from}@s.whatsapp.net`;
    await until(async () => (await chatMessages(chat)).data.find((m) => m.waMessageId === sent.id), "the offline message after login", 20_000);
    // a second login (WhatsApp redelivers what was not receipted in time) stores nothing twice
    await mh.engine.sessions.restart(sessionId);
    await mh.h.waitForStatus(sessionId, "working", 30_000);
    await new Promise((r) => setTimeout(r, 1_000));
    const copies = (await chatMessages(chat)).data.filter((m) => m.waMessageId === sent.id);
    expect(copies).toHaveLength(1);
    expect((await getSession(mh.h.db.db, sessionId))?.status).toBe("working");
  });
});
