// Stored WhatsApp messages: the contract's WAMessage, keyset pages (newest first), lookups, inbound inserts
// (deduplicated by WhatsApp id) and outbound status changes, each with its event in the same transaction.
import { and, desc, eq, inArray, or, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import type { ChatType, MessageDirection, MessageStatus } from "../contract.ts";
import { newId } from "../ids.ts";
import { chats, messages, type MessageRow } from "../schema/index.ts";
import { appendEvent } from "./events.ts";

/** The contract's WAMessage: times as epoch-ms integers, unset fields null. */
export interface WaMessage {
  id: string;
  sessionId: string;
  organizationId: string;
  waMessageId: string | null;
  chatJid: string;
  fromMe: boolean;
  direction: MessageDirection;
  type: string;
  body: string | null;
  quotedMessageId: string | null;
  mentions: string[];
  senderJid: string | null;
  senderLid: string | null;
  senderName: string | null;
  hasMedia: boolean;
  edited: boolean;
  deleted: boolean;
  status: MessageStatus | null;
  error: string | null;
  timestamp: number;
  createdAt: number;
  updatedAt: number;
}

/** Explicit selection: what a WAMessage is made of (not `unread`, which is bookkeeping). */
export const messageColumns = {
  id: messages.id,
  sessionId: messages.sessionId,
  organizationId: messages.organizationId,
  waMessageId: messages.waMessageId,
  chatJid: messages.chatJid,
  fromMe: messages.fromMe,
  direction: messages.direction,
  type: messages.type,
  body: messages.body,
  quotedMessageId: messages.quotedMessageId,
  mentions: messages.mentions,
  senderJid: messages.senderJid,
  senderLid: messages.senderLid,
  senderName: messages.senderName,
  hasMedia: messages.hasMedia,
  edited: messages.edited,
  deleted: messages.deleted,
  status: messages.status,
  error: messages.error,
  timestamp: messages.timestamp,
  createdAt: messages.createdAt,
  updatedAt: messages.updatedAt,
};
type MessageSelection = Omit<MessageRow, "unread">;

export function toWaMessage(row: MessageSelection): WaMessage {
  return {
    ...row,
    mentions: Array.isArray(row.mentions) ? row.mentions : [],
    timestamp: row.timestamp.getTime(),
    createdAt: row.createdAt.getTime(),
    updatedAt: row.updatedAt.getTime(),
  };
}

/** The `message.updated` event's data (contract). */
export const messageUpdatedData = (m: Pick<WaMessage, "id" | "waMessageId" | "status" | "error">) => ({
  id: m.id,
  waMessageId: m.waMessageId,
  status: m.status,
  error: m.error,
});

// ── cursors: opaque base64url of [epoch ms, tie-breaker] ─────────────────────────────────────────────────────────

export interface KeyCursor {
  at: number;
  key: string;
}

export function encodeKeyCursor(cursor: KeyCursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.key])).toString("base64url");
}

/** Null when the string is not a cursor this code issued. */
export function decodeKeyCursor(value: string): KeyCursor | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
    if (!Array.isArray(parsed) || parsed.length !== 2) return null;
    const [at, key] = parsed as unknown[];
    if (typeof at !== "number" || !Number.isSafeInteger(at) || at < 0 || at > Date.UTC(9999, 11, 31)) return null;
    if (typeof key !== "string" || key.length === 0 || key.length > 256 || key.includes("\u0000")) return null;
    return { at, key };
  } catch {
    return null;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

export interface ListMessagesParams {
  sessionId: string;
  limit: number;
  cursor?: KeyCursor | null;
  chatJid?: string;
  direction?: MessageDirection;
}

export interface MessagePage {
  data: WaMessage[];
  nextCursor: string | null;
}

/** A session's messages (of one chat, one direction), newest first, keyset on (timestamp, id). */
export async function listMessages(db: Executor, params: ListMessagesParams): Promise<MessagePage> {
  const { cursor } = params;
  const rows = await db
    .select(messageColumns)
    .from(messages)
    .where(
      and(
        eq(messages.sessionId, params.sessionId),
        params.chatJid ? eq(messages.chatJid, params.chatJid) : undefined,
        params.direction ? eq(messages.direction, params.direction) : undefined,
        cursor ? sql`(${messages.timestamp}, ${messages.id}) < (${iso(cursor.at)}::timestamptz, ${cursor.key})` : undefined,
      ),
    )
    .orderBy(desc(messages.timestamp), desc(messages.id))
    .limit(params.limit + 1);
  const page = rows.slice(0, params.limit);
  const last = page.at(-1);
  return {
    data: page.map(toWaMessage),
    nextCursor: rows.length > params.limit && last ? encodeKeyCursor({ at: last.timestamp.getTime(), key: last.id }) : null,
  };
}

/** One message of a session by our id or by WhatsApp's id. */
export async function getMessage(db: Executor, sessionId: string, idOrWaId: string): Promise<WaMessage | null> {
  const [row] = await db
    .select(messageColumns)
    .from(messages)
    .where(and(eq(messages.sessionId, sessionId), or(eq(messages.id, idOrWaId), eq(messages.waMessageId, idOrWaId))))
    .orderBy(sql`${messages.id} = ${idOrWaId} desc`)
    .limit(1);
  return row ? toWaMessage(row) : null;
}

export async function getMessageById(db: Executor, id: string): Promise<WaMessage | null> {
  const [row] = await db.select(messageColumns).from(messages).where(eq(messages.id, id)).limit(1);
  return row ? toWaMessage(row) : null;
}

/** Messages of an organization (or one of its sessions) changed after a point (the live feed), oldest change first. */
export async function listMessagesChangedSince(
  db: Executor,
  filter: { organizationId: string; sessionId?: string | undefined },
  after: KeyCursor | null,
  limit: number,
): Promise<WaMessage[]> {
  const rows = await db
    .select(messageColumns)
    .from(messages)
    .where(
      and(
        eq(messages.organizationId, filter.organizationId),
        filter.sessionId ? eq(messages.sessionId, filter.sessionId) : undefined,
        after ? sql`(${messages.updatedAt}, ${messages.id}) > (${iso(after.at)}::timestamptz, ${after.key})` : undefined,
      ),
    )
    .orderBy(messages.updatedAt, messages.id)
    .limit(limit);
  return rows.map(toWaMessage);
}

/** The newest change of the feed (where a live-only subscriber starts). */
export async function latestMessageChange(
  db: Executor,
  filter: { organizationId: string; sessionId?: string | undefined },
): Promise<KeyCursor | null> {
  const [row] = await db
    .select({ updatedAt: messages.updatedAt, id: messages.id })
    .from(messages)
    .where(and(eq(messages.organizationId, filter.organizationId), filter.sessionId ? eq(messages.sessionId, filter.sessionId) : undefined))
    .orderBy(desc(messages.updatedAt), desc(messages.id))
    .limit(1);
  return row ? { at: row.updatedAt.getTime(), key: row.id } : null;
}

/** Message counts per session (admins see counts, never bodies). */
export async function countMessagesBySession(
  db: Executor,
  sessionIds: readonly string[],
): Promise<{ sessionId: string; inbound: number; outbound: number; failed: number; lastMessageAt: number | null }[]> {
  if (sessionIds.length === 0) return [];
  const rows = await db
    .select({
      sessionId: messages.sessionId,
      inbound: sql<number>`count(*) filter (where ${messages.direction} = 'in')::int`,
      outbound: sql<number>`count(*) filter (where ${messages.direction} = 'out')::int`,
      failed: sql<number>`count(*) filter (where ${messages.status} = 'failed')::int`,
      lastMessageAt: sql<Date | null>`max(${messages.timestamp})`,
    })
    .from(messages)
    .where(inArray(messages.sessionId, [...sessionIds]))
    .groupBy(messages.sessionId);
  return rows.map((r) => ({
    sessionId: r.sessionId,
    inbound: Number(r.inbound),
    outbound: Number(r.outbound),
    failed: Number(r.failed),
    lastMessageAt: r.lastMessageAt ? new Date(r.lastMessageAt).getTime() : null,
  }));
}

// ── inbound ──────────────────────────────────────────────────────────────────────────────────────────────────────

export interface InboundMessage {
  organizationId: string;
  sessionId: string;
  waMessageId: string;
  chatJid: string;
  chatType: ChatType;
  chatName?: string | null;
  /** A message from the account's own phone (or another of its devices): stored as outbound, already sent. */
  fromMe: boolean;
  type: string;
  body: string | null;
  quotedMessageId: string | null;
  mentions: string[];
  senderJid: string | null;
  senderLid: string | null;
  senderName: string | null;
  hasMedia: boolean;
  /** Epoch ms. */
  timestamp: number;
}

/**
 * Stores a message WhatsApp delivered, once: a second delivery of the same WhatsApp id changes nothing and returns
 * null. Updates the chat (unread count, last message time) and appends `message.received`, all in one transaction.
 */
export async function storeInboundMessage(db: Executor, m: InboundMessage): Promise<WaMessage | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(messages)
      .values({
        id: newId(),
        organizationId: m.organizationId,
        sessionId: m.sessionId,
        waMessageId: m.waMessageId,
        chatJid: m.chatJid,
        fromMe: m.fromMe,
        direction: m.fromMe ? "out" : "in",
        type: m.type,
        body: m.body,
        quotedMessageId: m.quotedMessageId,
        mentions: m.mentions,
        senderJid: m.senderJid,
        senderLid: m.senderLid,
        senderName: m.senderName,
        hasMedia: m.hasMedia,
        status: m.fromMe ? "sent" : null,
        unread: !m.fromMe,
        timestamp: new Date(m.timestamp),
      })
      .onConflictDoNothing({ target: [messages.sessionId, messages.waMessageId] })
      .returning(messageColumns);
    if (!row) return null;
    await touchChat(tx, {
      sessionId: m.sessionId,
      jid: m.chatJid,
      type: m.chatType,
      name: m.chatName ?? null,
      at: m.timestamp,
      unread: m.fromMe ? 0 : 1,
    });
    const message = toWaMessage(row);
    await appendEvent(tx, { organizationId: m.organizationId, sessionId: m.sessionId, type: "message.received", data: message });
    return message;
  });
}

/** Creates the chat or moves its last message time forward, adding `unread` to its count. */
export async function touchChat(
  db: Executor,
  c: { sessionId: string; jid: string; type: ChatType; name: string | null; at: number; unread: number },
): Promise<void> {
  const at = new Date(c.at);
  await db
    .insert(chats)
    .values({ sessionId: c.sessionId, jid: c.jid, type: c.type, name: c.name, unreadCount: c.unread, lastMessageAt: at })
    .onConflictDoUpdate({
      target: [chats.sessionId, chats.jid],
      set: {
        unreadCount: sql`${chats.unreadCount} + ${c.unread}`,
        lastMessageAt: sql`greatest(${chats.lastMessageAt}, excluded.last_message_at)`,
        name: sql`coalesce(excluded.name, ${chats.name})`,
        updatedAt: sql`now()`,
      },
    });
}

// ── outbound status ──────────────────────────────────────────────────────────────────────────────────────────────

/** How far each status is along the receipts; a receipt never moves a message back. */
const statusRank: Record<MessageStatus, number> = { pending: 0, sent: 1, delivered: 2, read: 3, played: 4, failed: -1 };

/**
 * Moves an outbound message forward (`sent` → `delivered` → `read` → `played`) by a receipt, with its
 * `message.updated` event; a receipt for an earlier status, a failed or an unknown message changes nothing.
 */
export async function applyMessageReceipt(
  db: Executor,
  sessionId: string,
  waMessageId: string,
  status: Exclude<MessageStatus, "pending" | "failed">,
): Promise<WaMessage | null> {
  const behind = (Object.keys(statusRank) as MessageStatus[]).filter((s) => statusRank[s] >= 0 && statusRank[s] < statusRank[status]);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(messages)
      .set({ status, updatedAt: sql`greatest(now(), ${messages.updatedAt} + interval '1 millisecond')` })
      .where(
        and(
          eq(messages.sessionId, sessionId),
          eq(messages.waMessageId, waMessageId),
          eq(messages.fromMe, true),
          inArray(messages.status, behind),
        ),
      )
      .returning(messageColumns);
    if (!row) return null;
    const message = toWaMessage(row);
    await appendEvent(tx, { organizationId: message.organizationId, sessionId, type: "message.updated", data: messageUpdatedData(message) });
    return message;
  });
}

/** Sets an outbound message's status (and error) inside the caller's transaction, with its event. */
export async function setMessageStatus(
  tx: Executor,
  messageId: string,
  patch: { status: MessageStatus; error?: string | null; timestamp?: number },
): Promise<WaMessage | null> {
  const [row] = await tx
    .update(messages)
    .set({
      status: patch.status,
      error: patch.error ?? null,
      ...(patch.timestamp ? { timestamp: new Date(patch.timestamp) } : {}),
      updatedAt: sql`greatest(now(), ${messages.updatedAt} + interval '1 millisecond')`,
    })
    .where(eq(messages.id, messageId))
    .returning(messageColumns);
  if (!row) return null;
  const message = toWaMessage(row);
  await appendEvent(tx, {
    organizationId: message.organizationId,
    sessionId: message.sessionId,
    type: "message.updated",
    data: messageUpdatedData(message),
  });
  return message;
}

/** Unread inbound messages of a chat, to send read receipts for. */
export async function listUnreadMessages(
  db: Executor,
  sessionId: string,
  chatJid: string,
  limit = 1000,
): Promise<Pick<WaMessage, "id" | "waMessageId" | "chatJid" | "senderJid">[]> {
  const rows = await db
    .select({ id: messages.id, waMessageId: messages.waMessageId, chatJid: messages.chatJid, senderJid: messages.senderJid })
    .from(messages)
    .where(and(eq(messages.sessionId, sessionId), eq(messages.chatJid, chatJid), eq(messages.unread, true)))
    .orderBy(messages.timestamp)
    .limit(limit);
  return rows;
}

/** Marks inbound messages read (by WhatsApp id, or the whole chat) and recounts the chat's unread messages. */
export async function markMessagesRead(
  db: Executor,
  sessionId: string,
  chatJid: string,
  waMessageIds?: readonly string[],
): Promise<number> {
  return db.transaction(async (tx) => {
    const updated = await tx
      .update(messages)
      .set({ unread: false })
      .where(
        and(
          eq(messages.sessionId, sessionId),
          eq(messages.chatJid, chatJid),
          eq(messages.unread, true),
          waMessageIds ? inArray(messages.waMessageId, [...waMessageIds]) : undefined,
        ),
      )
      .returning({ id: messages.id });
    await tx
      .update(chats)
      .set({
        unreadCount: sql`(select count(*)::int from ${messages} where ${messages.sessionId} = ${sessionId} and ${messages.chatJid} = ${chatJid} and ${messages.unread})`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(chats.sessionId, sessionId), eq(chats.jid, chatJid)));
    return updated.length;
  });
}

/** WhatsApp reported an outbound message undeliverable: `failed` with the reason, unless it was already delivered. */
export async function failOutboundMessage(db: Executor, sessionId: string, waMessageId: string, reason: string): Promise<WaMessage | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ id: messages.id })
      .from(messages)
      .where(
        and(
          eq(messages.sessionId, sessionId),
          eq(messages.waMessageId, waMessageId),
          eq(messages.fromMe, true),
          inArray(messages.status, ["pending", "sent"]),
        ),
      )
      .for("update");
    return row ? setMessageStatus(tx, row.id, { status: "failed", error: reason }) : null;
  });
}
