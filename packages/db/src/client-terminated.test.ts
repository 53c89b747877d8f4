// The patched postgres.js (patches/postgres+3.4.9.patch): a backend terminated while a query runs (pg_terminate_backend,
// or every backend when the server shuts down) sends a FATAL ErrorResponse and closes without ReadyForQuery. The
// driver kept that error past the socket and failed the first query of the next connection with it (57P01 on a
// healthy server, right after the database came back). The running query fails; the next one must not.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDbClient, type DbClient } from "./client.ts";
import { createTestDatabase, type TestDatabase } from "./testing.ts";

let database: TestDatabase;
let admin: DbClient;

beforeAll(async () => {
  database = await createTestDatabase();
  admin = createDbClient(database.url, { max: 1 });
});

afterAll(async () => {
  await admin?.close();
  await database?.close();
});

// PGlite's embedded test database runs one backend for everything: there is no other backend to terminate.
describe.skipIf(!process.env.DATABASE_URL)("postgres.js after a terminated backend", () => {
  it("the query after a terminated one runs on a new connection instead of failing with the old FATAL", async () => {
    const client = createDbClient(database.url, { max: 1 });
    try {
      const [{ pid } = { pid: 0 }] = await client.sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
      const running = client.sql`select pg_sleep(10)`.then(
        () => null,
        (error: unknown) => error as { code?: string },
      );
      await new Promise((r) => setTimeout(r, 200));
      await admin.sql`select pg_terminate_backend(${pid})`;
      const failure = await running;
      expect(failure?.code).toMatch(/^(CONNECTION_CLOSED|57P01)$/);
      for (let i = 0; i < 3; i++) {
        const [row] = await client.sql<{ one: number }[]>`select 1 as one`;
        expect(row?.one).toBe(1);
      }
    } finally {
      await client.close();
    }
  });
});
