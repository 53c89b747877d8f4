// The event log's order: ids increase per organization in commit order, so a reader resuming after an id never
// skips an event, even when the transactions that wrote them overlap and would commit out of order.
import { sql } from "drizzle-orm";
import { encodeTime } from "ulid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDbClient, type DbClient } from "../client.ts";
import { newId } from "../ids.ts";
import { organizations } from "../schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { appendEvent, EVENT_ID_ZERO, eventIdTime, listEventsAfter, pruneEvents } from "./events.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("event log", () => {
  let t: TestDatabase;
  /** A second pool, so two transactions really overlap (PGlite serializes them: the test still holds there). */
  let other: DbClient;
  let org: string;
  let otherOrg: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    other = createDbClient(t.url, { max: 4 });
    org = newId();
    otherOrg = newId();
    await t.db.insert(organizations).values([
      { id: org, name: "Events A" },
      { id: otherOrg, name: "Events B" },
    ]);
  });
  afterAll(async () => {
    await other?.close();
    await t?.close();
  });

  it("[EVENTS][ORDER] a transaction that appends later but would commit first waits, and takes the larger id", async (ctx) => {
    // Needs two transactions open at once: PGlite has one backend and runs transactions one after another.
    if (t.kind === "pglite") ctx.skip();
    let releaseFirst = () => {};
    const firstMayCommit = new Promise<void>((r) => (releaseFirst = r));
    let firstId = "";
    let secondId = "";
    // First: appends, then stays open (a slow change).
    const first = t.db.transaction(async (tx) => {
      firstId = (await appendEvent(tx, { organizationId: org, sessionId: null, type: "session.status", data: { n: 1 } })).id;
      await firstMayCommit;
    });
    while (!firstId) await sleep(5);
    // Second: starts later, appends and wants to commit at once.
    let secondDone = false;
    const second = other.db
      .transaction(async (tx) => {
        secondId = (await appendEvent(tx, { organizationId: org, sessionId: null, type: "session.status", data: { n: 2 } })).id;
      })
      .then(() => (secondDone = true));
    // A reader between the two sees neither (first is open), and the second cannot commit ahead of the first.
    await sleep(300);
    if (t.kind === "postgres") expect(secondDone).toBe(false);
    const seenBefore = await listEventsAfter(t.db, { organizationId: org, after: EVENT_ID_ZERO, limit: 10 });
    if (t.kind === "postgres") expect(seenBefore).toEqual([]);
    releaseFirst();
    await first;
    // A reader right after the first commit resumes from its id…
    const afterFirst = await listEventsAfter(t.db, { organizationId: org, after: EVENT_ID_ZERO, limit: 10 });
    const cursor = afterFirst[afterFirst.length - 1]?.id ?? EVENT_ID_ZERO;
    await second;
    // …and still gets the second: it was given a larger id than the first, although it began its append later.
    expect(secondId > firstId).toBe(true);
    const resumed = await listEventsAfter(t.db, { organizationId: org, after: cursor, limit: 10 });
    expect([...afterFirst, ...resumed].map((e) => e.id)).toEqual([firstId, secondId]);
  });

  it("[EVENTS][ORDER] concurrent writers committing in random order: a tailing reader gets every id once, ascending", async (ctx) => {
    // Needs two transactions open at once: PGlite has one backend and runs transactions one after another.
    if (t.kind === "pglite") ctx.skip();
    const written: string[] = [];
    const seen: string[] = [];
    let writing = true;
    let cursor = (await listEventsAfter(t.db, { organizationId: org, after: EVENT_ID_ZERO, limit: 1000 })).at(-1)?.id ?? EVENT_ID_ZERO;
    const reader = (async () => {
      while (writing || seen.length < written.length) {
        const page = await listEventsAfter(other.db, { organizationId: org, after: cursor, limit: 50 });
        for (const e of page) {
          seen.push(e.id);
          cursor = e.id;
        }
        await sleep(2);
      }
    })();
    const pools = [t.db, other.db];
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (pools[i % 2] ?? t.db).transaction(async (tx) => {
          // Overlapping transactions: random work before and after the append, so commits land out of start order.
          await sleep(Math.random() * 10);
          const { id } = await appendEvent(tx, { organizationId: org, sessionId: `s${i}`, type: "message.received", data: { i } });
          await sleep(Math.random() * 10);
          written.push(id);
        }),
      ),
    );
    writing = false;
    await reader;
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...written].sort());
  });

  it("ids stay increasing within one millisecond and when the clock is behind the last id; organizations are apart", async () => {
    const ids = await t.db.transaction(async (tx) => {
      const out: string[] = [];
      for (let i = 0; i < 20; i++) out.push((await appendEvent(tx, { organizationId: otherOrg, sessionId: null, type: "session.status", data: {} })).id);
      return out;
    });
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
    // A gateway whose clock runs an hour ahead wrote last: the next id still follows it.
    const ahead = `${encodeTime(Date.now() + 3_600_000, 10)}ZZZZZZZZZZZZZZZX`;
    await t.db.execute(sql`update event_sequences set last_id = ${ahead} where organization_id = ${otherOrg}`);
    const next = (await t.db.transaction((tx) => appendEvent(tx, { organizationId: otherOrg, sessionId: null, type: "session.status", data: {} }))).id;
    expect(next > ahead).toBe(true);
    expect(next).toBe(`${ahead.slice(0, 25)}Y`);
    expect((await listEventsAfter(t.db, { organizationId: org, after: EVENT_ID_ZERO, limit: 1000 })).some((e) => e.organizationId !== org)).toBe(false);
    expect(eventIdTime(ids[0] ?? "")).toBeGreaterThan(Date.now() - 60_000);
  });

  it("pruning deletes only events older than the cut-off", async () => {
    const old = newId();
    await t.db.execute(
      sql`insert into events (id, organization_id, type, data, created_at) values (${old}, ${org}, 'session.status', '{}'::jsonb, now() - interval '8 days')`,
    );
    const before = (await listEventsAfter(t.db, { organizationId: org, after: EVENT_ID_ZERO, limit: 1000 })).length;
    expect(await pruneEvents(t.db, new Date(Date.now() - 7 * 86_400_000))).toBe(1);
    const after = await listEventsAfter(t.db, { organizationId: org, after: EVENT_ID_ZERO, limit: 1000 });
    expect(after.length).toBe(before - 1);
    expect(after.some((e) => e.id === old)).toBe(false);
  });
});
