import { upsertContacts, upsertGroups } from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACME, callerFactory, createFakePorts, createTestApiKey, outcome, seedFixture, type Fixture } from "../testing/index.ts";

describe("recipients router", () => {
  let t: TestDatabase;
  let f: Fixture;
  let call: ReturnType<typeof callerFactory>;
  let acmeSession: string;
  let globexSession: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    f = await seedFixture(t.db);
    call = callerFactory(t.db, createFakePorts({ db: t.db, gatewayId: "gw-test-1" }));
    acmeSession = (await call(f.acmeOwner).sessions.create({ label: "acme line" })).id;
    globexSession = (await call(f.globexOwner).sessions.create({ label: "globex line" })).id;
    await upsertContacts(t.db, acmeSession, [{ jid: "6281100000001@s.whatsapp.net", name: "Alice" }]);
    await upsertGroups(t.db, acmeSession, [{ jid: "120363000000000001@g.us", subject: "Alice fans", size: 4 }]);
    await upsertContacts(t.db, globexSession, [{ jid: "6281100000002@s.whatsapp.net", name: "Alice at Globex" }]);
  });
  afterAll(() => t.close());

  it("a member (read) searches the session's contacts and groups", async () => {
    const found = await call(f.acmeMember).recipients.search({ session: acmeSession, q: "ali" });
    expect(found.data).toEqual([
      { kind: "group", jid: "120363000000000001@g.us", name: "Alice fans", phoneNumber: null, size: 4 },
      { kind: "contact", jid: "6281100000001@s.whatsapp.net", name: "Alice", phoneNumber: "6281100000001", size: null },
    ]);
  });

  it("another organization's session is not found; a key without read is forbidden; unknown fields are refused", async () => {
    expect(await outcome(call(f.acmeOwner).recipients.search({ session: globexSession, q: "alice" }))).toBe("not_found");
    const sendOnly = (await createTestApiKey(t.db, ACME, ["send"])).principal;
    expect(await outcome(call(sendOnly).recipients.search({ session: acmeSession }))).toBe("forbidden");
    expect(await outcome(call(f.acmeOwner).recipients.search({ session: acmeSession, limit: 5 } as never))).toBe("validation_error");
  });
});
