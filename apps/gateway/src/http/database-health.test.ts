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
  it("stays reachable while the probe waits 1.5 s behind a busy pool", async () => {
    const health = new DatabaseHealth(onePool);
    // postgres.js sends a query when it is awaited or executed: this one holds the only connection now.
    const busy = onePool.sql`select pg_sleep(1.5)`.execute();
    expect(await health.probe()).toBe(true);
    await busy;
  });

  it("counts a refused connection as unreachable at once", async () => {
    const url = new URL(database.url);
    url.port = "1"; // nothing listens on port 1
    const nowhere = createDbClient(url.toString(), { max: 1 });
    try {
      const health = new DatabaseHealth(nowhere);
      const started = Date.now();
      expect(await health.probe()).toBe(false);
      expect(health.isReachable).toBe(false);
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      await nowhere.close();
    }
  });
});
