// Pairing through the simulator and resuming after a gateway restart, with the real Baileys client.
import { getSession, countAuthKeys, hasAuthCreds } from "@wa/db/queries";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, until, type Harness } from "../test/harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

describe("engine pairing", () => {
  it("starts a session, shows a QR, pairs with the simulated phone and reaches working", async () => {
    const engine = await h.engine({ adminPhoneNumber: "6281100000001" });
    const created = await h.createSession("pairing");
    await engine.sessions.start(created.id);
    const starting = await getSession(h.db.db, created.id);
    // start() returns once `starting` is persisted; on a fast machine the QR may already have followed
    expect(["starting", "scan_qr_code"]).toContain(starting?.status);
    await h.waitForStatus(created.id, "scan_qr_code");
    const qr = await engine.sessions.getQr(created.id);
    expect(qr.qr).toMatch(/linked_devices#2@/);
    expect(qr.image).toMatch(/^data:image\/png;base64,/);
    expect(qr.expiresAt).toBeGreaterThan(Date.now());

    const scan = await engine.sessions.simulateScan?.(created.id);
    expect(scan?.phoneNumber).toBe(scan?.phoneNumber?.replace(/\D/g, ""));
    const working = await h.waitForStatus(created.id, "working", 30_000);
    expect(working.phoneNumber).toBe(scan?.phoneNumber);
    expect(working.waJid).toBe(`${scan?.phoneNumber}@s.whatsapp.net`);
    expect(working.waLid).toMatch(/^\d+@lid$/);
    expect(working.lastConnectedAt).toBeGreaterThan(0);
    expect(await hasAuthCreds(h.db.db, created.id)).toBe(true);
    expect(await countAuthKeys(h.db.db, created.id)).toBeGreaterThan(100);
    await expect(engine.sessions.getQr(created.id)).rejects.toMatchObject({ code: "conflict" });

    // A new engine over the same database: the restored session logs in with its stored creds, no QR.
    await engine.shutdown();
    const afterShutdown = await getSession(h.db.db, created.id);
    expect(afterShutdown?.status).toBe("working");
    const second = await h.engine();
    const statuses: string[] = [];
    const abort = new AbortController();
    const watching = (async () => {
      for await (const ev of second.events.subscribe({ organizationId: h.organizationId, sessionId: created.id }, abort.signal)) {
        statuses.push(ev.status);
      }
    })();
    const again = await h.waitForStatus(created.id, "working", 30_000);
    await second.manager.peek(created.id)?.waitFor(() => second.manager.peek(created.id)?.status === "working", 30_000, "open");
    expect(again.phoneNumber).toBe(scan?.phoneNumber);
    expect(statuses).not.toContain("scan_qr_code");
    abort.abort();
    await watching;
    await second.shutdown();
  });

  it("a session whose lease is given up locally at the 515 restart after pairing is taken back by this gateway's scan", async () => {
    const engine = await h.engine({ cluster: { takeoverJitterMs: 50 } });
    // Another session held here: the bulk renewal runs (with none it is skipped and the lease would just expire).
    const other = await h.createSession("held alongside");
    await engine.sessions.start(other.id);
    const created = await h.createSession("lease lost at 515");
    await engine.sessions.start(created.id);
    await h.waitForStatus(created.id, "scan_qr_code");
    const session = engine.manager.peek(created.id);
    if (!session) throw new Error("session not held");
    // The watchdog fires right when WhatsApp asks for the restart (what a saturated machine did): same call it makes.
    const evicted = session
      .waitFor(() => /\(515\)/.test(session.statusReason ?? ""), 30_000, "the 515 restart")
      .then(() => engine.manager.evict(created.id, "lease expired"));
    await engine.sessions.simulateScan?.(created.id);
    await evicted;
    expect(engine.manager.peek(created.id)).toBeUndefined();
    // Renewals and scans as the timers would run them: the session must come back here and open.
    await until(
      async () => {
        await engine.cluster.leases.renew();
        await engine.cluster.scanNow();
        return (await getSession(h.db.db, created.id))?.status === "working" && engine.manager.peek(created.id)?.status === "working";
      },
      "the session to be taken back and open",
      30_000,
      200,
    );
    expect(await hasAuthCreds(h.db.db, created.id)).toBe(true);
    await engine.shutdown();
  });
});
