// An organization's members: the list (with when each was last active), role changes and removal, keeping at least
// one owner. Changes lock the organization's membership rows, so two concurrent demotions cannot both pass the check.
import { and, asc, count, eq, isNull, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import type { OrgRole } from "../contract.ts";
import { invitations, memberships, users, webSessions } from "../schema/index.ts";
import { decodeCursor, encodeCursor } from "./page-cursor.ts";

export interface Member {
  userId: string;
  name: string;
  email: string;
  role: OrgRole;
  joinedAt: Date;
  /** The last time the person used the console in this organization (activity elsewhere never shows); null if never. */
  lastActiveAt: Date | null;
}

export interface MemberCursor {
  joinedAt: number;
  userId: string;
}

export function decodeMemberCursor(value: string): MemberCursor | null {
  const parts = decodeCursor(value, ["ms", "string"]);
  return parts ? { joinedAt: Number(parts[0]), userId: String(parts[1]) } : null;
}

/** One page of members, oldest membership first (the founders on top), keyset on (joined, user id). */
const memberColumns = {
  userId: users.id,
  name: users.name,
  email: users.email,
  role: memberships.role,
  joinedAt: memberships.createdAt,
  lastActiveAt: memberships.lastActiveAt,
};

export async function listMembers(
  db: Executor,
  params: { organizationId: string; limit: number; cursor?: MemberCursor | null },
): Promise<{ data: Member[]; nextCursor: string | null }> {
  const { cursor } = params;
  const rows = await db
    .select(memberColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(
      and(
        eq(memberships.organizationId, params.organizationId),
        cursor
          ? sql`(${memberships.createdAt}, ${memberships.userId}) > (${new Date(cursor.joinedAt).toISOString()}::timestamptz, ${cursor.userId})`
          : undefined,
      ),
    )
    .orderBy(asc(memberships.createdAt), asc(memberships.userId))
    .limit(params.limit + 1);
  const page = rows.slice(0, params.limit);
  const last = page.at(-1);
  return {
    data: page,
    nextCursor: rows.length > params.limit && last ? encodeCursor([last.joinedAt.getTime(), last.userId]) : null,
  };
}

export async function getMember(db: Executor, organizationId: string, userId: string): Promise<Member | null> {
  const [row] = await db
    .select(memberColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)))
    .limit(1);
  return row ?? null;
}

/** How stale `lastActiveAt` may get: a console open for hours writes at most once per this interval. */
const ACTIVITY_RESOLUTION_MS = 60_000;

/** The person is using the console in this organization now (their membership there, and only there). */
export async function touchMembershipActivity(db: Executor, userId: string, organizationId: string, at: Date = new Date()): Promise<void> {
  await db
    .update(memberships)
    .set({ lastActiveAt: at })
    .where(
      and(
        eq(memberships.userId, userId),
        eq(memberships.organizationId, organizationId),
        sql`(${memberships.lastActiveAt} is null or ${memberships.lastActiveAt} < ${new Date(at.getTime() - ACTIVITY_RESOLUTION_MS).toISOString()}::timestamptz)`,
      ),
    );
}

/** Locks the organization's membership rows for this transaction and answers how many owners it has. */
async function lockedOwnerCount(tx: Executor, organizationId: string): Promise<number> {
  await tx.execute(sql`select 1 from ${memberships} where ${memberships.organizationId} = ${organizationId} for update`);
  const [row] = await tx
    .select({ n: count() })
    .from(memberships)
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.role, "owner")));
  return row?.n ?? 0;
}

export type MemberChange =
  | { ok: true; member: Member; previousRole: OrgRole }
  | { ok: false; reason: "not_found" | "last_owner" };

/** Changes a member's role; refuses to demote the organization's last owner. Call inside a transaction. */
export async function changeMemberRole(
  tx: Executor,
  params: { organizationId: string; userId: string; role: OrgRole },
): Promise<MemberChange> {
  const owners = await lockedOwnerCount(tx, params.organizationId);
  const member = await getMember(tx, params.organizationId, params.userId);
  if (!member) return { ok: false, reason: "not_found" };
  if (member.role === "owner" && params.role !== "owner" && owners <= 1) return { ok: false, reason: "last_owner" };
  await tx
    .update(memberships)
    .set({ role: params.role })
    .where(and(eq(memberships.organizationId, params.organizationId), eq(memberships.userId, params.userId)));
  // Invitations they sent that their new role could not send any more are withdrawn with the role.
  if (params.role === "member") await revokeInvitationsSentBy(tx, params.organizationId, params.userId);
  else if (params.role === "admin") await revokeInvitationsSentBy(tx, params.organizationId, params.userId, "owner");
  return { ok: true, member: { ...member, role: params.role }, previousRole: member.role };
}

/** Removes a member (or a member leaving); refuses to remove the last owner. Call inside a transaction. */
export async function removeMember(
  tx: Executor,
  params: { organizationId: string; userId: string },
): Promise<MemberChange> {
  const owners = await lockedOwnerCount(tx, params.organizationId);
  const member = await getMember(tx, params.organizationId, params.userId);
  if (!member) return { ok: false, reason: "not_found" };
  if (member.role === "owner" && owners <= 1) return { ok: false, reason: "last_owner" };
  await tx
    .delete(memberships)
    .where(and(eq(memberships.organizationId, params.organizationId), eq(memberships.userId, params.userId)));
  // Web sessions that had this organization active fall back to another one (or none) on their next request.
  await tx
    .update(webSessions)
    .set({ activeOrganizationId: null })
    .where(and(eq(webSessions.userId, params.userId), eq(webSessions.activeOrganizationId, params.organizationId)));
  // A removed person's pending invitations go with them: a link they sent to themselves can't bring them back.
  await revokeInvitationsSentBy(tx, params.organizationId, params.userId);
  return { ok: true, member, previousRole: member.role };
}

/** Withdraws the pending invitations a person sent in an organization (only those for `role`, when given). */
async function revokeInvitationsSentBy(tx: Executor, organizationId: string, userId: string, role?: OrgRole): Promise<void> {
  await tx
    .update(invitations)
    .set({ revokedAt: new Date() })
    .where(
      and(
        eq(invitations.organizationId, organizationId),
        eq(invitations.invitedByUserId, userId),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        role ? eq(invitations.role, role) : undefined,
      ),
    );
}
