// Messaging on the gateway that holds the session (the router's MessagingService port): sends — checked against
// the session's rate windows and written to the outbox in one transaction with the session row locked, idempotent
// by key — then sent at once (sync) or by the queue (async); chat read receipts and chat presence.
import { randomBytes } from "node:crypto";
import { DomainError, errorCodes, isErrorCode, type MessagingService, type SendOutcome, type SendRequest, type SendResult } from "@wa/api";
import type { Database } from "@wa/db";
import { safeError } from "@wa/db/errors";
import {
  checkRateWindows,
  claimIdempotencyKey,
  createOutboundMessage,
  failOutbox,
  findIdempotencyKey,
  getOutboxItem,
  listUnreadMessages,
  lockSessionForSend,
  markMessagesRead,
  markOutboxSent,
  outboxFenceHolds,
  pruneIdempotencyKeys,
  releaseOutboxClaim,
  saveIdempotentResponse,
  claimantOf,
  type IdempotencyRecord,
  type LeaseFence,
  type OutboxClaim,
  type WaMessage,
  type WaSession,
} from "@wa/db/queries";
import type pino from "pino";
import { OutboxDispatcher } from "./dispatcher.ts";
import { InboundStore } from "./inbound-store.ts";
import { PerKeyQueue } from "./per-key-queue.ts";
import { sendStoredText } from "./send-text.ts";
import { asSendFailure, SendFailure, type MessageSource } from "./types.ts";
import { messagesSent, rateLimitRefusals } from "../metrics.ts";
import { retryWhileUnreachable } from "../whatsapp/retry-writes.ts";

export interface MessagingDeps {
  db: Database;
  logger: pino.Logger;
  /** This engine instance (outbox rows it is sending carry it). */
  instanceId: string;
  sourceOf(sessionId: string): MessageSource | null;
  /** The lease this gateway holds the session under now, else null: outbox claims and updates are fenced by it. */
  fenceOf(sessionId: string): LeaseFence | null;
  /** `not_found` for an unknown session, `gateway_unavailable` when another live gateway holds it. */
  assertHeld(sessionId: string): Promise<WaSession>;
  organizationOf(sessionId: string): string | null;
}

/** How long a replay waits for a send in flight (a sync send still waiting for WhatsApp) before answering 202 pending. */
const REPLAY_WAIT_MS = 60_000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** WhatsApp's id format for a message sent while no connection is open (one chooses it then otherwise). */
const offlineMessageId = () => `3EB0${randomBytes(9).toString("hex").toUpperCase()}`;

interface StoredError {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export class Messaging implements MessagingService {
  readonly sink: InboundStore;
  readonly dispatcher: OutboxDispatcher;
  private pruner: NodeJS.Timeout | null = null;
  /** Reservations of one session wait here, not on its row lock inside an open transaction. */
  private readonly reservations = new PerKeyQueue();

  constructor(private readonly deps: MessagingDeps) {
    this.dispatcher = new OutboxDispatcher({ ...deps, logger: deps.logger.child({ component: "outbox" }) });
    this.sink = new InboundStore({
      ...deps,
      logger: deps.logger.child({ component: "inbound" }),
      onOpened: (sessionId) => this.dispatcher.opened(sessionId),
    });
  }

  start(): void {
    this.pruner ??= setInterval(() => {
      pruneIdempotencyKeys(this.deps.db).catch((err: unknown) => this.deps.logger.warn({ err: safeError(err) }, "pruning idempotency keys failed"));
    }, PRUNE_EVERY_MS);
    this.pruner.unref();
  }

  async close(): Promise<void> {
    if (this.pruner) clearInterval(this.pruner);
    this.pruner = null;
    await this.dispatcher.close();
    await this.sink.idle();
  }

  async send(req: SendRequest): Promise<SendOutcome> {
    const { db, instanceId } = this.deps;
    await this.deps.assertHeld(req.sessionId);
    const source = this.deps.sourceOf(req.sessionId);
    const fence = this.deps.fenceOf(req.sessionId);
    const claim: OutboxClaim | null = fence ? { instanceId, fence } : null;
    const reserved = await this.reservations.run(req.sessionId, () =>
      db.transaction(async (tx) => {
        // A sync send goes out under the lease: a gateway that lost it (paused past it) claims nothing. Taken
        // before the session row, in acquireLease's order. (Without a connection it is refused below.)
        if (!req.async && source && !(claim && (await outboxFenceHolds(tx, claim)))) {
          throw new DomainError("gateway_unavailable", "this gateway no longer holds the session; try again");
        }
        // Sends of this session, here or on any gateway, pass this lock one at a time: the window count and the
        // slot taken below cannot interleave with another send's.
        const session = await lockSessionForSend(tx, req.sessionId);
        if (!session) throw new DomainError("not_found", "session not found");
        if (req.idempotencyKey) {
          const existing = await findIdempotencyKey(tx, req.organizationId, req.idempotencyKey);
          if (existing) return { kind: "replay" as const, existing };
        }
        // The live connection is the truth about `working` (the row's status may lag it by a write).
        if (!req.async && !source) {
          throw new DomainError("conflict", `session is not working (${session.status}); send with ?async=true to queue it`);
        }
        let slotAt: Date | null = null;
        if (!req.async) {
          const decision = await checkRateWindows(tx, req.sessionId, session);
          if (!decision.allowed) {
            const limit = decision.window === "minute" ? session.ratePerMin : session.ratePerHour;
            rateLimitRefusals.inc({ window: decision.window });
            throw new DomainError(
              "rate_limited",
              `over the session's limit of ${limit} messages per ${decision.window}; try again in ${Math.ceil(decision.retryAfterMs / 1000)} s`,
              { retryAfterMs: decision.retryAfterMs, window: decision.window, limit },
            );
          }
          slotAt = decision.now;
        }
        const { outboxId, message } = await createOutboundMessage(tx, {
          organizationId: req.organizationId,
          sessionId: req.sessionId,
          waMessageId: source?.newMessageId() ?? offlineMessageId(),
          chatJid: req.chatJid,
          chatType: req.chatJid.endsWith("@g.us") ? "group" : "dm",
          body: req.text,
          quotedMessageId: req.replyTo,
          mentions: req.mentions,
          senderJid: null,
          mode: req.async ? "async" : "sync",
          state: req.async ? "queued" : "sending",
          slotAt,
          claimedBy: req.async || !claim ? null : claimantOf(claim),
        });
        const queued: SendResult | null = req.async ? resultOf("async", outboxId, message, null) : null;
        if (req.idempotencyKey) {
          const claimed = await claimIdempotencyKey(tx, {
            organizationId: req.organizationId,
            key: req.idempotencyKey,
            sessionId: req.sessionId,
            requestHash: req.requestHash,
            outboxId,
            ...(queued ? { responseStatus: 202, response: queued } : {}),
          });
          // Only a request for another session can have taken the key meanwhile (this session's wait on the lock).
          if (!claimed) throw new DomainError("conflict", "this Idempotency-Key was used for a different request");
        }
        return { kind: "new" as const, outboxId, message, queued, presenceTyping: session.presenceTyping, claim };
      }),
    );

    if (reserved.kind === "replay") return this.replay(req, reserved.existing);
    if (reserved.queued) {
      this.dispatcher.kick(req.sessionId);
      return { httpStatus: 202, result: reserved.queued };
    }
    if (!reserved.claim) throw new Error("a sync send reserved without a lease claim");
    return this.sendNow(req, reserved.outboxId, reserved.message, reserved.presenceTyping, source, reserved.claim);
  }

  private async sendNow(
    req: SendRequest,
    outboxId: string,
    message: WaMessage,
    presenceTyping: boolean,
    source: MessageSource | null,
    claim: OutboxClaim,
  ): Promise<SendOutcome> {
    const { db } = this.deps;
    let timestamp: number;
    try {
      if (!source) throw new SendFailure("not-sent", "the session's connection closed");
      ({ timestamp } = await sendStoredText(this.deps, source, message, { presenceTyping }));
    } catch (err) {
      throw await this.sendFailed(req, outboxId, message, asSendFailure(err), claim);
    }
    // WhatsApp has it: from here a database error is waited out, never turned into a failure (that would mark a
    // delivered message failed, or tell the caller to send it again). Null when the lease went meanwhile: the new
    // holder resends it under the same WhatsApp id and records it; the caller still learns WhatsApp took it.
    messagesSent.inc();
    const sent = await retryWhileUnreachable(() => markOutboxSent(db, outboxId, new Date(timestamp), claim));
    const result: SendResult = { ...resultOf("sync", outboxId, sent ?? message, timestamp), status: "sent" };
    await this.remember(req, 200, result);
    return { httpStatus: 200, result };
  }

  /** Settles a sync send WhatsApp did not take (or may have taken), and the error its caller gets. */
  private async sendFailed(
    req: SendRequest,
    outboxId: string,
    message: WaMessage,
    failure: SendFailure,
    claim: OutboxClaim,
  ): Promise<DomainError> {
    const { db } = this.deps;
    const failed = failure.kind === "unknown" ? null : await retryWhileUnreachable(() => failOutbox(db, outboxId, failure.message, claim));
    if (!failed) {
      // It may have reached WhatsApp (or the lease went meanwhile, and the new holder decides): the queue sends it
      // again with the same WhatsApp id, which WhatsApp and the recipient recognise, so it arrives once. No answer
      // is recorded for the key: a replay answers what became of it.
      if (failure.kind === "unknown") await retryWhileUnreachable(() => releaseOutboxClaim(db, outboxId, claim));
      this.dispatcher.kick(req.sessionId);
      return new DomainError("gateway_unavailable", `${failure.message}; it will be sent again with the same WhatsApp id`, {
        messageId: message.id,
        outboxId,
      });
    }
    const error = new DomainError("gateway_unavailable", `the message was not sent: ${failure.message}`, { messageId: message.id, outboxId });
    await this.remember(req, errorCodes[error.code], storedError(error));
    return error;
  }

  private async remember(req: SendRequest, status: number, response: unknown): Promise<void> {
    const key = req.idempotencyKey;
    if (!key) return;
    await retryWhileUnreachable(() => saveIdempotentResponse(this.deps.db, req.organizationId, key, status, response));
  }

  /**
   * The first request's answer again. With none recorded yet, the outbox row says where the message is: sent or
   * failed (the first request's answer, recorded now), in flight (wait for it), or waiting to go — queued, or left
   * `sending` by a gateway that died mid-send — which the queue is told to send (it resends with the same WhatsApp
   * id); a replay that cannot see it settle soon answers 202 `pending`, as an async send would.
   */
  private async replay(req: SendRequest, first: IdempotencyRecord): Promise<SendOutcome> {
    if (first.requestHash !== req.requestHash) {
      throw new DomainError("conflict", "this Idempotency-Key was used for a different request");
    }
    let record: IdempotencyRecord | null = first;
    const deadline = Date.now() + REPLAY_WAIT_MS;
    for (;;) {
      if (!record) throw new DomainError("conflict", "this Idempotency-Key expired meanwhile");
      if (record.responseStatus !== null) return answerRecorded(record);
      const settled = await this.settleFromOutbox(req, record.outboxId, Date.now() > deadline);
      if (settled) return settled;
      await sleep(50);
      record = await findIdempotencyKey(this.deps.db, req.organizationId, req.idempotencyKey ?? "");
    }
  }

  /** A replay's answer from the outbox row when no answer is recorded; null while it is in flight (wait). */
  private async settleFromOutbox(req: SendRequest, outboxId: string, waitedEnough: boolean): Promise<SendOutcome | null> {
    const item = await getOutboxItem(this.deps.db, outboxId);
    if (!item) throw new DomainError("not_found", "the message of this Idempotency-Key no longer exists");
    const { outbox: row, message } = item;
    if (row.state === "sent") {
      const result: SendResult = { ...resultOf("sync", row.id, message, row.sentAt?.getTime() ?? message.timestamp), status: "sent" };
      await this.remember(req, 200, result);
      return { httpStatus: 200, result: { ...result, replayed: true } };
    }
    if (row.state === "failed") {
      const error = new DomainError("gateway_unavailable", `the message was not sent: ${message.error ?? "it failed"}`, {
        messageId: message.id,
        outboxId: row.id,
      });
      await this.remember(req, errorCodes[error.code], storedError(error));
      throw error;
    }
    const fence = this.deps.fenceOf(req.sessionId);
    const inFlightHere = row.state === "sending" && fence !== null && row.claimedBy === claimantOf({ instanceId: this.deps.instanceId, fence });
    if (!inFlightHere) this.dispatcher.kick(req.sessionId);
    // Only a row some send has under way, or an orphan a live connection is about to resend, is worth waiting for.
    const worthWaiting = row.state === "sending" && (inFlightHere || this.deps.sourceOf(req.sessionId) !== null);
    if (worthWaiting && !waitedEnough) return null;
    return { httpStatus: 202, result: { ...resultOf("async", row.id, message, null), replayed: true } };
  }

  async markChatRead(sessionId: string, chatJid: string): Promise<number> {
    await this.deps.assertHeld(sessionId);
    const source = this.requireSource(sessionId);
    const unread = await listUnreadMessages(this.deps.db, sessionId, chatJid);
    const group = chatJid.endsWith("@g.us");
    await source.sendReadReceipts(
      unread.map((m) => ({ chatJid, waMessageId: m.waMessageId ?? "", participant: group ? m.senderJid : null })),
    );
    await markMessagesRead(this.deps.db, sessionId, chatJid, unread.map((m) => m.waMessageId ?? ""));
    return unread.length;
  }

  async setChatPresence(sessionId: string, chatJid: string, state: "composing" | "recording" | "paused"): Promise<void> {
    await this.deps.assertHeld(sessionId);
    await this.requireSource(sessionId).sendPresence(chatJid, state);
  }

  private requireSource(sessionId: string): MessageSource {
    const source = this.deps.sourceOf(sessionId);
    if (!source) throw new DomainError("conflict", "session is not working");
    return source;
  }
}

function storedError(error: DomainError): StoredError {
  return { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
}

function answerRecorded(record: IdempotencyRecord): SendOutcome {
  if (record.responseStatus === null) throw new Error("no answer recorded");
  if (record.responseStatus >= 400) {
    const stored = (record.response as StoredError | null)?.error;
    const code = stored && isErrorCode(stored.code) ? stored.code : "internal";
    throw new DomainError(code, stored?.message ?? "the first request failed", stored?.details);
  }
  const result = { ...(record.response as SendResult), replayed: true };
  return { httpStatus: record.responseStatus === 202 ? 202 : 200, result };
}

function resultOf(mode: "sync" | "async", outboxId: string, message: WaMessage, timestamp: number | null): SendResult {
  return {
    mode,
    outboxId,
    waMessageId: message.waMessageId,
    status: mode === "sync" ? "sent" : "pending",
    timestamp,
    replayed: false,
    message,
  };
}
