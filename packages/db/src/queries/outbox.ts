// The outbox: every outbound message is a row (with its message, pending) before it goes out. Rows move
// queued → sending → sent (or failed); `slot_at` holds the rate-window slot; `claimed_by` names the engine
// instance and the lease epoch it was sending under, so a row left `sending` by a dead process (or by this one
// under a lease since lost) is recognised and resent with the same WhatsApp id. Every claim and settlement is
// fenced by the session's lease: a holder that lost it (paused past its lease, then resumed) changes nothing.
import { and, asc, eq, inArray, ne, or, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import type { ChatType, SessionStatus } from "../contract.ts";
import { newId } from "../ids.ts";
import { messages, outbox, waSessions, type OutboxRow } from "../schema/index.ts";
import { appendEvent } from "./events.ts";
import { LeaseLostError, lockFence, type LeaseFence } from "./leases.ts";
import { messageColumns, messageUpdatedData, setMessageStatus, toWaMessage, touchChat, type WaMessage } from "./messages.ts";

/** Who sends a row: an engine instance under the session's lease (its epoch). */
export interface OutboxClaim {
  instanceId: string;
  fence: LeaseFence;
}

/** The `claimed_by` of a claim: a later epoch of the same instance sees rows of an earlier one as orphans. */
export const claimantOf = (claim: OutboxClaim): string => `${claim.instanceId}#${claim.fence.epoch}`;

/**
 * Inside a transaction: whether the claim's lease is still the session's latest (then locked FOR SHARE, so a
 * takeover waits for this transaction). Take it before the session row (leases, then sessions: acquireLease's order).
 */
export async function outboxFenceHolds(tx: Executor, claim: OutboxClaim): Promise<boolean> {
  try {
    await lockFence(tx, claim.fence);
    return true;
  } catch (err) {
    if (err instanceof LeaseLostError) return false;
    throw err;
  }
}

export interface SendSessionState {
  organizationId: string;
  status: SessionStatus;
  ratePerMin: number;
  ratePerHour: number;
  presenceTyping: boolean;
}

/**
 * Locks the session row for the rest of the transaction: sends of one session reserve slots one after another,
 * on every gateway, and read the limits as they are now (a PATCH counts from the next send).
 */
export async function lockSessionForSend(tx: Executor, sessionId: string): Promise<SendSessionState | null> {
  const [row] = await tx
    .select({
      organizationId: waSessions.organizationId,
      status: waSessions.status,
      ratePerMin: waSessions.ratePerMin,
      ratePerHour: waSessions.ratePerHour,
      presenceTyping: waSessions.presenceTyping,
    })
    .from(waSessions)
    .where(eq(waSessions.id, sessionId))
    .for("update");
  return row ?? null;
}

export interface NewOutbound {
  organizationId: string;
  sessionId: string;
  waMessageId: string;
  chatJid: string;
  chatType: ChatType;
  body: string;
  quotedMessageId: string | null;
  mentions: string[];
  senderJid: string | null;
  mode: "sync" | "async";
  /** `sending` with a slot (cleared to go now), or `queued` without one. */
  state: "queued" | "sending";
  slotAt: Date | null;
  claimedBy: string | null;
}

/** Writes the message (pending) and its outbox row, touches the chat, appends `message.updated`. */
export async function createOutboundMessage(tx: Executor, m: NewOutbound): Promise<{ outboxId: string; message: WaMessage }> {
  const now = m.slotAt ?? new Date();
  const [row] = await tx
    .insert(messages)
    .values({
      id: newId(),
      organizationId: m.organizationId,
      sessionId: m.sessionId,
      waMessageId: m.waMessageId,
      chatJid: m.chatJid,
      fromMe: true,
      direction: "out",
      type: "text",
      body: m.body,
      quotedMessageId: m.quotedMessageId,
      mentions: m.mentions,
      senderJid: m.senderJid,
      status: "pending",
      timestamp: now,
    })
    .returning(messageColumns);
  if (!row) throw new Error("insert returned no row");
  const outboxId = newId();
  await tx.insert(outbox).values({
    id: outboxId,
    sessionId: m.sessionId,
    messageId: row.id,
    mode: m.mode,
    state: m.state,
    slotAt: m.slotAt,
    claimedBy: m.claimedBy,
    attempts: m.state === "sending" ? 1 : 0,
  });
  await touchChat(tx, { sessionId: m.sessionId, jid: m.chatJid, type: m.chatType, name: null, at: now.getTime(), unread: 0 });
  const message = toWaMessage(row);
  await appendEvent(tx, { organizationId: m.organizationId, sessionId: m.sessionId, type: "message.updated", data: messageUpdatedData(message) });
  return { outboxId, message };
}

export interface OutboxItem {
  outbox: OutboxRow;
  message: WaMessage;
}

export async function getOutboxItem(db: Executor, outboxId: string): Promise<OutboxItem | null> {
  const [row] = await db
    .select({ outbox, message: messageColumns })
    .from(outbox)
    .innerJoin(messages, eq(messages.id, outbox.messageId))
    .where(eq(outbox.id, outboxId))
    .limit(1);
  return row ? { outbox: row.outbox, message: toWaMessage(row.message) } : null;
}

/**
 * The session's next row to send, in send order: one left `sending` by another claimant (an instance that died
 * mid-send, or an earlier lease: resend with the same WhatsApp id), else the oldest queued one. Call under the
 * session lock.
 */
/** Rows of the session this claimant would take: queued, or `sending` under another claimant (an orphan). */
const claimable = (sessionId: string, claim: OutboxClaim) =>
  and(
    eq(outbox.sessionId, sessionId),
    or(
      eq(outbox.state, "queued"),
      and(eq(outbox.state, "sending"), or(ne(outbox.claimedBy, claimantOf(claim)), sql`${outbox.claimedBy} is null`)),
    ),
  );

export async function nextOutboxItem(tx: Executor, sessionId: string, claim: OutboxClaim): Promise<OutboxItem | null> {
  const [row] = await tx
    .select({ outbox, message: messageColumns })
    .from(outbox)
    .innerJoin(messages, eq(messages.id, outbox.messageId))
    .where(claimable(sessionId, claim))
    .orderBy(asc(outbox.seq))
    .limit(1);
  return row ? { outbox: row.outbox, message: toWaMessage(row.message) } : null;
}

/**
 * Cleared to go: `sending` by this claimant, holding a slot (an orphan keeps the slot it already held). Call in the
 * transaction that checked `outboxFenceHolds`.
 */
export async function claimOutbox(tx: Executor, outboxId: string, slotAt: Date, claim: OutboxClaim): Promise<void> {
  await tx
    .update(outbox)
    .set({
      state: "sending",
      slotAt: sql`coalesce(${outbox.slotAt}, ${slotAt.toISOString()}::timestamptz)`,
      claimedBy: claimantOf(claim),
      attempts: sql`${outbox.attempts} + 1`,
      updatedAt: sql`now()`,
    })
    .where(eq(outbox.id, outboxId));
}

/** Only the claimant's own `sending` row, and only while its lease holds. */
const claimedHere = (outboxId: string, claim: OutboxClaim) =>
  and(eq(outbox.id, outboxId), eq(outbox.state, "sending"), eq(outbox.claimedBy, claimantOf(claim)));

/**
 * WhatsApp acknowledged it: the row is done and the message `sent` (unless a receipt already moved it on). Null when
 * the claim no longer holds (the lease was lost: the new holder resends it with the same WhatsApp id and records it).
 */
export async function markOutboxSent(db: Executor, outboxId: string, sentAt: Date, claim: OutboxClaim): Promise<WaMessage | null> {
  return db.transaction(async (tx) => {
    if (!(await outboxFenceHolds(tx, claim))) return null;
    const [row] = await tx
      .update(outbox)
      // The slot moves to when WhatsApp took the message: the windows count sends as they happened, so a slow
      // send does not let the next window open early (its slot was taken before it went out).
      .set({ state: "sent", sentAt, slotAt: sql`greatest(${outbox.slotAt}, clock_timestamp())`, updatedAt: sql`now()` })
      .where(claimedHere(outboxId, claim))
      .returning({ messageId: outbox.messageId });
    if (!row) return null;
    // `pending` → `sent` as one conditional update (a receipt that got here first already moved it further).
    const [moved] = await tx
      .update(messages)
      // WhatsApp's time of the message is when it took it, not when it was queued.
      .set({ status: "sent", error: null, timestamp: sentAt, updatedAt: sql`greatest(now(), ${messages.updatedAt} + interval '1 millisecond')` })
      .where(and(eq(messages.id, row.messageId), eq(messages.status, "pending")))
      .returning(messageColumns);
    if (moved) {
      const message = toWaMessage(moved);
      await appendEvent(tx, { organizationId: message.organizationId, sessionId: message.sessionId, type: "message.updated", data: messageUpdatedData(message) });
      return message;
    }
    const [current] = await tx.select(messageColumns).from(messages).where(eq(messages.id, row.messageId));
    return current ? toWaMessage(current) : null;
  });
}

/** It never reached WhatsApp (the connection went away first): back in the queue, its slot released. */
export async function requeueOutbox(db: Executor, outboxId: string, claim: OutboxClaim): Promise<void> {
  await db.transaction(async (tx) => {
    if (!(await outboxFenceHolds(tx, claim))) return;
    await tx
      .update(outbox)
      .set({ state: "queued", slotAt: null, claimedBy: null, updatedAt: sql`now()` })
      .where(claimedHere(outboxId, claim));
  });
}

/**
 * It cannot be sent: the row and the message `failed` with the reason in words; its slot released. Null when the
 * claim no longer holds (the new holder decides).
 */
export async function failOutbox(db: Executor, outboxId: string, reason: string, claim: OutboxClaim): Promise<WaMessage | null> {
  return db.transaction(async (tx) => {
    if (!(await outboxFenceHolds(tx, claim))) return null;
    const [row] = await tx
      .update(outbox)
      .set({ state: "failed", slotAt: null, updatedAt: sql`now()` })
      .where(claimedHere(outboxId, claim))
      .returning({ messageId: outbox.messageId });
    if (!row) return null;
    return setMessageStatus(tx, row.messageId, { status: "failed", error: reason });
  });
}

/**
 * Whether the session has a row this claimant would take next (what `nextOutboxItem` looks for): one plain read,
 * no transaction and no lock, for the usual case of a connection opening with nothing queued.
 */
export async function hasOutboxWork(db: Executor, sessionId: string, claim: OutboxClaim): Promise<boolean> {
  const rows = await db.select({ id: outbox.id }).from(outbox).where(claimable(sessionId, claim)).limit(1);
  return rows.length > 0;
}

/** Sessions (of these) with rows still to send. */
export async function sessionsWithPendingOutbox(db: Executor, sessionIds: readonly string[]): Promise<string[]> {
  if (sessionIds.length === 0) return [];
  const rows = await db
    .select({ sessionId: outbox.sessionId })
    .from(outbox)
    .where(and(inArray(outbox.sessionId, [...sessionIds]), inArray(outbox.state, ["queued", "sending"])))
    .groupBy(outbox.sessionId);
  return rows.map((r) => r.sessionId);
}

/** A send whose outcome is unknown (no ack before the connection went): claimed by nobody, so the next pass
 * resends it with its WhatsApp id. */
export async function releaseOutboxClaim(db: Executor, outboxId: string, claim: OutboxClaim): Promise<void> {
  await db.transaction(async (tx) => {
    if (!(await outboxFenceHolds(tx, claim))) return;
    await tx.update(outbox).set({ claimedBy: null, updatedAt: sql`now()` }).where(claimedHere(outboxId, claim));
  });
}
