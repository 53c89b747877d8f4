// Backfill against a simulated account: counts match the account and the database, advance while running,
// one job per session, clear failures, idempotent reruns.
import { DomainError } from "@wa/api";
import { schema, eq, sql } from "@wa/db";
import { getSession, type WaSession, countDirectory } from "@wa/db/queries";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayEngine } from "./engine.ts";
import { createHarness, until, type Harness } from "../test/harness.ts";

let h: Harness;
let engine: GatewayEngine;
let session: WaSession;
const phoneNumber = "6281400000001";
const scenario = { seed: "backfill-test", contacts: 3_000, groups: 40, membersPerGroup: 25 };

const row = async (id: string) => {
  const s = await getSession(h.db.db, id);
  if (!s) throw new Error("session vanished");
  return s;
};
const finished = (e: GatewayEngine, id: string) =>
  until(() => {
    const job = e.backfill.peek(id);
    return job && job.status !== "running" ? job : null;
  }, "backfill to finish", 60_000, 10);

beforeAll(async () => {
  h = await createHarness({ sim: { historyChunkSize: 1_000, slowUnitMs: 100 }, engine: { backfillBatchSize: 250 } });
  engine = await h.engine();
  const created = await h.createSession("backfill");
  await h.pair(engine, created.id, { phoneNumber, scenario });
  session = await row(created.id);
  // the history sync (contacts) is captured as it arrives
  await until(async () => (await countDirectory(h.db.db, session.id)).contacts === scenario.contacts, "history contacts", 30_000);
});
afterAll(async () => {
  await h?.close();
});

describe("backfill", () => {
  it("a fresh engine has no job (get → null)", () => {
    expect(engine.backfill.peek(session.id)).toBeNull();
  });

  it("concurrent starts: exactly one job runs, the others get conflict; counts rise during a slowed run and end equal to the account and the database", async () => {
    h.sim.control.slowDown(phoneNumber, 5);
    const attempts = await Promise.all(
      Array.from({ length: 8 }, () =>
        engine.backfill.start(session.id).then(
          (job) => ({ job, err: undefined }),
          (err: unknown) => ({ job: undefined, err }),
        ),
      ),
    );
    const started = attempts.filter((a) => a.job);
    const refused = attempts.filter((a) => a.err);
    expect(started).toHaveLength(1);
    expect(refused).toHaveLength(7);
    for (const r of refused) expect(r.err).toBeInstanceOf(DomainError);
    for (const r of refused) expect((r.err as DomainError).code).toBe("conflict");
    const job = started[0]?.job;
    expect(job?.status).toBe("running");
    expect(job?.finishedAt).toBeNull();

    const seen: string[] = [];
    const final = await until(() => {
      const j = engine.backfill.peek(session.id);
      if (j) seen.push(`${j.contacts}/${j.groups}/${j.groupMembers}`);
      return j && j.status !== "running" ? j : null;
    }, "backfill to finish", 60_000, 2);
    h.sim.control.slowDown(phoneNumber, 1);

    expect(final.error).toBeNull();
    expect(final.status).toBe("succeeded");
    expect(final.id).toBe(job?.id);
    expect(final.finishedAt).toBeGreaterThanOrEqual(final.startedAt);
    const distinct = [...new Set(seen)];
    // contacts in 12 batches of 250, members in ~40 batches: many intermediate values were visible
    expect(distinct.length).toBeGreaterThan(5);
    const contactSteps = [...new Set(seen.map((s) => Number(s.split("/")[0])))];
    expect(contactSteps.some((c) => c > 0 && c < scenario.contacts)).toBe(true);

    const account = h.sim.control.account(phoneNumber);
    expect({ contacts: final.contacts, groups: final.groups, groupMembers: final.groupMembers }).toEqual(account.counts);
    expect(await countDirectory(h.db.db, session.id)).toEqual(account.counts);

    // the rows carry what the phone has: names, LIDs, subjects, roles
    const contacts = await h.db.db.select().from(schema.contacts).where(eq(schema.contacts.sessionId, session.id));
    const byJid = new Map(contacts.map((c) => [c.jid, c]));
    for (const c of account.contactRows.slice(0, 200)) {
      expect(byJid.get(c.jid)).toMatchObject({ name: c.name, lidJid: c.lid, phoneJid: c.jid });
    }
    const groups = await h.db.db.select().from(schema.groups).where(eq(schema.groups.sessionId, session.id));
    const subjects = new Map(groups.map((g) => [g.jid, g.subject]));
    for (const g of account.groupRows) expect(subjects.get(g.jid)).toBe(g.subject);
    const members = await h.db.db.select().from(schema.groupMembers).where(eq(schema.groupMembers.sessionId, session.id));
    const roles = new Map(members.map((m) => [`${m.groupJid} ${m.memberJid}`, m.role]));
    for (const m of account.memberships) expect(roles.get(`${m.groupJid} ${m.jid}`)).toBe(m.role);
  });

  it("a rerun is idempotent: same counts, no new rows", async () => {
    const before = await countDirectory(h.db.db, session.id);
    await engine.backfill.start(session.id);
    const job = await finished(engine, session.id);
    expect(job.status).toBe("succeeded");
    expect(await countDirectory(h.db.db, session.id)).toEqual(before);
    expect({ contacts: job.contacts, groups: job.groups, groupMembers: job.groupMembers }).toEqual(before);
  });

  it("stored state out of date (a departed member, a missing one, a wrong role, a lost phone number, a group since left): a rerun writes back exactly the account", async () => {
    const account = h.sim.control.account(phoneNumber);
    const [a, b, c, d] = account.groupRows.map((g) => g.jid);
    if (!a || !b || !c || !d) throw new Error("the scenario has fewer than 4 groups");
    const firstOf = (groupJid: string) => account.memberships.find((m) => m.groupJid === groupJid)?.jid ?? "?";
    await h.db.db.execute(sql`
      insert into group_members (session_id, group_jid, member_jid, phone_jid, role, created_at, updated_at)
      values (${session.id}, ${a}, '6289999999999@s.whatsapp.net', '6289999999999@s.whatsapp.net', 'member', now(), now())`);
    await h.db.db.execute(sql`delete from group_members where session_id = ${session.id} and group_jid = ${b} and member_jid = ${firstOf(b)}`);
    await h.db.db.execute(sql`
      update group_members set role = case when role = 'member' then 'admin' else 'member' end
      where session_id = ${session.id} and group_jid = ${c} and member_jid = ${firstOf(c)}`);
    await h.db.db.execute(sql`update group_members set phone_jid = null where session_id = ${session.id} and group_jid = ${d}`);
    await h.db.db.execute(sql`
      insert into groups (session_id, jid, subject, created_at, updated_at)
      values (${session.id}, '120363000000000001@g.us', 'left long ago', now(), now())`);
    await h.db.db.execute(sql`
      insert into group_members (session_id, group_jid, member_jid, role, created_at, updated_at)
      values (${session.id}, '120363000000000001@g.us', '6289999999998@s.whatsapp.net', 'member', now(), now())`);

    await engine.backfill.start(session.id);
    const job = await finished(engine, session.id);
    expect(job.error).toBeNull();
    expect({ contacts: job.contacts, groups: job.groups, groupMembers: job.groupMembers }).toEqual(account.counts);
    expect(await countDirectory(h.db.db, session.id)).toEqual(account.counts);
    const members = await h.db.db.select().from(schema.groupMembers).where(eq(schema.groupMembers.sessionId, session.id));
    const key = (groupJid: string, memberJid: string, role: string) => `${groupJid} ${memberJid} ${role}`;
    expect(members.map((m) => key(m.groupJid, m.memberJid, m.role)).sort()).toEqual(
      account.memberships.map((m) => key(m.groupJid, m.jid, m.role)).sort(),
    );
    expect(members.filter((m) => m.groupJid === d).every((m) => m.phoneJid !== null)).toBe(true);
    const groups = await h.db.db.select({ jid: schema.groups.jid }).from(schema.groups).where(eq(schema.groups.sessionId, session.id));
    expect(groups.map((g) => g.jid).sort()).toEqual(account.groupRows.map((g) => g.jid).sort());
  });

  it("the connection drops mid-run: failed with the reason; a rerun completes without duplicates", async () => {
    h.sim.control.slowDown(phoneNumber, 40);
    const job = await engine.backfill.start(session.id);
    // contacts are done and the (slowed) live group fetch is in flight
    await until(() => (engine.backfill.peek(session.id)?.contacts ?? 0) === scenario.contacts, "contacts phase", 20_000, 5);
    expect(h.sim.control.fault({ phoneNumber, kind: "drop" }).affected).toBe(1);
    const failed = await finished(engine, session.id);
    expect(failed.id).toBe(job.id);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/^connection lost: /);
    h.sim.control.slowDown(phoneNumber, 1);

    await h.waitForStatus(session.id, "working", 20_000);
    await until(() => engine.manager.connection(session.id), "connection back");
    const rerun = await engine.backfill.start(session.id);
    expect(rerun.id).not.toBe(job.id);
    const done = await finished(engine, session.id);
    expect(done.status).toBe("succeeded");
    const account = h.sim.control.account(phoneNumber);
    expect(await countDirectory(h.db.db, session.id)).toEqual(account.counts);
    expect({ contacts: done.contacts, groups: done.groups, groupMembers: done.groupMembers }).toEqual(account.counts);
  });

  it("a database failure ends the job with a short reason: no statement, no parameters, no personal data", async () => {
    // A backfill writes only what changed: one stored subject out of date gives it a group to write.
    await h.db.db.execute(sql`
      update groups set subject = 'out of date'
      where session_id = ${session.id} and jid = (select min(jid) from groups where session_id = ${session.id})`);
    // Every write to `groups` fails as a deadlock would (a statement trigger fires even when no row changes).
    await h.db.db.execute(sql`
      create function fail_like_a_deadlock() returns trigger language plpgsql as $$
      begin raise exception 'deadlock detected' using errcode = '40P01'; end $$`);
    await h.db.db.execute(sql`
      create trigger groups_deadlock before insert or update on groups
      for each statement execute function fail_like_a_deadlock()`);
    try {
      await engine.backfill.start(session.id);
      const failed = await finished(engine, session.id);
      expect(failed.status).toBe("failed");
      expect(failed.error).toBe("database write failed (deadlock)");
      const account = h.sim.control.account(phoneNumber);
      for (const leak of ["insert", "select", "params", account.groupRows[0]?.jid ?? "@g.us", account.groupRows[0]?.subject ?? "?"]) {
        expect(failed.error).not.toContain(leak);
      }
    } finally {
      await h.db.db.execute(sql`drop trigger groups_deadlock on groups`);
      await h.db.db.execute(sql`drop function fail_like_a_deadlock()`);
    }
  });

  it("a stopped session: failed with `session not connected`", async () => {
    await engine.sessions.stop(session.id);
    const stopped = await row(session.id);
    expect(stopped.status).toBe("stopped");
    const job = await engine.backfill.start(stopped.id);
    expect(job.status).toBe("running");
    const failed = await finished(engine, session.id);
    expect(failed).toMatchObject({ status: "failed", error: "session not connected" });
    expect(failed.finishedAt).not.toBeNull();
  });

  it("after a gateway restart there is no job on record", async () => {
    const fresh = await h.engine({}, { boot: false });
    expect(fresh.backfill.peek(session.id)).toBeNull();
    await fresh.shutdown();
  });
});
