// The send route's rules against a real gateway: Idempotency-Key (a repeat and concurrent repeats make one message
// and answer the first result with `replayed: true`; another body with the key is 409), permissions (no `send` →
// 403, another organization's session → 404), input (bad `to` → 400 naming the field, other types → 501), and a
// session that is not working (sync 409, async queued).
import { ACME } from "@wa/api/testing";
import { schema } from "@wa/db";
import { claimIdempotencyKey, createOutboundMessage, createSession } from "@wa/db/queries";
import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../../test/harness.ts";
import { createMessagingHarness, type MessagingHarness } from "../../test/messaging-harness.ts";

let mh: MessagingHarness;

describe("send rules", () => {
  let sessionId: string;
  let phone: string;
  let to: string;

  beforeAll(async () => {
    mh = await createMessagingHarness();
    ({ sessionId, phone } = await mh.pairSession());
    to = (await mh.account(phone)).contactRows[0]?.phoneNumber ?? "";
  });
  afterAll(async () => {
    await mh?.close();
  });

  const post = (body: unknown, o: { key?: string; apiKey?: string; token?: string; query?: string; session?: string } = {}) =>
    mh.call("POST", `/api/v1/sessions/${o.session ?? sessionId}/messages${o.query ?? ""}`, {
      ...(o.token ? { token: o.token } : { apiKey: o.apiKey ?? mh.keys.send }),
      body,
      ...(o.key ? { headers: { "idempotency-key": o.key } } : {}),
    });
  const copiesOf = async (text: string) =>
    (await mh.simMessages(phone)).filter((m) => m.text === text && m.recipient === `${to}@s.whatsapp.net`);
  const messagesWith = async (text: string) =>
    ((await mh.call("GET", `/api/v1/sessions/${sessionId}/messages?direction=out&limit=200`, { apiKey: mh.keys.send })).body as { data: { body: string }[] }).data.filter(
      (m) => m.body === text,
    );

  it("the same Idempotency-Key twice → one message; the repeat answers the first result with replayed: true", async () => {
    const body = { type: "text", to, text: "idempotent once" };
    const first = await post(body, { key: "key-1" });
    const second = await post(body, { key: "key-1" });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    const a = first.body as { outboxId: string; waMessageId: string; replayed: boolean };
    const b = second.body as { outboxId: string; waMessageId: string; replayed: boolean };
    expect(a.replayed).toBe(false);
    expect(b).toMatchObject({ replayed: true, outboxId: a.outboxId, waMessageId: a.waMessageId });
    await until(async () => (await copiesOf("idempotent once")).length > 0, "the message");
    await new Promise((r) => setTimeout(r, 500));
    expect(await copiesOf("idempotent once")).toHaveLength(1);
    expect(await messagesWith("idempotent once")).toHaveLength(1);
  });

  it("the same key sent concurrently → one message, every answer the same message", async () => {
    const body = { type: "text", to, text: "idempotent concurrent" };
    const replies = await Promise.all(Array.from({ length: 6 }, () => post(body, { key: "key-2" })));
    expect(replies.map((r) => r.status)).toEqual(Array(6).fill(200));
    const ids = new Set(replies.map((r) => (r.body as { outboxId: string }).outboxId));
    expect(ids.size).toBe(1);
    expect(replies.filter((r) => (r.body as { replayed: boolean }).replayed)).toHaveLength(5);
    await until(async () => (await copiesOf("idempotent concurrent")).length > 0, "the message");
    await new Promise((r) => setTimeout(r, 500));
    expect(await copiesOf("idempotent concurrent")).toHaveLength(1);
    expect(await messagesWith("idempotent concurrent")).toHaveLength(1);
  });

  it("an async send's key replays 202; the same key with a different body → 409 and nothing sent", async () => {
    const queued = await post({ type: "text", to, text: "idempotent async" }, { key: "key-3", query: "?async=true" });
    expect(queued.status).toBe(202);
    const again = await post({ type: "text", to, text: "idempotent async" }, { key: "key-3", query: "?async=true" });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ replayed: true, outboxId: (queued.body as { outboxId: string }).outboxId });
    const other = await post({ type: "text", to, text: "a different body" }, { key: "key-3", query: "?async=true" });
    expect(other.status).toBe(409);
    expect((other.body as { error: { code: string } }).error.code).toBe("conflict");
    await new Promise((r) => setTimeout(r, 500));
    expect(await messagesWith("a different body")).toHaveLength(0);
  });

  it("a key whose gateway died mid-send (answer never recorded, row left `sending`): a replay answers the final result, sent once", async () => {
    const body = { type: "text", to, text: "idempotent across a crash" };
    const first = await post(body, { key: "key-crash" });
    expect(first.status).toBe(200);
    const sent = first.body as { outboxId: string; waMessageId: string; message: { id: string } };
    // As the database looks when the gateway died between WhatsApp's ack and recording it: the key in progress,
    // the row `sending` under an engine instance that is gone, the message pending.
    const db = mh.h.db.db;
    await db.update(schema.idempotencyKeys).set({ responseStatus: null, response: null }).where(eq(schema.idempotencyKeys.key, "key-crash"));
    await db.update(schema.outbox).set({ state: "sending", claimedBy: "gw-gone:instance#1", sentAt: null }).where(eq(schema.outbox.id, sent.outboxId));
    await db.update(schema.messages).set({ status: "pending" }).where(eq(schema.messages.id, sent.message.id));

    const replay = await post(body, { key: "key-crash" });
    expect(replay.status, replay.text).toBe(200);
    expect(replay.body).toMatchObject({ mode: "sync", status: "sent", replayed: true, outboxId: sent.outboxId, waMessageId: sent.waMessageId });
    const again = await post(body, { key: "key-crash" });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ replayed: true, outboxId: sent.outboxId, waMessageId: sent.waMessageId });
    await new Promise((r) => setTimeout(r, 500));
    // resent under its WhatsApp id: the contact has it once
    expect((await copiesOf("idempotent across a crash")).map((m) => m.id)).toEqual([sent.waMessageId]);
    expect(await messagesWith("idempotent across a crash")).toHaveLength(1);
  }, 90_000);

  it("a key whose gateway died mid-send, replayed while the session has no connection: 202 pending (it goes out once connected)", async () => {
    const offline = await createSession(mh.h.db.db, { organizationId: ACME, gatewayId: "gw-test-1", label: "offline" });
    const chatJid = `${to}@s.whatsapp.net`;
    const text = "in flight when its gateway died";
    // the route's fingerprint of the request (what a replay must match)
    const fingerprint = { sessionId: offline.id, chatJid, text, replyTo: null, mentions: [], async: false };
    const requestHash = createHash("sha256").update(JSON.stringify(fingerprint)).digest("hex");
    const outboxId = await mh.h.db.db.transaction(async (tx) => {
      const created = await createOutboundMessage(tx, {
        organizationId: ACME,
        sessionId: offline.id,
        waMessageId: "3EB0CRASHEDOFFLINE0001",
        chatJid,
        chatType: "dm",
        body: text,
        quotedMessageId: null,
        mentions: [],
        senderJid: null,
        mode: "sync",
        state: "sending",
        slotAt: new Date(),
        claimedBy: "gw-gone:instance#1",
      });
      await claimIdempotencyKey(tx, { organizationId: ACME, key: "key-crash-offline", sessionId: offline.id, requestHash, outboxId: created.outboxId });
      return created.outboxId;
    });
    const replay = await post({ type: "text", to, text }, { key: "key-crash-offline", session: offline.id });
    expect(replay.status, replay.text).toBe(202);
    expect(replay.body).toMatchObject({ mode: "async", status: "pending", replayed: true, outboxId, waMessageId: "3EB0CRASHEDOFFLINE0001" });
  }, 90_000);

  it("permissions: an api-key without send → 403; another organization's session → 404, nothing stored", async () => {
    const noSend = await post({ type: "text", to, text: "not allowed" }, { apiKey: mh.keys.read });
    expect(noSend.status).toBe(403);
    expect((noSend.body as { error: { code: string } }).error.code).toBe("forbidden");
    const foreign = await post({ type: "text", to, text: "not yours" }, { token: mh.tokens.globexOwner });
    expect(foreign.status).toBe(404);
    const unknown = await post({ type: "text", to, text: "nobody" }, { session: "01UNKNOWNSESSION000000000" });
    expect(foreign.body).toEqual(unknown.body);
    // reading is allowed with `read`, other orgs still 404
    expect((await mh.call("GET", `/api/v1/sessions/${sessionId}/messages`, { apiKey: mh.keys.read })).status).toBe(200);
    expect((await mh.call("GET", `/api/v1/sessions/${sessionId}/chats`, { token: mh.tokens.globexMember })).status).toBe(404);
    expect(await messagesWith("not allowed")).toHaveLength(0);
    expect(await messagesWith("not yours")).toHaveLength(0);
  });

  it("input: a bad `to` → 400 naming the field; other types → 501; an unknown field of a text → 400", async () => {
    const bad = await post({ type: "text", to: "not-a-number", text: "x" });
    expect(bad.status).toBe(400);
    const errors = (bad.body as { error: { code: string; details: { errors: { path: string; message: string }[] } } }).error;
    expect(errors.code).toBe("validation_error");
    expect(errors.details.errors.map((e) => e.path)).toContain("to");
    const location = await post({ type: "location", to, latitude: 1, longitude: 2 });
    expect(location.status).toBe(501);
    expect((location.body as { error: { code: string } }).error.code).toBe("not_implemented");
    const extra = await post({ type: "text", to, text: "x", colour: "red" });
    expect(extra.status).toBe(400);
    const query = await post({ type: "text", to, text: "x" }, { query: "?bogus=1" });
    expect(query.status).toBe(400);
  });

  it("a session that is not working: sync → 409; async → 202 queued (pending)", async () => {
    const stopped = await createSession(mh.h.db.db, { organizationId: ACME, gatewayId: "gw-test-1", label: "stopped" });
    const sync = await post({ type: "text", to, text: "to a stopped session" }, { session: stopped.id });
    expect(sync.status).toBe(409);
    const queued = await post({ type: "text", to, text: "queued for later" }, { session: stopped.id, query: "?async=true" });
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ mode: "async", status: "pending", message: { status: "pending" } });
  });
});
