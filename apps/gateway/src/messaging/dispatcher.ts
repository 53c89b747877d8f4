// The outbox queue of the sessions this gateway holds: per session, one row at a time in send order, each cleared
// by the rate windows in the transaction that takes its slot, sent with its stored WhatsApp id. Rows a dead process
// left `sending` go first, with the same id (WhatsApp and the recipient recognise a resend of one id), so a crash
// neither loses a queued message nor delivers one twice. Each claim and each settlement is fenced by the session's
// lease epoch: a gateway that lost the lease (paused past it, then resumed) neither sends nor records anything.
import type { Database } from "@wa/db";
import { safeError } from "@wa/db/errors";
import {
  checkRateWindows,
  claimOutbox,
  failOutbox,
  hasOutboxWork,
  lockSessionForSend,
  markOutboxSent,
  nextOutboxItem,
  outboxFenceHolds,
  releaseOutboxClaim,
  requeueOutbox,
  type LeaseFence,
  type OutboxClaim,
  type OutboxItem,
} from "@wa/db/queries";
import type pino from "pino";
import { sendStoredText } from "./send-text.ts";
import { asSendFailure, type MessageSource } from "./types.ts";
import { messagesSent } from "../metrics.ts";
import { retryWhileUnreachable } from "../whatsapp/retry-writes.ts";

export interface DispatcherDeps {
  db: Database;
  logger: pino.Logger;
  /** This engine instance: rows it claims carry it; rows `sending` under another one were orphaned. */
  instanceId: string;
  sourceOf(sessionId: string): MessageSource | null;
  /** The lease this gateway holds the session under now, else null (not held, or no longer provably). */
  fenceOf(sessionId: string): LeaseFence | null;
  /** A message changed (sent, failed): for the idempotency record and the log. */
  onSettled?(item: OutboxItem): void;
}

type Step = { kind: "sent" | "failed" } | { kind: "empty" } | { kind: "offline" } | { kind: "wait"; ms: number };

export class OutboxDispatcher {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly deps: DispatcherDeps) {}

  /** Works through the session's queue now (or right after the pass already running). */
  kick(sessionId: string): void {
    if (this.closed) return;
    const timer = this.timers.get(sessionId);
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(sessionId);
    }
    if (this.running.has(sessionId)) {
      this.again.add(sessionId);
      return;
    }
    const pass = this.drain(sessionId)
      .catch((err: unknown) => this.deps.logger.error({ sessionId, err: safeError(err) }, "outbox pass failed"))
      .finally(() => {
        this.running.delete(sessionId);
        if (this.again.delete(sessionId)) this.kick(sessionId);
      });
    this.running.set(sessionId, pass);
  }

  /**
   * A connection opened: its queue is worked through when it holds something to send. One plain read answers for the
   * usual empty queue, instead of a pass's claim transaction (which also locks the session row while the opening's
   * status write wants it): a boot storm opens every session at once. A message queued meanwhile kicks its own pass.
   */
  opened(sessionId: string): void {
    if (this.closed) return;
    const fence = this.deps.fenceOf(sessionId);
    if (!fence || this.running.has(sessionId) || this.timers.has(sessionId)) {
      this.kick(sessionId);
      return;
    }
    hasOutboxWork(this.deps.db, sessionId, { instanceId: this.deps.instanceId, fence }).then(
      (work) => {
        if (work) this.kick(sessionId);
      },
      // the pass itself waits out a database that is away
      () => this.kick(sessionId),
    );
  }

  /** Stops scheduling; resolves once passes in flight end. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.all(this.running.values());
  }

  private async drain(sessionId: string): Promise<void> {
    while (!this.closed) {
      let step: Step;
      try {
        step = await this.step(sessionId);
      } catch (err) {
        // The database went away or a write failed: try the queue again shortly.
        this.deps.logger.warn({ sessionId, err: safeError(err) }, "outbox step failed; trying again");
        step = { kind: "wait", ms: 1_000 };
      }
      if (step.kind === "sent" || step.kind === "failed") continue;
      if (step.kind === "wait") {
        const timer = setTimeout(() => {
          this.timers.delete(sessionId);
          this.kick(sessionId);
        }, step.ms);
        timer.unref();
        this.timers.set(sessionId, timer);
      }
      return; // empty, or offline (the connection's open kicks it again)
    }
  }

  /** Takes the next row (slot reserved in the same transaction as the window check) and sends it. */
  private async step(sessionId: string): Promise<Step> {
    const { db, instanceId } = this.deps;
    const source = this.deps.sourceOf(sessionId);
    const fence = this.deps.fenceOf(sessionId);
    // Not held here (any more): the lease keeper closes the connection; the holder's connection kicks its own queue.
    if (!source || !fence) return { kind: "offline" };
    const claim: OutboxClaim = { instanceId, fence };
    const claimed = await db.transaction(async (tx) => {
      // The lease first (a takeover then waits for this claim to commit), then the session row.
      if (!(await outboxFenceHolds(tx, claim))) return { kind: "fenced" as const };
      const session = await lockSessionForSend(tx, sessionId);
      // The live connection (above) is the truth about `working`: the row's status may still be being written.
      if (!session) return { kind: "offline" as const };
      const item = await nextOutboxItem(tx, sessionId, claim);
      if (!item) return { kind: "empty" as const };
      const orphan = item.outbox.state === "sending";
      // An orphan already holds its slot (it may well have gone out): it is not counted twice.
      const decision = orphan ? null : await checkRateWindows(tx, sessionId, session);
      if (decision && !decision.allowed) return { kind: "wait" as const, ms: decision.retryAfterMs };
      await claimOutbox(tx, item.outbox.id, decision?.now ?? new Date(), claim);
      return { kind: "claimed" as const, item, presenceTyping: session.presenceTyping, orphan };
    });
    if (claimed.kind === "fenced") {
      this.deps.logger.warn({ sessionId, epoch: fence.epoch }, "outbox not sent: the session's lease is no longer ours");
      return { kind: "offline" };
    }
    if (claimed.kind !== "claimed") return claimed;
    const { item } = claimed;
    let timestamp: number;
    try {
      ({ timestamp } = await sendStoredText(this.deps, source, item.message, { presenceTyping: claimed.presenceTyping && !claimed.orphan }));
    } catch (err) {
      const failure = asSendFailure(err);
      if (failure.kind === "not-sent") {
        await retryWhileUnreachable(() => requeueOutbox(db, item.outbox.id, claim));
        return { kind: "offline" };
      }
      if (failure.kind === "unknown") {
        // It may have reached WhatsApp: left `sending` under this instance; the next connection's first pass
        // (another instance, or this one after a reconnect) resends it with the same id.
        await retryWhileUnreachable(() => releaseOutboxClaim(db, item.outbox.id, claim));
        return { kind: "offline" };
      }
      const failed = await retryWhileUnreachable(() => failOutbox(db, item.outbox.id, failure.message, claim));
      if (!failed) return { kind: "offline" }; // the lease went meanwhile: the new holder decides
      this.deps.onSettled?.(item);
      return { kind: "failed" };
    }
    // WhatsApp has it: a database error now is waited out, never recorded as a failure of the message.
    messagesSent.inc();
    const sent = await retryWhileUnreachable(() => markOutboxSent(db, item.outbox.id, new Date(timestamp), claim));
    // The lease went meanwhile: the new holder resends it under the same WhatsApp id and records it.
    if (!sent) return { kind: "offline" };
    this.deps.onSettled?.(item);
    return { kind: "sent" };
  }
}
