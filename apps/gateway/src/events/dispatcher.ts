// The webhook dispatcher: a job queue in PostgreSQL, shared by every gateway. Each round a gateway leases webhooks
// that have work (`FOR UPDATE SKIP LOCKED`, one gateway per webhook at a time), turns the events past a webhook's
// cursor into delivery rows, then sends that webhook's oldest open delivery, then the next, in event order, until
// one fails (it waits for its backoff; later ones wait behind it) or the lease's time is used. Webhooks are worked
// on concurrently, so a slow or dead receiver holds one slot, never another webhook's deliveries. Nothing but the
// current delivery of each busy webhook is held in memory: pending deliveries stay rows.
import { webhookDelivery, type WebhookDeliveryStatus } from "@wa/db/contract";
import type { Database } from "@wa/db";
import {
  claimWebhook,
  extendWebhookLease,
  fanOutWebhook,
  headDelivery,
  recordDeliveryAttempt,
  releaseWebhook,
  releaseWebhookLeasesOf,
  type WebhookDelivery,
} from "@wa/db/queries";
import type { WebhookRow } from "@wa/db/schema";
import { safeError } from "@wa/db";
import type { Resolver, WebhookSecretCipher } from "@wa/api";
import type pino from "pino";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { postWebhook, type SendOutcome } from "./sender.ts";

export interface DispatcherOptions {
  /** Webhooks worked on at once by this gateway (default 16). */
  concurrency: number;
  /** How often to look for work when idle (default 250 ms). */
  pollMs: number;
  /** A webhook's lease; renewed while working (default 60 s). */
  leaseMs: number;
  timeoutMs: number;
  firstBackoffMs: number;
  maxBackoffMs: number;
  maxAttempts: number;
  /** Events read per fan-out step (default 2 000: a step is one short transaction whatever its size). */
  fanOutBatch: number;
  /** WEBHOOK_ALLOW_PRIVATE=1. */
  allowPrivate: boolean;
  /** DNS (tests). */
  resolve?: Resolver;
}

export const defaultDispatcherOptions: DispatcherOptions = {
  concurrency: 16,
  pollMs: 250,
  leaseMs: 60_000,
  timeoutMs: webhookDelivery.timeoutMs,
  firstBackoffMs: webhookDelivery.firstBackoffMs,
  maxBackoffMs: webhookDelivery.maxBackoffMs,
  maxAttempts: webhookDelivery.maxAttempts,
  fanOutBatch: 2_000,
  allowPrivate: false,
};

/** The wait before attempt `attempts + 1`, after `attempts` failed ones: first, doubling, capped. */
export function backoffMs(attempts: number, options: Pick<DispatcherOptions, "firstBackoffMs" | "maxBackoffMs">): number {
  return Math.min(options.firstBackoffMs * 2 ** Math.max(0, attempts - 1), options.maxBackoffMs);
}

/** `webhook-signature`: one `v1,…` per secret in force (both during a rotation's overlap), space separated. */
export function signatureHeader(secrets: string[], msgId: string, timestamp: Date, body: string): string {
  return secrets.map((secret) => new StandardWebhook(secret).sign(msgId, timestamp, body)).join(" ");
}

export interface DispatcherDeps {
  db: Database;
  logger: pino.Logger;
  gatewayId: string;
  cipher: WebhookSecretCipher;
  options?: Partial<DispatcherOptions>;
  /** Called after each attempt (metrics, tests). */
  onAttempt?: (outcome: { webhookId: string; status: WebhookDeliveryStatus }) => void;
}

export class WebhookDispatcher {
  private readonly options: DispatcherOptions;
  private readonly logger: pino.Logger;
  private readonly working = new Map<string, Promise<void>>();
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;

  constructor(private readonly deps: DispatcherDeps) {
    this.options = { ...defaultDispatcherOptions, ...deps.options };
    this.logger = deps.logger.child({ component: "webhooks" });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    // This gateway's previous process (killed) may have left leases: its work is ours to redo now.
    const freed = await releaseWebhookLeasesOf(this.deps.db, this.deps.gatewayId).catch((error: unknown) => {
      this.logger.warn({ err: safeError(error) }, "freeing this gateway's old webhook leases failed");
      return 0;
    });
    if (freed > 0) this.logger.info({ webhooks: freed }, "webhook leases of the previous process freed");
    this.loop = this.run();
  }

  /** Stops claiming; waits for the deliveries in flight (each ends by its timeout at the latest). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await Promise.all([...this.working.values()]);
  }

  /** Looks for work now instead of at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        while (this.running && this.working.size < this.options.concurrency) {
          const webhook = await claimWebhook(this.deps.db, this.deps.gatewayId, this.options.leaseMs);
          if (!webhook) break;
          const task = this.work(webhook).finally(() => {
            this.working.delete(webhook.id);
            this.wake();
          });
          this.working.set(webhook.id, task);
        }
      } catch (error) {
        this.logger.warn({ err: safeError(error) }, "looking for webhook work failed");
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.options.pollMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wakeUp = done;
      });
      this.wakeUp = null;
    }
  }

  private async work(webhook: WebhookRow): Promise<void> {
    const logger = this.logger.child({ webhookId: webhook.id, organizationId: webhook.organizationId });
    const until = Date.now() + this.options.leaseMs / 2;
    try {
      // New events first, so the head below is the oldest undelivered event.
      while (Date.now() < until && (await fanOutWebhook(this.deps.db, webhook, this.options.fanOutBatch)) === this.options.fanOutBatch);
      const secrets = this.secretsOf(webhook);
      while (this.running && Date.now() < until) {
        const delivery = await headDelivery(this.deps.db, webhook.id);
        if (!delivery || (delivery.nextAttemptAt ?? 0) > Date.now()) break;
        const status = await this.attempt(webhook, delivery, secrets, logger);
        this.deps.onAttempt?.({ webhookId: webhook.id, status });
        // A failed head waits for its backoff, and everything after it waits behind it (event order).
        if (status !== "delivered") break;
        if (!(await extendWebhookLease(this.deps.db, webhook.id, this.deps.gatewayId, this.options.leaseMs))) break;
      }
    } catch (error) {
      logger.warn({ err: safeError(error) }, "webhook work failed; retried at the next round");
    } finally {
      await releaseWebhook(this.deps.db, webhook.id, this.deps.gatewayId).catch((error: unknown) =>
        logger.warn({ err: safeError(error) }, "releasing a webhook lease failed (it expires)"),
      );
    }
  }

  /** The secrets that sign now: the current one, and the previous one during a rotation's overlap. */
  private secretsOf(webhook: WebhookRow): string[] {
    const secrets = [this.deps.cipher.open(webhook.id, webhook.secretSealed)];
    if (webhook.previousSecretSealed && webhook.previousSecretExpiresAt && webhook.previousSecretExpiresAt.getTime() > Date.now()) {
      secrets.push(this.deps.cipher.open(webhook.id, webhook.previousSecretSealed));
    }
    return secrets;
  }

  private async attempt(
    webhook: WebhookRow,
    delivery: WebhookDelivery,
    secrets: string[],
    logger: pino.Logger,
  ): Promise<WebhookDeliveryStatus> {
    const payload = delivery.payload;
    if (!payload) return "dead";
    const body = JSON.stringify(payload);
    const timestamp = new Date();
    let outcome: SendOutcome;
    try {
      outcome = await postWebhook({
        url: webhook.url,
        body,
        headers: {
          "user-agent": "wa-gateway-webhooks/1",
          "webhook-id": payload.id,
          "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
          "webhook-signature": signatureHeader(secrets, payload.id, timestamp, body),
        },
        timeoutMs: this.options.timeoutMs,
        allowPrivate: this.options.allowPrivate,
        resolve: this.options.resolve,
      });
    } catch (error) {
      outcome = { ok: false, statusCode: null, error: `request failed: ${safeError(error).message ?? "unknown error"}` };
    }
    const attempts = delivery.attempts + 1;
    if (outcome.ok) {
      await recordDeliveryAttempt(this.deps.db, delivery.id, { ok: true, statusCode: outcome.statusCode ?? 200 });
      logger.debug({ deliveryId: delivery.id, eventId: payload.id, attempts }, "webhook delivered");
      return "delivered";
    }
    const dead = attempts >= this.options.maxAttempts;
    const nextAttemptAt = dead ? null : new Date(Date.now() + backoffMs(attempts, this.options));
    await recordDeliveryAttempt(this.deps.db, delivery.id, {
      ok: false,
      statusCode: outcome.statusCode,
      error: outcome.error ?? "failed",
      nextAttemptAt,
    });
    logger.info({ deliveryId: delivery.id, eventId: payload.id, attempts, statusCode: outcome.statusCode, error: outcome.error, dead }, "webhook delivery failed");
    return dead ? "dead" : "failed";
  }
}
