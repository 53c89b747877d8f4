// The Postgres auth store: transactional key writes, creds round trips, read errors, no creds minted over stored ones.
import { createDbClient, newId, schema, sql, type DbClient } from "@wa/db";
import { createSession, countAuthKeys, hasAuthCreds, readAuthCreds, writeAuthCreds } from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { BufferJSON, initAuthCreds, proto } from "@whiskeysockets/baileys";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthStateReadError, createSignalKeyStore, loadAuthState, wipeAuthState } from "./auth-state.ts";

let testDb: TestDatabase;
let client: DbClient;
let organizationId: string;
const logger = pino({ level: "silent" });

beforeAll(async () => {
  testDb = await createTestDatabase();
  client = testDb;
  organizationId = newId();
  await client.db.insert(schema.organizations).values({ id: organizationId, name: "auth tests" });
});
afterAll(async () => {
  await testDb.close();
});

const newSession = async () => (await createSession(client.db, { organizationId, gatewayId: "gw-a" })).id;

describe("auth state store", () => {
  it("mints creds only when none are stored, saves them, and loads the same creds back", async () => {
    const id = await newSession();
    const first = await loadAuthState(client.db, id, logger);
    expect(first.minted).toBe(true);
    expect(first.paired).toBe(false);
    expect(await hasAuthCreds(client.db, id)).toBe(false);
    await first.saveCreds();
    const second = await loadAuthState(client.db, id, logger);
    expect(second.minted).toBe(false);
    expect(Buffer.from(second.state.creds.noiseKey.private).equals(Buffer.from(first.state.creds.noiseKey.private))).toBe(true);
    expect(second.state.creds.signedPreKey.keyId).toBe(first.state.creds.signedPreKey.keyId);
  });

  it("never lets freshly minted creds overwrite creds that appeared meanwhile", async () => {
    const id = await newSession();
    const minted = await loadAuthState(client.db, id, logger);
    const other = initAuthCreds();
    await writeAuthCreds(client.db, id, JSON.stringify(other, BufferJSON.replacer));
    await expect(minted.saveCreds()).rejects.toThrow(/appeared in the database/);
    const stored = JSON.parse((await readAuthCreds(client.db, id)) ?? "{}", BufferJSON.reviver) as typeof other;
    expect(stored.advSecretKey).toBe(other.advSecretKey);
  });

  it("a read error is an AuthStateReadError, not 'no credentials'", async () => {
    const broken = createDbClient("postgres://nobody@127.0.0.1:1/none", { max: 1 });
    try {
      await expect(loadAuthState(broken.db, "x", logger)).rejects.toBeInstanceOf(AuthStateReadError);
    } finally {
      await broken.close();
    }
  });

  it("keys.set writes upserts and deletes in one transaction and round-trips Buffers and protos", async () => {
    const id = await newSession();
    const store = createSignalKeyStore(client.db, id);
    const preKeys: Record<string, { public: Uint8Array; private: Uint8Array }> = {};
    for (let i = 1; i <= 1_500; i++) preKeys[String(i)] = { public: Buffer.alloc(32, i % 256), private: Buffer.alloc(32, 7) };
    await store.set({
      "pre-key": preKeys,
      session: { "a.0": Buffer.from("session-a") },
      "app-state-sync-key": { k1: proto.Message.AppStateSyncKeyData.fromObject({ keyData: Buffer.from("kd"), timestamp: 5 }) },
    });
    expect(await countAuthKeys(client.db, id)).toBe(1_502);
    const got = await store.get("pre-key", ["1", "1500", "9999"]);
    expect(Object.keys(got).sort()).toEqual(["1", "1500"]);
    expect(Buffer.from(got["1500"]?.public ?? []).equals(Buffer.alloc(32, 1500 % 256))).toBe(true);
    const appKey = (await store.get("app-state-sync-key", ["k1"])).k1;
    expect(appKey).toBeInstanceOf(proto.Message.AppStateSyncKeyData);
    expect(Buffer.from(appKey?.keyData ?? []).toString()).toBe("kd");

    // one set: deletes and upserts together
    await store.set({ "pre-key": { "1": null, "2": null }, session: { "a.0": Buffer.from("session-a2") } });
    expect(await countAuthKeys(client.db, id)).toBe(1_500);
    expect(Buffer.from((await store.get("session", ["a.0"]))["a.0"] ?? []).toString()).toBe("session-a2");
  });

  it("a failing keys.set changes nothing (all or nothing)", async () => {
    const id = await newSession();
    const store = createSignalKeyStore(client.db, id);
    await store.set({ session: { keep: Buffer.from("v1") } });
    // 1 000 rows per statement: `keep` and fillers go in the first statement, which succeeds; a key id over
    // Postgres' btree row limit makes the second statement fail, and the first must roll back with it
    const entries: Record<string, Buffer> = { keep: Buffer.from("v2") };
    for (let i = 0; i < 1_200; i++) entries[`filler-${i}`] = Buffer.from("f");
    entries["x".repeat(3_000_000)] = Buffer.from("boom");
    await expect(store.set({ session: entries })).rejects.toThrow();
    expect(Buffer.from((await store.get("session", ["keep"])).keep ?? []).toString()).toBe("v1");
    expect(await countAuthKeys(client.db, id)).toBe(1);
  });

  it("logout wipes creds and keys together, and writes from the old socket after revoke are dropped", async () => {
    const id = await newSession();
    const auth = await loadAuthState(client.db, id, logger);
    await auth.saveCreds();
    await auth.state.keys.set({ session: { s: Buffer.from("x") } });
    await auth.revoke();
    await wipeAuthState(client.db, id);
    await auth.state.keys.set({ session: { late: Buffer.from("y") } });
    await auth.saveCreds();
    expect(await hasAuthCreds(client.db, id)).toBe(false);
    expect(await countAuthKeys(client.db, id)).toBe(0);
    const [row] = await client.db.execute<{ n: number }>(sql`select count(*)::int as n from wa_auth_keys where session_id = ${id}`);
    expect(row?.n).toBe(0);
  });
});
