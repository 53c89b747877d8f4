// Granting or revoking the platform super_admin role, with its audit entry in the same transaction. Platform
// entries belong to the platform organization (created if the seed never ran); the actor is the operator's account
// on the machine that ran the command, as no person of the app is signed in.
import { PLATFORM_ORGANIZATION, organizations } from "@wa/db";
import type { Executor } from "@wa/db/client";
import { findUserByEmail, recordAudit, setPlatformRole } from "@wa/db/queries";

export async function grantSuperAdmin(
  db: Executor,
  params: { email: string; revoke: boolean; operator: string },
): Promise<{ email: string } | null> {
  return db.transaction(async (tx) => {
    const user = await findUserByEmail(tx, params.email);
    if (!user) return null;
    await setPlatformRole(tx, user.email, params.revoke ? null : "super_admin");
    await tx.insert(organizations).values(PLATFORM_ORGANIZATION).onConflictDoNothing();
    await recordAudit(tx, {
      organizationId: PLATFORM_ORGANIZATION.id,
      actor: { kind: "user", id: `cli:${params.operator}`, name: `npm run admin:grant (${params.operator})` },
      action: params.revoke ? "super_admin.revoked" : "super_admin.granted",
      targetType: "user",
      targetId: user.id,
      details: { email: user.email, previous: user.platformRole },
      ip: null,
    });
    return { email: user.email };
  });
}
