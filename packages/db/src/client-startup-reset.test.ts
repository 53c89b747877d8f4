// The patched postgres.js (patches/postgres+3.4.9.patch): a connection reset while the driver fetches array types at
// startup (porsager/postgres#1192, #1223) must fail or retry the caller's query, never surface as an unhandled
// rejection, which ends a Node process by default. A TCP proxy resets the first connection at that query.
import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDbClient } from "./client.ts";
import { createTestDatabase, type TestDatabase } from "./testing.ts";

let database: TestDatabase;
let proxy: Server;
let proxyUrl: string;
let resets = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  const upstream = new URL(database.url);
  proxy = createServer((client: Socket) => {
    const server = connect(Number(upstream.port), upstream.hostname);
    server.on("data", (chunk) => client.write(chunk));
    client.on("data", (chunk) => {
      if (resets === 0 && chunk.includes("pg_catalog.pg_type")) {
        resets++;
        client.resetAndDestroy();
        server.destroy();
        return;
      }
      server.write(chunk);
    });
    client.on("error", () => server.destroy());
    server.on("error", () => client.destroy());
    client.on("close", () => server.destroy());
    server.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const url = new URL(database.url);
  url.hostname = "127.0.0.1";
  url.port = String((proxy.address() as AddressInfo).port);
  proxyUrl = url.toString();
});

afterAll(async () => {
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  await database?.close();
});

// PGlite's embedded test database has no TCP server of its own to put a proxy in front of.
describe.skipIf(!process.env.DATABASE_URL)("postgres.js startup reset", () => {
  it("a reset during the array-types fetch is no unhandled rejection, and the next query works", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    const client = createDbClient(proxyUrl, { max: 1 });
    try {
      const first = await client.sql`select 1 as one`.then(
        (rows) => rows[0]?.one,
        (error: unknown) => error,
      );
      expect(resets).toBe(1);
      // The first query either failed with the connection's error or was retried on a new connection.
      if (first !== 1) expect(String(first)).toMatch(/ECONNRESET|CONNECTION_CLOSED|write after end|socket/i);
      const [row] = await client.sql<{ tags: string[] }[]>`select array['a', 'b']::text[] as tags`;
      expect(row?.tags).toEqual(["a", "b"]); // array types were fetched on the new connection
      await new Promise((r) => setTimeout(r, 100));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
      await client.close();
    }
  });
});
