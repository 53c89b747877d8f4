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
import { appendEvent, appendEventCtes } from "./events.ts";
import { LeaseLostError, lockFence, type LeaseFence } from "./leases.ts";
import {
  messageColumns,
  messageColumnsSql,
  messageUpdatedData,
  movedMessageUpdatedCtes,
  rawToWaMessage,
  setMessageStatus,
  toWaMessage,
  touchChat,
  type WaMessage,
} from "./messages.ts";
import { rateCountsCte, type RateCounts } from "./rate-limits.ts";

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

export type OutboundReservation = Omit<NewOutbound, "state" | "slotAt" | "claimedBy"> & {
  /**
   * A sync send goes out now under this claim: cleared by the rate windows, it takes its slot (`sending`) — only
   * while the claim's lease holds. Null: queued (async), no slot, no window check.
   */
  claim: OutboxClaim | null;
};

export type ReserveResult =
  | { kind: "reserved"; outboxId: string; message: WaMessage }
  | { kind: "not_found" }
  /** The claim's lease is no longer the session's. */
  | { kind: "fenced" }
  /** The windows are full (rateDecision says until when). */
  | { kind: "rate_limited"; counts: RateCounts };

/**
 * createOutboundMessage and, for a sync send, checkRateWindows in one statement: the windows are counted, and only
 * if one more send fits (and the claim's lease holds) are the message, its outbox row, the chat's time and the
 * `message.updated` event written. Call after lockSessionForSend (and outboxFenceHolds) in the same transaction,
 * as its own statement: it must take its snapshot after the session lock is held, or the count could miss the slot
 * of the send that held the lock before.
 */
export async function reserveOutbound(tx: Executor, m: OutboundReservation): Promise<ReserveResult> {
  const messageId = newId();
  const outboxId = newId();
  const sync = m.claim !== null;
  const leaseHolds = m.claim
    ? sql`exists (select 1 from session_leases where session_id = ${m.claim.fence.sessionId}
        and gateway_id = ${m.claim.fence.gatewayId} and epoch = ${m.claim.fence.epoch})`
    : sql`true`;
  const fits = sync ? sql`rate_counts.per_min < s.rate_per_min and rate_counts.per_hour < s.rate_per_hour` : sql`true`;
  const data = messageUpdatedData({ id: messageId, waMessageId: m.waMessageId, status: "pending", error: null });
  const rows = (await tx.execute(sql`
    with ${rateCountsCte(m.sessionId)},
    target_session as materialized (select count(*)::int as n from wa_sessions where id = ${m.sessionId}),
    cleared as materialized (
      -- FOR UPDATE: already this transaction's (lockSessionForSend), so free; it keeps the rows serialized even so.
      select clock.t from clock, rate_counts, wa_sessions s where s.id = ${m.sessionId} and ${leaseHolds} and ${fits} for update of s),
    new_message as (
      insert into messages (id, organization_id, session_id, wa_message_id, chat_jid, from_me, direction, type, body,
        quoted_message_id, mentions, sender_jid, status, timestamp)
      select ${messageId}, ${m.organizationId}, ${m.sessionId}, ${m.waMessageId}, ${m.chatJid}, true, 'out', 'text', ${m.body},
        ${m.quotedMessageId}, ${JSON.stringify(m.mentions)}::jsonb, ${m.senderJid}, 'pending', cleared.t from cleared
      returning ${messageColumnsSql}),
    queued as (
      insert into outbox (id, session_id, message_id, mode, state, slot_at, claimed_by, attempts)
      select ${outboxId}, ${m.sessionId}, ${messageId}, ${m.mode}, ${sync ? "sending" : "queued"},
        ${sync ? sql`cleared.t` : sql`null::timestamptz`}, ${m.claim ? claimantOf(m.claim) : null}, ${sync ? 1 : 0} from new_message, cleared),
    chat as (
      insert into chats (session_id, jid, type, unread_count, last_message_at)
      select ${m.sessionId}, ${m.chatJid}, ${m.chatType}, 0, cleared.t from new_message, cleared
      on conflict (session_id, jid) do update
        set last_message_at = greatest(chats.last_message_at, excluded.last_message_at), updated_at = now()),
    ${appendEventCtes({
      from: sql.raw("new_message"),
      organizationId: sql`${m.organizationId}`,
      sessionId: sql`${m.sessionId}`,
      type: "message.updated",
      data: sql`${JSON.stringify(data)}::jsonb`,
    })}
    select target_session.n as sessions, ${leaseHolds} as lease_holds, clock.t as now, rate_counts.per_min, rate_counts.per_hour,
      (select to_jsonb(new_message) from new_message) as message
    from clock, rate_counts, target_session`)) as unknown as {
    sessions: number;
    lease_holds: boolean;
    now: Date | string;
    per_min: number;
    per_hour: number;
    message: Record<string, unknown> | null;
  }[];
  const row = rows[0];
  if (!row) throw new Error("reserveOutbound returned no row");
  if (row.message) return { kind: "reserved", outboxId, message: rawToWaMessage(row.message) };
  if (Number(row.sessions) === 0) return { kind: "not_found" };
  if (!row.lease_holds) return { kind: "fenced" };
  return { kind: "rate_limited", counts: { now: new Date(row.now), perMin: Number(row.per_min), perHour: Number(row.per_hour) } };
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
export async function nextOutboxItem(tx: Executor, sessionId: string, claim: OutboxClaim): Promise<OutboxItem | null> {
  const [row] = await tx
    .select({ outbox, message: messageColumns })
    .from(outbox)
    .innerJoin(messages, eq(messages.id, outbox.messageId))
    .where(
      and(
        eq(outbox.sessionId, sessionId),
        or(
          eq(outbox.state, "queued"),
          and(eq(outbox.state, "sending"), or(ne(outbox.claimedBy, claimantOf(claim)), sql`${outbox.claimedBy} is null`)),
        ),
      ),
    )
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
  // One statement (its own transaction): the lease row FOR SHARE first — a takeover waits for it — then the outbox
  // row, the message and its event, as the transaction of outboxFenceHolds and three writes did.
  const rows = (await db.execute(sql`
    with fence as materialized (
      select 1 from session_leases
      where session_id = ${claim.fence.sessionId} and gateway_id = ${claim.fence.gatewayId} and epoch = ${claim.fence.epoch}
      for share),
    done as materialized (
      -- The slot moves to when WhatsApp took the message: the windows count sends as they happened, so a slow
      -- send does not let the next window open early (its slot was taken before it went out).
      update outbox set state = 'sent', sent_at = ${sentAt.toISOString()}::timestamptz,
        slot_at = greatest(slot_at, clock_timestamp()), updated_at = now()
      where id = ${outboxId} and state = 'sending' and claimed_by = ${claimantOf(claim)} and exists (select 1 from fence)
      returning message_id),
    -- pending → sent as one conditional update (a receipt that got here first already moved it further); WhatsApp's
    -- time of the message is when it took it, not when it was queued.
    moved as (
      update messages set status = 'sent', error = null, timestamp = ${sentAt.toISOString()}::timestamptz,
        updated_at = greatest(now(), updated_at + interval '1 millisecond')
      where id = (select message_id from done) and status = 'pending'
      returning ${messageColumnsSql}),
    ${movedMessageUpdatedCtes()}
    select to_jsonb(moved) as message from moved
    union all
    select to_jsonb(unchanged) from (select ${messageColumnsSql} from messages where id = (select message_id from done)) unchanged
    where not exists (select 1 from moved)`)) as unknown as { message: Record<string, unknown> }[];
  const row = rows[0];
  return row ? rawToWaMessage(row.message) : null;
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
