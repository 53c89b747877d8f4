import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { migrationsApplied, migrationsFolder, runMigrations } from "./migrate.ts";
import { createTestDatabase, type TestDatabase } from "./testing.ts";

describe("migrations", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.close());

  it("apply to an empty database and create every table", async () => {
    const rows = await t.sql<{ table_name: string }[]>`
      select table_name from information_schema.tables where table_schema = 'public' order by table_name`;
    expect(rows.map((r) => r.table_name)).toEqual([
      "api_keys",
      "audit_log",
      "chats",
      "contacts",
      "event_sequences",
      "events",
      "gateways",
      "group_members",
      "groups",
      "idempotency_keys",
      "invitations",
      "memberships",
      "messages",
      "organizations",
      "outbox",
      "session_leases",
      "signing_keys",
      "users",
      "wa_auth_creds",
      "wa_auth_keys",
      "wa_sessions",
      "web_sessions",
      "webhook_deliveries",
      "webhooks",
    ]);
    expect(await migrationsApplied(t)).toBe(true);
  });

  it("are idempotent: applying them again, also concurrently, changes nothing", async () => {
    await Promise.all([runMigrations(t.url), runMigrations(t.url)]);
    const [row] = await t.sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
    expect(row?.n).toBe(readMigrationFiles({ migrationsFolder }).length);
  });
});
