// A login JWT names a person's organization and role, and platform role, as they were when it was minted (it lives
// 5 minutes). The gateway checks them as they are now, so a removed member's next call is refused, a role change
// counts at once, and a revoked super admin's next platform call is refused. Answers are remembered briefly per
// (person, organization): a busy console costs one lookup per window, and the calls that arrive while that lookup
// runs wait for it instead of each starting their own (a console's parallel calls all miss at the same moment).
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
  const remembered = new Remembered<LoginClaims["orgRole"]>(maxAgeMs, now);
  const platformRoles = new Remembered<LoginClaims["platformRole"]>(maxAgeMs, now);
  /** Only a claimed platform role is looked up (people without one cost nothing). */
  const platformRoleNow = async (claims: LoginClaims): Promise<LoginClaims["platformRole"]> => {
    if (!claims.platformRole) return null;
    const role = await platformRoles.get(claims.userId, async () => (await getUserProfile(db, claims.userId))?.platformRole ?? null);
    return role === claims.platformRole ? role : null;
  };
  return {
    async current(token) {
      const claims = token.platformRole ? { ...token, platformRole: await platformRoleNow(token) } : token;
      if (!claims.organizationId) return claims;
      const organizationId = claims.organizationId;
      const role = await remembered.get(
        `${claims.userId}\u0000${organizationId}`,
        async () => (await getMembership(db, claims.userId, organizationId))?.role ?? null,
      );
      if (!role) throw new DomainError("unauthorized", "no longer a member of this organization");
      return { ...claims, orgRole: role };
    },
  };
}

/**
 * Answers by key, trusted for `maxAgeMs` from when their lookup started. A running lookup is shared by the calls
 * that need the same key within `maxAgeMs` of its start (the same freshness as a remembered answer); a failed
 * lookup is not remembered, and every call that waited on it fails with it.
 */
class Remembered<T> {
  private readonly answers = new Map<string, { value: T; at: number }>();
  private readonly running = new Map<string, { lookup: Promise<T>; at: number }>();

  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(maxAgeMs: number, now: () => number) {
    this.maxAgeMs = maxAgeMs;
    this.now = now;
  }

  get(key: string, lookUp: () => Promise<T>): Promise<T> {
    const at = this.now();
    const entry = this.answers.get(key);
    if (entry && at - entry.at <= this.maxAgeMs) return Promise.resolve(entry.value);
    // A running lookup counts like an answer from when it started: shared while that is recent enough.
    const running = this.running.get(key);
    if (running && at - running.at <= this.maxAgeMs) return running.lookup;
    const done = () => {
      if (this.running.get(key)?.lookup === lookup) this.running.delete(key);
    };
    const lookup: Promise<T> = lookUp().then(
      (value) => {
        done();
        // An older lookup finishing after a newer one does not replace the newer answer.
        if ((this.answers.get(key)?.at ?? Number.NEGATIVE_INFINITY) <= at) {
          if (this.answers.size > 10_000) this.answers.clear();
          this.answers.set(key, { value, at });
        }
        return value;
      },
      (error: unknown) => {
        done();
        throw error;
      },
    );
    this.running.set(key, { lookup, at });
    return lookup;
  }
}
