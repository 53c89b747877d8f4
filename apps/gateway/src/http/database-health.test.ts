// The health probe tells a database that went away from one that is merely busy: a probe waiting behind a full
// pool (or the embedded database's queue) must not turn every API call into a 503.
import { createDbClient, type DbClient } from "@wa/db";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatabaseHealth } from "./database-health.ts";

let database: TestDatabase;
let onePool: DbClient;

beforeAll(async () => {
  database = await createTestDatabase();
  onePool = createDbClient(database.url, { max: 1 });
});

afterAll(async () => {
  await onePool?.close();
  await database?.close();
});

describe("database health", () => {
  it("stays reachable while its answer waits 1.5 s (as behind the embedded database's queue)", async () => {
    const health = new DatabaseHealth(onePool);
    // postgres.js sends a query when it is awaited or executed: this one holds the only connection now.
    const busy = onePool.sql`select pg_sleep(1.5)`.execute();
    expect(await health.probe()).toBe(true);
    await busy;
  });

  // On the embedded PGlite every connection waits in one queue; a connection of its own helps on PostgreSQL.
  it.skipIf(!process.env.DATABASE_URL)("probes on a connection of its own: a shared pool busy for 3 s does not hold it up", async () => {
    const health = DatabaseHealth.forUrl(database.url, { probeTimeoutMs: 1_000 });
    try {
      expect(await health.probe()).toBe(true); // its connection is open, as after the gateway's first probe
      const busy = onePool.sql`select pg_sleep(3)`.execute();
      const started = Date.now();
      expect(await health.probe()).toBe(true);
      expect(Date.now() - started).toBeLessThan(1_000);
      await busy;
    } finally {
      await health.stop();
    }
  });

  it("counts a refused connection as unreachable at once", async () => {
    const url = new URL(database.url);
    url.port = "1"; // nothing listens on port 1
    const health = DatabaseHealth.forUrl(url.toString());
    try {
      const started = Date.now();
      expect(await health.probe()).toBe(false);
      expect(health.isReachable).toBe(false);
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      await health.stop();
    }
  });
});
