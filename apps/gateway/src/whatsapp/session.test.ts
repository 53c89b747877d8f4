// The status writer's reasons reach the API: a session that cannot reach WhatsApp says why and when it retries; one
// whose auth state was sealed under another APP_SECRET fails with that reason and keeps its creds.
import { waSessionSchema } from "@wa/api";
import { ACME, createTestApiKey, seedFixture } from "@wa/api/testing";
import { readStoredAuthCreds } from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_APP_SECRET, until, freePort } from "../../test/harness.ts";
import { createGatewayEngine, type GatewayEngine } from "../engine.ts";
import { createServer, type GatewayServer } from "../http/server.ts";
import { AuthCipher } from "./auth-cipher.ts";
import { loadAuthState } from "./auth-state.ts";


describe("statusReason", () => {
  let t: TestDatabase;
  let engine: GatewayEngine;
  let server: GatewayServer;
  let base: string;
  let key: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    await seedFixture(t.db);
    const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
    engine = await createGatewayEngine({
      db: t,
      logger,
      config: {
        gatewayId: "gw-reason-1",
        appSecret: TEST_APP_SECRET,
        gatewayUrl: "http://127.0.0.1:1",
        waWsUrl: `ws://127.0.0.1:${await freePort()}/ws/chat`,
        reconnect: { baseDelayMs: 4_000, maxDelayMs: 8_000 },
      },
    });
    server = await createServer({
      db: t,
      ports: engine,
      env: { port: 0, webUrl: "http://localhost:3000", jwksUrl: "http://127.0.0.1:9/jwks" },
      logger,
    });
    base = await server.start();
    key = (await createTestApiKey(t.db, ACME, ["read", "manage"])).raw;
  });
  afterAll(async () => {
    await server?.stop();
    await engine?.shutdown();
    await t?.close();
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { "x-api-key": key, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  };

  it("[SESSIONS][STATUS]: an unreachable WhatsApp shows starting with the cause and the retry delay, through the API", async () => {
    const created = await api("POST", "/sessions", { label: "offline" });
    expect(created.status).toBe(201);
    const session = waSessionSchema.parse(created.body);
    expect(session.statusReason).toBeNull();

    const started = await api("POST", `/sessions/${session.id}:start`);
    expect(started.status).toBe(200);
    const retrying = await until(async () => {
      const got = waSessionSchema.parse((await api("GET", `/sessions/${session.id}`)).body);
      return got.statusReason ? got : null;
    }, "a status reason");
    expect(["starting", "failed"]).toContain(retrying.status);
    expect(retrying.statusReason).toMatch(/^cannot reach WhatsApp \(connect ECONNREFUSED 127\.0\.0\.1:\d+\); retrying (in [\d.]+ s|now) \(at \d\d:\d\d:\d\d UTC\)$/);

    const listed = await api("GET", "/sessions");
    const page = listed.body as { data: { id: string; statusReason: unknown }[] };
    expect(page.data.find((s) => s.id === session.id)?.statusReason).toMatch(/cannot reach WhatsApp/);

    // stopping clears the reason: nothing is wrong with a session someone stopped
    const stopped = waSessionSchema.parse((await api("POST", `/sessions/${session.id}:stop`)).body);
    expect(stopped.status).toBe("stopped");
    expect(stopped.statusReason).toBeNull();
  });

  it("[SESSIONS][ENCRYPTION]: creds sealed under another APP_SECRET: failed with a clear reason, never a new QR, creds kept", async () => {
    const session = waSessionSchema.parse((await api("POST", "/sessions", { label: "other secret" })).body);
    const elsewhere = new AuthCipher({ current: "another-secret-another-secret-another-secret" });
    const auth = await loadAuthState(t.db, session.id, elsewhere, pino({ level: "silent" }));
    await auth.saveCreds();
    const before = await readStoredAuthCreds(t.db, session.id);

    expect((await api("POST", `/sessions/${session.id}:start`)).status).toBe(200);
    const failed = await until(async () => {
      const got = waSessionSchema.parse((await api("GET", `/sessions/${session.id}`)).body);
      return got.status === "failed" ? got : null;
    }, "failed");
    expect(failed.statusReason).toMatch(/^auth state unreadable: wrong APP_SECRET: /);
    expect(engine.manager.peek(session.id)?.currentQr() ?? null).toBeNull();
    expect(await readStoredAuthCreds(t.db, session.id)).toEqual(before);
  });
});
