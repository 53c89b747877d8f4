// A login JWT names a person's organization and role as they were when it was minted (it lives 5 minutes). The
// gateway checks the membership as it is now, so a removed member's next call is refused and a role change counts
// at once. Answers are remembered briefly per (person, organization): a busy console costs one lookup per window.
import type { Database } from "@wa/db";
import { getMembership } from "@wa/db/queries";
import { DomainError } from "../errors.ts";
import type { LoginClaims } from "./jwt.ts";

export interface MembershipCheck {
  /** The claims with the current role; DomainError `unauthorized` when the person left the organization. */
  current(claims: LoginClaims): Promise<LoginClaims>;
}

/** How long one answer is trusted: the most a removal or role change waits to reach this gateway. */
export const MEMBERSHIP_RECHECK_MS = 2_000;

export function createMembershipCheck(db: Database, options: { maxAgeMs?: number; now?: () => number } = {}): MembershipCheck {
  const maxAgeMs = options.maxAgeMs ?? MEMBERSHIP_RECHECK_MS;
  const now = options.now ?? Date.now;
  const remembered = new Map<string, { role: LoginClaims["orgRole"]; at: number }>();
  return {
    async current(claims) {
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
