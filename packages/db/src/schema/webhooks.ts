// Webhooks of an organization and their deliveries (one row per event and webhook, sent by the dispatcher).
import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, timestampMs, ulidId, updatedAt } from "./columns.ts";
import { organizations } from "./identity.ts";
import { events } from "./events.ts";
import { webhookDeliveryStatuses } from "../contract.ts";

export const webhooks = pgTable(
  "webhooks",
  {
    id: ulidId(),
    organizationId: text()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** null: every session of the organization. Not a foreign key: the webhook outlives a deleted session. */
    sessionId: text(),
    url: text().notNull(),
    /** Event types, or ["*"]. */
    events: jsonb().$type<string[]>().notNull(),
    active: boolean().notNull().default(true),
    description: text(),
    /** The signing secret (`whsec_…`), sealed with a key derived from APP_SECRET (never stored in the clear). */
    secretSealed: text().notNull(),
    /** After a rotation: the previous secret, still signing (beside the new one) until `previousSecretExpiresAt`. */
    previousSecretSealed: text(),
    previousSecretExpiresAt: timestampMs(),
    /** The last event of the organization already turned into deliveries (or skipped by the filters). */
    cursor: text().notNull(),
    /** The gateway working on this webhook's deliveries, until `leaseUntil` (one sender per webhook at a time). */
    leasedBy: text(),
    leaseUntil: timestampMs(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // an organization's webhooks, in creation order
    index("webhooks_org_id_idx").on(t.organizationId, t.id),
  ],
);
export type WebhookRow = typeof webhooks.$inferSelect;

export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: ulidId(),
    webhookId: text()
      .notNull()
      .references(() => webhooks.id, { onDelete: "cascade" }),
    /** Pruned with its event (retention). */
    eventId: text()
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    type: text().notNull(),
    status: text({ enum: webhookDeliveryStatuses }).notNull().default("pending"),
    attempts: integer().notNull().default(0),
    lastStatusCode: integer(),
    lastError: text(),
    nextAttemptAt: timestampMs().notNull().defaultNow(),
    deliveredAt: timestampMs(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_webhook_event_idx").on(t.webhookId, t.eventId),
    // the head of a webhook's queue: its oldest delivery still to send (sent in event order)
    index("webhook_deliveries_open_idx")
      .on(t.webhookId, t.eventId)
      .where(sql`status in ('pending', 'failed')`),
    // the deliveries view: a webhook's deliveries, newest first, optionally by status
    index("webhook_deliveries_webhook_status_id_idx").on(t.webhookId, t.status, t.id),
    // pruning by the event's id happens through the foreign key's index below
    index("webhook_deliveries_event_idx").on(t.eventId),
  ],
);
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
