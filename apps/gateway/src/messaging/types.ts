// Messaging's own view of a WhatsApp connection: what it sends through it and what it hears from it, in our types
// (whatsapp/ converts from and to Baileys; nothing here knows Baileys).
import type { ChatPresenceState, ChatType } from "@wa/db/contract";

export interface OutgoingText {
  chatJid: string;
  text: string;
  /** WhatsApp's message id, chosen (and stored) before sending. */
  waMessageId: string;
  mentions: string[];
  /** The message replied to, as stored. */
  quoted: { waMessageId: string; fromMe: boolean; senderJid: string | null; body: string | null } | null;
}

/** Why a send failed: `not-sent` never left (safe to send again), `refused` WhatsApp said no, `unknown` no answer. */
export class SendFailure extends Error {
  constructor(
    readonly kind: "not-sent" | "refused" | "unknown",
    message: string,
  ) {
    super(message);
    this.name = "SendFailure";
  }
}

/**
 * Any error of a send as a `SendFailure`. One that isn't (a bug, a driver error) is a refusal with a reason in
 * words: its own message may hold internals, and it is stored on the message and answered to the caller.
 */
export function asSendFailure(err: unknown): SendFailure {
  return err instanceof SendFailure ? err : new SendFailure("refused", "the gateway could not send it (internal error)");
}

export interface ReadKey {
  chatJid: string;
  waMessageId: string;
  /** The group member who wrote it (groups only). */
  participant: string | null;
}

/** A live connection's sending side. */
export interface MessageSource {
  /** A new WhatsApp message id (WhatsApp's format), to store before sending. */
  newMessageId(): string;
  /** Sends and resolves once WhatsApp acknowledged it (its time, epoch ms); rejects with a SendFailure. */
  sendText(message: OutgoingText): Promise<{ timestamp: number }>;
  sendPresence(chatJid: string, state: ChatPresenceState): Promise<void>;
  sendReadReceipts(keys: readonly ReadKey[]): Promise<void>;
}

/** A message WhatsApp delivered to the session (or one the account sent from another device). */
export interface ReceivedMessage {
  waMessageId: string;
  chatJid: string;
  chatType: ChatType;
  fromMe: boolean;
  type: string;
  body: string | null;
  quotedMessageId: string | null;
  mentions: string[];
  senderJid: string | null;
  senderLid: string | null;
  senderName: string | null;
  hasMedia: boolean;
  timestamp: number;
  /** For read receipts: who wrote it in a group. */
  participant: string | null;
}

/** A receipt about a message the account sent. */
export interface ReceiptUpdate {
  waMessageId: string;
  status: "sent" | "delivered" | "read" | "played" | "failed";
  /** For `failed`: why, in words. */
  error?: string;
}

/** What a connection hands to messaging as it hears it. */
export interface MessageSink {
  received(sessionId: string, messages: readonly ReceivedMessage[]): void;
  /** Stores them now (in order with everything heard before), resolving once they are in the database. */
  storeNow(sessionId: string, messages: readonly ReceivedMessage[]): Promise<void>;
  receipts(sessionId: string, updates: readonly ReceiptUpdate[]): void;
  /** The session's connection is open (queued messages may go). */
  opened(sessionId: string): void;
}
