// The send path's statements: reserveOutbound (window check + message, outbox row, chat, event in one statement,
// after the lease and session locks) and markOutboxSent (one statement): what each writes, what
// each refusal leaves untouched, and that sends of one session on two pools never pass the windows together.
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDbClient, type DbClient, type Executor } from "../client.ts";
import { newId } from "../ids.ts";
import { chats, events, messages, organizations, outbox, waSessions } from "../schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { acquireLease, type LeaseFence } from "./leases.ts";
import { applyMessageReceipt } from "./messages.ts";
import {
  claimantOf,
  lockSessionForSend,
  markOutboxSent,
  outboxFenceHolds,
  reserveOutbound,
  type OutboxClaim,
} from "./outbox.ts";

describe("outbox send statements", () => {
  let t: TestDatabase;
  /** A second pool: another gateway's sends of the same session. */
  let other: DbClient;
  let organizationId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    other = createDbClient(t.url, { max: 4 });
    organizationId = newId();
    await t.db.insert(organizations).values({ id: organizationId, name: "outbox" });
  });
  afterAll(async () => {
    await other?.close();
    await t?.close();
  });

  async function heldSession(limits: {
    ratePerMin: number;
    ratePerHour: number;
  }): Promise<{ sessionId: string; claim: OutboxClaim }> {
    const sessionId = newId();
    await t.db.insert(waSessions).values({ id: sessionId, organizationId, gatewayId: "gw-a", ...limits });
    const epoch = await acquireLease(t.db, { sessionId, gatewayId: "gw-a", ttlMs: 60_000 });
    if (epoch === null) throw new Error("no lease");
    const fence: LeaseFence = { sessionId, gatewayId: "gw-a", epoch };
    return { sessionId, claim: { instanceId: "engine-1", fence } };
  }

  const outbound = (sessionId: string, claim: OutboxClaim | null) => ({
    organizationId,
    sessionId,
    waMessageId: `3EB0${newId()}`,
    chatJid: "4915100000001@s.whatsapp.net",
    chatType: "dm" as const,
    body: "hi",
    quotedMessageId: null,
    mentions: ["4915100000002@s.whatsapp.net"],
    senderJid: null,
    mode: claim ? ("sync" as const) : ("async" as const),
    claim,
  });

  /** As the send path does it: the lease, the session lock, then the write, in one transaction. */
  const reserve = (db: Executor, sessionId: string, claim: OutboxClaim | null) =>
    db.transaction(async (tx) => {
      const holds = claim ? await outboxFenceHolds(tx, claim) : true;
      const session = await lockSessionForSend(tx, sessionId);
      const result = await reserveOutbound(tx, outbound(sessionId, claim));
      return { holds, session, result };
    });

  const countWritten = async (sessionId: string) => ({
    messages: (await t.db.select().from(messages).where(eq(messages.sessionId, sessionId))).length,
    outbox: (await t.db.select().from(outbox).where(eq(outbox.sessionId, sessionId))).length,
    events: (await t.db.select().from(events).where(eq(events.sessionId, sessionId))).length,
  });

  it("a sync reservation writes the pending message, its `sending` row with a slot, the chat's time and message.updated", async () => {
    const { sessionId, claim } = await heldSession({ ratePerMin: 10, ratePerHour: 100 });
    const { holds, session, result } = await reserve(t.db, sessionId, claim);
    expect(holds).toBe(true);
    expect(session).toMatchObject({ ratePerMin: 10 });
    if (result.kind !== "reserved") throw new Error(`not reserved: ${result.kind}`);
    expect(result.message).toMatchObject({
      sessionId,
      organizationId,
      fromMe: true,
      direction: "out",
      type: "text",
      body: "hi",
      status: "pending",
      error: null,
      mentions: ["4915100000002@s.whatsapp.net"],
      hasMedia: false,
    });
    expect(typeof result.message.timestamp).toBe("number");
    const [row] = await t.db.select().from(outbox).where(eq(outbox.id, result.outboxId));
    expect(row).toMatchObject({
      messageId: result.message.id,
      mode: "sync",
      state: "sending",
      claimedBy: claimantOf(claim),
      attempts: 1,
    });
    expect(row?.slotAt?.getTime()).toBe(result.message.timestamp);
    const [chat] = await t.db
      .select()
      .from(chats)
      .where(and(eq(chats.sessionId, sessionId), eq(chats.jid, result.message.chatJid)));
    expect(chat?.lastMessageAt?.getTime()).toBe(result.message.timestamp);
    const [event] = await t.db.select().from(events).where(eq(events.sessionId, sessionId));
    expect(event).toMatchObject({
      organizationId,
      type: "message.updated",
      data: {
        id: result.message.id,
        waMessageId: result.message.waMessageId,
        status: "pending",
        error: null,
      },
    });
  });

  it("refusals write nothing: unknown session, a lease no longer held, full windows (with the counts); async ignores the windows", async () => {
    const missing = await reserve(t.db, newId(), null);
    expect(missing.result.kind).toBe("not_found");

    const { sessionId, claim } = await heldSession({ ratePerMin: 1, ratePerHour: 100 });
    const stale = { ...claim, fence: { ...claim.fence, epoch: claim.fence.epoch + 1 } };
    const fenced = await reserve(t.db, sessionId, stale);
    expect(fenced).toMatchObject({ holds: false, result: { kind: "fenced" } });
    expect(await countWritten(sessionId)).toEqual({ messages: 0, outbox: 0, events: 0 });

    expect((await reserve(t.db, sessionId, claim)).result.kind).toBe("reserved");
    const full = await reserve(t.db, sessionId, claim);
    expect(full.result).toMatchObject({ kind: "rate_limited", counts: { perMin: 1, perHour: 1 } });
    expect(await countWritten(sessionId)).toEqual({ messages: 1, outbox: 1, events: 1 });

    const queued = await reserve(t.db, sessionId, null);
    if (queued.result.kind !== "reserved") throw new Error(`not queued: ${queued.result.kind}`);
    const [row] = await t.db.select().from(outbox).where(eq(outbox.id, queued.result.outboxId));
    expect(row).toMatchObject({ mode: "async", state: "queued", slotAt: null, claimedBy: null, attempts: 0 });
  });

  it("markOutboxSent: `sent` with its event under the lease; null under a lost one; a receipt that came first is kept", async () => {
    const { sessionId, claim } = await heldSession({ ratePerMin: 10, ratePerHour: 100 });
    const first = (await reserve(t.db, sessionId, claim)).result;
    const second = (await reserve(t.db, sessionId, claim)).result;
    if (first.kind !== "reserved" || second.kind !== "reserved") throw new Error("not reserved");

    const stale = { ...claim, fence: { ...claim.fence, epoch: claim.fence.epoch + 1 } };
    expect(await markOutboxSent(t.db, first.outboxId, new Date(), stale)).toBeNull();
    expect((await t.db.select().from(outbox).where(eq(outbox.id, first.outboxId)))[0]?.state).toBe("sending");

    const sentAt = new Date(Date.now() - 5);
    const sent = await markOutboxSent(t.db, first.outboxId, sentAt, claim);
    expect(sent).toMatchObject({ id: first.message.id, status: "sent", timestamp: sentAt.getTime() });
    const [row] = await t.db.select().from(outbox).where(eq(outbox.id, first.outboxId));
    expect(row).toMatchObject({ state: "sent", sentAt });
    const updates = await t.db
      .select()
      .from(events)
      .where(and(eq(events.sessionId, sessionId), sql`${events.data}->>'id' = ${first.message.id}`));
    expect(updates.map((e) => (e.data as { status: string }).status)).toEqual(["pending", "sent"]);
    // Settled once: a second call finds no `sending` row of this claimant.
    expect(await markOutboxSent(t.db, first.outboxId, sentAt, claim)).toBeNull();

    await t.db.update(messages).set({ status: "delivered" }).where(eq(messages.id, second.message.id));
    const kept = await markOutboxSent(t.db, second.outboxId, new Date(), claim);
    expect(kept).toMatchObject({ id: second.message.id, status: "delivered" });
    const secondEvents = await t.db
      .select()
      .from(events)
      .where(sql`${events.data}->>'id' = ${second.message.id}`);
    expect(secondEvents).toHaveLength(1);
  });

  it("applyMessageReceipt (one statement): moves a message forward with its event, never back, and ignores unknown ids", async () => {
    const { sessionId, claim } = await heldSession({ ratePerMin: 10, ratePerHour: 100 });
    const reserved = (await reserve(t.db, sessionId, claim)).result;
    if (reserved.kind !== "reserved") throw new Error("not reserved");
    const waMessageId = reserved.message.waMessageId ?? "";
    const delivered = await applyMessageReceipt(t.db, sessionId, waMessageId, "delivered");
    expect(delivered).toMatchObject({
      id: reserved.message.id,
      status: "delivered",
      organizationId,
      body: "hi",
    });
    expect(delivered?.updatedAt).toBeGreaterThan(reserved.message.updatedAt);
    expect(await applyMessageReceipt(t.db, sessionId, waMessageId, "sent")).toBeNull();
    expect(await applyMessageReceipt(t.db, sessionId, "3EB0UNKNOWN", "read")).toBeNull();
    const statuses = (
      await t.db
        .select()
        .from(events)
        .where(sql`${events.data}->>'id' = ${reserved.message.id}`)
        .orderBy(events.id)
    ).map((e) => (e.data as { status: string }).status);
    expect(statuses).toEqual(["pending", "delivered"]);
  });

  it("sends of one session from two pools at once never take more slots than the window allows", async (ctx) => {
    // Needs transactions open at once: PGlite has one backend and runs them one after another.
    if (t.kind === "pglite") ctx.skip();
    const { sessionId, claim } = await heldSession({ ratePerMin: 5, ratePerHour: 100 });
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => reserve(i % 2 ? other.db : t.db, sessionId, claim)),
    );
    expect(results.filter((r) => r.result.kind === "reserved")).toHaveLength(5);
    expect(results.filter((r) => r.result.kind === "rate_limited")).toHaveLength(11);
    expect((await countWritten(sessionId)).outbox).toBe(5);
  });
});
