// The organization's api-keys, managed by its owners/admins signed in (never by a key, never by a member).
import type { TRPCRouterRecord } from "@trpc/server";
import { createApiKey, listApiKeys, revokeApiKey } from "@wa/db/queries";
import { forgetApiKey, generateApiKey } from "../auth/api-key.ts";
import { audit } from "../audit.ts";
import { fail, notFound } from "../errors.ts";
import {
  apiKeyCreateInput,
  apiKeyCreateOutput,
  apiKeyListOutput,
  apiKeyRefInput,
  emptyInput,
  noContent,
} from "../schemas.ts";
import { ORG_ADMIN_LOGIN_ONLY, orgAdminLoginProcedure } from "../trpc.ts";

const tags = ["api-keys"];

export const apiKeysRouter = {
  list: orgAdminLoginProcedure
    .meta({ openapi: { method: "GET", path: "/api-keys", protect: true, tags, summary: "The organization's api-keys (never the key itself)", description: ORG_ADMIN_LOGIN_ONLY } })
    .input(emptyInput)
    .output(apiKeyListOutput)
    .query(async ({ ctx }) => ({ data: await listApiKeys(ctx.db, ctx.organizationId) })),

  create: orgAdminLoginProcedure
    .meta({
      openapi: { method: "POST", path: "/api-keys", protect: true, tags, summary: "Create an api-key; the key is shown once", description: ORG_ADMIN_LOGIN_ONLY },
      successStatus: 201,
    })
    .input(apiKeyCreateInput)
    .output(apiKeyCreateOutput)
    .mutation(async ({ ctx, input }) => {
      if (input.expiresAt != null && input.expiresAt <= Date.now()) {
        throw fail("validation_error", "expiresAt must be in the future", {
          errors: [{ path: "expiresAt", message: "must be in the future" }],
        });
      }
      const { raw, prefix, hash } = generateApiKey();
      const apiKey = await ctx.db.transaction(async (tx) => {
        const created = await createApiKey(tx, {
          organizationId: ctx.organizationId,
          name: input.name,
          prefix,
          keyHash: hash,
          permissions: input.permissions,
          createdByUserId: ctx.principal.userId,
          expiresAt: input.expiresAt != null ? new Date(input.expiresAt) : null,
        });
        // The prefix only (shown in the list anyway); never the key or its hash.
        await audit(tx, ctx, {
          organizationId: ctx.organizationId,
          action: "api_key.created",
          targetType: "api_key",
          targetId: created.id,
          details: { name: created.name, prefix: created.prefix, permissions: created.permissions, expiresAt: input.expiresAt ?? null },
        });
        return created;
      });
      ctx.logger.info({ apiKeyId: apiKey.id, permissions: apiKey.permissions }, "api-key created");
      return { apiKey, key: raw };
    }),

  revoke: orgAdminLoginProcedure
    .meta({
      openapi: { method: "DELETE", path: "/api-keys/{id}", protect: true, tags, summary: "Revoke an api-key (effective on its next request)",
        description: ORG_ADMIN_LOGIN_ONLY,
        errorResponses: { 404: "not_found: unknown api-key, or another organization's" },
      },
      successStatus: 204,
    })
    .input(apiKeyRefInput)
    .output(noContent)
    .mutation(async ({ ctx, input }) => {
      const revoked = await ctx.db.transaction(async (tx) => {
        const key = await revokeApiKey(tx, input.id, ctx.organizationId);
        if (!key) throw notFound("api key");
        await audit(tx, ctx, {
          organizationId: ctx.organizationId,
          action: "api_key.revoked",
          targetType: "api_key",
          targetId: key.id,
          details: { name: key.name, prefix: key.prefix },
        });
        return key;
      });
      forgetApiKey(ctx.db, revoked.id);
      ctx.logger.info({ apiKeyId: revoked.id }, "api-key revoked");
    }),
} satisfies TRPCRouterRecord;
