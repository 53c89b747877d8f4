// The health probe tells a database that went away from one that is merely busy: a probe waiting behind a full
// pool (or the embedded database's queue) must not turn every API call into a 503.
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
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

  // A TCP proxy in front of PostgreSQL stands for the server: closing it drops the probe's idle connection and refuses
  // new ones, as a shutdown does (PGlite's embedded database has no TCP server to put it in front of).
  it.skipIf(!process.env.DATABASE_URL)("sees the database go away when its idle connection drops, not at the next interval", async () => {
    const upstream = new URL(database.url);
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      const server = connect(Number(upstream.port), upstream.hostname);
      for (const s of [client, server]) {
        sockets.add(s);
        s.on("error", () => undefined);
        s.on("close", () => sockets.delete(s));
      }
      client.pipe(server).pipe(client);
      client.on("close", () => server.destroy());
      server.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const url = new URL(database.url);
    url.hostname = "127.0.0.1";
    url.port = String((proxy.address() as AddressInfo).port);
    const health = DatabaseHealth.forUrl(url.toString(), { upIntervalMs: 60_000 });
    try {
      health.start();
      const deadline = Date.now() + 5_000;
      while (sockets.size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100)); // the first probe answered: the next one is a minute away
      expect(health.isReachable).toBe(true);
      const gone = Date.now();
      proxy.close();
      for (const s of sockets) s.destroy();
      while (health.isReachable && Date.now() - gone < 5_000) await new Promise((r) => setTimeout(r, 10));
      expect(health.isReachable).toBe(false);
      expect(Date.now() - gone).toBeLessThan(2_000);
    } finally {
      await health.stop();
      proxy.close();
    }
  });
});
