// Test databases: a fresh database on DATABASE_URL's server when set (CI's PostgreSQL), else in-process PGlite
// served over the wire protocol. Either way the code under test talks postgres.js, migrations applied.
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { createDbClient, type DbClient } from "./client.ts";
import { startEmbeddedDatabase } from "./embedded.ts";
import { runMigrations } from "./migrate.ts";

export interface TestDatabase extends DbClient {
  url: string;
  kind: "postgres" | "pglite";
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const embedded = await startEmbeddedDatabase();
    await runMigrations(embedded.url);
    const client = createDbClient(embedded.url, { max: 4 });
    return {
      ...client,
      url: embedded.url,
      kind: "pglite",
      close: async () => {
        await client.close();
        await embedded.stop();
      },
    };
  }
  const name = `wa_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  const client = createDbClient(url.toString(), { max: 6 });
  return {
    ...client,
    url: url.toString(),
    kind: "postgres",
    close: async () => {
      await client.close();
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}
