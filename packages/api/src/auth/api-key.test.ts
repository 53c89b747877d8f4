import { createHash } from "node:crypto";
import { apiKeys, eq } from "@wa/db";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContextFactory } from "../context.ts";
import { silentLogger } from "../logger.ts";
import { createCaller } from "../root.ts";
import {
  ACME,
  callerFactory,
  countingDatabase,
  createFakePorts,
  createTestApiKey,
  outcome,
  seedFixture,
  type FakePorts,
  type Fixture,
} from "../testing/index.ts";
import { createApiKeyAuthenticator, generateApiKey } from "./api-key.ts";

describe("api-keys", () => {
  let t: TestDatabase;
  let f: Fixture;
  let ports: FakePorts;
  let make: ReturnType<typeof createContextFactory>;

  beforeAll(async () => {
    t = await createTestDatabase();
    f = await seedFixture(t.db);
    ports = createFakePorts({ db: t.db });
    // JWTs are not used here; the JWKS URL is never fetched.
    make = createContextFactory({
      db: t.db,
      ports,
      logger: silentLogger,
      jwt: { jwksUrl: "http://127.0.0.1:9/jwks", issuer: "http://localhost:3000" },
    });
  });
  afterAll(() => t.close());

  const meWith = (headers: Record<string, string>) => make({ headers }).then((ctx) => createCaller(ctx).me({}));

  it("[AUTH][API-KEY]: created once as wa_ + 32 random bytes; only its SHA-256 is stored", async () => {
    const created = await callerFactory(t.db, ports)(f.acmeOwner).apiKeys.create({ name: "ci", permissions: ["read", "send"] });
    expect(created.key).toMatch(/^wa_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(created.key.slice(3), "base64url")).toHaveLength(32);
    expect(created.apiKey).toMatchObject({ name: "ci", permissions: ["read", "send"], organizationId: ACME, revokedAt: null, expiresAt: null });
    expect(created.apiKey.prefix).toBe(created.key.slice(0, 9));
    expect(JSON.stringify(created.apiKey)).not.toContain(created.key);

    const [row] = await t.db.select().from(apiKeys).where(eq(apiKeys.id, created.apiKey.id));
    expect(row?.keyHash).toBe(createHash("sha256").update(created.key).digest("hex"));
    expect(JSON.stringify(row)).not.toContain(created.key.slice(9));

    const list = await callerFactory(t.db, ports)(f.acmeAdmin).apiKeys.list({});
    const listed = JSON.stringify(list);
    expect(listed).not.toContain(row?.keyHash ?? "unset");
    expect(listed).not.toContain(created.key);
    expect(list.data.map((k) => k.id)).toContain(created.apiKey.id);
  });

  it("[AUTH][API-KEY]: a valid key works as Authorization: Bearer and as x-api-key", async () => {
    const { raw, principal } = await createTestApiKey(t.db, ACME, ["read", "events"]);
    const expected = {
      kind: "api_key",
      userId: null,
      apiKeyId: principal.keyId,
      organizationId: ACME,
      role: null,
      permissions: ["read", "events"],
      platformRole: null,
      email: null,
      name: null,
    };
    expect(await meWith({ authorization: `Bearer ${raw}` })).toEqual(expected);
    expect(await meWith({ "x-api-key": raw })).toEqual(expected);
  });

  it("[AUTH][API-KEY]: unknown, malformed, expired and revoked keys are 401; revocation applies on the next request", async () => {
    const unknown = generateApiKey().raw;
    const expired = await createTestApiKey(t.db, ACME, ["read"], { expiresAt: new Date(Date.now() - 1000) });
    const refused: Record<string, string>[] = [
      { authorization: `Bearer ${unknown}` },
      { "x-api-key": unknown },
      { "x-api-key": "wa_short" },
      { authorization: "Bearer wa_" },
      { "x-api-key": "not-a-wa-key" },
      { authorization: `Bearer ${expired.raw}` },
    ];
    for (const headers of refused) {
      expect(await outcome(meWith(headers))).toBe("unauthorized");
    }

    const live = await createTestApiKey(t.db, ACME, ["read"]);
    expect(await outcome(meWith({ "x-api-key": live.raw }))).toBe("ok");
    await callerFactory(t.db, ports)(f.acmeOwner).apiKeys.revoke({ id: live.principal.keyId });
    expect(await outcome(meWith({ "x-api-key": live.raw }))).toBe("unauthorized");
    expect(await outcome(callerFactory(t.db, ports)(f.acmeOwner).apiKeys.revoke({ id: "unknown" }))).toBe("not_found");
  });

  it("[AUTHZ][API-KEYS]: managing keys is for an owner/admin login only; members and every api-key get 403", async () => {
    const call = callerFactory(t.db, ports);
    const fullKey = (await createTestApiKey(t.db, ACME, ["read", "send", "manage", "events"])).principal;
    const { principal: target } = await createTestApiKey(t.db, ACME, ["read"]);
    for (const principal of [f.acmeMember, fullKey]) {
      const c = call(principal);
      expect(await outcome(c.apiKeys.list({}))).toBe("forbidden");
      expect(await outcome(c.apiKeys.create({ name: "x", permissions: ["read"] }))).toBe("forbidden");
      expect(await outcome(c.apiKeys.revoke({ id: target.keyId }))).toBe("forbidden");
    }
    expect(await outcome(call(null).apiKeys.list({}))).toBe("unauthorized");
    expect(await outcome(call(f.acmeAdmin).apiKeys.list({}))).toBe("ok");
    // Another organization's key is not found, not revocable.
    expect(await outcome(call(f.globexOwner).apiKeys.revoke({ id: target.keyId }))).toBe("not_found");
    expect(await outcome(call(f.acmeOwner).apiKeys.create({ name: "x", permissions: [] }))).toBe("validation_error");
    expect(await outcome(call(f.acmeOwner).apiKeys.create({ name: "x", permissions: ["read"], expiresAt: Date.now() - 1 }))).toBe("validation_error");
  });

  it("[AUTH][API-KEY]: last-used is recorded in the background at most once per interval", async () => {
    const { raw, principal } = await createTestApiKey(t.db, ACME, ["read"]);
    let clock = Date.now();
    const auth = createApiKeyAuthenticator({ db: t.db, logger: silentLogger, touchIntervalMs: 60_000, now: () => clock });
    const lastUsed = async () =>
      (await t.db.select({ at: apiKeys.lastUsedAt }).from(apiKeys).where(eq(apiKeys.id, principal.keyId)))[0]?.at?.getTime() ?? null;

    await auth.authenticate(raw);
    await expect.poll(lastUsed, { timeout: 5000, interval: 50 }).toBe(clock);
    const first = clock;
    clock += 5_000;
    for (let i = 0; i < 20; i++) await auth.authenticate(raw);
    await new Promise((r) => setTimeout(r, 50));
    expect(await lastUsed()).toBe(first);
    clock += 61_000;
    await auth.authenticate(raw);
    await expect.poll(lastUsed, { timeout: 5000, interval: 50 }).toBe(clock);
  });

  it("[AUTH][API-KEY][CACHE]: once remembered, a request with the key starts no database statement at all", async () => {
    const { raw, principal } = await createTestApiKey(t.db, ACME, ["read"]);
    const { db, statements } = countingDatabase(t.db);
    let clock = Date.now();
    const auth = createApiKeyAuthenticator({ db, logger: silentLogger, now: () => clock });
    const make = createContextFactory({
      db,
      ports,
      logger: silentLogger,
      apiKeys: auth,
      jwt: { jwksUrl: "http://127.0.0.1:9/jwks", issuer: "http://localhost:3000" },
    });
    const lastUsed = async () =>
      (await t.db.select({ at: apiKeys.lastUsedAt }).from(apiKeys).where(eq(apiKeys.id, principal.keyId)))[0]?.at?.getTime() ?? null;
    await make({ headers: { authorization: `Bearer ${raw}` } });
    await expect.poll(lastUsed, { timeout: 5000, interval: 50 }).toBe(clock);
    expect(statements()).toBe(2); // the lookup, and last-used in the background
    for (let i = 0; i < 50; i++) {
      clock += 10; // within the unfollowed cache's one second
      const ctx = await make({ headers: i % 2 ? { authorization: `Bearer ${raw}` } : { "x-api-key": raw } });
      expect(ctx.principal).toMatchObject({ kind: "api_key", keyId: principal.keyId });
      await createCaller(ctx).system.info({});
    }
    expect(statements()).toBe(2);
    await auth.close();
  });

  it("[AUTH][API-KEY][CACHE]: expiry is honoured from memory: the remembered expiresAt refuses the key, no database asked", async () => {
    let clock = Date.now();
    const key = await createTestApiKey(t.db, ACME, ["read"], { expiresAt: new Date(clock + 10_000) });
    const auth = createApiKeyAuthenticator({ db: t.db, logger: silentLogger, now: () => clock, cache: { unfollowedMaxAgeMs: 60_000 } });
    expect((await auth.authenticate(key.raw)).keyId).toBe(key.principal.keyId);
    // The row no longer expires: only the remembered expiry can refuse the key from here on.
    await t.db.update(apiKeys).set({ expiresAt: null }).where(eq(apiKeys.id, key.principal.keyId));
    clock += 9_000;
    expect((await auth.authenticate(key.raw)).expiresAt).toBe(clock + 1_000);
    clock += 1_000;
    await expect(auth.authenticate(key.raw)).rejects.toMatchObject({ code: "unauthorized" });
    await auth.close();
  });

  it("[AUTH][API-KEY][CACHE]: without a listener (e.g. PGlite) a remembered key is re-checked after one second", async () => {
    let clock = Date.now();
    const key = await createTestApiKey(t.db, ACME, ["read"]);
    const auth = createApiKeyAuthenticator({ db: t.db, logger: silentLogger, now: () => clock });
    expect(auth.following).toBe(false);
    await auth.authenticate(key.raw);
    // Revoked behind this process's back (no NOTIFY reaches it): remembered as valid for at most one second.
    await t.db.update(apiKeys).set({ revokedAt: new Date(clock) }).where(eq(apiKeys.id, key.principal.keyId));
    clock += 999;
    expect((await auth.authenticate(key.raw)).keyId).toBe(key.principal.keyId);
    clock += 1;
    await expect(auth.authenticate(key.raw)).rejects.toMatchObject({ code: "unauthorized" });
    await auth.close();
  });

  it("[AUTH][API-KEY]: a busy key costs one last-used UPDATE statement a minute, not one per request (even a no-op one)", async () => {
    // A statement-level trigger counts UPDATE statements on api_keys, including those that change no row.
    await t.sql.unsafe(`
      create table api_key_update_statements (at timestamptz not null default now());
      create function count_api_key_update() returns trigger language plpgsql as
        $$ begin insert into api_key_update_statements default values; return null; end $$;
      create trigger count_api_key_update after update on api_keys for each statement execute function count_api_key_update();`);
    try {
      const statements = async () => Number((await t.sql<{ n: string }[]>`select count(*)::text as n from api_key_update_statements`)[0]?.n);
      const { raw, principal } = await createTestApiKey(t.db, ACME, ["read"]);
      let clock = Date.now();
      const auth = createApiKeyAuthenticator({ db: t.db, logger: silentLogger, now: () => clock });
      const lastUsed = async () =>
        (await t.db.select({ at: apiKeys.lastUsedAt }).from(apiKeys).where(eq(apiKeys.id, principal.keyId)))[0]?.at?.getTime() ?? null;

      await auth.authenticate(raw);
      await expect.poll(lastUsed, { timeout: 5000, interval: 50 }).toBe(clock);
      expect(await statements()).toBe(1);
      for (let i = 0; i < 30; i++) {
        clock += 1_900; // 57 s in all: still within the minute
        await auth.authenticate(raw);
      }
      expect(await statements()).toBe(1);
      clock += 3_000;
      await auth.authenticate(raw);
      await expect.poll(lastUsed, { timeout: 5000, interval: 50 }).toBe(clock);
      expect(await statements()).toBe(2);
      await auth.close();
    } finally {
      await t.sql.unsafe(`
        drop trigger count_api_key_update on api_keys;
        drop function count_api_key_update();
        drop table api_key_update_statements;`);
    }
  });
});
