// Api-key rows: created with a hash only, listed without the hash, found by hash for authentication, revoked.
import { and, desc, eq, isNull, lte, or, sql } from "drizzle-orm";
import type { Database, Executor } from "../client.ts";
import { newId } from "../ids.ts";
import type { ApiKeyPermission } from "../contract.ts";
import { apiKeys, type ApiKey } from "../schema/index.ts";

/** NOTIFY channel: the payload is the id of a key that was revoked or deleted (caches forget it). */
export const API_KEY_CHANGES_CHANNEL = "api_key_changes";

/** What an organization sees of a key: never the hash. Times are epoch ms. */
export interface ApiKeyView {
  id: string;
  organizationId: string;
  name: string;
  prefix: string;
  permissions: ApiKeyPermission[];
  createdByUserId: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
}

const viewColumns = {
  id: apiKeys.id,
  organizationId: apiKeys.organizationId,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  permissions: apiKeys.permissions,
  createdByUserId: apiKeys.createdByUserId,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  expiresAt: apiKeys.expiresAt,
  revokedAt: apiKeys.revokedAt,
};

type ViewRow = Omit<ApiKey, "keyHash">;

function toView(row: ViewRow): ApiKeyView {
  return {
    ...row,
    permissions: [...row.permissions],
    createdAt: row.createdAt.getTime(),
    lastUsedAt: row.lastUsedAt?.getTime() ?? null,
    expiresAt: row.expiresAt?.getTime() ?? null,
    revokedAt: row.revokedAt?.getTime() ?? null,
  };
}

export interface CreateApiKeyParams {
  organizationId: string;
  name: string;
  prefix: string;
  keyHash: string;
  permissions: readonly ApiKeyPermission[];
  createdByUserId: string | null;
  expiresAt: Date | null;
}

export async function createApiKey(db: Executor, params: CreateApiKeyParams): Promise<ApiKeyView> {
  const [row] = await db
    .insert(apiKeys)
    .values({ id: newId(), ...params, permissions: [...params.permissions] })
    .returning(viewColumns);
  if (!row) throw new Error("insert returned no row");
  return toView(row);
}

/** The organization's keys, newest first (revoked ones included, so people can see what was revoked). */
export async function listApiKeys(db: Executor, organizationId: string): Promise<ApiKeyView[]> {
  const rows = await db
    .select(viewColumns)
    .from(apiKeys)
    .where(eq(apiKeys.organizationId, organizationId))
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
  return rows.map(toView);
}

/** Marks a key revoked; null when the organization has no such key. Revoking twice keeps the first time. */
export async function revokeApiKey(db: Executor, id: string, organizationId: string): Promise<ApiKeyView | null> {
  const [existing] = await db
    .select(viewColumns)
    .from(apiKeys)
    .where(and(eq(apiKeys.id, id), eq(apiKeys.organizationId, organizationId)))
    .limit(1);
  if (!existing) return null;
  if (existing.revokedAt) return toView(existing);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.id, id), eq(apiKeys.organizationId, organizationId)))
      .returning(viewColumns);
    if (!row) return null;
    // Delivered at commit, to every process that caches keys: none can miss a revocation that happened.
    await tx.execute(sql`select pg_notify(${API_KEY_CHANGES_CHANNEL}, ${row.id})`);
    return toView(row);
  });
}

const prepareFindByHash = (db: Database) =>
  db
    .select(viewColumns)
    .from(apiKeys)
    .where(eq(apiKeys.keyHash, sql.placeholder("keyHash")))
    .limit(1)
    .prepare("api_key_by_hash");

/** Built once per database: this runs on every api-key request, and building the query was most of its cost. */
const findByHashStatements = new WeakMap<Database, ReturnType<typeof prepareFindByHash>>();

/** For authentication only: the key whose hash matches, with what is needed to decide whether it is usable. */
export async function findApiKeyByHash(db: Database, keyHash: string): Promise<ApiKeyView | null> {
  let statement = findByHashStatements.get(db);
  if (!statement) {
    statement = prepareFindByHash(db);
    findByHashStatements.set(db, statement);
  }
  const [row] = await statement.execute({ keyHash });
  return row ? toView(row) : null;
}

/**
 * Records use. The condition skips the write when a recent time is already stored, so concurrent gateways do
 * not pile up updates on a busy key.
 */
export async function touchApiKey(db: Executor, id: string, now: Date, minIntervalMs: number): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(
      and(
        eq(apiKeys.id, id),
        or(isNull(apiKeys.lastUsedAt), lte(apiKeys.lastUsedAt, new Date(now.getTime() - minIntervalMs))),
      ),
    );
}

/** Whether a key is still usable, by id: open streams re-check the key they were opened with. */
export async function getApiKeyValidity(
  db: Executor,
  id: string,
): Promise<{ revokedAt: number | null; expiresAt: number | null } | null> {
  const [row] = await db
    .select({ revokedAt: apiKeys.revokedAt, expiresAt: apiKeys.expiresAt })
    .from(apiKeys)
    .where(eq(apiKeys.id, id))
    .limit(1);
  return row ? { revokedAt: row.revokedAt?.getTime() ?? null, expiresAt: row.expiresAt?.getTime() ?? null } : null;
}
