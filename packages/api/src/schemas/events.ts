// Events, webhooks and deliveries (contract "Events"): the wire shapes and the inputs of their procedures.
import { eventTypes, limits, webhookDelivery, webhookDeliveryStatuses } from "@wa/db/contract";
import { z } from "zod";

const epochMs = z.number().int().nonnegative();
const idSchema = z.string().min(1).max(limits.idLength);

export const eventTypeSchema = z.enum(eventTypes);

export const eventSchema = z
  .object({
    id: z.string().meta({ description: "ULID; increases per organization in commit order; the SSE `id:`" }),
    type: eventTypeSchema,
    organizationId: z.string(),
    sessionId: z.string().nullable(),
    createdAt: epochMs,
    schema: z.number().int().meta({ description: "version of this envelope (1)" }),
    data: z.unknown().meta({ description: "by type: session.status {status, previous, reason}; message.received WAMessage; message.updated {id, waMessageId, status, error}; backfill.finished BackfillJob" }),
  })
  .meta({ id: "Event" });
export type EventOutput = z.infer<typeof eventSchema>;

const webhookEventsSchema = z
  .array(z.union([eventTypeSchema, z.literal(webhookDelivery.allEvents)]))
  .min(1)
  .max(eventTypes.length + 1)
  .refine((list) => new Set(list).size === list.length, "event types must not repeat")
  .refine((list) => !list.includes(webhookDelivery.allEvents) || list.length === 1, '"*" stands alone')
  .meta({ description: 'event types, or ["*"] for all' });

const webhookUrlSchema = z
  .string()
  .trim()
  .min(1)
  .max(2048)
  .meta({ description: "http(s); hosts resolving to loopback, private, link-local or metadata addresses are refused" });
const descriptionSchema = z.string().trim().max(500).nullable();
const webhookSessionSchema = idSchema.nullable().meta({ description: "null: every session of the organization" });

export const webhookSchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    sessionId: z.string().nullable(),
    url: z.string(),
    events: z.array(z.string()),
    active: z.boolean(),
    description: z.string().nullable(),
    createdAt: epochMs,
    updatedAt: epochMs,
  })
  .meta({ id: "Webhook" });
export type WebhookOutput = z.infer<typeof webhookSchema>;

export const webhookListOutput = z.object({ data: z.array(webhookSchema) }).meta({ id: "WebhookList" });

const secretSchema = z.string().meta({ description: "whsec_…; shown once, never again" });

export const webhookCreateInput = z.strictObject({
  url: webhookUrlSchema,
  events: webhookEventsSchema,
  sessionId: webhookSessionSchema.optional(),
  description: descriptionSchema.optional(),
});
export const webhookCreateOutput = z.object({ webhook: webhookSchema, secret: secretSchema }).meta({ id: "CreatedWebhook" });

export const webhookRefInput = z.strictObject({ id: idSchema });

export const webhookUpdateInput = z.strictObject({
  id: idSchema,
  url: webhookUrlSchema.optional(),
  events: webhookEventsSchema.optional(),
  sessionId: webhookSessionSchema.optional(),
  active: z.boolean().optional(),
  description: descriptionSchema.optional(),
});

export const webhookSecretOutput = z
  .object({ secret: secretSchema, previousValidUntil: epochMs.meta({ description: "the previous secret keeps signing (beside this one) until then" }) })
  .meta({ id: "WebhookSecret" });

export const deliveryStatusSchema = z.enum(webhookDeliveryStatuses);

export const webhookDeliverySchema = z
  .object({
    id: z.string(),
    webhookId: z.string(),
    eventId: z.string(),
    type: z.string(),
    status: deliveryStatusSchema,
    attempts: z.number().int().nonnegative(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: epochMs.nullable().meta({ description: "null once delivered or dead" }),
    deliveredAt: epochMs.nullable(),
    createdAt: epochMs,
    payload: eventSchema.nullable().meta({ description: "the event as sent (the signed body); null once pruned" }),
  })
  .meta({ id: "WebhookDelivery" });

export const deliveryPageSchema = z
  .object({ data: z.array(webhookDeliverySchema), nextCursor: z.string().nullable() })
  .meta({ id: "WebhookDeliveryPage" });

export const deliveryListInput = z.strictObject({
  id: idSchema,
  status: deliveryStatusSchema.optional(),
  cursor: z.string().max(limits.cursorLength).optional().meta({ description: "opaque; from a previous page's nextCursor" }),
  limit: z
    .number()
    .int()
    .min(limits.page.min)
    .optional()
    .meta({ description: `${limits.page.min}–${limits.page.max}, default ${limits.page.default}; larger values are clamped` }),
});

export const deliveryRefInput = z.strictObject({ id: idSchema, delivery: idSchema });

/** Where a stream starts: after this event id; `0` (or the all-zero ULID) is everything retained. */
const sinceSchema = z
  .string()
  .max(26)
  .regex(/^(0|[0-9A-HJKMNP-TV-Z]{26})$/i, "an event id (ULID), or 0")
  .meta({ description: "replay after this event id; 0: everything retained; absent: live events only" });

export const eventStreamInput = z
  .strictObject({
    since: sinceSchema.optional(),
    types: z.array(eventTypeSchema).max(eventTypes.length).optional(),
    sessionId: idSchema.optional(),
    // tRPC's SSE link sends the last tracked id when it reconnects: the stream resumes after it.
    lastEventId: z.string().max(64).nullish(),
  })
  .optional();
export type EventStreamInput = z.infer<typeof eventStreamInput>;
