// Applies the committed SQL migrations; an advisory lock lets the gateway and web start at once safely.
import { fileURLToPath } from "node:url";
import { sql as raw } from "drizzle-orm";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { createDbClient, type DbClient } from "./client.ts";

export const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));
const MIGRATION_LOCK_ID = 72_610_001;

export async function runMigrations(databaseUrl: string): Promise<void> {
  // One connection, so the session-level advisory lock covers every migration statement.
  const client = createDbClient(databaseUrl, { max: 1, applicationName: "wa-migrate" });
  try {
    await client.db.execute(raw`select pg_advisory_lock(${MIGRATION_LOCK_ID})`);
    try {
      await migrate(client.db, { migrationsFolder });
    } finally {
      await client.db.execute(raw`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`);
    }
  } finally {
    await client.close();
  }
}

/** True when every committed migration is recorded as applied (used by readiness checks). */
export async function migrationsApplied(client: Pick<DbClient, "sql">): Promise<boolean> {
  const { readMigrationFiles } = await import("drizzle-orm/migrator");
  const expected = readMigrationFiles({ migrationsFolder }).length;
  try {
    const rows = await client.sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
    return (rows[0]?.n ?? 0) >= expected;
  } catch {
    return false;
  }
}
