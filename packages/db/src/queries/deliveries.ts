// Webhook deliveries: one row per event and webhook. The dispatcher sends a webhook's oldest open delivery first
// (event order) and records each attempt; the console pages them, newest first, and asks for a retry.
import { and, asc, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import type { WebhookDeliveryStatus } from "../contract.ts";
import { events, webhookDeliveries, type WebhookDeliveryRow } from "../schema/index.ts";
import { toEventEnvelope, type EventEnvelope } from "./events.ts";

/** The contract's delivery, plus the webhook it belongs to and the event it carries (the signed body's content). */
export interface WebhookDelivery {
  id: string;
  webhookId: string;
  eventId: string;
  type: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: number | null;
  deliveredAt: number | null;
  createdAt: number;
  /** The event as sent (the body of the POST); null once pruned. */
  payload: EventEnvelope | null;
}

const toDelivery = (row: WebhookDeliveryRow, payload: EventEnvelope | null): WebhookDelivery => ({
  id: row.id,
  webhookId: row.webhookId,
  eventId: row.eventId,
  type: row.type,
  status: row.status,
  attempts: row.attempts,
  lastStatusCode: row.lastStatusCode,
  lastError: row.lastError,
  // Only an open delivery has a next attempt.
  nextAttemptAt: row.status === "pending" || row.status === "failed" ? row.nextAttemptAt.getTime() : null,
  deliveredAt: row.deliveredAt?.getTime() ?? null,
  createdAt: row.createdAt.getTime(),
  payload,
});

/** A webhook's oldest open delivery (the next to send, in event order) with its event; null when none is open. */
export async function headDelivery(db: Executor, webhookId: string): Promise<WebhookDelivery | null> {
  const [row] = await db
    .select({ delivery: webhookDeliveries, event: events })
    .from(webhookDeliveries)
    .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
    .where(and(eq(webhookDeliveries.webhookId, webhookId), inArray(webhookDeliveries.status, ["pending", "failed"])))
    .orderBy(asc(webhookDeliveries.eventId))
    .limit(1);
  return row ? toDelivery(row.delivery, toEventEnvelope(row.event)) : null;
}

export type DeliveryOutcome =
  | { ok: true; statusCode: number }
  | { ok: false; statusCode: number | null; error: string; nextAttemptAt: Date | null };

/** Records one attempt: delivered, or failed until `nextAttemptAt`, or dead when that is null. */
export async function recordDeliveryAttempt(db: Executor, id: string, outcome: DeliveryOutcome): Promise<void> {
  const attempted = { attempts: sql`${webhookDeliveries.attempts} + 1`, lastStatusCode: outcome.statusCode };
  if (outcome.ok) {
    await db
      .update(webhookDeliveries)
      .set({ ...attempted, status: "delivered", lastError: null, deliveredAt: new Date() })
      .where(eq(webhookDeliveries.id, id));
    return;
  }
  await db
    .update(webhookDeliveries)
    .set({
      ...attempted,
      status: outcome.nextAttemptAt ? "failed" : "dead",
      lastError: outcome.error,
      ...(outcome.nextAttemptAt ? { nextAttemptAt: outcome.nextAttemptAt } : {}),
    })
    .where(eq(webhookDeliveries.id, id));
}

export interface DeliveryPageParams {
  webhookId: string;
  status?: WebhookDeliveryStatus | undefined;
  /** The last id of the previous page (exclusive). */
  before?: string | undefined;
  limit: number;
}

/** A page of a webhook's deliveries, newest first; `nextCursor` is the id to pass as `before`. */
export async function listDeliveries(
  db: Executor,
  params: DeliveryPageParams,
): Promise<{ data: WebhookDelivery[]; nextCursor: string | null }> {
  const rows = await db
    .select({ delivery: webhookDeliveries, event: events })
    .from(webhookDeliveries)
    .leftJoin(events, eq(events.id, webhookDeliveries.eventId))
    .where(
      and(
        eq(webhookDeliveries.webhookId, params.webhookId),
        params.status ? eq(webhookDeliveries.status, params.status) : undefined,
        params.before ? lt(webhookDeliveries.id, params.before) : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(params.limit + 1);
  const page = rows.slice(0, params.limit);
  const data = page.map((r) => toDelivery(r.delivery, r.event ? toEventEnvelope(r.event) : null));
  return { data, nextCursor: rows.length > params.limit ? (page[page.length - 1]?.delivery.id ?? null) : null };
}

export async function getDelivery(db: Executor, webhookId: string, id: string): Promise<WebhookDelivery | null> {
  const [row] = await db
    .select({ delivery: webhookDeliveries, event: events })
    .from(webhookDeliveries)
    .leftJoin(events, eq(events.id, webhookDeliveries.eventId))
    .where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.id, id)))
    .limit(1);
  return row ? toDelivery(row.delivery, row.event ? toEventEnvelope(row.event) : null) : null;
}

/**
 * Sends a delivery again now: it becomes open and due (a dead one gets one more attempt; it goes back to `dead`
 * if that fails too). Deliveries go out in event order, so the webhook's earlier open ones (a failing head waiting
 * out its backoff) are made due now too: the retry is not left waiting behind them. Returns the updated delivery,
 * null when unknown.
 */
export async function retryDelivery(db: Executor, webhookId: string, id: string): Promise<WebhookDelivery | null> {
  const retried = await db.transaction(async (tx) => {
    const [row] = await tx
      .update(webhookDeliveries)
      .set({ status: "pending", nextAttemptAt: sql`now()` })
      .where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.id, id)))
      .returning({ eventId: webhookDeliveries.eventId });
    if (!row) return false;
    await tx
      .update(webhookDeliveries)
      .set({ nextAttemptAt: sql`now()` })
      .where(
        and(
          eq(webhookDeliveries.webhookId, webhookId),
          inArray(webhookDeliveries.status, ["pending", "failed"]),
          lt(webhookDeliveries.eventId, row.eventId),
          sql`${webhookDeliveries.nextAttemptAt} > now()`,
        ),
      );
    return true;
  });
  return retried ? getDelivery(db, webhookId, id) : null;
}

/** Open deliveries of a webhook (tests, metrics). */
export async function countOpenDeliveries(db: Executor, webhookId?: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(webhookDeliveries)
    .where(
      and(
        webhookId ? eq(webhookDeliveries.webhookId, webhookId) : undefined,
        inArray(webhookDeliveries.status, ["pending", "failed"]),
      ),
    );
  return row?.n ?? 0;
}
