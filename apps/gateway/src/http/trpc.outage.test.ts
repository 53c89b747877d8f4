// While the database host stops answering (packets go nowhere: no refusal, no reply), console tRPC calls are
// refused at once with 503 `gateway_unavailable` in tRPC's error format instead of each waiting on a connection;
// they work again once the database answers. The gateway reaches the database through a TCP proxy this test
// can silence, so the shared PostgreSQL server is never disturbed.
import { ACME, createFakePorts, createTestApiKey, seedFixture } from "@wa/api/testing";
import { createDbClient, type DbClient } from "@wa/db";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../../test/harness.ts";
import { startSilenceableProxy, type SilenceableProxy } from "../../test/silenceable-proxy.ts";
import { createLogger } from "./logger.ts";
import { createServer, type GatewayServer } from "./server.ts";

describe("tRPC while the database is away", () => {
  let t: TestDatabase;
  let proxy: SilenceableProxy;
  let db: DbClient;
  let server: GatewayServer;
  let base: string;
  let key: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    await seedFixture(t.db);
    key = (await createTestApiKey(t.db, ACME, ["read", "events"])).raw;
    const target = new URL(t.url);
    proxy = await startSilenceableProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(t.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    // A connect timeout far beyond the test's: a call that waits for the database cannot pass by timing out into a 503.
    db = createDbClient(viaProxy.toString(), { max: 4, connectTimeoutSeconds: 300 });
    server = await createServer({
      db,
      ports: createFakePorts({ db: db.db, gatewayId: "gw-trpc-outage" }),
      env: { port: 0, webUrl: "http://localhost:3000", jwksUrl: "http://127.0.0.1:9/jwks" },
      logger: createLogger({ level: "silent" }),
      databaseHealth: { upIntervalMs: 100, downIntervalMs: 100, probeTimeoutMs: 300 },
    });
    base = await server.start();
  });
  afterAll(async () => {
    await server?.stop();
    await db?.close();
    await proxy?.close();
    await t?.close();
  });

  const list = () =>
    fetch(`${base}/trpc/sessions.list?input=${encodeURIComponent("{}")}`, { headers: { "x-api-key": key } });
  const readyz = async () => (await fetch(`${base}/readyz`)).status;

  it("[TRPC][HEALTH]: calls are refused with 503 gateway_unavailable in tRPC's format, single and batched, then recover", async () => {
    expect((await list()).status).toBe(200);

    proxy.silence();
    try {
      await until(async () => (await readyz()) === 503, "the gateway to see the database away", 20_000);

      // Without the gate this call would wait on the silent database (the key lookup) for the 300 s connect timeout.
      const single = await list();
      expect(single.status).toBe(503);
      expect(single.headers.get("retry-after")).toBe("1");
      expect(await single.json()).toMatchObject({
        error: {
          message: "database unreachable; try again shortly",
          data: { code: "gateway_unavailable", trpcCode: "SERVICE_UNAVAILABLE", httpStatus: 503, path: "sessions.list" },
        },
      });

      const input = encodeURIComponent(JSON.stringify({ 0: {}, 1: {} }));
      const batch = await fetch(`${base}/trpc/sessions.list,me?batch=1&input=${input}`, { headers: { "x-api-key": key } });
      expect(batch.status).toBe(503);
      const answers = (await batch.json()) as { error: { data: { code: string } } }[];
      expect(answers.map((a) => a.error.data.code)).toEqual(["gateway_unavailable", "gateway_unavailable"]);

      // A console subscription (SSE) gets the same error as its stream's one event (tRPC streams answer 200 first).
      const connectionParams = encodeURIComponent(JSON.stringify({ token: key }));
      const events = await fetch(`${base}/trpc/sessions.events?input=${encodeURIComponent("{}")}&connectionParams=${connectionParams}`, {
        headers: { accept: "text/event-stream" },
      });
      expect(await events.text()).toContain("gateway_unavailable");
    } finally {
      proxy.restore();
    }

    await until(async () => (await readyz()) === 200, "the gateway to see the database back", 20_000);
    const recovered = await list();
    expect(recovered.status).toBe(200);
    expect(await recovered.json()).toMatchObject({ result: { data: { data: expect.any(Array) } } });
  }, 60_000);
});
