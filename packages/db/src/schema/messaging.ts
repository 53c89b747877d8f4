// Messaging: stored messages (both directions), chats, the outbox that sends outbound ones (and counts the rate
// windows), and remembered Idempotency-Keys.
import { sql } from "drizzle-orm";
import { bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { chatTypes, messageDirections, messageStatuses } from "../contract.ts";
import { createdAt, timestampMs, ulidId, updatedAt } from "./columns.ts";
import { organizations } from "./identity.ts";
import { waSessions } from "./whatsapp.ts";

/** The contract's WAMessage, one row per WhatsApp message of a session. */
export const messages = pgTable(
  "messages",
  {
    id: ulidId(),
    organizationId: text()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    sessionId: text()
      .notNull()
      .references(() => waSessions.id, { onDelete: "cascade" }),
    /** WhatsApp's id; for outbound messages chosen before sending, so a resend after a crash reuses it. */
    waMessageId: text().notNull(),
    chatJid: text().notNull(),
    fromMe: boolean().notNull(),
    direction: text({ enum: messageDirections }).notNull(),
    type: text().notNull(),
    body: text(),
    quotedMessageId: text(),
    mentions: jsonb().$type<string[]>().notNull().default([]),
    senderJid: text(),
    senderLid: text(),
    senderName: text(),
    hasMedia: boolean().notNull().default(false),
    edited: boolean().notNull().default(false),
    deleted: boolean().notNull().default(false),
    status: text({ enum: messageStatuses }),
    error: text(),
    /** Inbound: not yet marked read by us (chat read, autoRead). */
    unread: boolean().notNull().default(false),
    timestamp: timestampMs().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // dedupe by WhatsApp id (a redelivered message is stored once); lookup by WhatsApp id; receipts
    uniqueIndex("messages_session_wa_id_idx").on(t.sessionId, t.waMessageId),
    // a session's messages newest first, keyset on (timestamp, id)
    index("messages_session_ts_idx").on(t.sessionId, t.timestamp, t.id),
    // a chat's messages newest first
    index("messages_session_chat_ts_idx").on(t.sessionId, t.chatJid, t.timestamp, t.id),
    // the live feed: rows changed after a point, per session
    index("messages_session_updated_idx").on(t.sessionId, t.updatedAt, t.id),
    // the live feed of a whole organization
    index("messages_org_updated_idx").on(t.organizationId, t.updatedAt, t.id),
    // unread inbound messages of a chat (chat read)
    index("messages_unread_idx").on(t.sessionId, t.chatJid).where(sql`${t.unread}`),
  ],
);
export type MessageRow = typeof messages.$inferSelect;

export const chats = pgTable(
  "chats",
  {
    sessionId: text()
      .notNull()
      .references(() => waSessions.id, { onDelete: "cascade" }),
    jid: text().notNull(),
    type: text({ enum: chatTypes }).notNull(),
    name: text(),
    unreadCount: integer().notNull().default(0),
    archived: boolean().notNull().default(false),
    pinned: boolean().notNull().default(false),
    mutedUntil: timestampMs(),
    lastMessageAt: timestampMs(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.sessionId, t.jid] }),
    // chats most recent first, keyset on (last_message_at, jid)
    index("chats_session_last_idx").on(t.sessionId, t.lastMessageAt, t.jid),
  ],
);
export type ChatRow = typeof chats.$inferSelect;

export const outboxStates = ["queued", "sending", "sent", "failed"] as const;
export type OutboxState = (typeof outboxStates)[number];

/**
 * One row per outbound message, written before it goes out. `slotAt` is the rate-window slot the send holds
 * (set when it is cleared to go, moved to when WhatsApp took it, cleared again if it never reached WhatsApp): the
 * windows count these.
 */
export const outbox = pgTable(
  "outbox",
  {
    id: ulidId(),
    /** Send order within a session (queued messages go out by it). */
    seq: bigserial({ mode: "number" }).notNull(),
    sessionId: text()
      .notNull()
      .references(() => waSessions.id, { onDelete: "cascade" }),
    messageId: text()
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    mode: text({ enum: ["sync", "async"] }).notNull(),
    state: text({ enum: outboxStates }).notNull(),
    slotAt: timestampMs(),
    /** The engine instance that set `sending`: another one finding the row `sending` knows it was orphaned. */
    claimedBy: text(),
    attempts: integer().notNull().default(0),
    sentAt: timestampMs(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // the rate windows: slots of a session after a point in time
    index("outbox_session_slot_idx").on(t.sessionId, t.slotAt),
    // the queue: a session's unfinished rows in send order
    index("outbox_pending_idx").on(t.sessionId, t.seq).where(sql`${t.state} in ('queued', 'sending')`),
    uniqueIndex("outbox_message_idx").on(t.messageId),
  ],
);
export type OutboxRow = typeof outbox.$inferSelect;

/** An Idempotency-Key of a send, remembered 24 h with what the first request was and which message it made. */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    organizationId: text()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    key: text().notNull(),
    sessionId: text()
      .notNull()
      .references(() => waSessions.id, { onDelete: "cascade" }),
    /** SHA-256 of the request (session, body, mode): the same key with another request is a conflict. */
    requestHash: text().notNull(),
    outboxId: text()
      .notNull()
      .references(() => outbox.id, { onDelete: "cascade" }),
    /** The first answer's status code and body once known (a sync send's is known after WhatsApp answered). */
    responseStatus: integer(),
    response: jsonb(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.key] }), index("idempotency_keys_created_idx").on(t.createdAt)],
);
