// Joining an organization by an invitation link: the web app's side (the gateway creates and revokes links). The
// join and its audit entry (`member.joined`, the joining person as actor) commit in the caller's transaction.
import type { Executor } from "@wa/db/client";
import {
  acceptInvitation,
  findInvitationByTokenHash,
  hashInvitationToken,
  isWellFormedInvitationToken,
  recordAudit,
  type InvitationLookup,
} from "@wa/db/queries";
import { AuthError } from "./auth/errors.ts";

/** What the invitation page shows for a link; the states a person can act on, in words. */
export const invitationProblems = {
  unknown: "This invitation link is not valid. Check that you copied all of it, or ask for a new one.",
  expired: "This invitation has expired. Ask the person who invited you for a new link.",
  revoked: "This invitation was withdrawn. Ask the person who invited you for a new link.",
  accepted: "This invitation has already been used. Each link works once; sign in if it was you.",
  wrong_email: "This invitation was sent to another email address. Sign in with that address to accept it.",
} as const;
export type InvitationProblem = keyof typeof invitationProblems;

/** The invitation a link names (for the page), or the reason it cannot be used. */
export async function describeInvitation(
  db: Executor,
  token: string,
): Promise<{ ok: true; invitation: InvitationLookup } | { ok: false; problem: InvitationProblem }> {
  if (!isWellFormedInvitationToken(token)) return { ok: false, problem: "unknown" };
  const invitation = await findInvitationByTokenHash(db, hashInvitationToken(token));
  if (!invitation) return { ok: false, problem: "unknown" };
  if (invitation.state !== "pending") return { ok: false, problem: invitation.state };
  return { ok: true, invitation };
}

/** Accepts the link for `user` in `tx`; AuthError (404/409/403) with a plain message when it cannot be used. */
export async function joinByInvitation(
  tx: Executor,
  params: { token: string; user: { id: string; email: string; name: string }; ip: string | null },
): Promise<{ organizationId: string; organizationName: string; role: InvitationLookup["role"] }> {
  const result = await acceptInvitation(tx, { tokenHash: hashInvitationToken(params.token), user: params.user });
  if (!result.ok) {
    const problem: InvitationProblem = result.reason === "pending" ? "unknown" : result.reason;
    const code = problem === "unknown" ? "not_found" : problem === "wrong_email" ? "forbidden" : "conflict";
    throw new AuthError(code, invitationProblems[problem], { reason: problem });
  }
  const { invitation } = result;
  await recordAudit(tx, {
    organizationId: invitation.organizationId,
    actor: { kind: "user", id: params.user.id, name: params.user.name || params.user.email },
    action: "member.joined",
    targetType: "member",
    targetId: params.user.id,
    details: { email: invitation.email, role: invitation.role, invitationId: invitation.id, alreadyMember: result.alreadyMember },
    ip: params.ip === "unknown" ? null : params.ip,
  });
  return { organizationId: invitation.organizationId, organizationName: invitation.organizationName, role: invitation.role };
}
