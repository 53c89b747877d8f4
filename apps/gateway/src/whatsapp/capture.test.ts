// EventCapture writes contacts, LID mappings, groups and memberships from Baileys events as they arrive.
import { EventEmitter } from "node:events";
import { eq, newId, schema, and, type DbClient } from "@wa/db";
import { createSession, countDirectory } from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { proto, type BaileysEventMap } from "@whiskeysockets/baileys";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventCapture } from "./capture.ts";

let testDb: TestDatabase;
let client: DbClient;
let organizationId: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  client = testDb;
  organizationId = newId();
  await client.db.insert(schema.organizations).values({ id: organizationId, name: "capture tests" });
});
afterAll(async () => {
  await testDb.close();
});

function setup() {
  const emitter = new EventEmitter();
  const ev = {
    on: <K extends keyof BaileysEventMap>(e: K, l: (arg: BaileysEventMap[K]) => void) => emitter.on(e, l),
    off: <K extends keyof BaileysEventMap>(e: K, l: (arg: BaileysEventMap[K]) => void) => emitter.off(e, l),
  };
  const emit = <K extends keyof BaileysEventMap>(e: K, arg: BaileysEventMap[K]) => emitter.emit(e, arg);
  return { ev, emit };
}

describe("event capture", () => {
  it("writes contacts from history sync and contact events, merges names, applies LID mappings, skips self", async () => {
    const sessionId = (await createSession(client.db, { organizationId, gatewayId: "gw" })).id;
    const capture = new EventCapture(client.db, sessionId, pino({ level: "silent" }));
    capture.setSelf(["620000000001:3@s.whatsapp.net", "99000001@lid"]);
    const { ev, emit } = setup();
    capture.attach(ev);
    const many = Array.from({ length: 2_500 }, (_, i) => ({
      id: `6281${String(i).padStart(8, "0")}@s.whatsapp.net`,
      name: `Person ${i}`,
      lid: `7000${i}@lid`,
      phoneNumber: `6281${String(i).padStart(8, "0")}@s.whatsapp.net`,
    }));
    emit("messaging-history.set", {
      contacts: [...many, { id: "620000000001@s.whatsapp.net", notify: "me" }],
      chats: [],
      messages: [],
      isLatest: true,
    });
    emit("contacts.update", [{ id: "628100000000@s.whatsapp.net", notify: "Pushy" }]);
    emit("contacts.upsert", [{ id: "5550001@lid", notify: "Only LID" }]);
    emit("lid-mapping.update", { pn: "5550002@s.whatsapp.net", lid: "5550001@lid" });
    emit("contacts.upsert", [{ id: "120363000000000001@g.us", name: "a group is not a contact" }]);
    await capture.idle();

    const counts = await countDirectory(client.db, sessionId);
    expect(counts.contacts).toBe(2_501);
    const [first] = await client.db
      .select()
      .from(schema.contacts)
      .where(and(eq(schema.contacts.sessionId, sessionId), eq(schema.contacts.jid, "628100000000@s.whatsapp.net")));
    expect(first).toMatchObject({ name: "Person 0", notify: "Pushy", lidJid: "70000@lid" });
    const [lidOnly] = await client.db
      .select()
      .from(schema.contacts)
      .where(and(eq(schema.contacts.sessionId, sessionId), eq(schema.contacts.jid, "5550001@lid")));
    expect(lidOnly).toMatchObject({ phoneJid: "5550002@s.whatsapp.net", lidJid: "5550001@lid", notify: "Only LID" });

    // detached: nothing more is written
    capture.detach();
    emit("contacts.upsert", [{ id: "6289999999@s.whatsapp.net", name: "late" }]);
    await capture.idle();
    expect((await countDirectory(client.db, sessionId)).contacts).toBe(2_501);
  });

  it("writes groups with members and follows participant changes", async () => {
    const sessionId = (await createSession(client.db, { organizationId, gatewayId: "gw" })).id;
    const capture = new EventCapture(client.db, sessionId, pino({ level: "silent" }));
    const { ev, emit } = setup();
    capture.attach(ev);
    const g = "120363000000000002@g.us";
    emit("groups.upsert", [
      {
        id: g,
        subject: "Hiking",
        owner: "111@s.whatsapp.net",
        creation: 1_700_000_000,
        participants: [
          { id: "111@s.whatsapp.net", admin: "superadmin" },
          { id: "222@s.whatsapp.net", lid: "2220@lid", admin: null },
          { id: "333@lid", phoneNumber: "333@s.whatsapp.net", admin: "admin" },
        ],
      },
    ]);
    emit("groups.update", [{ id: g, subject: "Hiking club" }]);
    emit("group-participants.update", { id: g, author: "111@s.whatsapp.net", action: "add", participants: [{ id: "444@s.whatsapp.net" }] });
    emit("group-participants.update", { id: g, author: "111@s.whatsapp.net", action: "promote", participants: [{ id: "222@s.whatsapp.net" }] });
    emit("group-participants.update", { id: g, author: "111@s.whatsapp.net", action: "remove", participants: [{ id: "333@s.whatsapp.net" }] });
    // a change in a group we have not seen yet creates its row first
    emit("group-participants.update", {
      id: "120363000000000003@g.us",
      author: "x@s.whatsapp.net",
      action: "add",
      participants: [{ id: "555@s.whatsapp.net" }],
    });
    await capture.idle();

    const groups = await client.db.select().from(schema.groups).where(eq(schema.groups.sessionId, sessionId));
    expect(groups.find((x) => x.jid === g)).toMatchObject({ subject: "Hiking club", ownerJid: "111@s.whatsapp.net", size: 3 });
    expect(groups.find((x) => x.jid === g)?.creation?.getTime()).toBe(1_700_000_000_000);
    const members = await client.db
      .select()
      .from(schema.groupMembers)
      .where(and(eq(schema.groupMembers.sessionId, sessionId), eq(schema.groupMembers.groupJid, g)));
    const roles = Object.fromEntries(members.map((m) => [m.memberJid, m.role]));
    expect(roles).toEqual({
      "111@s.whatsapp.net": "superadmin",
      "222@s.whatsapp.net": "admin",
      "444@s.whatsapp.net": "member",
    });
    expect(members.find((m) => m.memberJid === "222@s.whatsapp.net")?.lidJid).toBe("2220@lid");
    expect(await countDirectory(client.db, sessionId)).toEqual({ contacts: 0, groups: 2, groupMembers: 4 });
  });

  it("a new connection that expects no history ends the watch over a sync the previous one left unfinished", async () => {
    const sessionId = (await createSession(client.db, { organizationId, gatewayId: "gw" })).id;
    const capture = new EventCapture(client.db, sessionId, pino({ level: "silent" }));
    const first = setup();
    capture.attach(first.ev, { historyExpected: true });
    first.emit("messaging-history.set", {
      contacts: [],
      chats: [],
      messages: [],
      syncType: proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
      progress: 40,
    });
    expect(capture.history.inProgress).toBe(true);
    let released = false;
    void capture.history.settled().then(() => (released = true));

    // The connection drops mid-sync; the next one's creds have finished an account sync (accountSyncCounter > 0).
    capture.detach();
    capture.attach(setup().ev, { historyExpected: false });
    expect(capture.history.inProgress).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(released).toBe(true); // a backfill waiting on the sync goes on instead of timing out
    capture.detach();
  });
});
