// JWT signing key rows: the current key, the keys still published in the JWKS, and rotation under an advisory lock.
import { and, desc, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { signingKeys, type SigningKey } from "../schema/index.ts";

/** Serializes key creation/rotation across processes (web instances starting at once). */
const SIGNING_KEY_LOCK_ID = 72_610_002;

/** The newest key that has not been rotated out; null when none exists yet. */
export async function getCurrentSigningKey(db: Executor): Promise<SigningKey | null> {
  const [row] = await db
    .select()
    .from(signingKeys)
    .where(isNull(signingKeys.rotatedAt))
    .orderBy(desc(signingKeys.createdAt), desc(signingKeys.kid))
    .limit(1);
  return row ?? null;
}

/** Keys whose public half belongs in the JWKS: the current one and rotated ones whose tokens may still be valid. */
export async function listPublishedSigningKeys(db: Executor, now: Date = new Date()): Promise<SigningKey[]> {
  return db
    .select()
    .from(signingKeys)
    .where(or(isNull(signingKeys.rotatedAt), isNull(signingKeys.expiresAt), gt(signingKeys.expiresAt, now)))
    .orderBy(desc(signingKeys.createdAt), desc(signingKeys.kid));
}

export interface NewSigningKey {
  kid: string;
  alg: string;
  publicJwk: Record<string, unknown>;
  privateJwkEncrypted: string;
}

/**
 * Returns the current key, creating or rotating it when `needsNew(current)` says so. The check is repeated under a
 * transaction-scoped advisory lock, so concurrent first use (or rotation) creates exactly one new current key.
 * `make` is only called when a key is really created.
 */
export async function ensureCurrentSigningKey(
  db: Executor,
  params: {
    needsNew: (current: SigningKey | null) => boolean;
    make: () => Promise<NewSigningKey>;
    /** When a rotated-out key leaves the JWKS (after its last token expired). */
    previousExpiresAt: Date;
    now?: Date;
  },
): Promise<SigningKey> {
  const existing = await getCurrentSigningKey(db);
  if (existing && !params.needsNew(existing)) return existing;
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${SIGNING_KEY_LOCK_ID})`);
    const current = await getCurrentSigningKey(tx);
    if (current && !params.needsNew(current)) return current;
    const now = params.now ?? new Date();
    if (current) {
      await tx
        .update(signingKeys)
        .set({ rotatedAt: now, expiresAt: params.previousExpiresAt })
        .where(and(eq(signingKeys.kid, current.kid), isNull(signingKeys.rotatedAt)));
    }
    const made = await params.make();
    const [row] = await tx
      .insert(signingKeys)
      .values({ ...made, createdAt: now })
      .returning();
    if (!row) throw new Error("insert returned no row");
    return row;
  });
}
