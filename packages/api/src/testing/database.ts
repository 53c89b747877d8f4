// A test database for router and HTTP tests. On PGlite the pool is one connection: the socket multiplexer
// interleaves extended-protocol messages of concurrent connections (seen as "bind message supplies 3
// parameters, but prepared statement requires 1"), so concurrent queries must be serialized client-side.
import { createDbClient } from "@wa/db";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";

export async function openTestDatabase(): Promise<TestDatabase> {
  const base = await createTestDatabase();
  if (base.kind !== "pglite") return base;
  await base.sql.end({ timeout: 5 });
  const single = createDbClient(base.url, { max: 1 });
  return {
    ...base,
    db: single.db,
    sql: single.sql,
    close: async () => {
      await single.close();
      await base.close();
    },
  };
}
