// Session control through the engine's ports: stop, restart, logout, remove, QR and pairing-code rules,
// admin-number detection, the event stream with the QR, and the gateway's own registration.
import type { SessionEvent } from "@wa/api";
import { createSession, getSession, countAuthKeys, hasAuthCreds, getGateway, registerGateway } from "@wa/db/queries";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayEngine } from "./engine.ts";
import { createHarness, until, type Harness } from "../test/harness.ts";

let h: Harness;
let engine: GatewayEngine;
const ADMIN = "6281700000001";

beforeAll(async () => {
  h = await createHarness();
  engine = await h.engine({ adminPhoneNumber: ADMIN });
});
afterAll(async () => {
  await h?.close();
});

describe("session control", () => {
  it("registers the gateway online with a heartbeat, and offline on shutdown", async () => {
    const gw = await getGateway(h.db.db, "gw-test-1");
    expect(gw).toMatchObject({ status: "online", baseUrl: "http://127.0.0.1:1" });
    const other = await h.engine({ gatewayId: "gw-test-2", heartbeatIntervalMs: 100 });
    const first = (await getGateway(h.db.db, "gw-test-2"))?.heartbeatAt.getTime() ?? 0;
    await until(async () => ((await getGateway(h.db.db, "gw-test-2"))?.heartbeatAt.getTime() ?? 0) > first, "a heartbeat");
    await other.shutdown();
    expect((await getGateway(h.db.db, "gw-test-2"))?.status).toBe("offline");
  });

  it("publishes status changes with the current QR while scan_qr_code, to the session's organization only", async () => {
    const s = await h.createSession("events");
    const mine: SessionEvent[] = [];
    const others: SessionEvent[] = [];
    const abort = new AbortController();
    const a = (async () => {
      for await (const ev of engine.events.subscribe({ organizationId: h.organizationId, sessionId: s.id }, abort.signal)) mine.push(ev);
    })();
    const b = (async () => {
      for await (const ev of engine.events.subscribe({ organizationId: "another-org" }, abort.signal)) others.push(ev);
    })();
    await engine.sessions.start(s.id);
    await until(() => mine.some((e) => e.status === "scan_qr_code"), "a QR event");
    const qrEvent = mine.find((e) => e.status === "scan_qr_code");
    expect(qrEvent?.qr?.qr).toBe((await engine.sessions.getQr(s.id)).qr);
    expect(qrEvent?.qr?.image).toMatch(/^data:image\/png;base64,/);
    expect(qrEvent?.session.status).toBe("scan_qr_code");
    expect(mine[0]?.status).toBe("starting");
    expect(mine[0]?.qr).toBeNull();
    await engine.sessions.stop(s.id);
    await until(() => mine.some((e) => e.status === "stopped"), "stopped event");
    abort.abort();
    await Promise.all([a, b]);
    expect(others).toEqual([]);
    expect((await getSession(h.db.db, s.id))?.status).toBe("stopped");
  });

  it("start twice is a conflict; QR outside scan_qr_code is a conflict; unknown sessions are not_found", async () => {
    const s = await h.createSession("rules");
    await expect(engine.sessions.getQr(s.id)).rejects.toMatchObject({ code: "conflict" });
    await expect(engine.sessions.start("01UNKNOWNSESSION000000000")).rejects.toMatchObject({ code: "not_found" });
    await expect(engine.sessions.getQr("01UNKNOWNSESSION000000000")).rejects.toMatchObject({ code: "not_found" });
    await engine.sessions.start(s.id);
    await expect(engine.sessions.start(s.id)).rejects.toMatchObject({ code: "conflict" });
    await engine.sessions.stop(s.id);
  });

  it("marks the configured admin number's session as the admin session", async () => {
    const s = await h.createSession("admin");
    const { session } = await h.pair(engine, s.id, { phoneNumber: ADMIN });
    expect(session).toMatchObject({ phoneNumber: ADMIN, isAdminSession: true, status: "working" });
    const other = await h.createSession("not admin");
    const { session: plain } = await h.pair(engine, other.id, { phoneNumber: "6281700000002" });
    expect(plain.isAdminSession).toBe(false);
  });

  it("stop keeps the pairing; start logs in again without a QR; restart too", async () => {
    const s = await h.createSession("stop/start");
    await h.pair(engine, s.id, { phoneNumber: "6281700000003" });
    await engine.sessions.stop(s.id);
    expect((await getSession(h.db.db, s.id))?.status).toBe("stopped");
    expect(await hasAuthCreds(h.db.db, s.id)).toBe(true);
    const seen: string[] = [];
    const abort = new AbortController();
    const watching = (async () => {
      for await (const ev of engine.events.subscribe({ organizationId: h.organizationId, sessionId: s.id }, abort.signal)) seen.push(ev.status);
    })();
    await engine.sessions.start(s.id);
    await h.waitForStatus(s.id, "working");
    await engine.sessions.restart(s.id);
    await until(() => seen.filter((x) => x === "working").length >= 2, "working after restart");
    abort.abort();
    await watching;
    expect(seen).not.toContain("scan_qr_code");
  });

  it("logout unlinks the device on the phone, wipes the auth state, logged_out; remove does the same", async () => {
    const s = await h.createSession("logout");
    await h.pair(engine, s.id, { phoneNumber: "6281700000004" });
    expect(h.sim.control.devices("6281700000004")).toHaveLength(1);
    await engine.sessions.logout(s.id);
    expect((await getSession(h.db.db, s.id))?.status).toBe("logged_out");
    expect(await hasAuthCreds(h.db.db, s.id)).toBe(false);
    expect(await countAuthKeys(h.db.db, s.id)).toBe(0);
    await until(() => h.sim.control.devices("6281700000004").length === 0, "the phone to forget the device");

    const r = await h.createSession("remove");
    await h.pair(engine, r.id, { phoneNumber: "6281700000005" });
    await engine.sessions.remove(r.id);
    expect(await hasAuthCreds(h.db.db, r.id)).toBe(false);
    expect(engine.manager.peek(r.id)).toBeUndefined();
    await until(() => h.sim.control.devices("6281700000005").length === 0, "the phone to forget the removed device");
  });

  it("pairing code: validates the number, needs a started session, returns an 8-character code", async () => {
    const s = await h.createSession("pairing code");
    // The same rule and the same `details` shape as the router's input validation.
    await expect(engine.sessions.requestPairingCode(s.id, "12ab")).rejects.toMatchObject({
      code: "validation_error",
      details: { errors: [{ path: "phoneNumber", message: "digits only, E.164 without +" }] },
    });
    await expect(engine.sessions.requestPairingCode(s.id, "6281700000006")).rejects.toMatchObject({ code: "conflict" });
    await engine.sessions.start(s.id);
    const { code } = await engine.sessions.requestPairingCode(s.id, "+6281700000006");
    expect(code).toMatch(/^[A-Z0-9]{8}$/);
    await engine.sessions.stop(s.id);
  });

  it("a session held by another live gateway: every route answers gateway_unavailable, no job starts, nothing is taken", async () => {
    await registerGateway(h.db.db, { id: "gw-elsewhere", baseUrl: "http://127.0.0.1:2" });
    const s = await createSession(h.db.db, { organizationId: h.organizationId, gatewayId: "gw-elsewhere", label: "elsewhere" });
    const refused = { code: "gateway_unavailable", details: { gatewayId: "gw-elsewhere" } };
    await expect(engine.backfill.start(s.id)).rejects.toMatchObject(refused);
    await expect(engine.backfill.get(s.id)).rejects.toMatchObject(refused);
    await expect(engine.sessions.start(s.id)).rejects.toMatchObject(refused);
    await expect(engine.sessions.getQr(s.id)).rejects.toMatchObject(refused);
    await expect(engine.sessions.requestPairingCode(s.id, "6281700000009")).rejects.toMatchObject(refused);
    expect(engine.backfill.peek(s.id)).toBeNull();
    expect(engine.manager.peek(s.id)).toBeUndefined();
    expect((await getSession(h.db.db, s.id))?.gatewayId).toBe("gw-elsewhere");
    // unknown sessions stay not_found on the backfill routes too
    await expect(engine.backfill.start("01UNKNOWNSESSION000000000")).rejects.toMatchObject({ code: "not_found" });
    await expect(engine.backfill.get("01UNKNOWNSESSION000000000")).rejects.toMatchObject({ code: "not_found" });
  });

  it("a connection that cannot even be opened fails the session with the reason; it is never left starting", async () => {
    const broken = await h.engine({ gatewayId: "gw-bad-url", waWsUrl: "not a url" });
    const s = await createSession(h.db.db, { organizationId: h.organizationId, gatewayId: "gw-bad-url", label: "bad url" });
    await broken.sessions.start(s.id);
    expect(broken.manager.peek(s.id)?.isRunning).toBe(false);
    expect(await getSession(h.db.db, s.id)).toMatchObject({ status: "failed" });
    expect(await h.statusReason(s.id)).toMatch(/^opening the connection to WhatsApp failed: .*URL/i);
    // Not "already running": start tries again (and says why again).
    await expect(broken.sessions.start(s.id)).resolves.toBeUndefined();
    expect((await getSession(h.db.db, s.id))?.status).toBe("failed");
    await broken.shutdown();
  });
});
