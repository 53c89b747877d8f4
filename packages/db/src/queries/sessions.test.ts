import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../ids.ts";
import type { SessionStatus } from "../contract.ts";
import { waSessions, organizations } from "../schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { EVENT_ID_ZERO, listEventsAfter } from "./events.ts";
import { acquireLease, updateSessionFenced } from "./leases.ts";
import {
  createSession,
  decodeSessionCursor,
  encodeSessionCursor,
  getSession,
  listSessions,
  updateSessionState,
  type ListSessionsParams,
} from "./sessions.ts";

const ORGS = ["org-a", "org-b", "org-c"];
const STATUSES: SessionStatus[] = ["stopped", "working", "failed", "scan_qr_code"];
const BASE = Date.UTC(2026, 0, 1);

async function walk(t: TestDatabase, params: Omit<ListSessionsParams, "cursor">, onPage?: (n: number) => Promise<void>) {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await listSessions(t.db, { ...params, cursor: cursor ? decodeSessionCursor(cursor) : null });
    ids.push(...page.data.map((s) => s.id));
    cursor = page.nextCursor;
    pages += 1;
    if (onPage) await onPage(pages);
  } while (cursor);
  return ids;
}

describe("listSessions keyset pagination", () => {
  let t: TestDatabase;
  // expected order: createdAt desc, id desc
  let all: { id: string; organizationId: string; status: SessionStatus; createdAt: number }[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    await t.db.insert(organizations).values(ORGS.map((id) => ({ id, name: id })));
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      id: newId(),
      organizationId: ORGS[i % 3] ?? "org-a",
      gatewayId: i % 2 ? "gw-a" : "gw-b",
      status: STATUSES[i % 4] ?? "stopped",
      // every fifth pair shares a timestamp so the id tiebreak is exercised
      createdAt: new Date(BASE + Math.floor(i / 2) * 1000),
    }));
    for (let i = 0; i < rows.length; i += 250) await t.db.insert(waSessions).values(rows.slice(i, i + 250));
    all = rows
      .map((r) => ({ ...r, createdAt: r.createdAt.getTime() }))
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  });
  afterAll(() => t.close());

  it("visits every row exactly once, newest first, in pages of 7", async () => {
    const ids = await walk(t, { limit: 7 });
    expect(ids).toEqual(all.map((r) => r.id));
  });

  it("never repeats or skips pre-existing rows while rows are inserted between page reads", async () => {
    const ids = await walk(t, { limit: 7 }, async (page) => {
      // a newer row (would shift OFFSET pages) and one in the middle of the range
      await t.db.insert(waSessions).values([
        { id: newId(), organizationId: "org-a", gatewayId: "gw-a", createdAt: new Date(BASE + 10_000_000 + page) },
        { id: newId(), organizationId: "org-b", gatewayId: "gw-a", createdAt: new Date(BASE + 250_000 + page) },
      ]);
    });
    const preExisting = new Set(all.map((r) => r.id));
    const seen = ids.filter((id) => preExisting.has(id));
    expect(seen).toEqual(all.map((r) => r.id));
    expect(new Set(ids).size).toBe(ids.length);
    await t.sql`delete from wa_sessions where not (id = any(${all.map((r) => r.id)}))`;
  });

  it("combines the organization and status filters with the cursor", async () => {
    const ids = await walk(t, { limit: 7, organizationId: "org-b", statuses: ["working", "failed"] });
    expect(ids).toEqual(
      all.filter((r) => r.organizationId === "org-b" && (r.status === "working" || r.status === "failed")).map((r) => r.id),
    );
    expect(ids.length).toBeGreaterThan(0);
  });

  it("filters by gateway and finds by id, phone number, JID, LID and label", async () => {
    const target = all[17];
    if (!target) throw new Error("fixture missing");
    await t.sql`update wa_sessions set phone_number = '6281234567890', wa_jid = '6281234567890@s.whatsapp.net',
      wa_lid = '205227043110953@lid', label = 'Support Line' where id = ${target.id}`;
    for (const q of [target.id, "628123456", "+6281234567890", "6281234567890@s", "205227043110953", "support li"]) {
      const page = await listSessions(t.db, { limit: 50, q });
      expect(page.data.map((s) => s.id), q).toEqual([target.id]);
    }
    const page = await listSessions(t.db, { limit: 50, q: "100%_" });
    expect(page.data).toEqual([]);
    const byGateway = await walk(t, { limit: 50, gatewayId: "gw-a" });
    expect(byGateway.length).toBe(500);
  });

  it("returns contract shapes: epoch-ms integers and nulls for unset fields", async () => {
    const page = await listSessions(t.db, { limit: 1 });
    const [s] = page.data;
    expect(Object.keys(s ?? {}).sort()).toEqual(
      [
        "autoRead", "createdAt", "createdByUserId", "gatewayId", "id", "isAdminSession", "label", "lastConnectedAt",
        "organizationId", "phoneNumber", "presenceTyping", "ratePerHour", "ratePerMin", "status", "statusReason", "updatedAt", "waJid", "waLid",
      ].sort(),
    );
    expect(Number.isInteger(s?.createdAt)).toBe(true);
  });

  it("deep pages are served by an index in order, with no sort of the whole table", async () => {
    const anchor = all[500];
    if (!anchor) throw new Error("fixture missing");
    const cases: [string, string][] = [
      ["", "wa_sessions_created_idx"],
      ["organization_id = 'org-b' and", "wa_sessions_org_created_idx"],
      ["gateway_id = 'gw-a' and", "wa_sessions_gateway_created_idx"],
    ];
    await t.sql.begin(async (tx) => {
      // small tables favour a sequential scan; this asks whether an ordered index path exists at all
      await tx`set local enable_seqscan = off`;
      await tx`set local enable_bitmapscan = off`;
      for (const [filter, index] of cases) {
        const plan = await tx.unsafe(
          `explain select id from wa_sessions where ${filter} (created_at, id) < ($1::timestamptz, $2)
           order by created_at desc, id desc limit 51`,
          [new Date(anchor.createdAt).toISOString(), anchor.id],
        );
        const text = plan.map((r) => String(r["QUERY PLAN"])).join("\n");
        expect(text, filter).toMatch(new RegExp(`Index (Only )?Scan Backward using ${index}\\b`));
        expect(text, filter).not.toMatch(/Sort/);
      }
    });
  });

  it("rejects cursors it did not issue", () => {
    expect(decodeSessionCursor("not-a-cursor")).toBeNull();
    expect(decodeSessionCursor(Buffer.from("[1,2]").toString("base64url"))).toBeNull();
    expect(decodeSessionCursor(Buffer.from('[9000000000000000,"x"]').toString("base64url"))).toBeNull();
    const c = { createdAt: 123, id: "x" };
    expect(decodeSessionCursor(encodeSessionCursor(c))).toEqual(c);
  });
});

describe("writeSessionState (the status writer's one statement)", () => {
  let t: TestDatabase;
  const org = "org-state";

  beforeAll(async () => {
    t = await createTestDatabase();
    await t.db.insert(organizations).values({ id: org, name: org });
  });
  afterAll(async () => {
    await t.close();
  });

  const statusEvents = async (sessionId: string) =>
    (await listEventsAfter(t.db, { organizationId: org, after: EVENT_ID_ZERO, sessionId, limit: 100 })).filter((e) => e.type === "session.status");

  it("writes the patch and returns the row as getSession reads it, with one event per status change", async () => {
    const created = await createSession(t.db, { organizationId: org, gatewayId: "gw-a", label: "state" });
    const connectedAt = new Date(Date.UTC(2026, 5, 1, 12, 0, 0, 123));
    const saved = await updateSessionState(t.db, created.id, {
      status: "working",
      statusReason: null,
      phoneNumber: "6281",
      waJid: "6281@s.whatsapp.net",
      waLid: null,
      isAdminSession: true,
      lastConnectedAt: connectedAt,
    });
    expect(saved).toEqual(await getSession(t.db, created.id));
    expect(saved).toMatchObject({ status: "working", phoneNumber: "6281", isAdminSession: true, lastConnectedAt: connectedAt.getTime(), label: "state" });
    expect(saved?.updatedAt).toBeGreaterThanOrEqual(created.updatedAt);
    expect((await statusEvents(created.id)).map((e) => e.data)).toEqual([{ status: "working", previous: "stopped", reason: null }]);

    // the same status again: the row is written, no event (nothing changed)
    await updateSessionState(t.db, created.id, { status: "working", statusReason: null });
    expect(await statusEvents(created.id)).toHaveLength(1);
    // a patch without a status never reports one
    await updateSessionState(t.db, created.id, { gatewayId: "gw-b" });
    expect(await statusEvents(created.id)).toHaveLength(1);
    expect((await getSession(t.db, created.id))?.gatewayId).toBe("gw-b");

    const failed = await updateSessionState(t.db, created.id, { status: "failed", statusReason: "why", lastConnectedAt: null });
    expect(failed).toMatchObject({ status: "failed", statusReason: "why", lastConnectedAt: null });
    const events = await statusEvents(created.id);
    expect(events.map((e) => e.data)).toEqual([
      { status: "working", previous: "stopped", reason: null },
      { status: "failed", previous: "working", reason: "why" },
    ]);
    expect((events[1]?.id ?? "") > (events[0]?.id ?? "")).toBe(true);
  });

  it("is null for an unknown session", async () => {
    expect(await updateSessionState(t.db, "no-such-session", { status: "working" })).toBeNull();
  });

  it("fenced: written only under the lease's latest epoch, refused (null, nothing written) under an older one", async () => {
    const created = await createSession(t.db, { organizationId: org, gatewayId: "gw-a" });
    const first = await acquireLease(t.db, { sessionId: created.id, gatewayId: "gw-a", ttlMs: 60_000 });
    expect(first).not.toBeNull();
    const old = { sessionId: created.id, gatewayId: "gw-a", epoch: first ?? 0 };
    expect(await updateSessionFenced(t.db, old, { status: "starting" })).toMatchObject({ status: "starting" });
    const second = await acquireLease(t.db, { sessionId: created.id, gatewayId: "gw-a", ttlMs: 60_000 });
    expect(second).toBe((first ?? 0) + 1);
    expect(await updateSessionFenced(t.db, old, { status: "failed", statusReason: "late" })).toBeNull();
    expect(await updateSessionFenced(t.db, { ...old, gatewayId: "gw-b", epoch: second ?? 0 }, { status: "failed" })).toBeNull();
    expect(await getSession(t.db, created.id)).toMatchObject({ status: "starting" });
    expect((await statusEvents(created.id)).map((e) => e.data)).toEqual([{ status: "starting", previous: "stopped", reason: null }]);
    expect(await updateSessionFenced(t.db, { ...old, epoch: second ?? 0 }, { status: "working" })).toMatchObject({ status: "working" });
    expect(await statusEvents(created.id)).toHaveLength(2);
  });
});
