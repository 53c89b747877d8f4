// Baileys auth state rows (creds + signal keys) of one session. Values arrive and leave as JSON text already
// serialized by the caller (Baileys' BufferJSON), so this module never interprets secrets; it only stores them.
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { waAuthCreds, waAuthKeys } from "../schema/index.ts";

/** Rows per INSERT: 4 parameters each keeps a statement far under Postgres' 65 535-parameter limit. */
const KEY_ROWS_PER_STATEMENT = 1000;

/** The session's creds as JSON text, or null when the session has none. Errors propagate: never "no creds". */
export async function readAuthCreds(db: Executor, sessionId: string): Promise<string | null> {
  const [row] = await db
    .select({ creds: sql<string>`${waAuthCreds.creds}::text` })
    .from(waAuthCreds)
    .where(eq(waAuthCreds.sessionId, sessionId))
    .limit(1);
  return row?.creds ?? null;
}

/**
 * Stores the creds. With `onlyIfAbsent` (freshly minted creds) an existing row is left alone and `false` is
 * returned, so new credentials can never overwrite ones that appeared meanwhile.
 */
export async function writeAuthCreds(
  db: Executor,
  sessionId: string,
  credsJson: string,
  options: { onlyIfAbsent?: boolean } = {},
): Promise<boolean> {
  const insert = db.insert(waAuthCreds).values({ sessionId, creds: sql`${credsJson}::jsonb`, updatedAt: new Date() });
  const rows = options.onlyIfAbsent
    ? await insert.onConflictDoNothing().returning({ sessionId: waAuthCreds.sessionId })
    : await insert
        .onConflictDoUpdate({
          target: waAuthCreds.sessionId,
          set: { creds: sql`excluded.creds`, updatedAt: sql`excluded.updated_at` },
        })
        .returning({ sessionId: waAuthCreds.sessionId });
  return rows.length > 0;
}

export async function hasAuthCreds(db: Executor, sessionId: string): Promise<boolean> {
  const [row] = await db
    .select({ sessionId: waAuthCreds.sessionId })
    .from(waAuthCreds)
    .where(eq(waAuthCreds.sessionId, sessionId))
    .limit(1);
  return Boolean(row);
}

/** Values (JSON text) of the given keys of one type; missing keys are absent from the map. */
export async function readAuthKeys(
  db: Executor,
  sessionId: string,
  type: string,
  keyIds: readonly string[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (let i = 0; i < keyIds.length; i += KEY_ROWS_PER_STATEMENT) {
    const chunk = keyIds.slice(i, i + KEY_ROWS_PER_STATEMENT);
    const rows = await db
      .select({ keyId: waAuthKeys.keyId, value: sql<string>`${waAuthKeys.value}::text` })
      .from(waAuthKeys)
      .where(and(eq(waAuthKeys.sessionId, sessionId), eq(waAuthKeys.type, type), inArray(waAuthKeys.keyId, chunk)));
    for (const row of rows) found.set(row.keyId, row.value);
  }
  return found;
}

export interface AuthKeyChanges {
  upserts: { type: string; keyId: string; value: string }[];
  deletes: { type: string; keyId: string }[];
}

/** Applies one `keys.set` in a single transaction: multi-row upserts and deletes commit together or not at all. */
export async function applyAuthKeyChanges(db: Executor, sessionId: string, changes: AuthKeyChanges): Promise<void> {
  if (changes.upserts.length === 0 && changes.deletes.length === 0) return;
  await db.transaction(async (tx) => {
    const now = new Date();
    for (let i = 0; i < changes.upserts.length; i += KEY_ROWS_PER_STATEMENT) {
      const chunk = changes.upserts.slice(i, i + KEY_ROWS_PER_STATEMENT);
      await tx
        .insert(waAuthKeys)
        .values(chunk.map((k) => ({ sessionId, type: k.type, keyId: k.keyId, value: sql`${k.value}::jsonb`, updatedAt: now })))
        .onConflictDoUpdate({
          target: [waAuthKeys.sessionId, waAuthKeys.type, waAuthKeys.keyId],
          set: { value: sql`excluded.value`, updatedAt: sql`excluded.updated_at` },
        });
    }
    const byType = new Map<string, string[]>();
    for (const d of changes.deletes) {
      const ids = byType.get(d.type) ?? [];
      ids.push(d.keyId);
      byType.set(d.type, ids);
    }
    for (const [type, ids] of byType) {
      for (let i = 0; i < ids.length; i += KEY_ROWS_PER_STATEMENT) {
        await tx
          .delete(waAuthKeys)
          .where(
            and(
              eq(waAuthKeys.sessionId, sessionId),
              eq(waAuthKeys.type, type),
              inArray(waAuthKeys.keyId, ids.slice(i, i + KEY_ROWS_PER_STATEMENT)),
            ),
          );
      }
    }
  });
}

/** Logout: creds and every key of the session go in one transaction. */
export async function deleteAuthState(db: Executor, sessionId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(waAuthKeys).where(eq(waAuthKeys.sessionId, sessionId));
    await tx.delete(waAuthCreds).where(eq(waAuthCreds.sessionId, sessionId));
  });
}

export async function countAuthKeys(db: Executor, sessionId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(waAuthKeys)
    .where(eq(waAuthKeys.sessionId, sessionId));
  return row?.n ?? 0;
}

/** Every LID↔phone-number mapping the device stored (Baileys keeps them as `lid-mapping` keys). */
export async function readLidMappings(db: Executor, sessionId: string): Promise<{ keyId: string; value: string }[]> {
  return db
    .select({ keyId: waAuthKeys.keyId, value: sql<string>`${waAuthKeys.value}::text` })
    .from(waAuthKeys)
    .where(and(eq(waAuthKeys.sessionId, sessionId), eq(waAuthKeys.type, "lid-mapping")));
}
