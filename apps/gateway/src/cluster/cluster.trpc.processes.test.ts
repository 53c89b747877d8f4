// Two real gateway processes, one database, one simulator: the console's tRPC works through either gateway for a
// session held by the other (single and batched calls, controls, sends), its live session stream sees the other
// gateway's status changes, and the audit log records the client's own address — for calls run here and for REST
// calls forwarded to the holder. The client calls from 127.0.0.2, so its address differs from the gateways' own.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { scanQr } from "@wa/wa-sim";
import { generateApiKey } from "@wa/api";
import { newId, schema } from "@wa/db";
import type { AuditAction } from "@wa/db/contract";
import { createApiKey, getSession } from "@wa/db/queries";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, TEST_APP_SECRET, until, type Harness } from "../../test/harness.ts";
import { CLUSTER_TEST_SECRET, GatewayCluster } from "../../test/gateway-cluster.ts";
import { FORWARD_HEADER, signForward } from "./assertion.ts";
import { ENGINE_HOP_PATH } from "./holder-ports.ts";

const CLIENT_ADDRESS = "127.0.0.2";
const PHONE = "628172000001";

let h: Harness;
let c: GatewayCluster;
let sessionId = "";

interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tRPC and REST answers, checked field by field
  headers: IncomingMessage["headers"];
}

/** An HTTP call from CLIENT_ADDRESS with the cluster's api-key. */
function call(gateway: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(path, c.get(gateway).url);
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method,
        localAddress: CLIENT_ADDRESS,
        headers: { authorization: `Bearer ${c.apiKey}`, ...(text === undefined ? {} : { "content-type": "application/json" }), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const raw = Buffer.concat(chunks).toString();
          let parsed: unknown = raw;
          try {
            parsed = raw ? JSON.parse(raw) : null;
          } catch {
            // not JSON: kept as text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
        });
      },
    );
    req.on("error", reject);
    if (text !== undefined) req.write(text);
    req.end();
  });
}

const query = (gateway: string, procedure: string, input: unknown) =>
  call(gateway, "GET", `/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`);
const mutate = (gateway: string, procedure: string, input: unknown) => call(gateway, "POST", `/trpc/${procedure}`, input);

/** A tRPC subscription over SSE from CLIENT_ADDRESS: every `data:` payload received, as parsed JSON. */
function subscribe(gateway: string, procedure: string, input: unknown) {
  const received: any[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any -- SSE payloads
  let open: IncomingMessage | null = null;
  const url = new URL(`/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`, c.get(gateway).url);
  const req = httpRequest(url, { localAddress: CLIENT_ADDRESS, headers: { authorization: `Bearer ${c.apiKey}`, accept: "text/event-stream" } }, (res) => {
    open = res;
    let buffer = "";
    res.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of block.split("\n")) {
          if (!line.startsWith("data:")) continue;
          try {
            received.push(JSON.parse(line.slice(5).trim()));
          } catch {
            received.push(line.slice(5).trim());
          }
        }
      }
    });
  });
  req.on("error", () => {});
  req.end();
  return {
    received,
    isOpen: () => open !== null,
    close: () => req.destroy(),
  };
}

/** Calls gateway 1 sent on to a holder (forwarded REST calls and engine calls), per its own metrics. */
async function forwardedByGatewayOne(): Promise<number> {
  const text = await (await fetch(`${c.get("gw-1").url}/metrics`)).text();
  return Number(/wa_forwarded_requests_total\{[^}]*outcome="forwarded"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
}

const auditIps = async (action: AuditAction) =>
  (
    await h.db.db
      .select({ ip: schema.auditLog.ip })
      .from(schema.auditLog)
      .where(and(eq(schema.auditLog.targetId, sessionId), eq(schema.auditLog.action, action)))
  ).map((row) => row.ip);

beforeAll(async () => {
  h = await createHarness();
  c = new GatewayCluster({ db: h.db, sim: h.sim, appSecret: TEST_APP_SECRET });
  await c.seed();
  await Promise.all([c.start("gw-1"), c.start("gw-2")]);
  // Created through gateway 2's tRPC: held there, waiting for a scan.
  const created = await mutate("gw-2", "sessions.create", { label: "held by gw-2", start: true });
  expect(created.status).toBe(200);
  sessionId = String(created.body.result.data.id);
  await until(async () => (await getSession(h.db.db, sessionId))?.status === "scan_qr_code", "QR on gw-2", 60_000, 200);
  expect((await getSession(h.db.db, sessionId))?.gatewayId).toBe("gw-2");
}, 120_000);

afterAll(async () => {
  await c?.stopAll();
  await h?.close();
});

describe("tRPC through any gateway", () => {
  it("a single call through gateway 1 reaches the holder's engine (the QR lives on gateway 2)", async () => {
    const qr = await query("gw-1", "sessions.qr", { session: sessionId });
    expect(qr.status).toBe(200);
    expect(qr.body.result.data.qr).toEqual(expect.any(String));
    // The holder's own answer for the same call: the same QR.
    const direct = await query("gw-2", "sessions.qr", { session: sessionId });
    expect(direct.body.result.data.qr).toBe(qr.body.result.data.qr);
  });

  it("a batch through gateway 1 mixes database reads and holder calls", async () => {
    const input = { 0: { session: sessionId }, 1: { session: sessionId }, 2: {} };
    const batch = await call("gw-1", "GET", `/trpc/sessions.get,sessions.qr,sessions.list?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`);
    expect(batch.status).toBeLessThan(500);
    const [get, qr, list] = batch.body as { result?: { data: any }; error?: unknown }[]; // eslint-disable-line @typescript-eslint/no-explicit-any -- batch items
    expect(get?.result?.data).toMatchObject({ id: sessionId, gatewayId: "gw-2", status: "scan_qr_code" });
    expect(qr?.result?.data.qr).toEqual(expect.any(String));
    expect(list?.result?.data.data.map((s: { id: string }) => s.id)).toContain(sessionId);
  });

  it("a session created through a gateway's tRPC is placed on the least-loaded one and started there", async () => {
    // gw-2 holds a session, gw-1 none: a create through gw-2 lands on gw-1, like a REST create would.
    const created = await mutate("gw-2", "sessions.create", { label: "placed by gw-2", start: true });
    expect(created.status).toBe(200);
    const placed = String(created.body.result.data.id);
    expect(created.body.result.data.gatewayId).toBe("gw-1");
    await until(async () => (await getSession(h.db.db, placed))?.status === "scan_qr_code", "QR on gw-1", 60_000, 200);
    expect((await query("gw-1", "sessions.qr", { session: placed })).body.result.data.qr).toEqual(expect.any(String));
    expect((await mutate("gw-2", "sessions.delete", { session: placed })).status).toBe(200);
  });

  it("creates arriving at once spread over the gateways (each placement sees the ones before it)", async () => {
    const created = await Promise.all(
      [0, 1, 2, 3].map((i) => call("gw-1", "POST", "/api/v1/sessions", { label: `burst ${i}` })),
    );
    expect(created.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    const holders = created.map((r) => String(r.body.gatewayId));
    // gw-2 already holds one session: of four placed at once, gw-1 gets three and gw-2 one (ties stay local).
    expect(holders.filter((g) => g === "gw-2")).toHaveLength(1);
    for (const r of created) expect((await call("gw-1", "DELETE", `/api/v1/sessions/${String(r.body.id)}`)).status).toBeLessThan(300);
  });

  it("the session stream through gateway 1 sees gateway 2's status change", async () => {
    const stream = subscribe("gw-1", "sessions.events", { session: sessionId });
    try {
      await until(async () => stream.isOpen(), "stream open", 10_000, 50);
      const qr = await query("gw-2", "sessions.qr", { session: sessionId });
      await scanQr(h.sim.httpUrl, String(qr.body.result.data.qr), { phoneNumber: PHONE });
      const event = await until(
        async () => stream.received.find((e) => e?.status === "working" && e?.sessionId === sessionId) ?? null,
        "working seen through gw-1",
        30_000,
        100,
      );
      expect(event.session).toMatchObject({ id: sessionId, gatewayId: "gw-2", status: "working" });
      expect((await getSession(h.db.db, sessionId))?.gatewayId).toBe("gw-2");
    } finally {
      stream.close();
    }
  }, 60_000);

  it("a REST call forwarded to the holder is audited with the client's address, not gateway 1's", async () => {
    const stopped = await call("gw-1", "POST", `/api/v1/sessions/${sessionId}:stop`);
    expect(stopped.status).toBe(200);
    expect(stopped.headers["x-wa-served-by"]).toBe("gw-2");
    expect(await auditIps("session.stopped")).toEqual([CLIENT_ADDRESS]);
    const started = await call("gw-1", "POST", `/api/v1/sessions/${sessionId}:start`);
    expect(started.status).toBe(200);
    expect(await auditIps("session.started")).toEqual([CLIENT_ADDRESS]);
    await until(async () => (await getSession(h.db.db, sessionId))?.status === "working", "working again", 60_000, 200);
  }, 90_000);

  it("controls and sends through gateway 1's tRPC run on gateway 2; the stream shows them; audited with the client's address", async () => {
    const stream = subscribe("gw-1", "sessions.events", { session: sessionId });
    try {
      await until(async () => stream.isOpen(), "stream open", 10_000, 50);
      const stopped = await mutate("gw-1", "sessions.stop", { session: sessionId });
      expect(stopped.status).toBe(200);
      expect(stopped.body.result.data).toMatchObject({ status: "stopped", gatewayId: "gw-2" });
      await until(async () => stream.received.some((e) => e?.status === "stopped") || null, "stopped seen through gw-1", 30_000, 100);
    } finally {
      stream.close();
    }
    expect(await auditIps("session.stopped")).toEqual([CLIENT_ADDRESS, CLIENT_ADDRESS]);
    const started = await mutate("gw-1", "sessions.start", { session: sessionId });
    expect(started.status).toBe(200);
    await until(async () => (await getSession(h.db.db, sessionId))?.status === "working", "working again", 60_000, 200);
    expect((await getSession(h.db.db, sessionId))?.gatewayId).toBe("gw-2");

    // A send through gateway 1's tRPC goes out on gateway 2's connection; its Idempotency-Key holds across the hop.
    const account = (await (await fetch(`${h.sim.httpUrl}/sim/accounts/${PHONE}`)).json()) as { contactRows: { phoneNumber?: string }[] };
    const to = account.contactRows[0]?.phoneNumber ?? "";
    expect(to).not.toBe("");
    const send = { session: sessionId, type: "text", to, text: "through gw-1", idempotencyKey: "fwd-key-1" };
    const first = await mutate("gw-1", "messages.send", send);
    expect(first.status).toBe(200);
    expect(first.body.result.data).toMatchObject({ mode: "sync", status: "sent", replayed: false });
    const again = await mutate("gw-1", "messages.send", send);
    expect(again.body.result.data).toMatchObject({ replayed: true, outboxId: first.body.result.data.outboxId });
  }, 120_000);

  it("a forwarded call with its Idempotency-Key or credentials swapped is refused (401), the genuine one served", async () => {
    const url = `/api/v1/sessions/${sessionId}/messages`;
    const body = JSON.stringify({ type: "text", to: "628100000000", text: "never sent" });
    const headers = { authorization: `Bearer ${c.apiKey}`, "idempotency-key": "fwd-key-2" };
    const sign = () => signForward(CLUSTER_TEST_SECRET, { method: "POST", url, body, headers }, "gw-1", "gw-2", Date.now(), CLIENT_ADDRESS);
    const swappedKey = await call("gw-2", "POST", url, JSON.parse(body), { ...headers, "idempotency-key": "fwd-key-3", [FORWARD_HEADER]: sign() });
    expect(swappedKey.status).toBe(401);
    expect(swappedKey.body).toMatchObject({ error: { code: "unauthorized", message: expect.stringContaining("bad signature") } });
    const swappedCredentials = await call("gw-2", "POST", url, JSON.parse(body), { ...headers, authorization: "Bearer wa_other", [FORWARD_HEADER]: sign() });
    expect(swappedCredentials.status).toBe(401);
    // An assertion with the very headers it was signed for is served.
    const get = signForward(CLUSTER_TEST_SECRET, { method: "GET", url: `/api/v1/sessions/${sessionId}`, body: "", headers }, "gw-1", "gw-2");
    expect((await call("gw-2", "GET", `/api/v1/sessions/${sessionId}`, undefined, { ...headers, [FORWARD_HEADER]: get })).status).toBe(200);
  });

  it("the engine hop answers only calls signed by a gateway, once", async () => {
    const body = JSON.stringify({ op: "backfill.get", sessionId, args: [sessionId] });
    const hop = (headers: Record<string, string>) =>
      fetch(`${c.get("gw-2").url}${ENGINE_HOP_PATH}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    expect((await hop({})).status).toBe(401);
    const forged = signForward("not-the-cluster-secret-not-the-cluster-secret", { method: "POST", url: ENGINE_HOP_PATH, body }, "gw-1", "gw-2");
    expect((await hop({ [FORWARD_HEADER]: forged })).status).toBe(401);
    const genuine = signForward(CLUSTER_TEST_SECRET, { method: "POST", url: ENGINE_HOP_PATH, body }, "gw-1", "gw-2");
    const served = await hop({ [FORWARD_HEADER]: genuine });
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual({ result: null }); // no backfill job on gw-2 yet
    expect((await hop({ [FORWARD_HEADER]: genuine })).status).toBe(401); // replayed
    // Altered body under a genuine assertion.
    const other = signForward(CLUSTER_TEST_SECRET, { method: "POST", url: ENGINE_HOP_PATH, body }, "gw-1", "gw-2");
    const altered = await fetch(`${c.get("gw-2").url}${ENGINE_HOP_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", [FORWARD_HEADER]: other },
      body: JSON.stringify({ op: "sessions.logout", sessionId, args: [sessionId] }),
    });
    expect(altered.status).toBe(401);
    expect((await getSession(h.db.db, sessionId))?.status).toBe("working");
  });

  it("another organization's session through gateway 1 is not_found, like an unknown id; nothing is sent to gateway 2", async () => {
    const otherOrg = newId();
    await h.db.db.insert(schema.organizations).values({ id: otherOrg, name: "Other" });
    const key = generateApiKey();
    await createApiKey(h.db.db, { organizationId: otherOrg, name: "other", prefix: key.prefix, keyHash: key.hash, permissions: ["read", "manage"], createdByUserId: null, expiresAt: null });
    const forwardedBefore = await forwardedByGatewayOne();
    const as = { authorization: `Bearer ${key.raw}` };
    const foreign = await call("gw-1", "GET", `/trpc/sessions.qr?input=${encodeURIComponent(JSON.stringify({ session: sessionId }))}`, undefined, as);
    const unknown = await call("gw-1", "GET", `/trpc/sessions.qr?input=${encodeURIComponent(JSON.stringify({ session: newId() }))}`, undefined, as);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.data.code).toBe("not_found");
    expect(foreign.body.error.message).toBe(unknown.body.error.message);
    const stopped = await call("gw-1", "POST", "/trpc/sessions.stop", { session: sessionId }, as);
    expect(stopped.status).toBe(404);
    expect(await forwardedByGatewayOne()).toBe(forwardedBefore);
    expect((await getSession(h.db.db, sessionId))?.status).toBe("working");
  });

  it("no live holder: a holder call through gateway 1 is 503 gateway_unavailable", async () => {
    await c.kill("gw-2", "SIGKILL");
    // Before any takeover (the lease outlives the kill by seconds): unreachable, then gone.
    const qr = await query("gw-1", "sessions.qr", { session: sessionId });
    expect(qr.status).toBe(503);
    expect(qr.body.error.data.code).toBe("gateway_unavailable");
  });
});
