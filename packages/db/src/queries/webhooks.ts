// Webhooks of an organization: CRUD for the router, and the dispatcher's per-webhook lease (one gateway works on a
// webhook's deliveries at a time, so they go out in event order) and fan-out (events after the webhook's cursor
// become delivery rows).
import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { webhookDelivery, type EventType } from "../contract.ts";
import { newId } from "../ids.ts";
import { events, eventSequences, webhookDeliveries, webhooks, type WebhookRow } from "../schema/index.ts";
import { EVENT_ID_ZERO } from "./events.ts";

/** The contract's Webhook (the secret never leaves through it). */
export interface Webhook {
  id: string;
  organizationId: string;
  sessionId: string | null;
  url: string;
  events: string[];
  active: boolean;
  description: string | null;
  createdAt: number;
  updatedAt: number;
}

export const toWebhook = (row: WebhookRow): Webhook => ({
  id: row.id,
  organizationId: row.organizationId,
  sessionId: row.sessionId,
  url: row.url,
  events: row.events,
  active: row.active,
  description: row.description,
  createdAt: row.createdAt.getTime(),
  updatedAt: row.updatedAt.getTime(),
});

/** The organization's last handed-out event id: a new (or re-enabled) webhook starts after it. */
const currentEventId = (organizationId: string) =>
  sql`coalesce((select ${eventSequences.lastId} from ${eventSequences} where ${eventSequences.organizationId} = ${organizationId}), ${EVENT_ID_ZERO})`;

export interface CreateWebhookParams {
  organizationId: string;
  sessionId: string | null;
  url: string;
  events: string[];
  description: string | null;
  secretSealed: string;
  /** The id to create it under (the secret is sealed bound to it). */
  id?: string;
}

export async function createWebhook(db: Executor, params: CreateWebhookParams): Promise<Webhook> {
  const [row] = await db
    .insert(webhooks)
    .values({ id: params.id ?? newId(), ...params, cursor: currentEventId(params.organizationId) })
    .returning();
  if (!row) throw new Error("insert returned no row");
  return toWebhook(row);
}

export async function listWebhooks(db: Executor, organizationId: string): Promise<Webhook[]> {
  const rows = await db.select().from(webhooks).where(eq(webhooks.organizationId, organizationId)).orderBy(asc(webhooks.id));
  return rows.map(toWebhook);
}

/** The full row (sealed secrets included), for the dispatcher and the router's checks; scoped when given an org. */
export async function getWebhookRow(db: Executor, id: string, organizationId?: string): Promise<WebhookRow | null> {
  const [row] = await db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.id, id), organizationId ? eq(webhooks.organizationId, organizationId) : undefined))
    .limit(1);
  return row ?? null;
}

export interface WebhookPatch {
  url?: string;
  events?: string[];
  sessionId?: string | null;
  active?: boolean;
  description?: string | null;
}

export async function updateWebhook(db: Executor, id: string, organizationId: string, patch: WebhookPatch): Promise<Webhook | null> {
  const [row] = await db
    .update(webhooks)
    .set({
      ...patch,
      // Re-enabled: events of the disabled time are not sent; it starts again from now.
      ...(patch.active === true ? { cursor: sql`case when ${webhooks.active} then ${webhooks.cursor} else ${currentEventId(organizationId)} end` } : {}),
      updatedAt: new Date(),
    })
    .where(and(eq(webhooks.id, id), eq(webhooks.organizationId, organizationId)))
    .returning();
  return row ? toWebhook(row) : null;
}

export async function deleteWebhook(db: Executor, id: string, organizationId: string): Promise<boolean> {
  const rows = await db
    .delete(webhooks)
    .where(and(eq(webhooks.id, id), eq(webhooks.organizationId, organizationId)))
    .returning({ id: webhooks.id });
  return rows.length > 0;
}

/** A new secret; the current one becomes the previous, signing beside it until `overlapUntil`. */
export async function rotateWebhookSecret(
  db: Executor,
  id: string,
  organizationId: string,
  secretSealed: string,
  overlapUntil: Date,
): Promise<Webhook | null> {
  const [row] = await db
    .update(webhooks)
    .set({
      previousSecretSealed: sql`${webhooks.secretSealed}`,
      previousSecretExpiresAt: overlapUntil,
      secretSealed,
      updatedAt: new Date(),
    })
    .where(and(eq(webhooks.id, id), eq(webhooks.organizationId, organizationId)))
    .returning();
  return row ? toWebhook(row) : null;
}

// ── dispatcher ───────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Leases one active webhook that has work (events past its cursor, or its oldest open delivery due) and no live
 * lease, least recently leased first; `FOR UPDATE SKIP LOCKED` keeps two gateways from taking the same one.
 */
export async function claimWebhook(db: Executor, gatewayId: string, leaseMs: number): Promise<WebhookRow | null> {
  const rows = await db.execute<{ id: string }>(sql`
    update ${webhooks} set leased_by = ${gatewayId}, lease_until = now() + make_interval(secs => ${leaseMs / 1000})
    where id = (
      select w.id from ${webhooks} w
      where w.active and (w.lease_until is null or w.lease_until < now())
        and (
          exists (select 1 from ${events} e where e.organization_id = w.organization_id and e.id > w.cursor)
          or (select d.next_attempt_at from ${webhookDeliveries} d
              where d.webhook_id = w.id and d.status in ('pending', 'failed')
              order by d.event_id limit 1) <= now()
        )
      order by w.lease_until asc nulls first
      limit 1
      for update skip locked
    )
    returning id`);
  const id = rows[0]?.id;
  return id ? getWebhookRow(db, id) : null;
}

/** Keeps the lease while the gateway still works on the webhook; false when it was lost (another took it). */
export async function extendWebhookLease(db: Executor, id: string, gatewayId: string, leaseMs: number): Promise<boolean> {
  const rows = await db
    .update(webhooks)
    .set({ leaseUntil: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
    .where(and(eq(webhooks.id, id), eq(webhooks.leasedBy, gatewayId)))
    .returning({ id: webhooks.id });
  return rows.length > 0;
}

/** Ends the lease; the row keeps `lease_until` (in the past) so the least recently served goes first next. */
export async function releaseWebhook(db: Executor, id: string, gatewayId: string): Promise<void> {
  await db
    .update(webhooks)
    .set({ leasedBy: null, leaseUntil: sql`least(${webhooks.leaseUntil}, now())` })
    .where(and(eq(webhooks.id, id), eq(webhooks.leasedBy, gatewayId)));
}

/** At a gateway's start: leases its previous process held are free again (that process is gone). */
export async function releaseWebhookLeasesOf(db: Executor, gatewayId: string): Promise<number> {
  const rows = await db
    .update(webhooks)
    .set({ leasedBy: null, leaseUntil: sql`now()` })
    .where(eq(webhooks.leasedBy, gatewayId))
    .returning({ id: webhooks.id });
  return rows.length;
}

const matches = (webhook: WebhookRow, event: { type: EventType; sessionId: string | null }) =>
  (webhook.events.includes(webhookDelivery.allEvents) || webhook.events.includes(event.type)) &&
  (webhook.sessionId === null || webhook.sessionId === event.sessionId);

/**
 * Turns up to `limit` events past the webhook's cursor into deliveries (those its filters select) and moves the
 * cursor past them, in one transaction; returns how many events it read (0: caught up).
 */
export async function fanOutWebhook(db: Executor, webhook: WebhookRow, limit: number): Promise<number> {
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select({ cursor: webhooks.cursor, events: webhooks.events, sessionId: webhooks.sessionId })
      .from(webhooks)
      .where(eq(webhooks.id, webhook.id))
      .for("update");
    if (!current) return 0;
    const fresh = { ...webhook, ...current };
    // Only what the filters and the delivery row need: the payloads stay in the table (a batch is thousands of them).
    const batch = await tx
      .select({ id: events.id, type: events.type, sessionId: events.sessionId })
      .from(events)
      .where(and(eq(events.organizationId, webhook.organizationId), gt(events.id, current.cursor)))
      .orderBy(asc(events.id))
      .limit(limit);
    const last = batch[batch.length - 1];
    if (!last) return 0;
    const selected = batch.filter((event) => matches(fresh, event));
    if (selected.length > 0) {
      // One statement whatever the batch's size (a VALUES list is 4 parameters a row).
      const rows = JSON.stringify(selected.map((event) => ({ id: newId(), event_id: event.id, type: event.type })));
      await tx.execute(sql`
        insert into webhook_deliveries (id, webhook_id, event_id, type)
        select d.id, ${webhook.id}, d.event_id, d.type from jsonb_to_recordset(${rows}::jsonb) as d(id text, event_id text, type text)
        on conflict do nothing`);
    }
    await tx.update(webhooks).set({ cursor: last.id }).where(eq(webhooks.id, webhook.id));
    return batch.length;
  });
}
