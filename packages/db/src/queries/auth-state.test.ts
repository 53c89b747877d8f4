// Signal key rows: reads and writes of any size are each one statement text. postgres.js prepares every distinct
// text once per connection and keeps it for the connection's life, and drizzle builds a multi-row insert's
// parameter list anew for every row (a pairing writes 812 pre-keys at once): constant texts with array/JSON
// parameters keep both the driver's cache and the garbage of each write small.
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../client.ts";
import { newId } from "../ids.ts";
import * as schema from "../schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { applyAuthKeyChanges, countAuthKeys, readAuthKeys } from "./auth-state.ts";

let t: TestDatabase;
let traced: postgres.Sql;
let db: Database;
/** Every statement text the traced client sent that touches the key table. */
const texts: string[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  traced = postgres(t.url, {
    max: 1,
    onnotice: () => {},
    debug: (_connection, query) => {
      if (query.includes("wa_auth_keys")) texts.push(query);
    },
  });
  db = drizzle(traced, { schema, casing: "snake_case" });
  await t.db.insert(schema.organizations).values({ id: "org-keys", name: "org-keys" });
});

afterAll(async () => {
  await traced?.end({ timeout: 5 });
  await t?.close();
});

const newSession = async () => {
  const id = newId();
  await t.db.insert(schema.waSessions).values({ id, organizationId: "org-keys", gatewayId: "gw-a", status: "working" });
  return id;
};
const keys = (n: number, prefix = "k") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe("auth key statements", () => {
  it("writes of 1, 3 and 812 keys (and deletes) are one statement text", async () => {
    const id = await newSession();
    texts.length = 0;
    for (const n of [1, 3, 812]) {
      const upserts = keys(n, `w${n}-`).map((keyId) => ({ type: "pre-key", keyId, value: `v-${keyId}`, sealKeyId: null }));
      await applyAuthKeyChanges(db, id, { upserts, deletes: [] });
    }
    await applyAuthKeyChanges(db, id, { upserts: [], deletes: keys(2, "w812-").map((keyId) => ({ type: "pre-key", keyId })) });
    expect(await countAuthKeys(t.db, id)).toBe(1 + 3 + 812 - 2);
    expect(new Set(texts).size).toBe(1);
  });

  it("reads of 1, 7 and 1 500 ids are one statement text, and find what is stored", async () => {
    const id = await newSession();
    const upserts = keys(1500).map((keyId) => ({ type: "session", keyId, value: `v-${keyId}`, sealKeyId: null }));
    await applyAuthKeyChanges(db, id, { upserts, deletes: [] });
    texts.length = 0;
    for (const n of [1, 7, 1500]) {
      const wanted = [...keys(n), "absent", "quote'\"{,}"];
      const found = await readAuthKeys(db, id, "session", wanted);
      expect(found.size).toBe(n);
      expect(found.get(`k${n - 1}`)?.value).toBe(`v-k${n - 1}`);
    }
    expect((await readAuthKeys(db, id, "session", [])).size).toBe(0);
    expect(new Set(texts).size).toBe(1);
  });
});
