// Invitations, by an organization's owners/admins signed in: a single-use link with an expiry, shown once. The link
// is accepted in the web app (sign up or sign in, then join). Inviting as owner takes an owner; platform roles are
// never invited (they are granted by `npm run admin:grant`).
import type { TRPCRouterRecord } from "@trpc/server";
import {
  createInvitation,
  decodeInvitationCursor,
  hashInvitationToken,
  listPendingInvitations,
  newInvitationToken,
  organizationName,
  revokeInvitation,
  type InvitationView,
} from "@wa/db/queries";
import type { Executor } from "@wa/db";
import { audit } from "../audit.ts";
import { fail, notFound } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { GatewayPorts } from "../ports.ts";
import {
  invitationCreateInput,
  invitationCreateOutput,
  invitationPageSchema,
  invitationRefInput,
  invitationTtlDays,
  noContent,
  pageInput,
} from "../schemas.ts";
import { ORG_ADMIN_LOGIN_ONLY, orgAdminLoginProcedure } from "../trpc.ts";
import { clampLimit } from "./helpers.ts";
import { decodePageCursor } from "./page-cursor.ts";

const tags = ["invitations"];
const DAY_MS = 24 * 60 * 60 * 1000;

const toOutput = (i: InvitationView) => ({ ...i, createdAt: i.createdAt.getTime(), expiresAt: i.expiresAt.getTime() });

/**
 * Sends the link by mail when the gateway has a mail server; after the commit, so a mail problem never undoes the
 * invitation (the link is shown to copy either way).
 */
async function mailInvitation(
  ctx: { db: Executor; ports: GatewayPorts; logger: Logger },
  invitation: InvitationView,
  path: string,
): Promise<{ status: "sent" | "failed"; problem: string | null } | null> {
  const mailer = ctx.ports.invitationMail;
  if (!mailer) return null;
  try {
    await mailer.send({
      to: invitation.email,
      organizationName: (await organizationName(ctx.db, invitation.organizationId)) ?? "an organization",
      inviterName: invitation.invitedBy?.name ?? "Someone",
      role: invitation.role,
      path,
      expiresAt: invitation.expiresAt,
    });
    return { status: "sent", problem: null };
  } catch (error) {
    const problem = error instanceof Error ? error.message : String(error);
    ctx.logger.warn({ invitationId: invitation.id, problem }, "invitation mail not sent");
    return { status: "failed", problem };
  }
}

export const invitationsRouter = {
  list: orgAdminLoginProcedure
    .meta({ openapi: { method: "GET", path: "/invitations", protect: true, tags, summary: "Pending invitations, newest first", description: ORG_ADMIN_LOGIN_ONLY } })
    .input(pageInput.optional())
    .output(invitationPageSchema)
    .query(async ({ ctx, input = {} }) => {
      const page = await listPendingInvitations(ctx.db, {
        organizationId: ctx.organizationId,
        limit: clampLimit(input.limit),
        cursor: decodePageCursor(input.cursor, decodeInvitationCursor),
      });
      return { data: page.data.map(toOutput), nextCursor: page.nextCursor };
    }),

  create: orgAdminLoginProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/invitations",
        protect: true,
        tags,
        summary: "Invite a person by email; the single-use link is shown once",
        description: `${ORG_ADMIN_LOGIN_ONLY} Only an owner invites an owner. The link expires after \`expiresInDays\` (default ${invitationTtlDays.default}).`,
      },
      successStatus: 201,
    })
    .input(invitationCreateInput)
    .output(invitationCreateOutput)
    .mutation(async ({ ctx, input }) => {
      if (input.role === "owner" && ctx.principal.orgRole !== "owner") throw fail("forbidden", "only an owner may invite an owner");
      const token = newInvitationToken();
      const expiresAt = new Date(Date.now() + (input.expiresInDays ?? invitationTtlDays.default) * DAY_MS);
      const invitation = await ctx.db.transaction(async (tx) => {
        const created = await createInvitation(tx, {
          organizationId: ctx.organizationId,
          email: input.email,
          role: input.role,
          tokenHash: hashInvitationToken(token),
          invitedByUserId: ctx.principal.userId,
          expiresAt,
        });
        // Never the link: whoever holds it could join.
        await audit(tx, ctx, {
          organizationId: ctx.organizationId,
          action: "member.invited",
          targetType: "invitation",
          targetId: created.id,
          details: { email: created.email, role: created.role, expiresAt: created.expiresAt.getTime() },
        });
        return created;
      });
      ctx.logger.info({ invitationId: invitation.id, role: invitation.role }, "invitation created");
      const path = `/invite/${token}`;
      return { invitation: toOutput(invitation), token, path, email: await mailInvitation(ctx, invitation, path) };
    }),

  revoke: orgAdminLoginProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/invitations/{id}",
        protect: true,
        tags,
        summary: "Revoke a pending invitation (its link stops working)",
        description: ORG_ADMIN_LOGIN_ONLY,
        errorResponses: { 404: "not_found: no pending invitation by that id in this organization" },
      },
      successStatus: 204,
    })
    .input(invitationRefInput)
    .output(noContent)
    .mutation(async ({ ctx, input }) => {
      await ctx.db.transaction(async (tx) => {
        const revoked = await revokeInvitation(tx, { organizationId: ctx.organizationId, id: input.id });
        if (!revoked) throw notFound("invitation");
        await audit(tx, ctx, {
          organizationId: ctx.organizationId,
          action: "invitation.revoked",
          targetType: "invitation",
          targetId: revoked.id,
          details: { email: revoked.email, role: revoked.role },
        });
      });
    }),
} satisfies TRPCRouterRecord;
