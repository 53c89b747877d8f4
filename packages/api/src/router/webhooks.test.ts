import { schema, sql, type Database } from "@wa/db";
import { appendEvent, fanOutWebhook, getWebhookRow } from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../context.ts";
import {
  ACME,
  FAKE_PORTS_APP_SECRET,
  GLOBEX,
  callerFactory,
  createFakePorts,
  createTestApiKey,
  outcome,
  seedFixture,
  type Fixture,
} from "../testing/index.ts";
import { WebhookSecretCipher } from "../webhooks/secret-cipher.ts";

const auditOf = async (db: Database, webhookId: string) =>
  (await db.select().from(schema.auditLog).orderBy(schema.auditLog.id)).filter((e) => e.targetId === webhookId);

describe("webhooks router", () => {
  let t: TestDatabase;
  let f: Fixture;
  let call: ReturnType<typeof callerFactory>;
  let eventsKey: Principal;
  let manageKey: Principal;

  beforeAll(async () => {
    t = await createTestDatabase();
    f = await seedFixture(t.db);
    call = callerFactory(t.db, createFakePorts({ db: t.db }));
    eventsKey = (await createTestApiKey(t.db, ACME, ["read", "events"])).principal;
    manageKey = (await createTestApiKey(t.db, ACME, ["manage"])).principal;
  });
  afterAll(() => t?.close());

  it("creates a webhook whose secret is shown once and stored sealed (not readable from the row)", async () => {
    const created = await call(f.acmeOwner).webhooks.create({ url: "https://93.184.216.34/hook", events: ["message.received"] });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);
    expect(created.webhook).toMatchObject({ organizationId: ACME, active: true, events: ["message.received"], sessionId: null });
    const row = await getWebhookRow(t.db, created.webhook.id);
    expect(row?.secretSealed).not.toContain(created.secret.slice(6));
    expect(JSON.stringify(row)).not.toContain(created.secret.slice(6));
    // Only APP_SECRET opens it, and only for this webhook.
    expect(new WebhookSecretCipher({ current: FAKE_PORTS_APP_SECRET }).open(created.webhook.id, row?.secretSealed ?? "")).toBe(created.secret);
    expect(() => new WebhookSecretCipher({ current: "another-app-secret-another-app-secret!!" }).open(created.webhook.id, row?.secretSealed ?? "")).toThrow();
    expect(() => new WebhookSecretCipher({ current: FAKE_PORTS_APP_SECRET }).open("01OTHERWEBHOOK", row?.secretSealed ?? "")).toThrow();
    // Never again: get and list carry no secret.
    const fetched = await call(f.acmeOwner).webhooks.get({ id: created.webhook.id });
    expect(JSON.stringify(fetched)).not.toContain("whsec_");
    const listed = await call(manageKey).webhooks.list({});
    expect(listed.data.map((w) => w.id)).toContain(created.webhook.id);
    expect(JSON.stringify(listed)).not.toContain("whsec_");
  });

  it("needs manage: members and keys without it get 403, another organization's webhook is 404, nothing changes", async () => {
    const { webhook } = await call(f.acmeAdmin).webhooks.create({ url: "https://93.184.216.34/a", events: ["*"] });
    expect(await outcome(call(f.acmeMember).webhooks.list({}))).toBe("forbidden");
    expect(await outcome(call(eventsKey).webhooks.create({ url: "https://93.184.216.34/b", events: ["*"] }))).toBe("forbidden");
    expect(await outcome(call(f.acmeMember).webhooks.delete({ id: webhook.id }))).toBe("forbidden");
    expect(await outcome(call(f.globexOwner).webhooks.get({ id: webhook.id }))).toBe("not_found");
    expect(await outcome(call(f.globexOwner).webhooks.update({ id: webhook.id, active: false }))).toBe("not_found");
    expect(await outcome(call(f.globexOwner).webhooks.delete({ id: webhook.id }))).toBe("not_found");
    expect(await outcome(call(f.globexOwner).webhooks.deliveries({ id: webhook.id }))).toBe("not_found");
    expect((await call(f.globexOwner).webhooks.list({})).data).toEqual([]);
    expect(await call(f.acmeOwner).webhooks.get({ id: webhook.id })).toEqual(webhook);
  });

  it("updates, disables and deletes, each audited without the URL's path or any secret", async () => {
    const { webhook, secret } = await call(f.acmeOwner).webhooks.create({
      url: "https://93.184.216.34/x?token=abc",
      events: ["session.status"],
      description: "ops",
    });
    const updated = await call(f.acmeOwner).webhooks.update({ id: webhook.id, events: ["*"], active: false });
    expect(updated).toMatchObject({ events: ["*"], active: false, description: "ops" });
    await call(f.acmeOwner).webhooks.delete({ id: webhook.id });
    expect(await outcome(call(f.acmeOwner).webhooks.get({ id: webhook.id }))).toBe("not_found");
    const entries = await auditOf(t.db, webhook.id);
    expect(entries.map((e) => e.action)).toEqual(["webhook.created", "webhook.updated", "webhook.deleted"]);
    expect(entries.every((e) => e.actorId === f.acmeOwner.userId)).toBe(true);
    const text = JSON.stringify(entries);
    expect(text).not.toContain("token=abc");
    expect(text).not.toContain(secret.slice(6));
  });

  it("rotates the secret: a new one shown once, the previous kept for 24 h", async () => {
    const { webhook, secret } = await call(f.acmeOwner).webhooks.create({ url: "https://93.184.216.34/r", events: ["*"] });
    const before = Date.now();
    const rotated = await call(f.acmeOwner).webhooks.rotateSecret({ id: webhook.id });
    expect(rotated.secret).not.toBe(secret);
    expect(rotated.previousValidUntil).toBeGreaterThanOrEqual(before + 24 * 3_600_000);
    const row = await getWebhookRow(t.db, webhook.id);
    const cipher = new WebhookSecretCipher({ current: FAKE_PORTS_APP_SECRET });
    expect(cipher.open(webhook.id, row?.secretSealed ?? "")).toBe(rotated.secret);
    expect(cipher.open(webhook.id, row?.previousSecretSealed ?? "")).toBe(secret);
  });

  it("refuses bad input: non-http(s) schemes, unknown event types, '*' with others, a session of another organization", async () => {
    const owner = call(f.acmeOwner);
    expect(await outcome(owner.webhooks.create({ url: "ftp://93.184.216.34/x", events: ["*"] }))).toBe("validation_error");
    expect(await outcome(owner.webhooks.create({ url: "file:///etc/passwd", events: ["*"] }))).toBe("validation_error");
    expect(await outcome(owner.webhooks.create({ url: "https://93.184.216.34", events: ["nope" as "*"] }))).toBe("validation_error");
    expect(await outcome(owner.webhooks.create({ url: "https://93.184.216.34", events: ["*", "session.status"] }))).toBe("validation_error");
    const [globexSession] = (await t.db.select().from(schema.waSessions)).filter((s) => s.organizationId === GLOBEX);
    if (globexSession) {
      expect(await outcome(owner.webhooks.create({ url: "https://93.184.216.34", events: ["*"], sessionId: globexSession.id }))).toBe("validation_error");
    }
  });

  it("[EVENTS][SSRF] refuses loopback, metadata, IPv6 loopback, IPv4-mapped and private-resolving hosts at create and update", async () => {
    const resolve = async (host: string) =>
      host === "intranet.example" ? [{ address: "10.1.2.3", family: 4 as const }] : [{ address: "93.184.216.34", family: 4 as const }];
    const guarded = callerFactory(t.db, createFakePorts({ db: t.db, resolve }))(f.acmeOwner);
    for (const url of [
      "http://127.0.0.1/hook",
      "http://169.254.169.254/latest/meta-data",
      "http://[::1]:8080/",
      "http://[::ffff:127.0.0.1]/",
      "http://[::7f00:1]/",
      "http://[::a9fe:a9fe]/",
      "http://[fe80::1]/",
      "http://192.168.1.10/",
      "http://100.100.100.200/",
      "http://intranet.example/hook",
      "http://0.0.0.0/",
    ]) {
      expect(await outcome(guarded.webhooks.create({ url, events: ["*"] })), url).toBe("validation_error");
    }
    const { webhook } = await guarded.webhooks.create({ url: "https://public.example/hook", events: ["*"] });
    expect(await outcome(guarded.webhooks.update({ id: webhook.id, url: "http://intranet.example/" }))).toBe("validation_error");
    expect((await guarded.webhooks.get({ id: webhook.id })).url).toBe("https://public.example/hook");
    // With WEBHOOK_ALLOW_PRIVATE=1 the same URLs are accepted.
    const open = callerFactory(t.db, createFakePorts({ db: t.db, allowPrivateWebhooks: true }))(f.acmeOwner);
    expect(await outcome(open.webhooks.create({ url: "http://127.0.0.1:9/hook", events: ["*"] }))).toBe("ok");
  });

  it("lists deliveries newest first with status filter and cursor, and a retry makes a dead delivery due again", async () => {
    const { webhook } = await call(f.acmeOwner).webhooks.create({ url: "https://93.184.216.34/d", events: ["*"] });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { id } = await appendEvent(t.db, { organizationId: ACME, sessionId: null, type: "session.status", data: { i } });
      ids.push(id);
    }
    const row = await getWebhookRow(t.db, webhook.id);
    if (!row) throw new Error("no row");
    expect(await fanOutWebhook(t.db, row, 100)).toBe(3);
    const all = await call(f.acmeOwner).webhooks.deliveries({ id: webhook.id, limit: 2 });
    expect(all.data.map((d) => d.eventId)).toEqual([ids[2], ids[1]]);
    expect(all.data[0]?.payload).toMatchObject({ id: ids[2], type: "session.status", organizationId: ACME, schema: 1, data: { i: 2 } });
    const next = await call(f.acmeOwner).webhooks.deliveries({ id: webhook.id, limit: 2, cursor: all.nextCursor ?? "" });
    expect(next.data.map((d) => d.eventId)).toEqual([ids[0]]);
    expect(next.nextCursor).toBeNull();
    const target = all.data[0];
    if (!target) throw new Error("no delivery");
    await t.db.execute(sql`update webhook_deliveries set status = 'dead', attempts = 15 where id = ${target.id}`);
    expect((await call(f.acmeOwner).webhooks.deliveries({ id: webhook.id, status: "dead" })).data.map((d) => d.id)).toEqual([target.id]);
    const retried = await call(f.acmeOwner).webhooks.retryDelivery({ id: webhook.id, delivery: target.id });
    expect(retried).toMatchObject({ id: target.id, status: "pending", attempts: 15 });
    expect(retried.nextAttemptAt).toBeLessThanOrEqual(Date.now());
    expect(await outcome(call(f.acmeOwner).webhooks.retryDelivery({ id: webhook.id, delivery: "01NOPE" }))).toBe("not_found");
  });

  it("a retry on a disabled webhook is a conflict and changes nothing; enabled again, it retries", async () => {
    const { webhook } = await call(f.acmeOwner).webhooks.create({ url: "https://93.184.216.34/off", events: ["*"] });
    await appendEvent(t.db, { organizationId: ACME, sessionId: null, type: "session.status", data: { off: true } });
    const row = await getWebhookRow(t.db, webhook.id);
    if (!row) throw new Error("no row");
    await fanOutWebhook(t.db, row, 100);
    const [target] = (await call(f.acmeOwner).webhooks.deliveries({ id: webhook.id })).data;
    if (!target) throw new Error("no delivery");
    await t.db.execute(sql`update webhook_deliveries set status = 'dead', attempts = 15 where id = ${target.id}`);
    await call(f.acmeOwner).webhooks.update({ id: webhook.id, active: false });
    expect(await outcome(call(f.acmeOwner).webhooks.retryDelivery({ id: webhook.id, delivery: target.id }))).toBe("conflict");
    expect((await call(f.acmeOwner).webhooks.deliveries({ id: webhook.id })).data[0]).toMatchObject({ id: target.id, status: "dead" });
    await call(f.acmeOwner).webhooks.update({ id: webhook.id, active: true });
    expect(await call(f.acmeOwner).webhooks.retryDelivery({ id: webhook.id, delivery: target.id })).toMatchObject({ status: "pending" });
  });
});
