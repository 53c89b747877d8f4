// The audit log, read: an organization's owners/admins see their organization's entries; super admins see all
// (admin.ts). Newest first, keyset pages.
import type { TRPCRouterRecord } from "@trpc/server";
import { decodeAuditCursor, listAudit, type AuditEntry } from "@wa/db/queries";
import { auditListInput, auditPageSchema, type AuditEntryOutput } from "../schemas.ts";
import { ORG_ADMIN_LOGIN_ONLY, orgAdminLoginProcedure } from "../trpc.ts";
import { clampLimit } from "./helpers.ts";
import { decodePageCursor } from "./page-cursor.ts";

const tags = ["audit"];

export const toAuditEntryOutput = (entry: AuditEntry): AuditEntryOutput => ({ ...entry, createdAt: entry.createdAt.getTime() });

export const auditRouter = {
  list: orgAdminLoginProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/audit",
        protect: true,
        tags,
        summary: "The organization's audit log, newest first",
        description: `${ORG_ADMIN_LOGIN_ONLY} \`action\` filters by action, \`actor\` by a user or api-key id.`,
      },
    })
    .input(auditListInput.optional())
    .output(auditPageSchema)
    .query(async ({ ctx, input = {} }) => {
      const page = await listAudit(ctx.db, {
        organizationId: ctx.organizationId,
        limit: clampLimit(input.limit),
        cursor: decodePageCursor(input.cursor, decodeAuditCursor),
        action: input.action,
        actorId: input.actor,
      });
      return { data: page.data.map(toAuditEntryOutput), nextCursor: page.nextCursor };
    }),
} satisfies TRPCRouterRecord;
