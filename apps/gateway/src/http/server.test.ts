import { Writable } from "node:stream";
import { Validator } from "@seriousme/openapi-schema-validator";
import { hashApiKey, waSessionSchema, type UserPrincipal } from "@wa/api";
import {
  claimsOf,
  ACME,
  GLOBEX,
  createFakePorts,
  createTestApiKey,
  createTestIdentity,
  seedFixture,
  type FakePorts,
  type Fixture,
  type TestIdentity,
} from "@wa/api/testing";
import { users } from "@wa/db";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";
import { createServer, type GatewayServer } from "./server.ts";
import { callGateway, type CallOptions, type Reply } from "./test-gateway.ts";

const SESSION_KEYS = Object.keys(waSessionSchema.shape).sort();

describe("gateway HTTP server", () => {
  let t: TestDatabase;
  let idp: TestIdentity;
  let f: Fixture;
  let ports: FakePorts;
  let server: GatewayServer;
  let base: string;
  const logLines: string[] = [];
  const tokens: Record<string, string> = {};
  let fullKey: string;
  let readKey: string;
  let globexSession: string;

  const mintFor = (p: UserPrincipal) => idp.mint(claimsOf(p));

  const call = (method: string, path: string, opts: CallOptions = {}) => callGateway(base, method, path, opts);

  /** Every non-2xx body: exactly { error: { code, message, details? } }, no stack. */
  function expectContractError(reply: Reply, status: number, code: string) {
    expect(reply.status, reply.text).toBe(status);
    expect(reply.body).toMatchObject({ error: { code, message: expect.any(String) } });
    const body = reply.body as { error: Record<string, unknown> } & Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["error"]);
    expect(Object.keys(body.error).every((k) => ["code", "message", "details"].includes(k))).toBe(true);
    expect(reply.text).not.toMatch(/stack|at .*\.ts:\d+/i);
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    f = await seedFixture(t.db);
    idp = await createTestIdentity({ issuer: "http://localhost:3000" });
    ports = createFakePorts({ db: t.db, gatewayId: "gw-http-1" });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString("utf8"));
        done();
      },
    });
    server = await createServer({
      db: t,
      ports,
      env: { port: 0, webUrl: idp.issuer, jwksUrl: idp.jwksUrl },
      logger: createLogger({ level: "debug", destination: sink }),
    });
    base = await server.start();
    for (const [name, p] of Object.entries(f)) tokens[name] = await mintFor(p);
    fullKey = (await createTestApiKey(t.db, ACME, ["read", "send", "manage", "events"])).raw;
    readKey = (await createTestApiKey(t.db, ACME, ["read"])).raw;
    const created = await call("POST", "/api/v1/sessions", { token: tokens.globexOwner, body: { label: "globex" } });
    globexSession = (created.body as { id: string }).id;
  });
  afterAll(async () => {
    await server?.stop();
    await idp?.close();
    await t?.close();
  });

  it("[HEALTH]: /healthz and /readyz answer 200 with the database reachable and migrated", async () => {
    expect((await call("GET", "/healthz")).status).toBe(200);
    const ready = await call("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: "ready", gatewayId: "gw-http-1" });
  });

  it("[SUPER_ADMIN][REST]: admin routes are 401 without credentials, 403 for org roles and keys, before any lookup", async () => {
    const routes: [string, string][] = [
      ["GET", "/api/v1/admin/sessions"],
      ["GET", `/api/v1/admin/sessions/${globexSession}`],
      ["POST", `/api/v1/admin/sessions/${globexSession}:backfill`],
      ["GET", `/api/v1/admin/sessions/${globexSession}/backfill`],
      ["POST", "/api/v1/admin/sessions/unknown-session:backfill"],
      ["GET", "/api/v1/admin/sessions/unknown-session/backfill"],
      ["GET", "/api/v1/admin/organizations"],
      ["GET", "/api/v1/admin/gateways"],
    ];
    for (const [method, path] of routes) {
      expectContractError(await call(method, path), 401, "unauthorized");
      for (const who of ["acmeOwner", "acmeAdmin", "acmeMember", "globexOwner"]) {
        expectContractError(await call(method, path, { token: tokens[who] }), 403, "forbidden");
      }
      expectContractError(await call(method, path, { apiKey: fullKey }), 403, "forbidden");
      expectContractError(await call(method, path, { token: fullKey }), 403, "forbidden");
    }
  });

  it("[SUPER_ADMIN][REST]: sessions across organizations in the contract's page shape; limit clamped; bad cursor 400", async () => {
    const page = await call("GET", "/api/v1/admin/sessions?limit=5000&status=stopped&status=working", { token: tokens.superAdmin });
    expect(page.status).toBe(200);
    const body = page.body as { data: Record<string, unknown>[]; nextCursor: string | null };
    expect(Object.keys(body).sort()).toEqual(["data", "nextCursor"]);
    expect(body.data.length).toBeGreaterThan(0);
    for (const s of body.data) {
      expect(Object.keys(s).sort()).toEqual(SESSION_KEYS);
      expect(Number.isInteger(s.createdAt)).toBe(true);
    }
    const one = await call("GET", `/api/v1/admin/sessions?limit=1&organizationId=${GLOBEX}`, { token: tokens.superAdmin });
    expect((one.body as { data: { id: string }[] }).data.map((s) => s.id)).toEqual([globexSession]);

    const bad = await call("GET", "/api/v1/admin/sessions?cursor=garbage", { token: tokens.superAdmin });
    expectContractError(bad, 400, "validation_error");
    expect(bad.body).toMatchObject({ error: { message: "invalid cursor", details: { errors: [{ path: "cursor" }] } } });
    expectContractError(await call("GET", "/api/v1/admin/sessions?limit=abc", { token: tokens.superAdmin }), 400, "validation_error");
    expectContractError(await call("GET", "/api/v1/admin/sessions?status=sleeping", { token: tokens.superAdmin }), 400, "validation_error");

    const detail = await call("GET", `/api/v1/admin/sessions/${globexSession}`, { token: tokens.superAdmin });
    expect(detail.status).toBe(200);
    expect(Object.keys(detail.body as object).sort()).toEqual(SESSION_KEYS);
  });

  it("[SUPER_ADMIN][BACKFILL][REST]: start is 202 with a running job, a second start 409, get 200; unknown 404", async () => {
    const start = await call("POST", `/api/v1/admin/sessions/${globexSession}:backfill`, { token: tokens.superAdmin });
    expect(start.status).toBe(202);
    expect(start.body).toEqual({
      id: expect.any(String),
      sessionId: globexSession,
      organizationId: GLOBEX,
      status: "running",
      contacts: 0,
      groups: 0,
      groupMembers: 0,
      startedAt: expect.any(Number),
      finishedAt: null,
      error: null,
    });
    expectContractError(await call("POST", `/api/v1/admin/sessions/${globexSession}:backfill`, { token: tokens.superAdmin }), 409, "conflict");
    const got = await call("GET", `/api/v1/admin/sessions/${globexSession}/backfill`, { token: tokens.superAdmin });
    expect(got.status).toBe(200);
    expect((got.body as { id: string }).id).toBe((start.body as { id: string }).id);
    expectContractError(await call("POST", "/api/v1/admin/sessions/nope:backfill", { token: tokens.superAdmin }), 404, "not_found");
    expectContractError(await call("GET", "/api/v1/admin/sessions/nope/backfill", { token: tokens.superAdmin }), 404, "not_found");
    const fresh = await call("POST", "/api/v1/sessions", { token: tokens.acmeOwner, body: {} });
    expectContractError(
      await call("GET", `/api/v1/admin/sessions/${(fresh.body as { id: string }).id}/backfill`, { token: tokens.superAdmin }),
      404,
      "not_found",
    );
    ports.finishBackfill(globexSession);

    // Concurrent starts: exactly one job, the others conflict.
    const racing = await Promise.all(
      Array.from({ length: 6 }, () => call("POST", `/api/v1/admin/sessions/${globexSession}:backfill`, { token: tokens.superAdmin })),
    );
    expect(racing.map((r) => r.status).sort()).toEqual([202, 409, 409, 409, 409, 409]);
    ports.finishBackfill(globexSession);
  });

  it("[SESSIONS][REST]: create 201, get, patch, commands, qr 409/200, pairing code, delete 204, then 404", async () => {
    const created = await call("POST", "/api/v1/sessions", { token: tokens.acmeOwner, body: { label: "sales", autoRead: true } });
    expect(created.status).toBe(201);
    const session = created.body as Record<string, unknown> & { id: string };
    expect(Object.keys(session).sort()).toEqual(SESSION_KEYS);
    expect(session).toMatchObject({ organizationId: ACME, gatewayId: "gw-http-1", label: "sales", autoRead: true, status: "stopped", phoneNumber: null });
    const id = session.id;

    expect((await call("GET", `/api/v1/sessions/${id}`, { token: tokens.acmeMember })).status).toBe(200);
    const patched = await call("PATCH", `/api/v1/sessions/${id}`, { token: tokens.acmeOwner, body: { label: null, ratePerMin: 3 } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ label: null, ratePerMin: 3 });

    // Command routes take no body and need no content-type.
    const started = await call("POST", `/api/v1/sessions/${id}:start`, { token: tokens.acmeOwner });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ id, status: "starting" });
    expectContractError(await call("GET", `/api/v1/sessions/${id}/qr`, { token: tokens.acmeOwner }), 409, "conflict");
    await ports.setStatus(id, "scan_qr_code");
    const qr = await call("GET", `/api/v1/sessions/${id}/qr`, { token: tokens.acmeOwner });
    expect(qr.status).toBe(200);
    expect(qr.body).toEqual({ qr: `2@fake-${id}`, image: expect.stringMatching(/^data:image\/png;base64,/), expiresAt: expect.any(Number) });
    const code = await call("POST", `/api/v1/sessions/${id}/pairing-code`, { token: tokens.acmeOwner, body: { phoneNumber: "6281234567890" } });
    expect(code.status).toBe(200);
    expect(code.body).toEqual({ code: "ABCD1234" });
    for (const action of ["stop", "restart", "logout"]) {
      const r = await call("POST", `/api/v1/sessions/${id}:${action}`, { token: tokens.acmeOwner, raw: "" });
      expect(r.status, `${action}: ${r.text}`).toBe(200);
    }
    expectContractError(await call("POST", `/api/v1/sessions/${id}/simulate-scan`, { token: tokens.acmeOwner }), 404, "not_found");

    const deleted = await call("DELETE", `/api/v1/sessions/${id}`, { token: tokens.acmeOwner });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe("");
    expectContractError(await call("GET", `/api/v1/sessions/${id}`, { token: tokens.acmeOwner }), 404, "not_found");
  });

  it("[ISOLATION][REST]: another organization's session answers exactly like an unknown id", async () => {
    const foreign = await call("GET", `/api/v1/sessions/${globexSession}`, { token: tokens.acmeOwner });
    const unknown = await call("GET", "/api/v1/sessions/01UNKNOWNSESSION", { token: tokens.acmeOwner });
    expectContractError(foreign, 404, "not_found");
    expect(foreign.text).toBe(unknown.text);
    for (const [method, path] of [
      ["PATCH", `/api/v1/sessions/${globexSession}`],
      ["DELETE", `/api/v1/sessions/${globexSession}`],
      ["POST", `/api/v1/sessions/${globexSession}:start`],
      ["POST", `/api/v1/sessions/${globexSession}:stop`],
      ["POST", `/api/v1/sessions/${globexSession}:logout`],
      ["GET", `/api/v1/sessions/${globexSession}/qr`],
    ] as const) {
      const r = await call(method, path, { apiKey: fullKey, ...(method === "PATCH" ? { body: { label: "x" } } : {}) });
      expect(r.text, `${method} ${path}`).toBe(unknown.text);
      expect(r.status).toBe(404);
    }
    // An organization in the query changes nothing: a strict input refuses it.
    expectContractError(await call("GET", `/api/v1/sessions?organizationId=${GLOBEX}`, { token: tokens.acmeOwner }), 400, "validation_error");
    const list = await call("GET", "/api/v1/sessions", { token: tokens.acmeOwner, headers: { "x-organization-id": GLOBEX } });
    expect((list.body as { data: { organizationId: string }[] }).data.every((s) => s.organizationId === ACME)).toBe(true);
  });

  it("[CAPABILITIES][REST]: a read key cannot manage; a member cannot manage; unknown body fields are 400 with field messages", async () => {
    expectContractError(await call("POST", "/api/v1/sessions", { apiKey: readKey, body: {} }), 403, "forbidden");
    expectContractError(await call("POST", "/api/v1/sessions", { token: tokens.acmeMember, body: {} }), 403, "forbidden");
    expect((await call("GET", "/api/v1/sessions", { apiKey: readKey })).status).toBe(200);
    const unknownField = await call("POST", "/api/v1/sessions", { token: tokens.acmeOwner, body: { label: "x", organizationId: GLOBEX } });
    expectContractError(unknownField, 400, "validation_error");
    expect(unknownField.body).toMatchObject({ error: { details: { errors: [{ message: expect.stringContaining("organizationId") }] } } });
    const wrongType = await call("POST", "/api/v1/sessions", { token: tokens.acmeOwner, body: { ratePerMin: "many" } });
    expectContractError(wrongType, 400, "validation_error");
    expect(wrongType.body).toMatchObject({ error: { details: { errors: [{ path: "ratePerMin" }] } } });
    const created = await call("POST", "/api/v1/sessions", { token: tokens.acmeOwner, body: { label: "kept" } });
    const id = (created.body as { id: string }).id;
    const deleteWithBody = await call("DELETE", `/api/v1/sessions/${id}`, { token: tokens.acmeOwner, body: { organizationId: GLOBEX } });
    expectContractError(deleteWithBody, 400, "validation_error");
    expect((await call("GET", `/api/v1/sessions/${id}`, { token: tokens.acmeOwner })).status).toBe(200);
  });

  it("[API-KEYS][REST]: an owner creates (201, key once), the key works, revoke is 204 and effective next request", async () => {
    const created = await call("POST", "/api/v1/api-keys", { token: tokens.acmeOwner, body: { name: "script", permissions: ["read"] } });
    expect(created.status).toBe(201);
    const { key, apiKey } = created.body as { key: string; apiKey: { id: string } & Record<string, unknown> };
    expect(key).toMatch(/^wa_/);
    expect(Object.keys(apiKey).sort()).toEqual(
      ["createdAt", "createdByUserId", "expiresAt", "id", "lastUsedAt", "name", "organizationId", "permissions", "prefix", "revokedAt"],
    );
    const me = await call("GET", "/api/v1/me", { apiKey: key });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ kind: "api_key", apiKeyId: apiKey.id, organizationId: ACME, permissions: ["read"] });
    expect((await call("GET", "/api/v1/me", { token: key })).status).toBe(200);

    const list = await call("GET", "/api/v1/api-keys", { token: tokens.acmeAdmin });
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(key);
    expect(list.text).not.toMatch(/keyHash|key_hash/);

    expectContractError(await call("GET", "/api/v1/api-keys", { token: tokens.acmeMember }), 403, "forbidden");
    expectContractError(await call("GET", "/api/v1/api-keys", { apiKey: fullKey }), 403, "forbidden");
    expectContractError(await call("DELETE", `/api/v1/api-keys/${apiKey.id}`, { apiKey: fullKey }), 403, "forbidden");

    const revoked = await call("DELETE", `/api/v1/api-keys/${apiKey.id}`, { token: tokens.acmeOwner });
    expect(revoked.status).toBe(204);
    expectContractError(await call("GET", "/api/v1/me", { apiKey: key }), 401, "unauthorized");
  });

  it("[ERRORS][REST]: unknown routes, malformed JSON, oversized bodies and bad credentials use the contract body", async () => {
    expectContractError(await call("GET", "/api/v1/does-not-exist"), 404, "not_found");
    expectContractError(await call("GET", "/nowhere"), 404, "not_found");
    const put = await call("PUT", "/api/v1/sessions");
    expectContractError(put, 405, "method_not_allowed");
    expect(put.headers.get("allow")).toBe("GET, POST, HEAD");
    expectContractError(await call("POST", "/api/v1/sessions", { token: tokens.acmeOwner, raw: "{ not json" }), 400, "validation_error");
    expectContractError(
      await call("POST", "/api/v1/sessions", { token: tokens.acmeOwner, raw: "label=x", headers: { "content-type": "text/plain" } }),
      400,
      "validation_error",
    );
    const big = JSON.stringify({ label: "x".repeat(1024 * 1024 + 10) });
    expectContractError(await call("POST", "/api/v1/sessions", { token: tokens.acmeOwner, raw: big }), 413, "payload_too_large");
    expectContractError(await call("GET", "/api/v1/me", { headers: { authorization: "Basic abc" } }), 401, "unauthorized");
    expectContractError(await call("GET", "/api/v1/me", { headers: { authorization: "Bearer" } }), 401, "unauthorized");
    expectContractError(await call("GET", "/api/v1/me", { token: "eyJhbGciOiJub25lIn0.e30." }), 401, "unauthorized");
    expectContractError(await call("GET", "/api/v1/me", { apiKey: "wa_nope" }), 401, "unauthorized");
    const info = await call("GET", "/api/v1/system/info");
    expect(info.body).toEqual({ gatewayId: "gw-http-1", simulator: false });
  });

  it("[ERRORS][REST]: a forced internal error is 500 `internal`, message masked, no stack or detail", async () => {
    const original = ports.sessions.start;
    ports.sessions.start = async () => {
      throw new Error("relation wa_secret_table exploded at 10.0.0.7");
    };
    try {
      const created = await call("POST", "/api/v1/sessions", { token: tokens.acmeOwner, body: {} });
      const r = await call("POST", `/api/v1/sessions/${(created.body as { id: string }).id}:start`, { token: tokens.acmeOwner });
      expectContractError(r, 500, "internal");
      expect(r.body).toEqual({ error: { code: "internal", message: "internal error" } });
      expect(r.text).not.toContain("exploded");
      const trpc = await fetch(`${base}/trpc/sessions.start`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokens.acmeOwner}`, "content-type": "application/json" },
        body: JSON.stringify({ session: (created.body as { id: string }).id }),
      });
      const text = await trpc.text();
      expect(trpc.status).toBe(500);
      expect(text).not.toContain("exploded");
      expect(text).not.toMatch(/"stack"/);
      expect(JSON.parse(text)).toMatchObject({ error: { message: "internal error", data: { code: "internal", httpStatus: 500 } } });
    } finally {
      ports.sessions.start = original;
    }
    expect(logLines.some((l) => l.includes("procedure failed") && l.includes("exploded"))).toBe(true);
  });

  it("[OPENAPI]: /api/v1/openapi.json is OpenAPI 3.1 with every route, both security schemes and the contract statuses", async () => {
    const r = await call("GET", "/api/v1/openapi.json");
    expect(r.status).toBe(200);
    const doc = r.body as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }>; security?: unknown }>>;
      components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe("3.1.0");
    const validation = await new Validator().validate(structuredClone(doc) as unknown as Parameters<Validator["validate"]>[0]);
    expect(validation.errors ?? [], JSON.stringify(validation.errors)).toEqual([]);
    expect(validation.valid).toBe(true);
    const routes = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.sort()).toEqual(
      [
        "GET /admin/sessions",
        "GET /admin/sessions/{session}",
        "POST /admin/sessions/{session}:backfill",
        "GET /admin/sessions/{session}/backfill",
        "GET /admin/organizations",
        "GET /admin/gateways",
        "POST /admin/gateways/{gateway}:drain",
        "GET /sessions",
        "POST /sessions",
        "GET /sessions/{session}",
        "PATCH /sessions/{session}",
        "DELETE /sessions/{session}",
        "POST /sessions/{session}:start",
        "POST /sessions/{session}:stop",
        "POST /sessions/{session}:restart",
        "POST /sessions/{session}:logout",
        "GET /sessions/{session}/qr",
        "POST /sessions/{session}/pairing-code",
        "POST /sessions/{session}/simulate-scan",
        "GET /api-keys",
        "POST /api-keys",
        "DELETE /api-keys/{id}",
        "GET /webhooks",
        "POST /webhooks",
        "GET /webhooks/{id}",
        "PATCH /webhooks/{id}",
        "DELETE /webhooks/{id}",
        "POST /webhooks/{id}:rotate-secret",
        "GET /webhooks/{id}/deliveries",
        "POST /webhooks/{id}/deliveries/{delivery}:retry",
        "GET /events",
        "PUT /sessions/{session}/chats/{chat}/presence",
        "POST /sessions/{session}/messages",
        "POST /sessions/{session}/chats/{chat}/read",
        "GET /sessions/{session}/messages/{message}",
        "GET /sessions/{session}/messages",
        "GET /sessions/{session}/chats/{chat}/messages",
        "GET /sessions/{session}/chats",
        "GET /admin/messages/counts",
        "GET /admin/events",
        "GET /members",
        "PATCH /members/{user}",
        "DELETE /members/{user}",
        "POST /members/me:leave",
        "GET /invitations",
        "POST /invitations",
        "DELETE /invitations/{id}",
        "GET /audit",
        "GET /admin/audit",
        "GET /admin/organizations/summaries",
        "GET /me",
        "GET /system/info",
      ].sort(),
    );
    expect(doc.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: "http", scheme: "bearer", bearerFormat: "JWT" }),
      apiKey: expect.objectContaining({ type: "apiKey", in: "header", name: "x-api-key" }),
    });
    expect(Object.keys(doc.paths["/sessions"]?.post?.responses ?? {})).toContain("201");
    expect(Object.keys(doc.paths["/sessions/{session}"]?.delete?.responses ?? {})).toContain("204");
    expect(Object.keys(doc.paths["/admin/sessions/{session}:backfill"]?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(["202", "401", "403", "404", "409"]),
    );
    expect(doc.paths["/system/info"]?.get?.security).toEqual([]);
    expect(doc.paths["/me"]?.get?.security).toEqual([{ bearer: [] }, { apiKey: [] }]);
    expect(doc.components.schemas).toHaveProperty("Error");
    expect(doc.components.schemas).toHaveProperty("WASession");
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const statuses = Object.keys(op.responses);
        // One success status per operation, except a send: 200 (sync) or 202 (`?async=true`), as the contract says.
        const successes = method === "post" && path === "/sessions/{session}/messages" ? ["200", "202"] : undefined;
        const twoXx = statuses.filter((s) => s.startsWith("2"));
        if (successes) expect(twoXx.sort(), `${method} ${path}`).toEqual(successes);
        else expect(twoXx, `${method} ${path}`).toHaveLength(1);
        for (const status of statuses.filter((s) => Number(s) >= 400)) {
          expect(op.responses[status]?.content?.["application/json"]?.schema, `${method} ${path} ${status}`).toEqual({
            $ref: "#/components/schemas/Error",
          });
        }
      }
    }
    // Every $ref points at a defined component.
    const refs = [...r.text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => decodeURIComponent(m[1] ?? ""));
    for (const ref of refs) expect(doc.components.schemas, ref).toHaveProperty([ref]);
  });

  it("[TRPC]: errors carry the contract code in data.code; a batch over 20 calls is refused with 400", async () => {
    const me = await fetch(`${base}/trpc/me`, { headers: { authorization: `Bearer ${tokens.acmeMember}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ result: { data: { kind: "user", role: "member" } } });

    const forbidden = await fetch(`${base}/trpc/admin.sessions.list?input=${encodeURIComponent("{}")}`, {
      headers: { authorization: `Bearer ${tokens.acmeOwner}` },
    });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ error: { data: { code: "forbidden", trpcCode: "FORBIDDEN", httpStatus: 403 } } });

    const batch = (n: number) => {
      const paths = Array.from({ length: n }, () => "system.info").join(",");
      const input = Object.fromEntries(Array.from({ length: n }, (_, i) => [i, {}]));
      return fetch(`${base}/trpc/${paths}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`);
    };
    expect((await batch(20)).status).toBe(200);
    const refused = await batch(21);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain("validation_error");

    // Refused, not executed: 21 creates in one batch create nothing.
    const before = (await call("GET", "/api/v1/sessions?limit=200", { token: tokens.acmeOwner })).body as { data: unknown[] };
    const creates = Array.from({ length: 21 }, () => "sessions.create").join(",");
    const body = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [i, { label: `batch ${i}` }]));
    const mutation = await fetch(`${base}/trpc/${creates}?batch=1`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.acmeOwner}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(mutation.status).toBe(400);
    const after = (await call("GET", "/api/v1/sessions?limit=200", { token: tokens.acmeOwner })).body as { data: unknown[] };
    expect(after.data.length).toBe(before.data.length);
  });

  it("[TRPC][EVENTS]: an SSE subscription authenticates from connectionParams and streams only its organization", async () => {
    const own = (await call("POST", "/api/v1/sessions", { token: tokens.acmeOwner, body: { label: "live" } })).body as Record<string, unknown> & { id: string };
    const foreign = (await call("GET", `/api/v1/admin/sessions/${globexSession}`, { token: tokens.superAdmin })).body as Record<string, unknown> & { id: string };
    const connectionParams = encodeURIComponent(JSON.stringify({ token: tokens.acmeMember }));
    const subscribedBefore = ports.events.subscriberCount;
    const abort = new AbortController();
    const res = await fetch(`${base}/trpc/sessions.events?input=${encodeURIComponent("{}")}&connectionParams=${connectionParams}`, {
      headers: { accept: "text/event-stream" },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body?.getReader();
    if (!reader) throw new Error("no body");
    const event = (s: Record<string, unknown> & { id: string }) => ({
      sessionId: s.id,
      organizationId: s.organizationId as string,
      status: "scan_qr_code" as const,
      qr: null,
      session: waSessionSchema.parse(s),
      at: Date.now(),
    });
    // The stream's headers can arrive before the procedure subscribes: publish once the bus has the subscriber.
    const subscribeDeadline = Date.now() + 10_000;
    while (ports.events.subscriberCount <= subscribedBefore) {
      if (Date.now() > subscribeDeadline) throw new Error("the SSE stream never subscribed to the event bus");
      await new Promise((r) => setTimeout(r, 10));
    }
    ports.publish(event(foreign));
    ports.publish(event(own));
    let received = "";
    const deadline = Date.now() + 5000;
    while (!received.includes(own.id) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      received += new TextDecoder().decode(value);
    }
    abort.abort();
    expect(received).toContain(own.id);
    expect(received).not.toContain(foreign.id);

    const denied = await fetch(`${base}/trpc/sessions.events?input=${encodeURIComponent("{}")}`, { headers: { accept: "text/event-stream" } });
    const deniedText = await denied.text();
    expect(deniedText).toContain("unauthorized");
  });

  it("[CORS]: the console origin and its localhost/127.0.0.1 twin are allowed; others are not", async () => {
    const preflight = (origin: string) =>
      fetch(`${base}/trpc/me`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
      });
    expect((await preflight("http://localhost:3000")).headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect((await preflight("http://127.0.0.1:3000")).headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:3000");
    expect((await preflight("https://evil.example")).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("[SECRETS]: no response or log line contains a token, raw key, key hash or password hash", async () => {
    const hashes = (await t.db.select({ h: users.passwordHash }).from(users)).map((r) => r.h);
    const keyHashes = (await t.sql<{ key_hash: string }[]>`select key_hash from api_keys`).map((r) => r.key_hash);
    const logs = logLines.join("\n");
    expect(logLines.length).toBeGreaterThan(10);
    for (const secret of [...Object.values(tokens), fullKey, readKey, ...hashes, ...keyHashes]) {
      expect(logs.includes(secret)).toBe(false);
    }
    const me = await call("GET", "/api/v1/me", { token: tokens.acmeOwner });
    for (const secret of [...hashes, ...keyHashes]) expect(me.text.includes(secret)).toBe(false);
  });

  it("[SECRETS]: a failing key lookup answers 500 internal and logs what failed, never the key hash", async () => {
    // A key this gateway has not seen yet: a seen one is answered from memory, without a lookup.
    const unseenKey = (await createTestApiKey(t.db, ACME, ["read"])).raw;
    await t.sql`alter table api_keys rename column key_hash to key_hash_gone`;
    try {
      const before = logLines.length;
      expectContractError(await call("GET", "/api/v1/me", { apiKey: unseenKey }), 500, "internal");
      const logs = logLines.slice(before).join("\n");
      expect(logs).toMatch(/key_hash/); // the failure is explained…
      expect(logs.includes(hashApiKey(unseenKey))).toBe(false); // …without the value it looked for
    } finally {
      await t.sql`alter table api_keys rename column key_hash_gone to key_hash`;
    }
  });
});

describe("gateway readiness", () => {
  it("[HEALTH]: /readyz is 503 gateway_unavailable when migrations are missing or the database is unreachable", async () => {
    const { startEmbeddedDatabase } = await import("@wa/db/embedded");
    const { createDbClient } = await import("@wa/db");
    const empty = await startEmbeddedDatabase();
    const unmigrated = createDbClient(empty.url, { max: 1 });
    const unreachable = createDbClient("postgres://postgres@127.0.0.1:9/none", { max: 1 });
    const ports = createFakePorts({ db: unmigrated.db });
    const env = { port: 0, webUrl: "http://localhost:3000", jwksUrl: "http://127.0.0.1:9/jwks" };
    const logger = createLogger({ level: "silent" });
    try {
      for (const [db, message] of [
        [unmigrated, "database migrations not applied"],
        [unreachable, "database unreachable"],
      ] as const) {
        const server = await createServer({ db, ports, env, logger });
        try {
          const url = await server.start();
          const res = await fetch(`${url}/readyz`);
          expect(res.status).toBe(503);
          expect(await res.json()).toEqual({ error: { code: "gateway_unavailable", message } });
          expect((await fetch(`${url}/healthz`)).status).toBe(200);
        } finally {
          await server.stop();
        }
      }
    } finally {
      await unreachable.close();
      await unmigrated.close();
      await empty.stop();
    }
  });
});
