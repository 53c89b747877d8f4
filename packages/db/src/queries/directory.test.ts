import { and, eq, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Executor } from "../client.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../ids.ts";
import { groupMembers, groups, organizations, waSessions } from "../schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { sql } from "drizzle-orm";
import { countContacts, countContactsPage, syncGroups, upsertContacts, upsertGroupMembers, upsertGroups, type GroupMemberUpsert, type GroupUpsert } from "./directory.ts";

const G1 = "111@g.us";
const G2 = "222@g.us";
const OTHER = "999@g.us";
const member = (groupJid: string, n: number, role: GroupMemberUpsert["role"] = "member"): GroupMemberUpsert => ({
  groupJid,
  memberJid: `${n}@s.whatsapp.net`,
  phoneJid: `${n}@s.whatsapp.net`,
  lidJid: null,
  role,
});

describe("syncGroups", () => {
  let t: TestDatabase;
  const sessionId = newId();

  beforeAll(async () => {
    t = await createTestDatabase();
    await t.db.insert(organizations).values({ id: "org-dir", name: "org-dir" });
    await t.db.insert(waSessions).values({ id: sessionId, organizationId: "org-dir", gatewayId: "gw", label: "dir" });
  });
  afterAll(async () => {
    await t.close();
  });

  const storedMembers = async (groupJid: string) =>
    (
      await t.db
        .select({ m: groupMembers.memberJid, role: groupMembers.role, lid: groupMembers.lidJid })
        .from(groupMembers)
        .where(and(eq(groupMembers.sessionId, sessionId), eq(groupMembers.groupJid, groupJid)))
        .orderBy(groupMembers.memberJid)
    ).map((r) => `${r.m}:${r.role}:${r.lid ?? "-"}`);

  it("writes new groups with their members in one call, then nothing when nothing changed", async () => {
    // a group outside the batch keeps its members throughout
    const other: GroupUpsert = { jid: OTHER, subject: "other" };
    expect(await syncGroups(t.db, sessionId, [other], [member(OTHER, 1)])).toEqual({
      groupsWritten: 1,
      membersWritten: 1,
      membersRemoved: 0,
    });

    const batch: GroupUpsert[] = [
      { jid: G1, subject: "one", size: 3 },
      { jid: G2, subject: "two", size: 2 },
    ];
    const members = [member(G1, 1, "superadmin"), member(G1, 2), member(G1, 3), member(G2, 1), member(G2, 4)];
    expect(await syncGroups(t.db, sessionId, batch, members)).toEqual({
      groupsWritten: 2,
      membersWritten: 5,
      membersRemoved: 0,
    });
    expect(await storedMembers(G1)).toEqual([
      "1@s.whatsapp.net:superadmin:-",
      "2@s.whatsapp.net:member:-",
      "3@s.whatsapp.net:member:-",
    ]);
    // the same data again: no row is written (not even a no-op update)
    expect(await syncGroups(t.db, sessionId, batch, members)).toEqual({
      groupsWritten: 0,
      membersWritten: 0,
      membersRemoved: 0,
    });
  });

  it("writes only the changes: a new role, a new member, a member who left, a changed subject", async () => {
    const [before] = await t.db
      .select({ updatedAt: groups.updatedAt })
      .from(groups)
      .where(and(eq(groups.sessionId, sessionId), eq(groups.jid, G2)));
    const result = await syncGroups(
      t.db,
      sessionId,
      [{ jid: G1, subject: "one, renamed" }, { jid: G2, subject: "two" }],
      [
        member(G1, 1, "superadmin"),
        member(G1, 2, "admin"),
        // 3 left G1; 5 joined it
        member(G1, 5),
        member(G2, 1),
        // a LID learned for 4; an absent phone number keeps the stored one
        { groupJid: G2, memberJid: "4@s.whatsapp.net", phoneJid: null, lidJid: "44@lid", role: "member" },
      ],
    );
    expect(result).toEqual({ groupsWritten: 1, membersWritten: 3, membersRemoved: 1 });
    expect(await storedMembers(G1)).toEqual([
      "1@s.whatsapp.net:superadmin:-",
      "2@s.whatsapp.net:admin:-",
      "5@s.whatsapp.net:member:-",
    ]);
    expect(await storedMembers(G2)).toEqual(["1@s.whatsapp.net:member:-", "4@s.whatsapp.net:member:44@lid"]);
    const [g2Phone] = await t.db
      .select({ pn: groupMembers.phoneJid })
      .from(groupMembers)
      .where(and(eq(groupMembers.groupJid, G2), eq(groupMembers.memberJid, "4@s.whatsapp.net")));
    expect(g2Phone?.pn).toBe("4@s.whatsapp.net");
    const stored = await t.db.select().from(groups).where(eq(groups.sessionId, sessionId)).orderBy(groups.jid);
    expect(stored.map((g) => [g.jid, g.subject, g.size])).toEqual([
      [G1, "one, renamed", 3],
      [G2, "two", 2],
      [OTHER, "other", null],
    ]);
    // the unchanged group was not rewritten
    expect(stored.find((g) => g.jid === G2)?.updatedAt).toEqual(before?.updatedAt);
    expect(await storedMembers(OTHER)).toEqual(["1@s.whatsapp.net:member:-"]);
  });

  it("a batch equal to the stored state (members in any order) costs one read and no write", async () => {
    const statements: string[] = [];
    const dialect = new PgDialect();
    const recording = {
      ...t.db,
      execute: (query: SQL) => {
        statements.push(dialect.sqlToQuery(query).sql.trim().split(/\s+/)[0] ?? "");
        return t.db.execute(query);
      },
    } as unknown as Executor;
    const stored = [
      member(G1, 5),
      member(G1, 2, "admin"),
      member(G1, 1, "superadmin"),
      member(G2, 1),
      { groupJid: G2, memberJid: "4@s.whatsapp.net", phoneJid: "4@s.whatsapp.net", lidJid: "44@lid", role: "member" as const },
    ];
    expect(await syncGroups(recording, sessionId, [{ jid: G2, subject: "two" }, { jid: G1 }], stored)).toEqual({
      groupsWritten: 0,
      membersWritten: 0,
      membersRemoved: 0,
    });
    expect(statements).toEqual(["select"]);
    // one LID differs in one group: that group goes to the writing statement, and only its change is written
    statements.length = 0;
    const changed = stored.map((m) => (m.memberJid === "4@s.whatsapp.net" ? { ...m, lidJid: "45@lid" } : m));
    expect(await syncGroups(recording, sessionId, [{ jid: G2 }, { jid: G1 }], changed)).toEqual({
      groupsWritten: 0,
      membersWritten: 1,
      membersRemoved: 0,
    });
    expect(statements).toEqual(["select", "with"]);
    expect(await storedMembers(G2)).toEqual(["1@s.whatsapp.net:member:-", "4@s.whatsapp.net:member:45@lid"]);
    await syncGroups(t.db, sessionId, [{ jid: G2 }], stored.filter((m) => m.groupJid === G2));
  });

  it("empties a group whose batch lists no members", async () => {
    expect(await syncGroups(t.db, sessionId, [{ jid: G2 }], [])).toEqual({
      groupsWritten: 0,
      membersWritten: 0,
      membersRemoved: 2,
    });
    expect(await storedMembers(G2)).toEqual([]);
  });
});

describe("upserts of rows equal to the stored ones", () => {
  let t: TestDatabase;
  const sessionId = newId();

  beforeAll(async () => {
    t = await createTestDatabase();
    await t.db.insert(organizations).values({ id: "org-up", name: "org-up" });
    await t.db.insert(waSessions).values({ id: sessionId, organizationId: "org-up", gatewayId: "gw", label: "up" });
  });
  afterAll(async () => {
    await t.close();
  });

  /** A statement that locks or updates a row leaves its transaction in the row's xmax (and a new row version). */
  const versions = async (table: "contacts" | "groups" | "group_members") =>
    (await t.db.execute<{ v: string }>(sql`select ctid::text || '/' || xmax::text as v from ${sql.identifier(table)} order by 1`)).map(
      (r) => r.v,
    );
  const all = async () => [await versions("contacts"), await versions("groups"), await versions("group_members")];

  it("touch no stored row (no lock, no update); a changed row is still written", async () => {
    const contacts = [
      { jid: "1@s.whatsapp.net", name: "One", lidJid: "1@lid" },
      { jid: "2@s.whatsapp.net", name: "Two" },
    ];
    await upsertContacts(t.db, sessionId, contacts);
    await upsertGroups(t.db, sessionId, [{ jid: G1, subject: "one", size: 2 }]);
    await upsertGroupMembers(t.db, sessionId, [member(G1, 1, "admin"), member(G1, 2)]);
    const before = await all();
    // the same rows again, and rows with absent fields (which keep the stored values)
    await upsertContacts(t.db, sessionId, [...contacts, { jid: "1@s.whatsapp.net", name: null }]);
    await upsertGroups(t.db, sessionId, [{ jid: G1, subject: "one" }]);
    await upsertGroupMembers(t.db, sessionId, [member(G1, 1, "admin"), { ...member(G1, 2), phoneJid: null }]);
    expect(await all()).toEqual(before);

    await upsertContacts(t.db, sessionId, [{ jid: "2@s.whatsapp.net", name: "Two, renamed" }]);
    await upsertGroupMembers(t.db, sessionId, [member(G1, 2, "admin")]);
    const after = await all();
    expect(after[0]?.filter((v) => !before[0]?.includes(v))).toHaveLength(1);
    expect(after[2]?.filter((v) => !before[2]?.includes(v))).toHaveLength(1);
    const [two] = await t.db.execute<{ name: string }>(sql`select name from contacts where jid = '2@s.whatsapp.net'`);
    expect(two?.name).toBe("Two, renamed");
  });
});

describe("counting a session's contacts", () => {
  let t: TestDatabase;
  const sessionId = newId();
  const otherSession = newId();

  beforeAll(async () => {
    t = await createTestDatabase();
    await t.db.insert(organizations).values({ id: "org-count", name: "org-count" });
    await t.db.insert(waSessions).values([
      { id: sessionId, organizationId: "org-count", gatewayId: "gw", label: "count" },
      { id: otherSession, organizationId: "org-count", gatewayId: "gw", label: "other" },
    ]);
    await upsertContacts(t.db, sessionId, [5, 1, 4, 2, 3].map((n) => ({ jid: `62800${n}@s.whatsapp.net`, name: `c${n}` })));
    await upsertContacts(t.db, otherSession, [{ jid: "628009@s.whatsapp.net" }]);
  });
  afterAll(async () => {
    await t.close();
  });

  it("pages by jid, giving each page's size and last jid (no rows), and the total at once", async () => {
    const pages: { count: number; lastJid: string | null }[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await countContactsPage(t.db, sessionId, after, 2);
      pages.push(page);
      if (page.count < 2) break;
      after = page.lastJid;
    }
    expect(pages).toEqual([
      { count: 2, lastJid: "628002@s.whatsapp.net" },
      { count: 2, lastJid: "628004@s.whatsapp.net" },
      { count: 1, lastJid: "628005@s.whatsapp.net" },
    ]);
    expect(await countContactsPage(t.db, sessionId, "628005@s.whatsapp.net", 2)).toEqual({ count: 0, lastJid: null });
    expect(await countContacts(t.db, sessionId)).toBe(5);
  });
});
