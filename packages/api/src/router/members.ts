// An organization's people, managed by its owners/admins signed in: list, change a role, remove; anyone signed in
// may leave. The organization always keeps an owner (409), and only owners grant or take the owner role. Each change
// and its audit entry commit together. A removed person's web session loses the organization at once; at the
// gateway their login token stops counting on its next call (auth/membership.ts).
import type { TRPCRouterRecord } from "@trpc/server";
import type { OrgRole } from "@wa/db/contract";
import { changeMemberRole, decodeMemberCursor, listMembers, removeMember, type Member, type MemberChange } from "@wa/db/queries";
import { audit } from "../audit.ts";
import { fail, notFound } from "../errors.ts";
import { emptyInput, memberPageSchema, memberRefInput, memberRoleInput, noContent, pageInput } from "../schemas.ts";
import { authedProcedure, ORG_ADMIN_LOGIN_ONLY, orgAdminLoginProcedure } from "../trpc.ts";
import { clampLimit } from "./helpers.ts";
import { decodePageCursor } from "./page-cursor.ts";

const tags = ["members"];

const toOutput = (m: Member) => ({ ...m, joinedAt: m.joinedAt.getTime(), lastActiveAt: m.lastActiveAt?.getTime() ?? null });

/** A refused change as the contract's error. */
function refuse(change: Extract<MemberChange, { ok: false }>): never {
  if (change.reason === "not_found") throw notFound("member");
  throw fail("conflict", "an organization must keep at least one owner");
}

const ownerOnly = (callerRole: OrgRole | null, roles: OrgRole[]) => {
  if (callerRole !== "owner" && roles.includes("owner")) throw fail("forbidden", "only an owner may grant or take the owner role");
};

export const membersRouter = {
  list: orgAdminLoginProcedure
    .meta({ openapi: { method: "GET", path: "/members", protect: true, tags, summary: "The organization's members, oldest first", description: ORG_ADMIN_LOGIN_ONLY } })
    .input(pageInput.optional())
    .output(memberPageSchema)
    .query(async ({ ctx, input = {} }) => {
      const page = await listMembers(ctx.db, {
        organizationId: ctx.organizationId,
        limit: clampLimit(input.limit),
        cursor: decodePageCursor(input.cursor, decodeMemberCursor),
      });
      return { data: page.data.map(toOutput), nextCursor: page.nextCursor };
    }),

  updateRole: orgAdminLoginProcedure
    .meta({
      openapi: {
        method: "PATCH",
        path: "/members/{user}",
        protect: true,
        tags,
        summary: "Change a member's role",
        description: `${ORG_ADMIN_LOGIN_ONLY} Only an owner grants or takes the owner role; the last owner cannot be demoted (409).`,
        errorResponses: { 404: "not_found: not a member of this organization", 409: "conflict: the organization's last owner" },
      },
    })
    .input(memberRoleInput)
    .output(memberPageSchema.shape.data.element)
    .mutation(async ({ ctx, input }) =>
      ctx.db.transaction(async (tx) => {
        const change = await changeMemberRole(tx, { organizationId: ctx.organizationId, userId: input.user, role: input.role });
        if (!change.ok) refuse(change);
        ownerOnly(ctx.principal.orgRole, [change.previousRole, input.role]);
        await audit(tx, ctx, {
          organizationId: ctx.organizationId,
          action: "member.role_changed",
          targetType: "member",
          targetId: input.user,
          details: { email: change.member.email, from: change.previousRole, to: input.role },
        });
        ctx.logger.info({ memberId: input.user, from: change.previousRole, to: input.role }, "member role changed");
        return toOutput(change.member);
      }),
    ),

  remove: orgAdminLoginProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/members/{user}",
        protect: true,
        tags,
        summary: "Remove a member (their console loses the organization at once)",
        description: `${ORG_ADMIN_LOGIN_ONLY} Only an owner removes an owner; the last owner cannot be removed (409).`,
        errorResponses: { 404: "not_found: not a member of this organization", 409: "conflict: the organization's last owner" },
      },
      successStatus: 204,
    })
    .input(memberRefInput)
    .output(noContent)
    .mutation(async ({ ctx, input }) => {
      await ctx.db.transaction(async (tx) => {
        const change = await removeMember(tx, { organizationId: ctx.organizationId, userId: input.user });
        if (!change.ok) refuse(change);
        ownerOnly(ctx.principal.orgRole, [change.previousRole]);
        await audit(tx, ctx, {
          organizationId: ctx.organizationId,
          action: "member.removed",
          targetType: "member",
          targetId: input.user,
          details: { email: change.member.email, role: change.previousRole, left: input.user === ctx.principal.userId },
        });
      });
      ctx.logger.info({ memberId: input.user }, "member removed");
    }),

  leave: authedProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/members/me:leave",
        protect: true,
        tags,
        summary: "Leave the organization of the token (any member, signed in)",
        errorResponses: { 403: "forbidden: api-keys cannot leave", 409: "conflict: the organization's last owner" },
      },
      successStatus: 204,
    })
    .input(emptyInput)
    .output(noContent)
    .mutation(async ({ ctx }) => {
      const p = ctx.principal;
      if (p.kind !== "user" || !p.organizationId) throw fail("forbidden", "only a signed-in member can leave an organization");
      const organizationId = p.organizationId;
      await ctx.db.transaction(async (tx) => {
        const change = await removeMember(tx, { organizationId, userId: p.userId });
        if (!change.ok) refuse(change);
        await audit(tx, ctx, {
          organizationId,
          action: "member.removed",
          targetType: "member",
          targetId: p.userId,
          details: { email: change.member.email, role: change.previousRole, left: true },
        });
      });
    }),
} satisfies TRPCRouterRecord;
