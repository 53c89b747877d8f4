// A login JWT names a person's organization and role, and platform role, as they were when it was minted (it lives
// 5 minutes). The gateway checks them as they are now, so a removed member's next call is refused, a role change
// counts at once, and a revoked super admin's next platform call is refused. Answers are remembered briefly per
// (person, organization): a busy console costs one lookup per window.
import type { Database } from "@wa/db";
import { getMembership, getUserProfile } from "@wa/db/queries";
import { DomainError } from "../errors.ts";
import type { LoginClaims } from "./jwt.ts";

export interface MembershipCheck {
  /**
   * The claims with the current roles (a platform role claimed but since revoked is dropped); DomainError
   * `unauthorized` when the person left the organization.
   */
  current(claims: LoginClaims): Promise<LoginClaims>;
}

/** How long one answer is trusted: the most a removal or role change waits to reach this gateway. */
export const MEMBERSHIP_RECHECK_MS = 2_000;

export function createMembershipCheck(db: Database, options: { maxAgeMs?: number; now?: () => number } = {}): MembershipCheck {
  const maxAgeMs = options.maxAgeMs ?? MEMBERSHIP_RECHECK_MS;
  const now = options.now ?? Date.now;
  const remembered = new Map<string, { role: LoginClaims["orgRole"]; at: number }>();
  const platformRoles = new Map<string, { role: LoginClaims["platformRole"]; at: number }>();
  /** Only a claimed platform role is looked up (people without one cost nothing). */
  const platformRoleNow = async (claims: LoginClaims): Promise<LoginClaims["platformRole"]> => {
    if (!claims.platformRole) return null;
    const at = now();
    let entry = platformRoles.get(claims.userId);
    if (!entry || at - entry.at > maxAgeMs) {
      entry = { role: (await getUserProfile(db, claims.userId))?.platformRole ?? null, at };
      if (platformRoles.size > 10_000) platformRoles.clear();
      platformRoles.set(claims.userId, entry);
    }
    return entry.role === claims.platformRole ? entry.role : null;
  };
  return {
    async current(token) {
      const claims = token.platformRole ? { ...token, platformRole: await platformRoleNow(token) } : token;
      if (!claims.organizationId) return claims;
      const key = `${claims.userId}\u0000${claims.organizationId}`;
      const at = now();
      let entry = remembered.get(key);
      if (!entry || at - entry.at > maxAgeMs) {
        const membership = await getMembership(db, claims.userId, claims.organizationId);
        entry = { role: membership?.role ?? null, at };
        if (remembered.size > 10_000) remembered.clear();
        remembered.set(key, entry);
      }
      if (!entry.role) throw new DomainError("unauthorized", "no longer a member of this organization");
      return { ...claims, orgRole: entry.role };
    },
  };
}
