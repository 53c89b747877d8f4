// Bodies are never coerced, on either transport, whichever transport is called first in a process; query strings
// are parsed by the declared type, strictly. Each order runs on freshly loaded modules: the bug being guarded
// against was a process-wide change to the shared zod schemas made by the first REST call.
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Reply, TestGateway } from "./test-gateway.ts";

async function freshGateway(t: TestDatabase) {
  vi.resetModules();
  const { startTestGateway } = await import("./test-gateway.ts");
  const api = await import("@wa/api");
  return { gw: await startTestGateway(t), api };
}

function trpcCall(gw: TestGateway, procedure: string, input: unknown): Promise<Reply> {
  return fetch(`${gw.base}/trpc/${procedure}`, {
    method: "POST",
    headers: { authorization: `Bearer ${gw.tokens.acmeOwner}`, "content-type": "application/json" },
    body: JSON.stringify(input),
  }).then(async (res) => {
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as unknown, headers: res.headers };
  });
}

const STRING_TYPED_BODIES = [
  { autoRead: "false" },
  { presenceTyping: "true" },
  { ratePerMin: "0x10" },
  { ratePerMin: "16" },
  { ratePerHour: "1e3" },
  { start: "false" },
];

async function expectRestRefuses(gw: TestGateway, sessionId: string) {
  for (const body of STRING_TYPED_BODIES) {
    const created = await gw.call("POST", "/api/v1/sessions", { token: gw.tokens.acmeOwner, body });
    expect(created.status, `POST ${JSON.stringify(body)}: ${created.text}`).toBe(400);
    expect(created.body).toMatchObject({ error: { code: "validation_error", details: { errors: [{ path: Object.keys(body)[0] }] } } });
    if ("start" in body) continue;
    const patched = await gw.call("PATCH", `/api/v1/sessions/${sessionId}`, { token: gw.tokens.acmeOwner, body });
    expect(patched.status, `PATCH ${JSON.stringify(body)}: ${patched.text}`).toBe(400);
  }
}

async function expectTrpcRefuses(gw: TestGateway, sessionId: string) {
  for (const body of STRING_TYPED_BODIES) {
    const created = await trpcCall(gw, "sessions.create", body);
    expect(created.status, `sessions.create ${JSON.stringify(body)}: ${created.text}`).toBe(400);
    expect(created.body).toMatchObject({ error: { data: { code: "validation_error" } } });
    if ("start" in body) continue;
    const updated = await trpcCall(gw, "sessions.update", { session: sessionId, ...body });
    expect(updated.status, `sessions.update ${JSON.stringify(body)}: ${updated.text}`).toBe(400);
  }
}

describe("no body coercion on either transport", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.close();
  });

  it("[STRICT][COERCION]: REST first, then tRPC: string booleans and numbers in bodies are 400 on both", async () => {
    const { gw, api } = await freshGateway(t);
    try {
      const session = await gw.call("POST", "/api/v1/sessions", { token: gw.tokens.acmeOwner, body: { autoRead: false } });
      expect(session.status).toBe(201);
      const id = (session.body as { id: string }).id;
      await expectRestRefuses(gw, id);
      await expectTrpcRefuses(gw, id);
      // The shared schemas themselves are untouched by the REST calls.
      expect(api.sessionCreateInput.safeParse({ autoRead: "false" }).success).toBe(false);
      expect(api.sessionCreateInput.safeParse({ ratePerMin: "16" }).success).toBe(false);
      const unchanged = await gw.call("GET", `/api/v1/sessions/${id}`, { token: gw.tokens.acmeOwner });
      expect(unchanged.body).toMatchObject({ autoRead: false, presenceTyping: false, ratePerMin: 20 });
    } finally {
      await gw.stop();
    }
  });

  it("[STRICT][COERCION]: tRPC first, then REST, then tRPC again: 400 every time", async () => {
    const { gw, api } = await freshGateway(t);
    try {
      const created = await trpcCall(gw, "sessions.create", { label: "t-first" });
      expect(created.status).toBe(200);
      const id = (created.body as { result: { data: { id: string } } }).result.data.id;
      await expectTrpcRefuses(gw, id);
      await expectRestRefuses(gw, id);
      await expectTrpcRefuses(gw, id);
      expect(api.sessionUpdateInput.safeParse({ session: id, autoRead: "false" }).success).toBe(false);
    } finally {
      await gw.stop();
    }
  });

  it("[STRICT][QUERY]: query strings parse decimal integers only, and the document says so", async () => {
    const { gw } = await freshGateway(t);
    try {
      for (const ok of ["1", "200", "5000"]) {
        expect((await gw.call("GET", `/api/v1/sessions?limit=${ok}`, { token: gw.tokens.acmeOwner })).status, ok).toBe(200);
      }
      for (const bad of ["0x10", "1e2", "", "ten", "1.5", " 5", "5 ", "0"]) {
        const r = await gw.call("GET", `/api/v1/sessions?limit=${encodeURIComponent(bad)}`, { token: gw.tokens.acmeOwner });
        expect(r.status, `limit=${JSON.stringify(bad)}: ${r.text}`).toBe(400);
        expect(r.body).toMatchObject({ error: { code: "validation_error", details: { errors: [{ path: "limit" }] } } });
      }
      const doc = (await gw.call("GET", "/api/v1/openapi.json")).body as { info: { description: string } };
      expect(doc.info.description).toMatch(/bodies .* never read as a number or a boolean/i);
      expect(doc.info.description).toMatch(/Query parameters .* decimal digits/);
    } finally {
      await gw.stop();
    }
  });
});
