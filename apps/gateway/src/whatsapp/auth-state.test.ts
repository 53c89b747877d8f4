// The Postgres auth store: transactional key writes, creds round trips, read errors, no creds minted over stored ones,
// and every secret sealed at rest under APP_SECRET (wrong secret = a clear error; plain rows sealed at start).
import { createDbClient, newId, schema, sql, type DbClient } from "@wa/db";
import { createSession, countAuthKeys, hasAuthCreds, listKeysToSeal, readStoredAuthCreds, resealAuthKeys, writeAuthCreds } from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { BufferJSON, initAuthCreds, proto } from "@whiskeysockets/baileys";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthCipher, AuthStateSealError, credsAad, keyAad } from "./auth-cipher.ts";
import { AuthStateReadError, createSignalKeyStore, loadAuthState, sealStoredAuthState, wipeAuthState } from "./auth-state.ts";

let testDb: TestDatabase;
let client: DbClient;
let organizationId: string;
const logger = pino({ level: "silent" });
const SECRET_A = "secret-a-secret-a-secret-a-secret-a-secret-a";
const SECRET_B = "secret-b-secret-b-secret-b-secret-b-secret-b";
const cipher = new AuthCipher({ current: SECRET_A });

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
    const first = await loadAuthState(client.db, id, cipher, logger);
    expect(first.minted).toBe(true);
    expect(first.paired).toBe(false);
    expect(await hasAuthCreds(client.db, id)).toBe(false);
    await first.saveCreds();
    const second = await loadAuthState(client.db, id, cipher, logger);
    expect(second.minted).toBe(false);
    expect(Buffer.from(second.state.creds.noiseKey.private).equals(Buffer.from(first.state.creds.noiseKey.private))).toBe(true);
    expect(second.state.creds.signedPreKey.keyId).toBe(first.state.creds.signedPreKey.keyId);
  });

  it("never lets freshly minted creds overwrite creds that appeared meanwhile", async () => {
    const id = await newSession();
    const minted = await loadAuthState(client.db, id, cipher, logger);
    const other = initAuthCreds();
    await writeAuthCreds(client.db, id, cipher.seal(JSON.stringify(other, BufferJSON.replacer), credsAad(id)));
    await expect(minted.saveCreds()).rejects.toThrow(/appeared in the database/);
    const row = await readStoredAuthCreds(client.db, id);
    const stored = JSON.parse(row ? cipher.open(row, credsAad(id)) : "{}", BufferJSON.reviver) as typeof other;
    expect(stored.advSecretKey).toBe(other.advSecretKey);
  });

  it("a read error is an AuthStateReadError, not 'no credentials'", async () => {
    const broken = createDbClient("postgres://nobody@127.0.0.1:1/none", { max: 1 });
    try {
      await expect(loadAuthState(broken.db, "x", cipher, logger)).rejects.toBeInstanceOf(AuthStateReadError);
    } finally {
      await broken.close();
    }
  });

  it("keys.set writes upserts and deletes in one transaction and round-trips Buffers and protos", async () => {
    const id = await newSession();
    const store = createSignalKeyStore(client.db, id, cipher);
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

  it("a key found missing is not read again until the store writes it", async () => {
    const id = await newSession();
    const store = createSignalKeyStore(client.db, id, cipher);
    expect(await store.get("tctoken", ["6280000000002@s.whatsapp.net"])).toEqual({});
    // Written behind the store's back (never done by anything but the lease holder's store): the store does not
    // read again, which shows the miss was remembered.
    await client.db.insert(schema.waAuthKeys).values({ sessionId: id, type: "tctoken", keyId: "6280000000002@s.whatsapp.net", value: "{}" });
    expect(await store.get("tctoken", ["6280000000002@s.whatsapp.net"])).toEqual({});
    // Its own write is seen at once, and a delete makes it missing again.
    await store.set({ tctoken: { "6280000000002@s.whatsapp.net": { token: Buffer.from("t"), timestamp: "1" } } });
    const got = await store.get("tctoken", ["6280000000002@s.whatsapp.net"]);
    expect(Buffer.from(got["6280000000002@s.whatsapp.net"]?.token ?? []).toString()).toBe("t");
    await store.set({ tctoken: { "6280000000002@s.whatsapp.net": null } });
    expect(await store.get("tctoken", ["6280000000002@s.whatsapp.net"])).toEqual({});
  });

  it("a failing keys.set changes nothing (all or nothing)", async () => {
    const id = await newSession();
    const store = createSignalKeyStore(client.db, id, cipher);
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
    const auth = await loadAuthState(client.db, id, cipher, logger);
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

  it("[ENCRYPTION]: creds and keys are sealed in the database (no plain JSON, no key bytes); lid mappings stay plain", async () => {
    const id = await newSession();
    const auth = await loadAuthState(client.db, id, cipher, logger);
    await auth.saveCreds();
    const noise = Buffer.from(auth.state.creds.noiseKey.private).toString("base64");
    await auth.state.keys.set({
      "pre-key": { "7": { public: Buffer.alloc(32, 1), private: Buffer.alloc(32, 9) } },
      "lid-mapping": { "6281234": "205227043110953" },
    });
    const rows = await client.db.execute<{ value: string; seal_key_id: string | null; type: string }>(
      sql`select creds as value, seal_key_id, 'creds' as type from wa_auth_creds where session_id = ${id}
          union all select value, seal_key_id, type from wa_auth_keys where session_id = ${id}`,
    );
    expect(rows.length).toBe(3);
    for (const row of rows) {
      if (row.type === "lid-mapping") {
        expect(row.seal_key_id).toBeNull();
        expect(JSON.parse(row.value)).toBe("205227043110953");
        continue;
      }
      expect(row.seal_key_id).toBe(cipher.currentKeyId);
      expect(() => JSON.parse(row.value) as unknown).toThrow();
      expect(row.value).not.toContain(noise);
      expect(row.value).not.toContain(Buffer.alloc(32, 9).toString("base64"));
      expect(row.value).not.toMatch(/noiseKey|private|Buffer/);
    }
    const again = await loadAuthState(client.db, id, cipher, logger);
    expect(Buffer.from(again.state.creds.noiseKey.private).toString("base64")).toBe(noise);
    const preKey = (await again.state.keys.get("pre-key", ["7"]))["7"];
    expect(Buffer.from(preKey?.private ?? []).equals(Buffer.alloc(32, 9))).toBe(true);
  });

  it("[ENCRYPTION]: a wrong APP_SECRET is a clear error, never new creds, and the stored rows are untouched", async () => {
    const id = await newSession();
    const auth = await loadAuthState(client.db, id, cipher, logger);
    await auth.saveCreds();
    await auth.state.keys.set({ session: { s: Buffer.from("x") } });
    const before = await client.db.execute(sql`select creds, seal_key_id from wa_auth_creds where session_id = ${id}`);
    const wrong = new AuthCipher({ current: SECRET_B });
    await expect(loadAuthState(client.db, id, wrong, logger)).rejects.toThrow(AuthStateSealError);
    await expect(loadAuthState(client.db, id, wrong, logger)).rejects.toThrow(/^wrong APP_SECRET: .*untouched/);
    // the start-up sealing pass cannot open these rows either: it leaves them alone
    const pass = await sealStoredAuthState(client.db, wrong, logger);
    expect(pass.creds).toBe(0);
    expect(await client.db.execute(sql`select creds, seal_key_id from wa_auth_creds where session_id = ${id}`)).toEqual(before);
    expect(await countAuthKeys(client.db, id)).toBe(1);
    // the right secret still opens them
    expect((await loadAuthState(client.db, id, cipher, logger)).minted).toBe(false);
  });

  it("[ENCRYPTION]: rotation: APP_SECRET_PREVIOUS opens old rows and the start-up pass seals them under the new key", async () => {
    const id = await newSession();
    const auth = await loadAuthState(client.db, id, cipher, logger);
    await auth.saveCreds();
    await auth.state.keys.set({ session: { s: Buffer.from("rotated") } });
    const rotated = new AuthCipher({ current: SECRET_B, previous: SECRET_A });
    expect((await loadAuthState(client.db, id, rotated, logger)).minted).toBe(false);
    const pass = await sealStoredAuthState(client.db, rotated, logger);
    expect(pass.creds).toBeGreaterThanOrEqual(1);
    expect(pass.keys).toBeGreaterThanOrEqual(1);
    const onlyNew = new AuthCipher({ current: SECRET_B });
    const reloaded = await loadAuthState(client.db, id, onlyNew, logger);
    expect(Buffer.from(reloaded.state.creds.noiseKey.private).equals(Buffer.from(auth.state.creds.noiseKey.private))).toBe(true);
    expect(Buffer.from((await reloaded.state.keys.get("session", ["s"])).s ?? []).toString()).toBe("rotated");
  });

  it("[ENCRYPTION]: plain JSON rows from before encryption are sealed by the start-up pass and read back the same", async () => {
    const id = await newSession();
    const creds = initAuthCreds();
    const plain = JSON.stringify(creds, BufferJSON.replacer);
    // what migration 0001 leaves behind: the former jsonb as text, no seal key id
    await client.db.execute(sql`insert into wa_auth_creds (session_id, creds) values (${id}, ${plain}::jsonb::text)`);
    await client.db.execute(
      sql`insert into wa_auth_keys (session_id, type, key_id, value)
          values (${id}, 'session', 'old', ${JSON.stringify(Buffer.from("legacy"), BufferJSON.replacer)}::jsonb::text)`,
    );
    // readable before the pass too (a plain row is never mistaken for "no credentials")
    expect((await loadAuthState(client.db, id, cipher, logger)).minted).toBe(false);
    const pass = await sealStoredAuthState(client.db, cipher, logger);
    expect(pass.creds).toBeGreaterThanOrEqual(1);
    expect(pass.keys).toBeGreaterThanOrEqual(1);
    const [row] = await client.db.execute<{ creds: string; seal_key_id: string | null }>(
      sql`select creds, seal_key_id from wa_auth_creds where session_id = ${id}`,
    );
    expect(row?.seal_key_id).toBe(cipher.currentKeyId);
    expect(row?.creds).not.toContain("noiseKey");
    const loaded = await loadAuthState(client.db, id, cipher, logger);
    expect(loaded.state.creds.advSecretKey).toBe(creds.advSecretKey);
    expect(Buffer.from((await loaded.state.keys.get("session", ["old"])).old ?? []).toString()).toBe("legacy");
    // a second pass finds nothing left to seal
    expect(await sealStoredAuthState(client.db, cipher, logger)).toMatchObject({ creds: 0, keys: 0 });
  });

  it("[ENCRYPTION]: the start-up pass seals rows a page at a time, across pages, and skips rows it cannot open", async () => {
    const id = await newSession();
    const legacy = JSON.stringify(Buffer.from("legacy"), BufferJSON.replacer);
    // more than two pages of plain rows, and one row under the previous secret that fails its integrity check
    await client.db.execute(
      sql`insert into wa_auth_keys (session_id, type, key_id, value) select ${id}, 'session', 'k' || n, ${legacy} from generate_series(1, 1200) n`,
    );
    const secretC = "secret-c-secret-c-secret-c-secret-c-secret-c";
    const foreign = new AuthCipher({ current: secretC }).seal(legacy, keyAad(id, "session", "moved-from-elsewhere"));
    await client.db.execute(
      sql`insert into wa_auth_keys (session_id, type, key_id, value, seal_key_id) values (${id}, 'session', 'foreign', ${foreign.value}, ${foreign.sealKeyId})`,
    );
    const rotated = new AuthCipher({ current: SECRET_A, previous: secretC });
    const pass = await sealStoredAuthState(client.db, rotated, logger);
    expect(pass.keys).toBeGreaterThanOrEqual(1200);
    expect(pass.unreadable).toBe(1);
    const [left] = await client.db.execute<{ n: number }>(
      sql`select count(*)::int as n from wa_auth_keys where session_id = ${id} and seal_key_id is distinct from ${cipher.currentKeyId}`,
    );
    expect(left?.n).toBe(1); // the foreign row, untouched
    const keys = await loadAuthState(client.db, id, cipher, logger);
    const got = await keys.state.keys.get("session", ["k1", "k600", "k1200"]);
    expect(Object.values(got).map((v) => Buffer.from(v ?? []).toString())).toEqual(["legacy", "legacy", "legacy"]);
  });

  it("[ENCRYPTION]: a row rewritten after the pass read it keeps the newer write (compare-and-set per row of the batch)", async () => {
    const id = await newSession();
    const legacy = JSON.stringify(Buffer.from("legacy"), BufferJSON.replacer);
    await client.db.execute(
      sql`insert into wa_auth_keys (session_id, type, key_id, value) values (${id}, 'session', 'a', ${legacy}), (${id}, 'session', 'b', ${legacy})`,
    );
    const read = (await listKeysToSeal(client.db, [], [], 10_000)).filter((r) => r.sessionId === id);
    expect(read).toHaveLength(2);
    // a running session writes key b meanwhile
    const newer = cipher.seal(JSON.stringify(Buffer.from("newer"), BufferJSON.replacer), keyAad(id, "session", "b"));
    await client.db.execute(sql`update wa_auth_keys set value = ${newer.value}, seal_key_id = ${newer.sealKeyId} where session_id = ${id} and key_id = 'b'`);
    const batch = read.map((row) => {
      const aad = keyAad(row.sessionId, row.type, row.keyId);
      return { row, before: row, after: cipher.seal(cipher.open(row, aad), aad) };
    });
    expect(await resealAuthKeys(client.db, batch)).toBe(1);
    const got = await (await loadAuthState(client.db, id, cipher, logger)).state.keys.get("session", ["a", "b"]);
    expect(Buffer.from(got.a ?? []).toString()).toBe("legacy");
    expect(Buffer.from(got.b ?? []).toString()).toBe("newer");
  });
});
