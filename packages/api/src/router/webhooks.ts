// The organization's webhooks (`manage`): CRUD, secret rotation, the delivery log and manual retry. Secrets are
// shown once (create, rotate) and stored sealed with APP_SECRET; URLs pass the SSRF guard when saved (and again at
// each delivery, in the gateway's dispatcher). Changes are audited in their own transaction.
import type { TRPCRouterRecord } from "@trpc/server";
import { newId, type Database } from "@wa/db";
import type { Executor } from "@wa/db/client";
import { webhookDelivery, type AuditAction } from "@wa/db/contract";
import {
  createWebhook,
  deleteWebhook,
  getSession,
  getWebhookRow,
  listDeliveries,
  listWebhooks,
  retryDelivery,
  rotateWebhookSecret,
  toWebhook,
  updateWebhook,
  type Webhook,
} from "@wa/db/queries";
import { audit, type AuditCaller } from "../audit.ts";
import { fail, notFound } from "../errors.ts";
import {
  deliveryListInput,
  deliveryPageSchema,
  deliveryRefInput,
  noContent,
  emptyInput,
  webhookCreateInput,
  webhookCreateOutput,
  webhookDeliverySchema,
  webhookListOutput,
  webhookRefInput,
  webhookSchema,
  webhookSecretOutput,
  webhookUpdateInput,
} from "../schemas.ts";
import { orgProcedure } from "../trpc.ts";
import { generateWebhookSecret } from "../webhooks/secret-cipher.ts";
import { clampLimit } from "./helpers.ts";

const tags = ["webhooks"];
const NOT_FOUND = { 404: "not_found: unknown webhook, or another organization's" };

/** Records a webhook change in `tx` (the change's transaction), with the caller and their address. */
async function auditWebhook(
  tx: Executor,
  ctx: AuditCaller & { organizationId: string },
  action: AuditAction,
  webhook: Webhook,
  details: Record<string, unknown>,
) {
  await audit(tx, ctx, {
    organizationId: ctx.organizationId,
    action,
    targetType: "webhook",
    targetId: webhook.id,
    // The URL may hold a token in its query: only its origin goes into the log.
    details: { ...details, origin: safeOrigin(webhook.url) },
  });
}

const safeOrigin = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
};

/** A webhook limited to one session needs that session to be the organization's. */
async function checkSession(db: Database, sessionId: string | null | undefined, organizationId: string) {
  if (!sessionId) return;
  if (!(await getSession(db, sessionId, organizationId))) {
    throw fail("validation_error", "sessionId: no such session in this organization", {
      errors: [{ path: "sessionId", message: "no such session in this organization" }],
    });
  }
}

async function requireWebhook(db: Database, id: string, organizationId: string) {
  const row = await getWebhookRow(db, id, organizationId);
  if (!row) throw notFound("webhook");
  return row;
}

export const webhooksRouter = {
  list: orgProcedure("manage")
    .meta({ openapi: { method: "GET", path: "/webhooks", protect: true, tags, summary: "The organization's webhooks" } })
    .input(emptyInput)
    .output(webhookListOutput)
    .query(async ({ ctx }) => ({ data: await listWebhooks(ctx.db, ctx.organizationId) })),

  get: orgProcedure("manage")
    .meta({ openapi: { method: "GET", path: "/webhooks/{id}", protect: true, tags, summary: "Get a webhook", errorResponses: NOT_FOUND } })
    .input(webhookRefInput)
    .output(webhookSchema)
    .query(async ({ ctx, input }) => toWebhook(await requireWebhook(ctx.db, input.id, ctx.organizationId))),

  create: orgProcedure("manage")
    .meta({
      openapi: { method: "POST", path: "/webhooks", protect: true, tags, summary: "Create a webhook; its signing secret is shown once" },
      successStatus: 201,
    })
    .input(webhookCreateInput)
    .output(webhookCreateOutput)
    .mutation(async ({ ctx, input }) => {
      await ctx.ports.webhooks.checkUrl(input.url);
      await checkSession(ctx.db, input.sessionId, ctx.organizationId);
      const id = newId();
      const secret = generateWebhookSecret();
      const webhook = await ctx.db.transaction(async (tx) => {
        const created = await createWebhook(tx, {
          id,
          organizationId: ctx.organizationId,
          sessionId: input.sessionId ?? null,
          url: input.url,
          events: input.events,
          description: input.description ?? null,
          secretSealed: ctx.ports.webhooks.sealSecret(id, secret),
        });
        await auditWebhook(tx, ctx, "webhook.created", created, { events: created.events, sessionId: created.sessionId });
        return created;
      });
      ctx.logger.info({ webhookId: webhook.id }, "webhook created");
      return { webhook, secret };
    }),

  update: orgProcedure("manage")
    .meta({ openapi: { method: "PATCH", path: "/webhooks/{id}", protect: true, tags, summary: "Change a webhook (url, events, session, enable/disable)", errorResponses: NOT_FOUND } })
    .input(webhookUpdateInput)
    .output(webhookSchema)
    .mutation(async ({ ctx, input }) => {
      const { id, ...patch } = input;
      await requireWebhook(ctx.db, id, ctx.organizationId);
      if (patch.url !== undefined) await ctx.ports.webhooks.checkUrl(patch.url);
      await checkSession(ctx.db, patch.sessionId, ctx.organizationId);
      return ctx.db.transaction(async (tx) => {
        const updated = await updateWebhook(tx, id, ctx.organizationId, patch);
        if (!updated) throw notFound("webhook");
        await auditWebhook(tx, ctx, "webhook.updated", updated, { changed: Object.keys(patch).sort() });
        return updated;
      });
    }),

  delete: orgProcedure("manage")
    .meta({
      openapi: { method: "DELETE", path: "/webhooks/{id}", protect: true, tags, summary: "Delete a webhook and its delivery log", errorResponses: NOT_FOUND },
      successStatus: 204,
    })
    .input(webhookRefInput)
    .output(noContent)
    .mutation(async ({ ctx, input }) => {
      const row = await requireWebhook(ctx.db, input.id, ctx.organizationId);
      await ctx.db.transaction(async (tx) => {
        if (!(await deleteWebhook(tx, input.id, ctx.organizationId))) throw notFound("webhook");
        await auditWebhook(tx, ctx, "webhook.deleted", toWebhook(row), {});
      });
      ctx.logger.info({ webhookId: input.id }, "webhook deleted");
    }),

  rotateSecret: orgProcedure("manage")
    .meta({
      openapi: {
        method: "POST",
        path: "/webhooks/{id}:rotate-secret",
        protect: true,
        tags,
        summary: "A new signing secret, shown once; the previous one keeps signing beside it for 24 h",
        errorResponses: NOT_FOUND,
      },
    })
    .input(webhookRefInput)
    .output(webhookSecretOutput)
    .mutation(async ({ ctx, input }) => {
      await requireWebhook(ctx.db, input.id, ctx.organizationId);
      const secret = generateWebhookSecret();
      const previousValidUntil = Date.now() + webhookDelivery.previousSecretOverlapMs;
      await ctx.db.transaction(async (tx) => {
        const rotated = await rotateWebhookSecret(
          tx,
          input.id,
          ctx.organizationId,
          ctx.ports.webhooks.sealSecret(input.id, secret),
          new Date(previousValidUntil),
        );
        if (!rotated) throw notFound("webhook");
        await auditWebhook(tx, ctx, "webhook.updated", rotated, { changed: ["secret"] });
      });
      ctx.logger.info({ webhookId: input.id }, "webhook secret rotated");
      return { secret, previousValidUntil };
    }),

  deliveries: orgProcedure("manage")
    .meta({
      openapi: { method: "GET", path: "/webhooks/{id}/deliveries", protect: true, tags, summary: "A webhook's deliveries, newest first", errorResponses: NOT_FOUND },
    })
    .input(deliveryListInput)
    .output(deliveryPageSchema)
    .query(async ({ ctx, input }) => {
      await requireWebhook(ctx.db, input.id, ctx.organizationId);
      return listDeliveries(ctx.db, {
        webhookId: input.id,
        status: input.status,
        before: input.cursor || undefined,
        limit: clampLimit(input.limit),
      });
    }),

  retryDelivery: orgProcedure("manage")
    .meta({
      openapi: {
        method: "POST",
        path: "/webhooks/{id}/deliveries/{delivery}:retry",
        protect: true,
        tags,
        summary: "Send a delivery again now (a dead one gets one more attempt), after the webhook's earlier open ones",
        errorResponses: {
          404: "not_found: unknown webhook or delivery, or another organization's",
          409: "conflict: the webhook is disabled (enable it first; its open deliveries resume then)",
        },
      },
      successStatus: 202,
    })
    .input(deliveryRefInput)
    .output(webhookDeliverySchema)
    .mutation(async ({ ctx, input }) => {
      const webhook = await requireWebhook(ctx.db, input.id, ctx.organizationId);
      // A disabled webhook sends nothing: a retry that answered 202 would promise what does not happen.
      if (!webhook.active) {
        throw fail("conflict", "this webhook is disabled: enable it (PATCH active: true) to retry its deliveries; its open deliveries resume then");
      }
      const delivery = await retryDelivery(ctx.db, input.id, input.delivery);
      if (!delivery) throw notFound("delivery");
      ctx.logger.info({ webhookId: input.id, deliveryId: input.delivery }, "webhook delivery retry requested");
      return delivery;
    }),
} satisfies TRPCRouterRecord;
