// Leases and fencing against a real database: one holder at a time, epochs that only grow, bulk renewal, and
// writes of a stale holder (status, creds, signal keys) refused; the keeper closes a session whose lease it lost.
import { newId, schema } from "@wa/db";
import {
  acquireLease,
  applyAuthKeyChanges,
  countAuthKeys,
  createSession,
  getSession,
  LeaseLostError,
  leaseIsCurrent,
  listTakeoverCandidates,
  readStoredAuthCreds,
  registerGateway,
  releaseLease,
  renewLeases,
  updateSession,
  updateSessionFenced,
  writeAuthCreds,
} from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../../test/harness.ts";
import { defaultClusterTimings } from "./config.ts";
import { LeaseKeeper } from "./leases.ts";
import { myShare, rendezvousOwner } from "./takeover.ts";

let db: TestDatabase;
let organizationId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  organizationId = newId();
  await db.db.insert(schema.organizations).values({ id: organizationId, name: "Leases" });
});
afterAll(async () => {
  await db?.close();
});

const session = () => createSession(db.db, { organizationId, gatewayId: "gw-a" });

describe("session leases", () => {
  it("one holder at a time; the epoch grows on every acquisition; the row names the holder", async () => {
    const s = await session();
    const a = await acquireLease(db.db, { sessionId: s.id, gatewayId: "gw-a", ttlMs: 60_000 });
    expect(a).toBe(1);
    expect(await acquireLease(db.db, { sessionId: s.id, gatewayId: "gw-b", ttlMs: 60_000 })).toBeNull();
    await releaseLease(db.db, { sessionId: s.id, gatewayId: "gw-a", epoch: 1 });
    expect(await acquireLease(db.db, { sessionId: s.id, gatewayId: "gw-b", ttlMs: 60_000 })).toBe(2);
    expect((await getSession(db.db, s.id))?.gatewayId).toBe("gw-b");
    expect(await acquireLease(db.db, { sessionId: "01UNKNOWN0000000000000000", gatewayId: "gw-b", ttlMs: 1_000 })).toBeNull();
  });

  it("renews every unexpired lease of a gateway in one statement; expired ones are not renewed", async () => {
    const [s1, s2] = [await session(), await session()];
    await acquireLease(db.db, { sessionId: s1.id, gatewayId: "gw-r", ttlMs: 60_000 });
    await acquireLease(db.db, { sessionId: s2.id, gatewayId: "gw-r", ttlMs: 0 });
    const renewed = await renewLeases(db.db, { gatewayId: "gw-r", ttlMs: 60_000 });
    expect(renewed.map((r) => r.sessionId)).toEqual([s1.id]);
  });

  it("refuses a stale holder's status, creds and key writes once the lease moved on", async () => {
    const s = await session();
    const old = { sessionId: s.id, gatewayId: "gw-a", epoch: (await acquireLease(db.db, { sessionId: s.id, gatewayId: "gw-a", ttlMs: 60_000 })) ?? 0 };
    await writeAuthCreds(db.db, s.id, { value: "old-creds", sealKeyId: null }, { fence: old });
    expect(await updateSessionFenced(db.db, old, { status: "working" })).toMatchObject({ status: "working" });
    // gw-a pauses past its lease; gw-b takes over under a newer epoch
    await releaseLease(db.db, old);
    const epoch = await acquireLease(db.db, { sessionId: s.id, gatewayId: "gw-b", ttlMs: 60_000 });
    const current = { sessionId: s.id, gatewayId: "gw-b", epoch: epoch ?? 0 };
    expect(current.epoch).toBe(old.epoch + 1);
    expect(await leaseIsCurrent(db.db, old)).toBe(false);
    expect(await leaseIsCurrent(db.db, current)).toBe(true);

    expect(await updateSessionFenced(db.db, old, { status: "failed", statusReason: "late" })).toBeNull();
    await expect(writeAuthCreds(db.db, s.id, { value: "late-creds", sealKeyId: null }, { fence: old })).rejects.toBeInstanceOf(LeaseLostError);
    await expect(
      applyAuthKeyChanges(db.db, s.id, { upserts: [{ type: "pre-key", keyId: "1", value: "late", sealKeyId: null }], deletes: [] }, old),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(await readStoredAuthCreds(db.db, s.id)).toMatchObject({ value: "old-creds" });
    expect(await countAuthKeys(db.db, s.id)).toBe(0);
    expect((await getSession(db.db, s.id))?.status).toBe("working");

    await writeAuthCreds(db.db, s.id, { value: "new-creds", sealKeyId: null }, { fence: current });
    expect(await readStoredAuthCreds(db.db, s.id)).toMatchObject({ value: "new-creds" });
  });

  it("lists sessions nobody holds that should run: own ones, and a gone gateway's, never a live gateway's", async () => {
    await registerGateway(db.db, { id: "gw-live", baseUrl: "http://127.0.0.1:9" });
    const live = await createSession(db.db, { organizationId, gatewayId: "gw-live" });
    const gone = await createSession(db.db, { organizationId, gatewayId: "gw-gone" });
    const stopped = await createSession(db.db, { organizationId, gatewayId: "gw-gone" });
    for (const s of [live, gone]) await updateSession(db.db, s.id, { status: "working" });
    const ids = (await listTakeoverCandidates(db.db, { gatewayId: "gw-x", staleMs: 60_000, limit: 100 })).map((c) => c.sessionId);
    expect(ids).toContain(gone.id);
    expect(ids).not.toContain(live.id);
    expect(ids).not.toContain(stopped.id);
  });

  it("spreads a gone gateway's sessions evenly by rendezvous hashing", () => {
    const gws = ["gw-1", "gw-2", "gw-3"];
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i += 1) {
      const owner = rendezvousOwner(`session-${i}`, gws) ?? "";
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    for (const gw of gws) expect(counts.get(gw)).toBeGreaterThan(850);
    const candidates = [{ sessionId: "s", gatewayId: "gw-9", expiredForMs: 10 }];
    const owner = rendezvousOwner("s", gws);
    expect(myShare(candidates, owner ?? "", gws, 6_000)).toHaveLength(1);
    expect(myShare(candidates, gws.find((g) => g !== owner) ?? "", gws, 6_000)).toHaveLength(0);
  });

  it("the keeper closes a session whose lease it can no longer renew, before the database lets anyone take it", async () => {
    const s = await session();
    const timings = { ...defaultClusterTimings, leaseTtlMs: 1_500, safetyMarginMs: 500, renewIntervalMs: 100_000 };
    const keeper = new LeaseKeeper({ db: db.db, gatewayId: "gw-k", timings, logger: pino({ level: "silent" }) });
    const lost: string[] = [];
    keeper.setLostHandler((id) => lost.push(id));
    keeper.start();
    const fence = await keeper.acquire(s.id);
    expect(keeper.fence(s.id)).toEqual(fence);
    // No renewal (interval far away): the keeper gives the session up while the database still has it.
    await until(() => lost.includes(s.id), "the keeper to give the lease up", 10_000);
    const stillHeldInDb = fence ? await leaseIsCurrent(db.db, fence) : false;
    keeper.stop();
    expect(keeper.fence(s.id)).toBeNull();
    expect(stillHeldInDb).toBe(true);
  });

  it("a lease given up locally that the bulk renewal still finds is released, so this gateway's own scan lists it", async () => {
    // The watchdog gave the session up (event loop late past the local validity) while the database still had the
    // lease; the next renewal covers every lease of the gateway, this one included, and would keep it alive forever.
    const [kept, dropped, twins] = [await session(), await session(), await session()];
    for (const s of [kept, dropped, twins]) await updateSession(db.db, s.id, { status: "starting" });
    // Local validity ends as soon as it begins (margin = ttl): expireOverdue gives up whatever it finds, on demand.
    const timings = { ...defaultClusterTimings, leaseTtlMs: 60_000, safetyMarginMs: 60_000, renewIntervalMs: 100_000 };
    const keeper = new LeaseKeeper({ db: db.db, gatewayId: "gw-o", timings, logger: pino({ level: "silent" }) });
    const lost: string[] = [];
    keeper.setLostHandler((id) => lost.push(id));
    const droppedFence = await keeper.acquire(dropped.id);
    keeper.expireOverdue();
    expect(lost).toEqual([dropped.id]);
    const keptFence = await keeper.acquire(kept.id);
    // A second process started with the same gateway id (a misconfiguration): its lease is not this keeper's to end.
    const twin = new LeaseKeeper({ db: db.db, gatewayId: "gw-o", timings, logger: pino({ level: "silent" }) });
    const twinFence = await twin.acquire(twins.id);
    await keeper.renew();
    expect(droppedFence && (await leaseIsCurrent(db.db, droppedFence))).toBe(false);
    const mine = (await listTakeoverCandidates(db.db, { gatewayId: "gw-o", staleMs: 60_000, limit: 100 })).map((c) => c.sessionId);
    expect(mine).toContain(dropped.id);
    expect(mine).not.toContain(kept.id);
    // The lease still held here is renewed and kept.
    expect(keptFence && (await leaseIsCurrent(db.db, keptFence))).toBe(true);
    expect(twinFence && (await leaseIsCurrent(db.db, twinFence))).toBe(true);
  });
});
