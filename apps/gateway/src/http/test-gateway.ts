// Test helper: a gateway HTTP server on a free port over a test database, with the fixture's people as login
// JWTs and api-keys, and a fetch wrapper that returns status, text, parsed body and headers.
import type { InvitationMailer, UserPrincipal } from "@wa/api";
import { ACME, claimsOf, createFakePorts, createTestApiKey, createTestIdentity, seedFixture, type FakePorts, type Fixture, type TestIdentity } from "@wa/api/testing";
import { errorCodes, isErrorCode, type ErrorCode } from "@wa/db/contract";
import type { TestDatabase } from "@wa/db/testing";
import { createLogger } from "./logger.ts";
import { createServer, type GatewayServer } from "./server.ts";

export interface Reply {
  status: number;
  text: string;
  body: unknown;
  headers: Headers;
}

export interface CallOptions {
  token?: string;
  apiKey?: string;
  body?: unknown;
  /** sent as is (no JSON encoding) */
  raw?: string;
  headers?: Record<string, string>;
}

/** One HTTP call to a gateway under test, with a JWT or an api-key, the reply's text and its JSON (or null). */
export async function callGateway(base: string, method: string, path: string, o: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.apiKey) headers["x-api-key"] = o.apiKey;
  let body: string | undefined;
  if (o.raw !== undefined || o.body !== undefined) {
    headers["content-type"] ??= "application/json";
    body = o.raw ?? JSON.stringify(o.body);
  }
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: res.status, text, body: parsed, headers: res.headers };
}

export interface TestGateway {
  base: string;
  server: GatewayServer;
  ports: FakePorts;
  fixture: Fixture;
  /** a login JWT per fixture person */
  tokens: Record<keyof Fixture, string>;
  /** ACME api-keys: every permission, and read only */
  keys: { full: string; read: string };
  call(method: string, path: string, opts?: CallOptions): Promise<Reply>;
  stop(): Promise<void>;
}

export async function startTestGateway(
  t: TestDatabase,
  opts: { gatewayId?: string; invitationMail?: InvitationMailer } = {},
): Promise<TestGateway> {
  const fixture = await seedFixture(t.db);
  const idp: TestIdentity = await createTestIdentity({ issuer: "http://localhost:3000" });
  const ports = createFakePorts({ db: t.db, gatewayId: opts.gatewayId ?? "gw-test-1" });
  const server = await createServer({
    db: t,
    ports: opts.invitationMail ? { ...ports, invitationMail: opts.invitationMail } : ports,
    env: { port: 0, webUrl: idp.issuer, jwksUrl: idp.jwksUrl },
    logger: createLogger({ level: "silent" }),
  });
  const base = await server.start();
  const mintFor = (p: UserPrincipal) => idp.mint(claimsOf(p));
  const tokens = {} as Record<keyof Fixture, string>;
  for (const [name, p] of Object.entries(fixture) as [keyof Fixture, UserPrincipal][]) tokens[name] = await mintFor(p);
  const keys = {
    full: (await createTestApiKey(t.db, ACME, ["read", "send", "manage", "events"])).raw,
    read: (await createTestApiKey(t.db, ACME, ["read"])).raw,
  };

  const call = (method: string, path: string, o: CallOptions = {}) => callGateway(base, method, path, o);

  return {
    base,
    server,
    ports,
    fixture,
    tokens,
    keys,
    call,
    async stop() {
      await server.stop();
      await idp.close();
    },
  };
}

/**
 * True when a body is exactly the contract's `{ error: { code, message, details? } }` with one of the contract's
 * codes, and that code's HTTP status is the one the answer came with.
 */
export function isContractError(
  body: unknown,
  status: number,
): body is { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return false;
  if (Object.keys(body).join() !== "error") return false;
  const error = (body as { error: unknown }).error;
  if (typeof error !== "object" || error === null) return false;
  const e = error as Record<string, unknown>;
  const keysOk = Object.keys(e).every((k) => k === "code" || k === "message" || k === "details");
  const detailsOk = e.details === undefined || (typeof e.details === "object" && e.details !== null && !Array.isArray(e.details));
  return keysOk && detailsOk && isErrorCode(e.code) && errorCodes[e.code] === status && typeof e.message === "string";
}
