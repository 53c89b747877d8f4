// Baileys auth state rows (creds + signal keys) of one session. Values arrive and leave already sealed by the caller
// (with the id of the key that sealed them), so this module never sees or interprets secrets; it only stores them.
import { and, eq, inArray, isNull, notInArray, or, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { waAuthCreds, waAuthKeys } from "../schema/index.ts";
import { LeaseLostError, lockFence, type LeaseFence } from "./leases.ts";

/** A stored value and the id of the key that sealed it (null: plain JSON from before encryption). */
export interface StoredAuthValue {
  value: string;
  sealKeyId: string | null;
}

/** The session's creds as stored, or null when the session has none. Errors propagate: never "no creds". */
export async function readAuthCreds(db: Executor, sessionId: string): Promise<string | null> {
  return (await readStoredAuthCreds(db, sessionId))?.value ?? null;
}

export async function readStoredAuthCreds(db: Executor, sessionId: string): Promise<StoredAuthValue | null> {
  const [row] = await db
    .select({ value: waAuthCreds.creds, sealKeyId: waAuthCreds.sealKeyId })
    .from(waAuthCreds)
    .where(eq(waAuthCreds.sessionId, sessionId))
    .limit(1);
  return row ?? null;
}

/**
 * Stores the creds. With `onlyIfAbsent` (freshly minted creds) an existing row is left alone and `false` is
 * returned, so new credentials can never overwrite ones that appeared meanwhile.
 */
export async function writeAuthCreds(
  db: Executor,
  sessionId: string,
  creds: StoredAuthValue,
  options: { onlyIfAbsent?: boolean; fence?: LeaseFence } = {},
): Promise<boolean> {
  const { fence } = options;
  // Fenced: only the current lease holder writes (LeaseLostError otherwise), atomically with the check.
  if (fence) {
    return db.transaction(async (tx) => {
      await lockFence(tx, fence);
      return writeAuthCreds(tx, sessionId, creds, { onlyIfAbsent: options.onlyIfAbsent });
    });
  }
  const insert = db
    .insert(waAuthCreds)
    .values({ sessionId, creds: creds.value, sealKeyId: creds.sealKeyId, updatedAt: new Date() });
  const rows = options.onlyIfAbsent
    ? await insert.onConflictDoNothing().returning({ sessionId: waAuthCreds.sessionId })
    : await insert
        .onConflictDoUpdate({
          target: waAuthCreds.sessionId,
          set: { creds: sql`excluded.creds`, sealKeyId: sql`excluded.seal_key_id`, updatedAt: sql`excluded.updated_at` },
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

/**
 * Stored values of the given keys of one type; missing keys are absent from the map. The ids travel as one text[]
 * parameter, so the statement's text is the same whatever their number: postgres.js keeps every distinct text it
 * prepared, per connection, for the connection's life (an `in ($3, …, $n)` list was one more per list length).
 */
export async function readAuthKeys(
  db: Executor,
  sessionId: string,
  type: string,
  keyIds: readonly string[],
): Promise<Map<string, StoredAuthValue>> {
  const found = new Map<string, StoredAuthValue>();
  if (keyIds.length === 0) return found;
  const rows = await db
    .select({ keyId: waAuthKeys.keyId, value: waAuthKeys.value, sealKeyId: waAuthKeys.sealKeyId })
    .from(waAuthKeys)
    .where(and(eq(waAuthKeys.sessionId, sessionId), eq(waAuthKeys.type, type), sql`${waAuthKeys.keyId} = any(${sql.param([...keyIds])}::text[])`));
  for (const row of rows) found.set(row.keyId, { value: row.value, sealKeyId: row.sealKeyId });
  return found;
}

export interface AuthKeyChanges {
  upserts: { type: string; keyId: string; value: string; sealKeyId: string | null }[];
  deletes: { type: string; keyId: string }[];
}

/**
 * Applies one `keys.set` in a single statement (its own transaction): upserts and deletes commit together or not at
 * all, and only while the fence holds (its lease row FOR SHARE first, as lockFence takes it) — else LeaseLostError
 * and nothing written. The rows travel as one JSON parameter each way, so no size needs splitting.
 */
export async function applyAuthKeyChanges(
  db: Executor,
  sessionId: string,
  changes: AuthKeyChanges,
  fence?: LeaseFence,
): Promise<void> {
  if (changes.upserts.length === 0 && changes.deletes.length === 0) return;
  const upserts = changes.upserts.map((k) => ({ type: k.type, key_id: k.keyId, value: k.value, seal_key_id: k.sealKeyId }));
  const deletes = changes.deletes.map((d) => ({ type: d.type, key_id: d.keyId }));
  const rows = (await db.execute(sql`
    with fence as materialized (
      ${fence
        ? sql`select 1 from session_leases
            where session_id = ${fence.sessionId} and gateway_id = ${fence.gatewayId} and epoch = ${fence.epoch} for share`
        : sql`select 1`}),
    written as (
      insert into wa_auth_keys (session_id, type, key_id, value, seal_key_id, updated_at)
      select ${sessionId}, k.type, k.key_id, k.value, k.seal_key_id, now()
      from jsonb_to_recordset(${JSON.stringify(upserts)}::jsonb) as k(type text, key_id text, value text, seal_key_id text)
      where exists (select 1 from fence)
      on conflict (session_id, type, key_id) do update
        set value = excluded.value, seal_key_id = excluded.seal_key_id, updated_at = excluded.updated_at
      returning 1),
    removed as (
      delete from wa_auth_keys
      where session_id = ${sessionId} and exists (select 1 from fence)
        and (type, key_id) in (select d.type, d.key_id from jsonb_to_recordset(${JSON.stringify(deletes)}::jsonb) as d(type text, key_id text))
      returning 1)
    select exists (select 1 from fence) as holds`)) as unknown as { holds: boolean }[];
  if (fence && !rows[0]?.holds) throw new LeaseLostError(fence);
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
    .select({ keyId: waAuthKeys.keyId, value: waAuthKeys.value })
    .from(waAuthKeys)
    .where(and(eq(waAuthKeys.sessionId, sessionId), eq(waAuthKeys.type, "lid-mapping")));
}

// ── sealing rows written before encryption or under a previous APP_SECRET ─────────────────────────────────────

/** Rows sealed under none of `currentKeyId` (plain, or an older key the caller can open), a page at a time. */
const needsSeal = (column: typeof waAuthCreds.sealKeyId | typeof waAuthKeys.sealKeyId, openableOldKeyIds: readonly string[]) =>
  openableOldKeyIds.length > 0 ? or(isNull(column), inArray(column, [...openableOldKeyIds])) : isNull(column);

export async function listCredsToSeal(
  db: Executor,
  openableOldKeyIds: readonly string[],
  limit: number,
): Promise<({ sessionId: string } & StoredAuthValue)[]> {
  return db
    .select({ sessionId: waAuthCreds.sessionId, value: waAuthCreds.creds, sealKeyId: waAuthCreds.sealKeyId })
    .from(waAuthCreds)
    .where(needsSeal(waAuthCreds.sealKeyId, openableOldKeyIds))
    .limit(limit);
}

export async function listKeysToSeal(
  db: Executor,
  openableOldKeyIds: readonly string[],
  plainTypes: readonly string[],
  limit: number,
): Promise<({ sessionId: string; type: string; keyId: string } & StoredAuthValue)[]> {
  return db
    .select({
      sessionId: waAuthKeys.sessionId,
      type: waAuthKeys.type,
      keyId: waAuthKeys.keyId,
      value: waAuthKeys.value,
      sealKeyId: waAuthKeys.sealKeyId,
    })
    .from(waAuthKeys)
    .where(
      and(
        needsSeal(waAuthKeys.sealKeyId, openableOldKeyIds),
        plainTypes.length > 0 ? notInArray(waAuthKeys.type, [...plainTypes]) : undefined,
      ),
    )
    .limit(limit);
}

/** A row to seal again: the value that was read (`before`) and its replacement (`after`). */
export interface Reseal<Row> {
  row: Row;
  before: StoredAuthValue;
  after: StoredAuthValue;
}

/**
 * Replaces each row's value only if it still carries the value that was read (compare-and-set): a concurrent write by
 * a running session is newer and wins. One statement for the whole batch; returns how many rows were replaced.
 */
export async function resealAuthCreds(db: Executor, batch: readonly Reseal<{ sessionId: string }>[]): Promise<number> {
  if (batch.length === 0) return 0;
  const payload = JSON.stringify(batch.map((r) => ({ s: r.row.sessionId, b: r.before.value, v: r.after.value, k: r.after.sealKeyId })));
  const rows = await db.execute<{ session_id: string }>(sql`
    update wa_auth_creds c set creds = u.v, seal_key_id = u.k
    from jsonb_to_recordset(${payload}::jsonb) as u(s text, b text, v text, k text)
    where c.session_id = u.s and c.creds = u.b
    returning c.session_id`);
  return rows.length;
}

export async function resealAuthKeys(
  db: Executor,
  batch: readonly Reseal<{ sessionId: string; type: string; keyId: string }>[],
): Promise<number> {
  if (batch.length === 0) return 0;
  const payload = JSON.stringify(
    batch.map((r) => ({ s: r.row.sessionId, t: r.row.type, i: r.row.keyId, b: r.before.value, v: r.after.value, k: r.after.sealKeyId })),
  );
  const rows = await db.execute<{ key_id: string }>(sql`
    update wa_auth_keys k set value = u.v, seal_key_id = u.k
    from jsonb_to_recordset(${payload}::jsonb) as u(s text, t text, i text, b text, v text, k text)
    where k.session_id = u.s and k.type = u.t and k.key_id = u.i and k.value = u.b
    returning k.key_id`);
  return rows.length;
}
