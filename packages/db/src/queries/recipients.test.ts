import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { organizations, waSessions } from "../schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { upsertContacts, upsertGroups } from "./directory.ts";
import { searchRecipients } from "./recipients.ts";

describe("searchRecipients", () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase();
    await t.db.insert(organizations).values({ id: "org-r", name: "org-r" });
    await t.db.insert(waSessions).values([
      { id: "s-1", organizationId: "org-r", gatewayId: "gw-a" },
      { id: "s-2", organizationId: "org-r", gatewayId: "gw-a" },
    ]);
    await upsertContacts(t.db, "s-1", [
      { jid: "6281100000001@s.whatsapp.net", name: "Alice Anders" },
      { jid: "6281100000002@s.whatsapp.net", notify: "bob (push name)" },
      { jid: "111222333@lid", phoneJid: "6281100000003@s.whatsapp.net", lidJid: "111222333@lid", name: "Carol 100%" },
      { jid: "444555666@lid", verifiedName: "Dana Shop" },
    ]);
    await upsertGroups(t.db, "s-1", [
      { jid: "120363000000000001@g.us", subject: "Alice's book club", size: 12 },
      { jid: "120363000000000002@g.us", subject: "Ops", size: 3 },
    ]);
    await upsertContacts(t.db, "s-2", [{ jid: "6289900000009@s.whatsapp.net", name: "Alice elsewhere" }]);
  });
  afterAll(() => t.close());

  it("matches names, push names and group subjects as substrings, case-insensitively, groups first", async () => {
    const found = await searchRecipients(t.db, { sessionId: "s-1", q: "alice", limit: 10 });
    expect(found).toEqual([
      { kind: "group", jid: "120363000000000001@g.us", name: "Alice's book club", phoneNumber: null, size: 12 },
      { kind: "contact", jid: "6281100000001@s.whatsapp.net", name: "Alice Anders", phoneNumber: "6281100000001", size: null },
    ]);
    expect((await searchRecipients(t.db, { sessionId: "s-1", q: "PUSH", limit: 10 })).map((r) => r.name)).toEqual(["bob (push name)"]);
    expect((await searchRecipients(t.db, { sessionId: "s-1", q: "shop", limit: 10 })).map((r) => r.jid)).toEqual(["444555666@lid"]);
  });

  it("offers a contact's phone-number JID when its LID is known too, and matches number prefixes", async () => {
    const found = await searchRecipients(t.db, { sessionId: "s-1", q: "+62 811 0000 0003", limit: 10 });
    expect(found).toEqual([
      { kind: "contact", jid: "6281100000003@s.whatsapp.net", name: "Carol 100%", phoneNumber: "6281100000003", size: null },
    ]);
    expect((await searchRecipients(t.db, { sessionId: "s-1", q: "62811", limit: 10 })).length).toBe(3);
  });

  it("treats % and _ literally and stays inside the session", async () => {
    expect((await searchRecipients(t.db, { sessionId: "s-1", q: "100%", limit: 10 })).map((r) => r.name)).toEqual(["Carol 100%"]);
    expect(await searchRecipients(t.db, { sessionId: "s-1", q: "_", limit: 10 })).toEqual([]);
    expect((await searchRecipients(t.db, { sessionId: "s-2", q: "alice", limit: 10 })).map((r) => r.name)).toEqual(["Alice elsewhere"]);
  });

  it("lists the first ones by name without a term, at most `limit` of each kind", async () => {
    const found = await searchRecipients(t.db, { sessionId: "s-1", limit: 1 });
    expect(found.map((r) => r.name)).toEqual(["Alice's book club", "Alice Anders"]);
  });
});
