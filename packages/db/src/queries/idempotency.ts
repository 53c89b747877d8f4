// Idempotency-Keys of sends: one row per (organization, key) for 24 h, naming the outbox row the first request
// made and, once known, the answer it got. Claimed in the send's transaction, so two requests with one key make
// one message (the second waits on the first's row, then sees it).
import { and, eq, isNull, lt, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { idempotencyKeyTtlMs } from "../contract.ts";
import { idempotencyKeys } from "../schema/index.ts";

export interface IdempotencyRecord {
  sessionId: string;
  requestHash: string;
  outboxId: string;
  responseStatus: number | null;
  response: unknown;
}

const record = {
  sessionId: idempotencyKeys.sessionId,
  requestHash: idempotencyKeys.requestHash,
  outboxId: idempotencyKeys.outboxId,
  responseStatus: idempotencyKeys.responseStatus,
  response: idempotencyKeys.response,
};

const liveSince = () => new Date(Date.now() - idempotencyKeyTtlMs);

/** The key's record while it is remembered (24 h), else null. */
export async function findIdempotencyKey(db: Executor, organizationId: string, key: string): Promise<IdempotencyRecord | null> {
  const [row] = await db
    .select(record)
    .from(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.organizationId, organizationId),
        eq(idempotencyKeys.key, key),
        sql`${idempotencyKeys.createdAt} >= ${liveSince().toISOString()}::timestamptz`,
      ),
    )
    .limit(1);
  return row ?? null;
}

/**
 * Remembers the key for this request's outbox row; false when another request holds it (it waited for that one to
 * commit). An expired record of the key is replaced.
 */
export async function claimIdempotencyKey(
  tx: Executor,
  k: { organizationId: string; key: string; sessionId: string; requestHash: string; outboxId: string; responseStatus?: number; response?: unknown },
): Promise<boolean> {
  await tx
    .delete(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.organizationId, k.organizationId),
        eq(idempotencyKeys.key, k.key),
        lt(idempotencyKeys.createdAt, liveSince()),
      ),
    );
  const rows = await tx
    .insert(idempotencyKeys)
    .values({
      organizationId: k.organizationId,
      key: k.key,
      sessionId: k.sessionId,
      requestHash: k.requestHash,
      outboxId: k.outboxId,
      responseStatus: k.responseStatus ?? null,
      response: (k.response ?? null) as object | null,
    })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  return rows.length > 0;
}

/**
 * The first request's answer, for replays. The first answer recorded stays: a request and a replay that settles it
 * from the outbox (its gateway died mid-send) may both get here.
 */
export async function saveIdempotentResponse(
  db: Executor,
  organizationId: string,
  key: string,
  responseStatus: number,
  response: unknown,
): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ responseStatus, response: response as object })
    .where(
      and(
        eq(idempotencyKeys.organizationId, organizationId),
        eq(idempotencyKeys.key, key),
        isNull(idempotencyKeys.responseStatus),
      ),
    );
}

/** Forgets keys older than 24 h. */
export async function pruneIdempotencyKeys(db: Executor): Promise<number> {
  const rows = await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, liveSince())).returning({ key: idempotencyKeys.key });
  return rows.length;
}
