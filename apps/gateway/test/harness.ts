// Test harness for engine tests: a real database (PGlite or DATABASE_URL's server), the WhatsApp simulator, and
// gateway engines over them, with helpers to create, pair and watch sessions.
import { createServer as createTcpServer } from "node:net";
import { createDbClient, newId, schema, type SessionStatus } from "@wa/db";
import { createSession, getSession, getSessionStatusReason, type WaSession, readStoredAuthCreds } from "@wa/db/queries";
import { createTestDatabase } from "@wa/db/testing";
import type { DbClient } from "@wa/db";
import { scanQr, startSimulator, type ScanResult, type ScenarioOptions, type Simulator, type SimServerOptions } from "@wa/wa-sim";
import pino from "pino";
import { createGatewayEngine, type EngineConfig, type GatewayEngine } from "../src/engine.ts";
import { authCipherFor, credsAad } from "../src/whatsapp/auth-cipher.ts";

export interface Harness {
  db: DbClient & { url: string; kind: "postgres" | "pglite" };
  sim: Simulator;
  organizationId: string;
  logger: pino.Logger;
  engine(config?: Partial<EngineConfig>, opts?: { boot?: boolean }): Promise<GatewayEngine>;
  createSession(label?: string): Promise<WaSession>;
  waitForStatus(sessionId: string, statuses: SessionStatus | SessionStatus[], timeoutMs?: number): Promise<WaSession>;
  /** start → QR → simulated phone scans → `working`. */
  pair(
    engine: GatewayEngine,
    sessionId: string,
    opts?: { phoneNumber?: string; scenario?: ScenarioOptions; timeoutMs?: number },
  ): Promise<{ scan: ScanResult; session: WaSession }>;
  statusReason(sessionId: string): Promise<string | null>;
  /** The session's creds as JSON text, opened with the test APP_SECRET (they are sealed in the database). */
  readCreds(sessionId: string): Promise<string | null>;
  close(): Promise<void>;
}

/** The APP_SECRET of every test engine (the auth state is sealed under it). */
export const TEST_APP_SECRET = "test-app-secret-test-app-secret-test-app-secret";

/** A loopback port nobody listens on right now: bound, read, released. */
export async function freePort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `fn` returns a truthy value; throws with `what` after the timeout. */
export async function until<T>(
  fn: () => Promise<T> | T,
  what: string,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export async function createHarness(opts: { sim?: SimServerOptions; engine?: Partial<EngineConfig> } = {}): Promise<Harness> {
  const testDb = await createTestDatabase();
  // PGlite has a single backend: one connection there (a larger pool would only queue behind it).
  const single = testDb.kind === "pglite" ? createDbClient(testDb.url, { max: 1 }) : null;
  const db = {
    ...(single ?? testDb),
    url: testDb.url,
    kind: testDb.kind,
    close: async () => {
      await single?.close();
      await testDb.close();
    },
  };
  const sim = await startSimulator({ qrRefreshMs: 20_000, ...opts.sim });
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const organizationId = newId();
  await db.db.insert(schema.organizations).values({ id: organizationId, name: "Engine tests" });
  const engines: GatewayEngine[] = [];

  const harness: Harness = {
    db,
    sim,
    organizationId,
    logger,
    async engine(config = {}, engineOpts = {}) {
      const engine = await createGatewayEngine({
        db,
        logger,
        config: {
          gatewayId: "gw-test-1",
          appSecret: TEST_APP_SECRET,
          gatewayUrl: "http://127.0.0.1:1",
          waWsUrl: sim.url,
          simulatorHttpUrl: sim.httpUrl,
          trustRootPublicKey: sim.rootPublicKey,
          restoreJitterMs: 50,
          reconnect: { baseDelayMs: 100, maxDelayMs: 1_000, replacedBaseDelayMs: 200 },
          ...opts.engine,
          ...config,
        },
      });
      engines.push(engine);
      if (engineOpts.boot ?? true) await engine.boot();
      return engine;
    },
    createSession: (label) =>
      createSession(db.db, { organizationId, gatewayId: opts.engine?.gatewayId ?? "gw-test-1", label: label ?? null }),
    async waitForStatus(sessionId, statuses, timeoutMs = 20_000) {
      const wanted = Array.isArray(statuses) ? statuses : [statuses];
      let seen: WaSession | null = null;
      try {
        return await until<WaSession | null>(
          async () => {
            seen = await getSession(db.db, sessionId);
            return seen && wanted.includes(seen.status) ? seen : null;
          },
          `session ${sessionId} to be ${wanted.join("|")}`,
          timeoutMs,
        );
      } catch (err) {
        const reason = await getSessionStatusReason(db.db, sessionId);
        throw new Error(`${(err as Error).message}; last status ${(seen as WaSession | null)?.status ?? "?"} (${reason ?? "no reason"})`);
      }
    },
    async pair(engine, sessionId, pairOpts = {}) {
      await engine.sessions.start(sessionId);
      const { timeoutMs = 30_000, ...scanOpts } = pairOpts;
      await harness.waitForStatus(sessionId, "scan_qr_code", timeoutMs);
      const qr = await engine.sessions.getQr(sessionId);
      const scan = await scanQr(sim.httpUrl, qr.qr, scanOpts);
      const session = await harness.waitForStatus(sessionId, "working", timeoutMs);
      return { scan, session };
    },
    statusReason: (sessionId) => getSessionStatusReason(db.db, sessionId),
    async readCreds(sessionId) {
      const stored = await readStoredAuthCreds(db.db, sessionId);
      return stored ? authCipherFor({ current: TEST_APP_SECRET }).open(stored, credsAad(sessionId)) : null;
    },
    async close() {
      for (const e of engines) await e.shutdown().catch(() => undefined);
      await sim.stop();
      await db.close();
    },
  };
  return harness;
}
