// What a connection hears, stored: inbound messages (deduplicated by WhatsApp id, with their chat and the
// `message.received` event), receipts moving outbound messages along, and autoRead's read receipts. Per session
// in arrival order; a session with autoRead off costs one small read per stored message, nothing more.
import type { Database } from "@wa/db";
import { safeError } from "@wa/db/errors";
import { applyMessageReceipt, failOutboundMessage, getSession, markMessagesRead, storeInboundMessage, type WaMessage } from "@wa/db/queries";
import type pino from "pino";
import type { MessageSink, MessageSource, ReceiptUpdate, ReceivedMessage } from "./types.ts";
import { messagesReceived } from "../metrics.ts";
import { retryWhileUnreachable } from "../whatsapp/retry-writes.ts";

export interface InboundDeps {
  db: Database;
  logger: pino.Logger;
  sourceOf(sessionId: string): MessageSource | null;
  organizationOf(sessionId: string): string | null;
  /** The connection opened: the outbox may send. */
  onOpened(sessionId: string): void;
}

export class InboundStore implements MessageSink {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly deps: InboundDeps) {}

  private enqueue(sessionId: string, what: string, work: () => Promise<void>): Promise<void> {
    const previous = this.chains.get(sessionId) ?? Promise.resolve();
    const next = previous
      .then(work)
      .catch((err: unknown) => this.deps.logger.error({ sessionId, what, err: safeError(err) }, "storing a WhatsApp message event failed"));
    this.chains.set(sessionId, next);
    void next.finally(() => {
      if (this.chains.get(sessionId) === next) this.chains.delete(sessionId);
    });
    return next;
  }

  /** Resolves once everything heard so far is stored. */
  async idle(): Promise<void> {
    // Work can queue more (a store queues its autoRead): wait until a pass finds nothing new.
    for (;;) {
      const pending = [...this.chains.values()];
      if (pending.length === 0) return;
      await Promise.all(pending);
      if ([...this.chains.values()].every((p) => pending.includes(p))) return;
    }
  }

  opened(sessionId: string): void {
    this.deps.onOpened(sessionId);
  }

  received(sessionId: string, messages: readonly ReceivedMessage[]): void {
    void this.storeNow(sessionId, messages);
  }

  storeNow(sessionId: string, messages: readonly ReceivedMessage[]): Promise<void> {
    return this.enqueue(sessionId, "messages", async () => {
      const organizationId = this.deps.organizationOf(sessionId) ?? (await getSession(this.deps.db, sessionId))?.organizationId;
      if (!organizationId) return;
      const stored: { message: WaMessage; participant: string | null }[] = [];
      for (const m of messages) {
        const { participant, ...fields } = m;
        // WhatsApp won't deliver it again once Baileys acknowledged it: a database outage is waited out, not dropped.
        const message = await retryWhileUnreachable(() => storeInboundMessage(this.deps.db, { ...fields, organizationId, sessionId }));
        if (message && !message.fromMe) {
          stored.push({ message, participant });
          messagesReceived.inc();
        }
      }
      // Next in the session's order, not part of the store: a store awaited before Baileys' delivery receipt
      // (storeBeforeReceipt) must not send the read receipt ahead of it.
      if (stored.length) void this.enqueue(sessionId, "autoRead", () => this.autoRead(sessionId, stored));
    });
  }

  receipts(sessionId: string, updates: readonly ReceiptUpdate[]): void {
    void this.enqueue(sessionId, "receipts", async () => {
      for (const u of updates) {
        await retryWhileUnreachable(() =>
          u.status === "failed"
            ? failOutboundMessage(this.deps.db, sessionId, u.waMessageId, u.error ?? "WhatsApp could not deliver the message")
            : applyMessageReceipt(this.deps.db, sessionId, u.waMessageId, u.status),
        );
      }
    });
  }

  /** autoRead: read receipts for what was just stored, when the session (as it is now) wants them. */
  private async autoRead(sessionId: string, stored: { message: WaMessage; participant: string | null }[]): Promise<void> {
    const session = await getSession(this.deps.db, sessionId);
    if (!session?.autoRead) return;
    const source = this.deps.sourceOf(sessionId);
    if (!source) return;
    await source.sendReadReceipts(
      stored.map(({ message, participant }) => ({
        chatJid: message.chatJid,
        waMessageId: message.waMessageId ?? "",
        participant: message.chatJid.endsWith("@g.us") ? (participant ?? message.senderJid) : null,
      })),
    );
    const byChat = new Map<string, string[]>();
    for (const { message } of stored) byChat.set(message.chatJid, [...(byChat.get(message.chatJid) ?? []), message.waMessageId ?? ""]);
    for (const [chatJid, ids] of byChat) await markMessagesRead(this.deps.db, sessionId, chatJid, ids);
  }
}
