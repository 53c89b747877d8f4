// The messages and chats routers over a real database (fake gateway ports, no WhatsApp): reading pages of messages
// and chats, the live feed (new and changed messages, resumable, one organization only), admin counts (numbers,
// never text, super admins only), and the send route's checks that run before the gateway is asked.
import { createSession, getMessage, revokeApiKey, storeInboundMessage, applyMessageReceipt, type InboundMessage } from "@wa/db/queries";
import { setStreamRecheckInterval } from "./stream-credential.ts";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACME, GLOBEX, callerFactory, createFakePorts, createTestApiKey, outcome, seedFixture, type Fixture } from "../testing/index.ts";
import type { Principal } from "../context.ts";

describe("messages and chats routers", () => {
  let t: TestDatabase;
  let f: Fixture;
  let call: ReturnType<typeof callerFactory>;
  let readKey: Principal;
  let acmeSession: string;
  let globexSession: string;
  const chat = "6281234567890@s.whatsapp.net";

  const inbound = (sessionId: string, organizationId: string, i: number, over: Partial<InboundMessage> = {}): InboundMessage => ({
    organizationId,
    sessionId,
    waMessageId: `WA${sessionId.slice(-6)}${i}`,
    chatJid: chat,
    chatType: "dm",
    fromMe: false,
    type: "text",
    body: `secret text ${i}`,
    quotedMessageId: null,
    mentions: [],
    senderJid: chat,
    senderLid: null,
    senderName: "Alice",
    hasMedia: false,
    timestamp: Date.UTC(2026, 0, 1) + i * 1000,
    ...over,
  });

  beforeAll(async () => {
    t = await createTestDatabase();
    f = await seedFixture(t.db);
    call = callerFactory(t.db, createFakePorts({ db: t.db }));
    readKey = (await createTestApiKey(t.db, ACME, ["read"])).principal;
    acmeSession = (await createSession(t.db, { organizationId: ACME, gatewayId: "gw-test-1" })).id;
    globexSession = (await createSession(t.db, { organizationId: GLOBEX, gatewayId: "gw-test-1" })).id;
    for (let i = 0; i < 7; i++) await storeInboundMessage(t.db, inbound(acmeSession, ACME, i));
    await storeInboundMessage(t.db, inbound(globexSession, GLOBEX, 0));
  });
  afterAll(async () => {
    await t?.close();
  });

  it("a redelivered WhatsApp id is stored once; the chat counts unread messages and keeps the last time", async () => {
    expect(await storeInboundMessage(t.db, inbound(acmeSession, ACME, 3))).toBeNull();
    const chats = await call(readKey).chats.list({ session: acmeSession });
    expect(chats.data).toEqual([expect.objectContaining({ jid: chat, unreadCount: 7, type: "dm", lastMessageAt: Date.UTC(2026, 0, 1) + 6000 })]);
  });

  it("pages of messages: newest first, every message once, in a chat and across chats", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call(f.acmeMember).messages.list({ session: acmeSession, limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.data.map((m) => m.body ?? ""));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `secret text ${i}`));
    const inChat = await call(readKey).chats.messages({ session: acmeSession, chat, limit: 2 });
    expect(inChat.data.map((m) => m.body)).toEqual(["secret text 6", "secret text 5"]);
    expect(await outcome(call(readKey).messages.list({ session: acmeSession, cursor: "garbage" }))).toBe("validation_error");
    const byWaId = await call(readKey).messages.get({ session: acmeSession, message: `WA${acmeSession.slice(-6)}2` });
    expect(byWaId.body).toBe("secret text 2");
    expect((await call(readKey).messages.get({ session: acmeSession, message: byWaId.id })).id).toBe(byWaId.id);
  });

  it("another organization's session is 404 on every route; its messages are never listed", async () => {
    expect(await outcome(call(readKey).messages.list({ session: globexSession }))).toBe("not_found");
    expect(await outcome(call(readKey).chats.list({ session: globexSession }))).toBe("not_found");
    expect(await outcome(call(readKey).messages.get({ session: globexSession, message: `WA${globexSession.slice(-6)}0` }))).toBe("not_found");
    expect(await outcome(call(f.globexOwner).messages.get({ session: acmeSession, message: "x" }))).toBe("not_found");
  });

  it("send: checked before the gateway is asked — `send` capability, bad `to`, unbuilt types, foreign session", async () => {
    const text = { session: acmeSession, type: "text" as const, to: "6281234567890", text: "hi" };
    expect(await outcome(call(readKey).messages.send(text))).toBe("forbidden");
    expect(await outcome(call(f.globexOwner).messages.send(text))).toBe("not_found");
    expect(await outcome(call(f.acmeMember).messages.send({ ...text, to: "12ab" }))).toBe("validation_error");
    expect(await outcome(call(f.acmeMember).messages.send({ ...text, type: "poll" }))).toBe("not_implemented");
    // fake ports hold no connection: the session is not working here
    expect(await outcome(call(f.acmeMember).messages.send(text))).toBe("conflict");
  });

  it("admin counts: super admins only, numbers per session and never message text", async () => {
    expect(await outcome(call(f.acmeOwner).messages.counts({ sessions: [acmeSession] }))).toBe("forbidden");
    expect(await outcome(call((await createTestApiKey(t.db, ACME, ["read", "send", "manage", "events"])).principal).messages.counts({ sessions: [acmeSession] }))).toBe("forbidden");
    const counts = await call(f.superAdmin).messages.counts({ sessions: [acmeSession, globexSession, "01UNKNOWN"] });
    expect(counts.data).toEqual([
      { sessionId: acmeSession, inbound: 7, outbound: 0, failed: 0, lastMessageAt: Date.UTC(2026, 0, 1) + 6000 },
      { sessionId: globexSession, inbound: 1, outbound: 0, failed: 0, lastMessageAt: Date.UTC(2026, 0, 1) },
      { sessionId: "01UNKNOWN", inbound: 0, outbound: 0, failed: 0, lastMessageAt: null },
    ]);
    expect(JSON.stringify(counts)).not.toContain("secret");
  });

  it("the live feed: new and changed messages of the caller's organization, resumable from an event id", async () => {
    const feed = await call(f.acmeMember).messages.events({ session: acmeSession });
    const iterator = feed[Symbol.asyncIterator]();
    // written after the feed opened: a new inbound message (another org's is not seen)
    await storeInboundMessage(t.db, inbound(globexSession, GLOBEX, 99));
    const fresh = await storeInboundMessage(t.db, inbound(acmeSession, ACME, 100, { body: "live one" }));
    const first = await iterator.next();
    expect(first.done).toBe(false);
    // createCaller hands out the tracked() envelope as [id, data]
    const [eventId, data] = first.value as unknown as [string, { message: { id: string; body: string } }];
    expect(data.message).toMatchObject({ id: fresh?.id, body: "live one" });
    await iterator.return?.(undefined);

    // resuming after that event yields only what changed since: a status change of an outbound message
    const out = await storeInboundMessage(t.db, inbound(acmeSession, ACME, 101, { fromMe: true, body: "from my phone" }));
    await applyMessageReceipt(t.db, acmeSession, out?.waMessageId ?? "", "read");
    const resumed = await call(f.acmeMember).messages.events({ session: acmeSession, lastEventId: eventId });
    const it2 = resumed[Symbol.asyncIterator]();
    const [, next] = (await it2.next()).value as unknown as [string, { message: { id: string; status: string | null } }];
    expect(next.message.id).toBe(out?.id);
    expect(next.message.status).toBe("read");
    await it2.return?.(undefined);
    expect((await getMessage(t.db, acmeSession, out?.id ?? ""))?.status).toBe("read");
  });

  it("the live feed ends with `credential revoked` once its api-key is revoked (it carries message text)", async () => {
    const restore = setStreamRecheckInterval(100);
    try {
      const { principal } = await createTestApiKey(t.db, ACME, ["read"], { name: "feed reader" });
      if (principal.kind !== "api_key") throw new Error("not a key");
      const feed = await call(principal).messages.events({ session: acmeSession });
      const iterator = feed[Symbol.asyncIterator]();
      await revokeApiKey(t.db, principal.keyId, ACME);
      const next = await iterator.next();
      const [, data] = next.value as unknown as [string, { type: string; reason?: string }];
      expect(data).toMatchObject({ type: "ended", reason: "credential revoked" });
      expect((await iterator.next()).done).toBe(true);
    } finally {
      restore();
    }
  });
});
