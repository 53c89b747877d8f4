// Invitations to an organization: created with the SHA-256 of a single-use token, listed while pending, revoked,
// and accepted once (the row is locked, so two accepts of one link cannot both join).
import { createHash, randomBytes } from "node:crypto";
import { and, desc, eq, gt, isNull, lt } from "drizzle-orm";
import type { Executor } from "../client.ts";
import type { OrgRole } from "../contract.ts";
import { newId } from "../ids.ts";
import { invitations, memberships, organizations, users } from "../schema/index.ts";
import { normalizeEmail } from "./identity.ts";
import { decodeCursor, encodeCursor } from "./page-cursor.ts";

export interface InvitationView {
  id: string;
  organizationId: string;
  email: string;
  role: OrgRole;
  invitedBy: { id: string; name: string } | null;
  createdAt: Date;
  expiresAt: Date;
}

const viewColumns = {
  id: invitations.id,
  organizationId: invitations.organizationId,
  email: invitations.email,
  role: invitations.role,
  createdAt: invitations.createdAt,
  expiresAt: invitations.expiresAt,
  inviterId: users.id,
  inviterName: users.name,
};

interface ViewRow {
  id: string;
  organizationId: string;
  email: string;
  role: OrgRole;
  createdAt: Date;
  expiresAt: Date;
  inviterId: string | null;
  inviterName: string | null;
};

const toView = (r: ViewRow): InvitationView => ({
  id: r.id,
  organizationId: r.organizationId,
  email: r.email,
  role: r.role,
  invitedBy: r.inviterId ? { id: r.inviterId, name: r.inviterName ?? "" } : null,
  createdAt: r.createdAt,
  expiresAt: r.expiresAt,
});

export async function createInvitation(
  tx: Executor,
  params: { organizationId: string; email: string; role: OrgRole; tokenHash: string; invitedByUserId: string | null; expiresAt: Date },
): Promise<InvitationView> {
  const id = newId();
  await tx.insert(invitations).values({ id, ...params, email: normalizeEmail(params.email) });
  const [row] = await tx
    .select(viewColumns)
    .from(invitations)
    .leftJoin(users, eq(users.id, invitations.invitedByUserId))
    .where(eq(invitations.id, id));
  if (!row) throw new Error("insert returned no row");
  return toView(row);
}

const pending = (now: Date) => and(isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now));

export function decodeInvitationCursor(value: string): string | null {
  const parts = decodeCursor(value, ["string"]);
  return parts ? String(parts[0]) : null;
}

/** Pending invitations of an organization, newest first (keyset on id). */
export async function listPendingInvitations(
  db: Executor,
  params: { organizationId: string; limit: number; cursor?: string | null; now?: Date },
): Promise<{ data: InvitationView[]; nextCursor: string | null }> {
  const rows = await db
    .select(viewColumns)
    .from(invitations)
    .leftJoin(users, eq(users.id, invitations.invitedByUserId))
    .where(
      and(
        eq(invitations.organizationId, params.organizationId),
        pending(params.now ?? new Date()),
        params.cursor ? lt(invitations.id, params.cursor) : undefined,
      ),
    )
    .orderBy(desc(invitations.id))
    .limit(params.limit + 1);
  const page = rows.slice(0, params.limit);
  const last = page.at(-1);
  return { data: page.map(toView), nextCursor: rows.length > params.limit && last ? encodeCursor([last.id]) : null };
}

/** Revokes a pending invitation of the organization; null when there is none by that id. */
export async function revokeInvitation(
  tx: Executor,
  params: { organizationId: string; id: string; now?: Date },
): Promise<{ id: string; email: string; role: OrgRole } | null> {
  const now = params.now ?? new Date();
  const [row] = await tx
    .update(invitations)
    .set({ revokedAt: now })
    .where(and(eq(invitations.id, params.id), eq(invitations.organizationId, params.organizationId), pending(now)))
    .returning({ id: invitations.id, email: invitations.email, role: invitations.role });
  return row ?? null;
}

export type InvitationState = "pending" | "expired" | "revoked" | "accepted";

export interface InvitationLookup {
  id: string;
  organizationId: string;
  organizationName: string;
  email: string;
  role: OrgRole;
  state: InvitationState;
  expiresAt: Date;
  invitedByUserId: string | null;
}

/** The invitation a link's token hash names, with its state; null when no such link was ever issued. */
export async function findInvitationByTokenHash(
  db: Executor,
  tokenHash: string,
  options: { now?: Date; lock?: boolean } = {},
): Promise<InvitationLookup | null> {
  const now = options.now ?? new Date();
  const query = db
    .select({
      id: invitations.id,
      organizationId: invitations.organizationId,
      organizationName: organizations.name,
      email: invitations.email,
      role: invitations.role,
      expiresAt: invitations.expiresAt,
      acceptedAt: invitations.acceptedAt,
      revokedAt: invitations.revokedAt,
      invitedByUserId: invitations.invitedByUserId,
    })
    .from(invitations)
    .innerJoin(organizations, eq(organizations.id, invitations.organizationId))
    .where(eq(invitations.tokenHash, tokenHash))
    .limit(1);
  const [row] = options.lock ? await query.for("update", { of: invitations }) : await query;
  if (!row) return null;
  const state: InvitationState = row.acceptedAt
    ? "accepted"
    : row.revokedAt
      ? "revoked"
      : row.expiresAt.getTime() <= now.getTime()
        ? "expired"
        : "pending";
  const { acceptedAt: _a, revokedAt: _r, ...rest } = row;
  return { ...rest, state };
}

/**
 * Accepts a pending invitation for a person (inside a transaction): locks the row, checks it is still pending and
 * meant for this email, adds the membership (a person already in the organization keeps the role they have) and
 * marks the link used. The organization becomes the person's last choice, so their next sign-in opens it.
 */
export async function acceptInvitation(
  tx: Executor,
  params: { tokenHash: string; user: { id: string; email: string }; now?: Date },
): Promise<
  | { ok: true; invitation: InvitationLookup; alreadyMember: boolean }
  | { ok: false; reason: InvitationState | "unknown" | "wrong_email" }
> {
  const now = params.now ?? new Date();
  const invitation = await findInvitationByTokenHash(tx, params.tokenHash, { now, lock: true });
  if (!invitation) return { ok: false, reason: "unknown" };
  if (invitation.state !== "pending") return { ok: false, reason: invitation.state };
  if (normalizeEmail(params.user.email) !== invitation.email) return { ok: false, reason: "wrong_email" };
  const inserted = await tx
    .insert(memberships)
    .values({ userId: params.user.id, organizationId: invitation.organizationId, role: invitation.role })
    .onConflictDoNothing()
    .returning({ userId: memberships.userId });
  await tx
    .update(invitations)
    .set({ acceptedAt: now, acceptedByUserId: params.user.id })
    .where(eq(invitations.id, invitation.id));
  await tx.update(users).set({ lastOrganizationId: invitation.organizationId }).where(eq(users.id, params.user.id));
  return { ok: true, invitation, alreadyMember: inserted.length === 0 };
}

/** A new invitation link's secret (32 random bytes, base64url) — only its hash is stored. */
export const newInvitationToken = (): string => randomBytes(32).toString("base64url");
export const hashInvitationToken = (token: string): string => createHash("sha256").update(token).digest("hex");
/** A token of the shape `newInvitationToken` issues; anything else is not looked up. */
export const isWellFormedInvitationToken = (token: string): boolean => /^[A-Za-z0-9_-]{43}$/.test(token);
