// Backfill started while the initial history sync is still arriving (0–2 s after pairing a 10 000-contact
// account): the job waits for or merges with the live capture, never deadlocks with it, and ends `succeeded`
// with exactly the account's contacts, groups and members — or not `succeeded` at all.
// BACKFILL_TIMING_RUNS sets the runs per offset (default 1; the full check is 5).
import { schema, eq } from "@wa/db";
import { countDirectory } from "@wa/db/queries";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayEngine } from "./engine.ts";
import { createHarness, sleep, until, type Harness } from "../test/harness.ts";

const RUNS = Math.max(1, Number(process.env.BACKFILL_TIMING_RUNS ?? "1"));
const OFFSETS_MS = [0, 500, 1_000, 2_000];
const scenario = { seed: "timing", contacts: 10_000, groups: 30, membersPerGroup: 20 };

let h: Harness;
let engine: GatewayEngine;
let next = 0;

beforeAll(async () => {
  h = await createHarness({ engine: { backfillBatchSize: 500 } });
  engine = await h.engine();
});
afterAll(async () => {
  await h?.close();
});

const cases = OFFSETS_MS.flatMap((offset) => Array.from({ length: RUNS }, (_, run) => ({ offset, run: run + 1 })));

describe("backfill during the initial history sync", () => {
  it.each(cases)("started $offset ms after pairing (run $run): exact counts and rows", async ({ offset }) => {
    const phoneNumber = `62814${String(7_000_000 + next++).padStart(7, "0")}`;
    const created = await h.createSession(`timing ${offset}`);
    await engine.sessions.start(created.id);
    await h.waitForStatus(created.id, "scan_qr_code", 60_000);
    const qr = await engine.sessions.getQr(created.id);
    const { scanQr } = await import("@wa/wa-sim");
    await scanQr(h.sim.httpUrl, qr.qr, { phoneNumber, scenario });
    // "Paired" = the moment this gateway holds the open connection (what the API's backfill route needs).
    await until(() => engine.manager.connection(created.id), "the paired connection", 60_000, 5);
    if (offset > 0) await sleep(offset); // the scenario's timing, not a wait for correctness
    const session = await h.waitForStatus(created.id, "working", 10_000);
    await engine.backfill.start(session.id);
    const job = await until(() => {
      const j = engine.backfill.peek(created.id);
      return j && j.status !== "running" ? j : null;
    }, "backfill to finish", 240_000, 20);

    const account = h.sim.control.account(phoneNumber);
    expect(job.error).toBeNull();
    expect(job.status).toBe("succeeded");
    expect({ contacts: job.contacts, groups: job.groups, groupMembers: job.groupMembers }).toEqual(account.counts);
    expect(await countDirectory(h.db.db, created.id)).toEqual(account.counts);

    const contacts = await h.db.db
      .select({ jid: schema.contacts.jid, phoneJid: schema.contacts.phoneJid, lidJid: schema.contacts.lidJid, name: schema.contacts.name })
      .from(schema.contacts)
      .where(eq(schema.contacts.sessionId, created.id));
    const byJid = (a: { jid: string }, b: { jid: string }) => a.jid.localeCompare(b.jid);
    expect(contacts.sort(byJid)).toEqual(
      account.contactRows.map((c) => ({ jid: c.jid, phoneJid: c.jid, lidJid: c.lid, name: c.name })).sort(byJid),
    );
    const groups = await h.db.db
      .select({ jid: schema.groups.jid, subject: schema.groups.subject })
      .from(schema.groups)
      .where(eq(schema.groups.sessionId, created.id));
    expect(groups.sort(byJid)).toEqual(account.groupRows.map((g) => ({ jid: g.jid, subject: g.subject })).sort(byJid));
    const members = await h.db.db
      .select({ groupJid: schema.groupMembers.groupJid, memberJid: schema.groupMembers.memberJid, role: schema.groupMembers.role })
      .from(schema.groupMembers)
      .where(eq(schema.groupMembers.sessionId, created.id));
    const key = (m: { groupJid: string; memberJid: string; role: string }) => `${m.groupJid} ${m.memberJid} ${m.role}`;
    expect(members.map(key).sort()).toEqual(
      account.memberships.map((m) => key({ groupJid: m.groupJid, memberJid: m.jid, role: m.role })).sort(),
    );

    // One account at a time keeps this shared machine's load (and so the timing) comparable between runs.
    await engine.sessions.logout(created.id);
    // Pairing plus a 10 000-contact backfill on a loaded 2-core machine can take minutes; the waits above bound it.
  }, 300_000);
});
