// The webhook dispatcher against local receivers that verify with the `standardwebhooks` library: signing, order,
// retries with growing backoff, dead-lettering and manual retry, isolation of a hanging receiver, secret rotation,
// the SSRF guard at delivery time, and several gateways sharing the queue.
import { createWebhookPort, generateWebhookSecret } from "@wa/api";
import { newId, schema, sql, type EventType } from "@wa/db";
import {
  appendEvent,
  createWebhook,
  getWebhookRow,
  listDeliveries,
  retryDelivery,
  rotateWebhookSecret,
  type WebhookDelivery,
} from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import pino from "pino";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebhookDispatcher, backoffMs, type DispatcherOptions } from "./dispatcher.ts";
import { startTestReceiver, type Answer, type ReceivedRequest, type TestReceiver } from "./test-receiver.ts";

const APP_SECRET = "dispatcher-test-app-secret-dispatcher-test";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(fn: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Verifies a request as a receiver would, with the Standard Webhooks library; returns the parsed event. */
function verified(secret: string, request: ReceivedRequest): { id: string; type: string; data: unknown } {
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
  return new StandardWebhook(secret).verify(request.body, headers) as { id: string; type: string; data: unknown };
}

describe("webhook dispatcher", () => {
  let t: TestDatabase;
  const port = createWebhookPort({ appSecret: APP_SECRET, allowPrivate: true });
  const receivers: TestReceiver[] = [];
  const dispatchers: WebhookDispatcher[] = [];
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterEach(async () => {
    for (const d of dispatchers.splice(0)) await d.stop();
    for (const r of receivers.splice(0)) await r.close();
  });
  afterAll(() => t?.close());

  async function organization(): Promise<string> {
    const id = newId();
    await t.db.insert(schema.organizations).values({ id, name: `Webhooks ${id}` });
    return id;
  }

  async function receiver(answer?: Answer) {
    const r = await startTestReceiver(answer);
    receivers.push(r);
    return r;
  }

  async function webhook(organizationId: string, url: string, opts: { events?: string[]; sessionId?: string | null } = {}) {
    const id = newId();
    const secret = generateWebhookSecret();
    await createWebhook(t.db, {
      id,
      organizationId,
      url,
      events: opts.events ?? ["*"],
      sessionId: opts.sessionId ?? null,
      description: null,
      secretSealed: port.sealSecret(id, secret),
    });
    return { id, secret };
  }

  function dispatcher(options: Partial<DispatcherOptions> = {}, gatewayId = "gw-dispatch-1") {
    const d = new WebhookDispatcher({
      db: t.db,
      logger,
      gatewayId,
      cipher: port.cipher,
      options: { pollMs: 20, firstBackoffMs: 50, maxBackoffMs: 400, allowPrivate: true, ...options },
    });
    dispatchers.push(d);
    return d;
  }

  const append = (organizationId: string, type: EventType = "message.received", data: unknown = {}, sessionId: string | null = null) =>
    t.db.transaction(async (tx) => (await appendEvent(tx, { organizationId, sessionId, type, data })).id);

  async function deliveriesOf(webhookId: string): Promise<WebhookDelivery[]> {
    return (await listDeliveries(t.db, { webhookId, limit: 200 })).data;
  }

  it("[EVENTS][WEBHOOK] every event reaches the receiver once, signed (standardwebhooks verifies it), in id order", async () => {
    const org = await organization();
    const r = await receiver();
    const { id, secret } = await webhook(org, r.url);
    await dispatcher().start();
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push(await append(org, i % 2 ? "message.received" : "session.status", { i }));
    const got = await r.waitFor(25);
    const events = got.map((request) => verified(secret, request));
    expect(events.map((e) => e.id)).toEqual(ids);
    expect(got.map((request) => request.headers["webhook-id"])).toEqual(ids);
    expect(events[0]).toMatchObject({ type: "session.status", organizationId: org, schema: 1, data: { i: 0 } });
    // A forged body or a wrong secret does not verify.
    const first = got[0];
    if (!first) throw new Error("no request");
    expect(() => verified(generateWebhookSecret(), first)).toThrow();
    expect(() => verified(secret, { ...first, body: first.body.replace('"i":0', '"i":9') })).toThrow();
    await until(async () => (await deliveriesOf(id)).every((d) => d.status === "delivered") && (await deliveriesOf(id)).length === 25, "rows delivered");
    await sleep(200);
    expect(r.received.length).toBe(25);
  });

  it("[EVENTS][RETRY] 500 three times → delivered on the 4th attempt with the same webhook-id, waits growing", async () => {
    const org = await organization();
    const r = await receiver((n) => (n < 3 ? 500 : 204));
    const { id, secret } = await webhook(org, r.url);
    await dispatcher({ firstBackoffMs: 100, maxBackoffMs: 10_000 }).start();
    const eventId = await append(org);
    const got = await r.waitFor(4);
    expect(got.map((g) => g.headers["webhook-id"])).toEqual([eventId, eventId, eventId, eventId]);
    for (const g of got) expect(verified(secret, g).id).toBe(eventId);
    const gaps = got.slice(1).map((g, i) => g.at - (got[i]?.at ?? 0));
    // Each wait is at least its backoff: 100, 200, 400 ms.
    expect(gaps[0]).toBeGreaterThanOrEqual(100 - 5);
    expect(gaps[1]).toBeGreaterThanOrEqual(200 - 5);
    expect(gaps[2]).toBeGreaterThanOrEqual(400 - 5);
    const [delivery] = await until(async () => {
      const rows = await deliveriesOf(id);
      return rows[0]?.status === "delivered" ? rows : null;
    }, "delivered row");
    expect(delivery).toMatchObject({ eventId, status: "delivered", attempts: 4, lastStatusCode: 204, lastError: null, nextAttemptAt: null });
  });

  it("backoff starts at about 2 s, doubles and is capped at 1 h (the defaults)", () => {
    const defaults = { firstBackoffMs: 2_000, maxBackoffMs: 3_600_000 };
    expect([1, 2, 3, 4].map((n) => backoffMs(n, defaults))).toEqual([2_000, 4_000, 8_000, 16_000]);
    expect(backoffMs(14, defaults)).toBe(3_600_000);
  });

  it("[EVENTS][DEAD] after 15 failed attempts the delivery is dead; a manual retry delivers it", async () => {
    const org = await organization();
    let healthy = false;
    const r = await receiver(() => (healthy ? 200 : 503));
    const { id } = await webhook(org, r.url);
    await dispatcher({ firstBackoffMs: 5, maxBackoffMs: 20 }).start();
    const eventId = await append(org);
    const dead = await until(async () => (await deliveriesOf(id)).find((d) => d.status === "dead"), "dead delivery");
    expect(dead).toMatchObject({ eventId, attempts: 15, lastStatusCode: 503, nextAttemptAt: null });
    expect(dead.lastError).toMatch(/503/);
    expect(r.received.length).toBe(15);
    healthy = true;
    await retryDelivery(t.db, id, dead.id);
    const delivered = await until(async () => (await deliveriesOf(id)).find((d) => d.status === "delivered"), "delivered after retry");
    expect(delivered).toMatchObject({ id: dead.id, attempts: 16, lastStatusCode: 200 });
    expect(r.received.at(-1)?.headers["webhook-id"]).toBe(eventId);
  });

  it("a manual retry behind a failing head-of-line delivery sends the head now, then the retried one, in event order", async () => {
    const org = await organization();
    let healthy = false;
    const r = await receiver(() => (healthy ? 204 : 503));
    const { id } = await webhook(org, r.url);
    // a long backoff: without the retry the head would wait a minute, and the later delivery behind it
    await dispatcher({ firstBackoffMs: 60_000, maxBackoffMs: 60_000 }).start();
    const first = await append(org);
    const second = await append(org);
    await until(async () => (await deliveriesOf(id)).find((d) => d.eventId === first && d.status === "failed"), "the head failing");
    const behind = await until(async () => (await deliveriesOf(id)).find((d) => d.eventId === second), "the delivery behind it");
    healthy = true;
    const retried = await retryDelivery(t.db, id, behind.id);
    expect(retried).toMatchObject({ status: "pending" });
    await until(async () => (await deliveriesOf(id)).every((d) => d.status === "delivered"), "both delivered after the retry", 10_000);
    expect(r.received.map((g) => g.headers["webhook-id"])).toEqual([first, first, second]);
  });

  it("[EVENTS][ISOLATION] a receiver that never answers does not delay another webhook's deliveries", async () => {
    const org = await organization();
    const hanging = await receiver(() => "hang");
    const fast = await receiver();
    await webhook(org, hanging.url);
    const { secret } = await webhook(org, fast.url);
    await dispatcher({ timeoutMs: 4_000 }).start();
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await append(org));
    const got = await fast.waitFor(10, 3_500);
    expect(got.map((g) => verified(secret, g).id)).toEqual(ids);
    // Meanwhile the hanging receiver holds its first request, unanswered (order: nothing after it was sent).
    expect(hanging.received.length).toBe(1);
  });

  it("[EVENTS][ROTATE] during the overlap both secrets sign; each verifies on its own", async () => {
    const org = await organization();
    const r = await receiver();
    const { id, secret: oldSecret } = await webhook(org, r.url);
    const newSecret = generateWebhookSecret();
    await rotateWebhookSecret(t.db, id, org, port.sealSecret(id, newSecret), new Date(Date.now() + 86_400_000));
    await dispatcher().start();
    await append(org);
    const [request] = await r.waitFor(1);
    if (!request) throw new Error("no request");
    expect(String(request.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(verified(oldSecret, request).id).toBeTruthy();
    expect(verified(newSecret, request).id).toBeTruthy();
    // Once the overlap is over, only the new secret signs.
    await t.db.execute(
      sql`update webhooks set previous_secret_expires_at = now() - interval '1 second' where id = ${id}`,
    );
    await append(org);
    const [, second] = await r.waitFor(2);
    if (!second) throw new Error("no second request");
    expect(String(second.headers["webhook-signature"]).split(" ")).toHaveLength(1);
    expect(() => verified(oldSecret, second)).toThrow();
    expect(verified(newSecret, second).id).toBeTruthy();
  });

  it("[EVENTS][SSRF] at delivery time a host now resolving to a private address is refused (no request made)", async () => {
    const org = await organization();
    const r = await receiver();
    // Saved while it resolved publicly; by delivery time its DNS answer is loopback (rebinding).
    const { id } = await webhook(org, `http://rebind.test:${r.port}/hook`);
    await dispatcher({ allowPrivate: false, resolve: async () => [{ address: "127.0.0.1", family: 4 }], maxAttempts: 2, firstBackoffMs: 10 }).start();
    await append(org);
    const dead = await until(async () => (await deliveriesOf(id)).find((d) => d.status === "dead"), "refused delivery");
    expect(dead.lastError).toMatch(/refused: .*non-public address/);
    expect(r.received).toEqual([]);
  });

  it("filters by event type and session", async () => {
    const org = await organization();
    const r = await receiver();
    await webhook(org, r.url, { events: ["session.status"], sessionId: "S1" });
    await dispatcher().start();
    await append(org, "message.received", {}, "S1");
    await append(org, "session.status", {}, "S2");
    const wanted = await append(org, "session.status", {}, "S1");
    const [only] = await r.waitFor(1);
    await sleep(300);
    expect(r.received.length).toBe(1);
    expect(only?.headers["webhook-id"]).toBe(wanted);
  });

  it("[EVENTS][CLUSTER] three gateways share the queue: every event delivered once, in order", { timeout: 120_000 }, async () => {
    const org = await organization();
    const r = await receiver();
    const hooks = [await webhook(org, r.url), await webhook(org, r.url), await webhook(org, r.url)];
    for (const gw of ["gw-a", "gw-b", "gw-c"]) await dispatcher({ pollMs: 100 }, gw).start();
    const ids: string[] = [];
    for (let i = 0; i < 15; i++) ids.push(await append(org));
    // Generous: on the embedded database (one backend) three polling gateways share it.
    await r.waitFor(45, 90_000);
    await sleep(300);
    expect(r.received.length).toBe(45);
    for (const hook of hooks) {
      const mine = r.received.filter((g) => {
        try {
          verified(hook.secret, g);
          return true;
        } catch {
          return false;
        }
      });
      expect(mine.map((g) => g.headers["webhook-id"])).toEqual(ids);
    }
    expect(await getWebhookRow(t.db, hooks[0]?.id ?? "")).toMatchObject({ leasedBy: null });
  });
});
