// Strict input and refusals before the handlers: every one a 4xx in the contract's body, never a 500, never
// Fastify's or Node's own body, never an echo of what was sent.
import { connect } from "node:net";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isContractError, startTestGateway, type Reply, type TestGateway } from "./test-gateway.ts";

interface RawReply {
  status: number;
  headers: string;
  body: unknown;
  text: string;
}

/** Sends bytes as they are on a fresh connection and reads the answer until the server closes or answers fully. */
function rawRequest(base: string, request: string | Buffer): Promise<RawReply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    let received = Buffer.alloc(0);
    const deadline = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within 15 s; got: ${received.toString("latin1").slice(0, 300)}`));
    }, 15_000);
    const finish = () => {
      const text = received.toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      if (split < 0) return false;
      const head = text.slice(0, split);
      const length = /content-length:\s*(\d+)/i.exec(head)?.[1];
      const bodyText = text.slice(split + 4);
      if (length === undefined || Buffer.byteLength(bodyText) < Number(length)) return false;
      clearTimeout(deadline);
      socket.destroy();
      let body: unknown = null;
      try {
        body = JSON.parse(bodyText);
      } catch {
        body = null;
      }
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body, text: bodyText });
      return true;
    };
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      finish();
    });
    socket.on("error", () => undefined); // the server may close while we still write; the answer decides
    socket.on("close", () => {
      if (!finish()) {
        clearTimeout(deadline);
        reject(new Error(`closed without a complete answer: ${received.toString("latin1").slice(0, 300)}`));
      }
    });
    socket.write(request);
  });
}

function expectContract(reply: Reply | RawReply, status: number, code: string) {
  expect(reply.status, reply.text).toBe(status);
  expect(isContractError(reply.body, reply.status), reply.text).toBe(true);
  expect((reply.body as { error: { code: string } }).error.code).toBe(code);
}

const trpc = (gw: TestGateway, procedure: string, input: unknown, token: string) =>
  fetch(`${gw.base}/trpc/${procedure}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: typeof input === "string" ? input : JSON.stringify(input),
  }).then(async (res) => ({ status: res.status, body: (await res.json()) as { error?: { data?: { code?: string } } } }));

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("strict input", () => {
  let t: TestDatabase;
  let gw: TestGateway;
  let sessionId: string;
  let apiKeyId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    gw = await startTestGateway(t);
    sessionId = ((await gw.call("POST", "/api/v1/sessions", { token: gw.tokens.acmeOwner, body: { label: "strict" } })).body as { id: string }).id;
    const key = await gw.call("POST", "/api/v1/api-keys", { token: gw.tokens.acmeOwner, body: { name: "k", permissions: ["read"] } });
    apiKeyId = (key.body as { apiKey: { id: string } }).apiKey.id;
  });
  afterAll(async () => {
    await gw?.stop();
    await t?.close();
  });

  const sessionCount = async () => (await t.sql<{ n: number }[]>`select count(*)::int as n from wa_sessions`)[0]?.n ?? -1;

  it("[STRICT][NUL]: a NUL byte or a lone surrogate in any string input is 400 validation_error on REST", async () => {
    const nul = "a\u0000b";
    const owner = { token: gw.tokens.acmeOwner };
    const admin = { token: gw.tokens.superAdmin };
    const q = encodeURIComponent(nul);
    const cases: [string, string, typeof owner, unknown?][] = [
      ["POST", "/api/v1/sessions", owner, { label: nul }],
      ["PATCH", `/api/v1/sessions/${sessionId}`, owner, { label: nul }],
      ["POST", `/api/v1/sessions/${sessionId}/pairing-code`, owner, { phoneNumber: nul }],
      ["POST", "/api/v1/api-keys", owner, { name: nul, permissions: ["read"] }],
      ["POST", "/api/v1/sessions", owner, { [nul]: 1 }],
      ["GET", `/api/v1/sessions?q=${q}`, owner],
      ["GET", `/api/v1/sessions?cursor=${q}`, owner],
      ["GET", `/api/v1/sessions?status=${q}`, owner],
      ["GET", `/api/v1/sessions/${q}`, owner],
      ["PATCH", `/api/v1/sessions/${q}`, owner, { label: "x" }],
      ["DELETE", `/api/v1/sessions/${q}`, owner],
      ["POST", `/api/v1/sessions/${q}:start`, owner],
      ["GET", `/api/v1/sessions/${q}/qr`, owner],
      ["DELETE", `/api/v1/api-keys/${q}`, owner],
      ["GET", `/api/v1/admin/sessions?q=${q}`, admin],
      ["GET", `/api/v1/admin/sessions?organizationId=${q}`, admin],
      ["GET", `/api/v1/admin/sessions?gatewayId=${q}`, admin],
      ["GET", `/api/v1/admin/sessions?cursor=${q}`, admin],
      ["GET", `/api/v1/admin/sessions/${q}`, admin],
      ["POST", `/api/v1/admin/sessions/${q}:backfill`, admin],
      ["GET", `/api/v1/admin/sessions/${q}/backfill`, admin],
    ];
    const before = await sessionCount();
    for (const [method, path, who, body] of cases) {
      const r = await gw.call(method, path, { ...who, ...(body === undefined ? {} : { body }) });
      expectContract(r, 400, "validation_error");
    }
    // A lone surrogate cannot be written as UTF-8 either.
    expectContract(await gw.call("POST", "/api/v1/sessions", { ...owner, raw: '{"label":"x\\ud800"}' }), 400, "validation_error");
    expect(await sessionCount()).toBe(before);
  });

  it("[STRICT][NUL][TRPC]: the same refusal on the tRPC transport", async () => {
    const nul = "a\u0000b";
    const cases: [string, unknown, string][] = [
      ["sessions.create", { label: nul }, gw.tokens.acmeOwner],
      ["sessions.update", { session: sessionId, label: nul }, gw.tokens.acmeOwner],
      ["apiKeys.create", { name: nul, permissions: ["read"] }, gw.tokens.acmeOwner],
      ["apiKeys.revoke", { id: nul }, gw.tokens.acmeOwner],
      ["sessions.start", { session: nul }, gw.tokens.acmeOwner],
      ["admin.sessions.startBackfill", { session: nul }, gw.tokens.superAdmin],
    ];
    for (const [procedure, input, token] of cases) {
      const r = await trpc(gw, procedure, input, token);
      expect(r.status, procedure).toBe(400);
      expect(r.body.error?.data?.code, procedure).toBe("validation_error");
    }
    for (const [procedure, input] of [
      ["sessions.list", { q: nul }],
      ["admin.sessions.list", { cursor: nul }],
    ] as const) {
      const res = await fetch(`${gw.base}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`, {
        headers: { authorization: `Bearer ${gw.tokens.superAdmin}` },
      });
      expect(res.status, procedure).toBe(400);
    }
    expect(apiKeyId).toBeTruthy();
  });

  it("[STRICT][CURSOR]: cursors at or past the edge of the date range, or carrying NUL, are 400 — not 500", async () => {
    for (const path of ["/api/v1/sessions", "/api/v1/admin/sessions"]) {
      const token = path.includes("admin") ? gw.tokens.superAdmin : gw.tokens.acmeOwner;
      for (const cursor of [[8.64e15, "01X"], [8.64e15 - 1, "01X"], [253402300800000, "01X"], [1, "\u0000"], [-1, "01X"], [1.5, "01X"]]) {
        const r = await gw.call("GET", `${path}?cursor=${cursorOf(cursor)}`, { token });
        expectContract(r, 400, "validation_error");
      }
      // The last instant still allowed is an ordinary (empty-after) page.
      const edge = await gw.call("GET", `${path}?cursor=${cursorOf([253402300799999, "ZZZZZZZZZZZZZZZZZZZZZZZZZZ"])}`, { token });
      expect(edge.status, edge.text).toBe(200);
    }
  });

  it("[STRICT][DATES]: an api-key expiry past 9999-12-31 is 400, not a 500 from the database", async () => {
    for (const expiresAt of [253402300800000, 4247754901018243, Number.MAX_SAFE_INTEGER]) {
      const r = await gw.call("POST", "/api/v1/api-keys", { token: gw.tokens.acmeOwner, body: { name: "far", permissions: ["read"], expiresAt } });
      expectContract(r, 400, "validation_error");
    }
    const last = await gw.call("POST", "/api/v1/api-keys", {
      token: gw.tokens.acmeOwner,
      body: { name: "last", permissions: ["read"], expiresAt: 253402300799999 },
    });
    expect(last.status, last.text).toBe(201);
  });

  it("[STRICT][DEPTH]: deeply nested JSON is 400 on REST and tRPC, never a stack overflow", async () => {
    const deep = (n: number) => `{"label":${"[".repeat(n)}${"]".repeat(n)}}`;
    const before = await sessionCount();
    for (const n of [40, 10_000, 500_000]) {
      expectContract(await gw.call("POST", "/api/v1/sessions", { token: gw.tokens.acmeOwner, raw: deep(n) }), 400, "validation_error");
      const r = await trpc(gw, "sessions.create", deep(n), gw.tokens.acmeOwner);
      expect(r.status).toBe(400);
      expect(r.body.error?.data?.code).toBe("validation_error");
    }
    // Brackets inside strings are text, not nesting.
    const label = "[".repeat(150);
    const created = await gw.call("POST", "/api/v1/sessions", { token: gw.tokens.acmeOwner, body: { label } });
    expect(created.status, created.text).toBe(201);
    expect(await sessionCount()).toBe(before + 1);
  });

  it("[STRICT][BODY]: a body that is not an object ([] null \"x\" 1 true) is 400 and creates nothing", async () => {
    const before = await sessionCount();
    for (const raw of ["[]", "null", '"x"', "1", "true", "[{}]"]) {
      expectContract(await gw.call("POST", "/api/v1/sessions", { token: gw.tokens.acmeOwner, raw }), 400, "validation_error");
      expectContract(await gw.call("PATCH", `/api/v1/sessions/${sessionId}`, { token: gw.tokens.acmeOwner, raw }), 400, "validation_error");
      expectContract(await gw.call("POST", `/api/v1/sessions/${sessionId}:stop`, { token: gw.tokens.acmeOwner, raw }), 400, "validation_error");
    }
    // A path id repeated in the body or the query is refused, not silently replaced.
    expectContract(await gw.call("PATCH", `/api/v1/sessions/${sessionId}`, { token: gw.tokens.acmeOwner, body: { session: "other" } }), 400, "validation_error");
    expectContract(await gw.call("GET", `/api/v1/sessions/${sessionId}?session=other`, { token: gw.tokens.acmeOwner }), 400, "validation_error");
    for (const name of ["__proto__", "constructor", "toString"]) {
      expectContract(await gw.call("GET", `/api/v1/sessions?${name}=x`, { token: gw.tokens.acmeOwner }), 400, "validation_error");
    }
    expectContract(await gw.call("POST", "/api/v1/sessions", { token: gw.tokens.acmeOwner, raw: '{"__proto__":{"label":"x"}}' }), 400, "validation_error");
    expect(await sessionCount()).toBe(before);
  });

  it("[STRICT][PATH]: a percent-encoded path id is decoded; a malformed encoding is 400", async () => {
    const encoded = [...sessionId].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`).join("");
    const r = await gw.call("GET", `/api/v1/sessions/${encoded}`, { token: gw.tokens.acmeOwner });
    expect(r.status, r.text).toBe(200);
    expect((r.body as { id: string }).id).toBe(sessionId);
    const stop = await gw.call("POST", `/api/v1/sessions/${encoded}:stop`, { token: gw.tokens.acmeOwner });
    expect(stop.status, stop.text).toBe(200);
    expectContract(await gw.call("GET", "/api/v1/sessions/%E0%A4%A", { token: gw.tokens.acmeOwner }), 400, "validation_error");
    expectContract(await gw.call("GET", "/trpc/%E0%A4%A"), 400, "validation_error");
  });

  it("[STRICT][405]: unsupported methods on known paths are 405 with Allow; unknown paths stay 404", async () => {
    const cases: [string, string, string][] = [
      ["PUT", "/api/v1/sessions", "GET, POST, HEAD"],
      ["DELETE", `/api/v1/sessions/${sessionId}:start`, "POST"],
      ["GET", `/api/v1/sessions/${sessionId}/pairing-code`, "POST"],
      ["POST", `/api/v1/sessions/${sessionId}`, "GET, PATCH, DELETE, HEAD"],
      ["POST", "/api/v1/me", "GET, HEAD"],
      ["POST", "/healthz", "GET, HEAD"],
      ["DELETE", "/readyz", "GET, HEAD"],
      ["PATCH", "/api/v1/openapi.json", "GET, HEAD"],
      ["PURGE", "/api/v1/sessions", "GET, POST, HEAD"],
    ];
    for (const [method, path, allow] of cases) {
      const r = await gw.call(method, path, { token: gw.tokens.acmeOwner });
      expectContract(r, 405, "method_not_allowed");
      expect(r.headers.get("allow")?.split(", ").sort(), `${method} ${path}`).toEqual(allow.split(", ").sort());
    }
    const head = await fetch(`${gw.base}/api/v1/sessions/${sessionId}:start`, { method: "HEAD" });
    expect(head.status).toBe(405);
    expectContract(await gw.call("PUT", "/api/v1/nothing-here"), 404, "not_found");
    expectContract(await gw.call("PURGE", "/nowhere"), 404, "not_found");
  });

  it("[STRICT][PARSER]: refusals by Node's parser and Fastify's router use the contract body and echo nothing", async () => {
    const badHeader = await rawRequest(gw.base, "GET /api/v1/me HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n");
    expectContract(badHeader, 400, "validation_error");
    const badByte = await rawRequest(gw.base, Buffer.from("GET /api/v1/me HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n", "latin1"));
    expectContract(badByte, 400, "validation_error");
    const big = await rawRequest(gw.base, `GET /api/v1/me HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    expectContract(big, 431, "headers_too_large");

    const longPath = `secret${"a".repeat(1_200)}`;
    const trpcLong = await gw.call("GET", `/trpc/${longPath}`);
    expectContract(trpcLong, 414, "uri_too_long");
    expect(trpcLong.text).not.toContain("secret");
    const restLong = await gw.call("GET", `/api/v1/sessions/${longPath}`, { token: gw.tokens.acmeOwner });
    expect(restLong.status).toBeGreaterThanOrEqual(400);
    expect(restLong.status).toBeLessThan(500);
    expect(isContractError(restLong.body, restLong.status)).toBe(true);
    expect(restLong.text).not.toContain("secret");
  });

  it("[STRICT][SIZE]: a body announced over 1 MiB is refused with 413 before it is sent", async () => {
    // Only the headers and a few bytes go out; the answer must come without the other 100 MiB.
    const r = await rawRequest(
      gw.base,
      `POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${gw.tokens.acmeOwner}\r\nContent-Type: application/json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n{"label":`,
    );
    expectContract(r, 413, "payload_too_large");
    const trpcBig = await rawRequest(
      gw.base,
      `POST /trpc/sessions.create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n{"label":`,
    );
    expect(trpcBig.status).toBe(413);
  });
});
