// Messaging tests: the real engine (Baileys against the simulator, a real database) behind the real HTTP server,
// with the fixture's people as login JWTs and ACME api-keys, and helpers to pair an ACME session and read the
// simulator's view of what arrived.
import { ACME, claimsOf, createTestApiKey, createTestIdentity, seedFixture, type Fixture, type TestIdentity } from "@wa/api/testing";
import { createSession, updateSession, type SessionSettingsPatch } from "@wa/db/queries";
import type { ScenarioOptions } from "@wa/wa-sim";
import { createLogger } from "../src/http/logger.ts";
import { createServer, type GatewayServer } from "../src/http/server.ts";
import { callGateway, type CallOptions, type Reply } from "../src/http/test-gateway.ts";
import type { EngineConfig, GatewayEngine } from "../src/engine.ts";
import { createHarness, until, type Harness } from "./harness.ts";

export interface SimMessage {
  id: string;
  from: string;
  chat: string;
  recipient: string;
  text: string | null;
  type: string;
  groupJid: string | null;
  t: number;
}
export interface SimReceipt {
  messageId: string;
  chat: string;
  type: string;
  t: number;
}
export interface SimPresence {
  chat: string;
  state: string;
  t: number;
}

export interface MessagingHarness {
  h: Harness;
  engine: GatewayEngine;
  server: GatewayServer;
  base: string;
  fixture: Fixture;
  tokens: Record<keyof Fixture, string>;
  keys: { send: string; read: string };
  call(method: string, path: string, opts?: CallOptions): Promise<Reply>;
  /** A new ACME session, paired with a new simulated phone; its phone number. */
  pairSession(opts?: { settings?: SessionSettingsPatch; scenario?: ScenarioOptions }): Promise<{ sessionId: string; phone: string }>;
  account(phone: string): Promise<{ contactRows: { jid: string; phoneNumber?: string }[]; groupRows: { jid: string; id?: string }[] }>;
  simMessages(phone: string): Promise<SimMessage[]>;
  simReceipts(phone: string): Promise<SimReceipt[]>;
  simPresences(phone: string): Promise<SimPresence[]>;
  /** Restarts the engine (a new instance over the same database and simulator), like a gateway restart. */
  restartEngine(config?: Partial<EngineConfig>): Promise<void>;
  close(): Promise<void>;
}

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`simulator answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

export async function createMessagingHarness(opts: { engine?: Partial<EngineConfig> } = {}): Promise<MessagingHarness> {
  const h = await createHarness();
  const fixture = await seedFixture(h.db.db);
  const idp: TestIdentity = await createTestIdentity({ issuer: "http://localhost:3000" });
  let engine = await h.engine(opts.engine);
  const ports = { current: engine };
  // The server's ports follow the current engine across restarts.
  const portsProxy = new Proxy({} as GatewayEngine, {
    get: (_t, prop) => Reflect.get(ports.current, prop) as unknown,
  });
  const server = await createServer({
    db: h.db,
    ports: portsProxy,
    env: { port: 0, webUrl: idp.issuer, jwksUrl: idp.jwksUrl },
    logger: createLogger({ level: "silent" }),
  });
  const base = await server.start();
  const tokens = {} as Record<keyof Fixture, string>;
  for (const [name, p] of Object.entries(fixture) as [keyof Fixture, Fixture[keyof Fixture]][]) tokens[name] = await idp.mint(claimsOf(p));
  const keys = {
    send: (await createTestApiKey(h.db.db, ACME, ["read", "send"])).raw,
    read: (await createTestApiKey(h.db.db, ACME, ["read", "manage", "events"])).raw,
  };
  const sim = h.sim.httpUrl;
  const mh: MessagingHarness = {
    h,
    get engine() {
      return ports.current;
    },
    server,
    base,
    fixture,
    tokens,
    keys,
    call: (method, path, o) => callGateway(base, method, path, o),
    async pairSession(o = {}) {
      const row = await createSession(h.db.db, { organizationId: ACME, gatewayId: "gw-test-1", label: "messaging" });
      if (o.settings) await updateSession(h.db.db, row.id, o.settings);
      const { scan } = await h.pair(ports.current, row.id, o.scenario ? { scenario: o.scenario } : {});
      return { sessionId: row.id, phone: scan.phoneNumber };
    },
    account: async (phone) => json(await fetch(`${sim}/sim/accounts/${phone}`)),
    simMessages: async (phone) => (await json<{ data: SimMessage[] }>(await fetch(`${sim}/sim/accounts/${phone}/messages`))).data,
    simReceipts: async (phone) => (await json<{ data: SimReceipt[] }>(await fetch(`${sim}/sim/accounts/${phone}/receipts`))).data,
    simPresences: async (phone) => (await json<{ data: SimPresence[] }>(await fetch(`${sim}/sim/accounts/${phone}/presences`))).data,
    async restartEngine(config = {}) {
      await ports.current.shutdown();
      engine = await h.engine({ ...opts.engine, ...config });
      ports.current = engine;
    },
    async close() {
      await server.stop();
      await idp.close();
      await h.close();
    },
  };
  return mh;
}

/** Waits until the simulator lists a message matching `test` for the account. */
export const waitForSimMessage = (mh: MessagingHarness, phone: string, test: (m: SimMessage) => boolean, what: string) =>
  until(async () => (await mh.simMessages(phone)).find(test), what, 30_000);
