// Every WhatsApp connection fault of the test catalogue, injected through the simulator's fault API, ends in the
// required status and auth-state outcome.
import type { SessionEvent } from "@wa/api";
import { schema, sql } from "@wa/db";
import { getSession, countAuthKeys, hasAuthCreds, readAuthCreds } from "@wa/db/queries";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayEngine } from "./engine.ts";
import { createHarness, until, type Harness } from "../test/harness.ts";

let h: Harness;
let engine: GatewayEngine;
let phoneSeq = 0;
const nextPhone = () => `62813000${String(++phoneSeq).padStart(5, "0")}`;

/** Collects the session's published events until stopped. */
function record(e: GatewayEngine, sessionId: string) {
  const events: SessionEvent[] = [];
  const abort = new AbortController();
  const done = (async () => {
    for await (const ev of e.events.subscribe({ organizationId: h.organizationId, sessionId }, abort.signal)) events.push(ev);
  })();
  return {
    events,
    statuses: () => events.map((ev) => ev.status),
    stop: async () => {
      abort.abort();
      await done;
    },
  };
}

/** How many times the session went from `working` to another status (the first entry is where it started). */
const leftWorking = (statuses: string[]) =>
  statuses.filter((s, i) => i > 0 && statuses[i - 1] === "working" && s !== "working").length;

/** True once `working` follows the n-th departure from `working`. */
function workingAfterLeaving(statuses: string[], n: number): boolean {
  let left = 0;
  for (let i = 1; i < statuses.length; i++) {
    if (statuses[i - 1] === "working" && statuses[i] !== "working") left++;
    else if (left >= n && statuses[i] === "working") return true;
  }
  return false;
}

async function pairedSession(label: string) {
  const session = await h.createSession(label);
  const phoneNumber = nextPhone();
  await h.pair(engine, session.id, { phoneNumber });
  return { id: session.id, phoneNumber };
}

beforeAll(async () => {
  h = await createHarness();
  engine = await h.engine({
    reconnect: {
      baseDelayMs: 100,
      maxDelayMs: 800,
      replacedBaseDelayMs: 300,
      replacedWindowMs: 60_000,
      maxReplacedInWindow: 3,
      maxServerErrors: 3,
      serverErrorWindowMs: 60_000,
    },
  });
});
afterAll(async () => {
  await h?.close();
});

describe("WhatsApp connection faults", () => {
  it("515 after pairing: reconnects at once with the saved creds, working again, no new QR", async () => {
    const { id, phoneNumber } = await pairedSession("515");
    const credsBefore = await h.readCreds(id);
    const rec = record(engine, id);
    // the status flips at Baileys' `open`; the simulator may register the connection a moment later
    await until(() => h.sim.control.fault({ phoneNumber, kind: "stream-error", code: 515 }).affected === 1, "515 injected");
    await until(() => rec.statuses().includes("starting"), "starting after 515");
    await until(() => rec.statuses().at(-1) === "working", "working after 515");
    await rec.stop();
    expect(rec.statuses()).not.toContain("scan_qr_code");
    const credsAfter = JSON.parse((await h.readCreds(id)) ?? "{}") as { noiseKey: unknown; me: unknown };
    const before = JSON.parse(credsBefore ?? "{}") as { noiseKey: unknown; me: unknown };
    expect(credsAfter.noiseKey).toEqual(before.noiseKey);
    expect(credsAfter.me).toMatchObject({ id: expect.stringContaining(phoneNumber) as unknown });
  });

  it.each([
    ["device removed (logout fault)", { kind: "logout" as const }],
    ["stream error 401", { kind: "stream-error" as const, code: 401 }],
  ])("%s: stops reconnecting, wipes creds and keys, logged_out, a fresh start shows a new QR", async (_name, fault) => {
    const { id, phoneNumber } = await pairedSession("401");
    expect(await countAuthKeys(h.db.db, id)).toBeGreaterThan(0);
    let connectionsBefore = 0;
    await until(() => {
      connectionsBefore = h.sim.connectionCount();
      return h.sim.control.fault({ phoneNumber, ...fault }).affected === 1;
    }, "fault injected");
    const row = await h.waitForStatus(id, "logged_out");
    expect(row.status).toBe("logged_out");
    expect(await h.statusReason(id)).toMatch(/logged out/i);
    expect(await hasAuthCreds(h.db.db, id)).toBe(false);
    expect(await countAuthKeys(h.db.db, id)).toBe(0);
    // no reconnect can follow: the session stopped running (connect() and the backoff timer both require it)
    expect(engine.manager.peek(id)?.isRunning).toBe(false);
    await until(() => h.sim.connectionCount() === connectionsBefore - 1, "the simulator to drop the connection");
    expect((await getSession(h.db.db, id))?.status).toBe("logged_out");
    await engine.sessions.start(id);
    await h.waitForStatus(id, "scan_qr_code");
    const qr = await engine.sessions.getQr(id);
    expect(qr.qr).toMatch(/linked_devices#/);
    await engine.sessions.stop(id);
  });

  it("440 replaced: never two sockets, backs off, stops (failed) after repeated replacements", async () => {
    const { id, phoneNumber } = await pairedSession("440");
    const baseline = h.sim.connectionCount() - 1;
    let maxSeen = 0;
    const sampler = setInterval(() => {
      maxSeen = Math.max(maxSeen, h.sim.connectionCount() - baseline);
    }, 5);
    try {
      const rec = record(engine, id);
      for (let i = 1; i <= 3; i++) {
        await until(() => engine.manager.peek(id)?.status === "working", `working before replacement ${i}`);
        const replacedAt = Date.now();
        // the status flips at Baileys' `open`; the simulator may register the connection a moment later
        await until(() => h.sim.control.fault({ phoneNumber, kind: "stream-error", code: 440 }).affected === 1, `440 #${i} injected`);
        await until(() => leftWorking(["working", ...rec.statuses()]) >= i, `440 #${i} noticed`);
        if (i < 3) {
          // only a `working` published after the i-th departure from `working` counts (found in the event order,
          // so a reconnect that is already through when this line runs still counts)
          await until(() => workingAfterLeaving(["working", ...rec.statuses()], i), `working after replacement ${i}`);
          // backed off: never reconnected sooner than replacedBaseDelayMs (300 ms in this engine)
          expect(Date.now() - replacedAt).toBeGreaterThanOrEqual(300);
        }
      }
      const failed = await h.waitForStatus(id, "failed");
      expect(failed.status).toBe("failed");
      expect(await h.statusReason(id)).toMatch(/replaced 3 times/);
      await rec.stop();
    } finally {
      clearInterval(sampler);
    }
    expect(maxSeen).toBeLessThanOrEqual(1);
    expect(await hasAuthCreds(h.db.db, id)).toBe(true);
  });

  it("500 repeatedly: backs off, keeps the auth state, failed after N attempts", async () => {
    const { id, phoneNumber } = await pairedSession("500");
    const keysBefore = await countAuthKeys(h.db.db, id);
    const rec = record(engine, id);
    for (let i = 1; i <= 3; i++) {
      await until(() => engine.manager.peek(id)?.status === "working", `working before 500 #${i}`);
      // the status flips at Baileys' `open`; the simulator may register the connection a moment later
      await until(() => h.sim.control.fault({ phoneNumber, kind: "stream-error", code: 500 }).affected === 1, `500 #${i} injected`);
      // counted from the event stream: a quick reconnect can pass through `starting` between two polls
      await until(() => leftWorking(["working", ...rec.statuses()]) >= i, `500 #${i} noticed`);
    }
    await h.waitForStatus(id, "failed");
    await rec.stop();
    expect(rec.statuses().filter((s) => s === "starting").length).toBeGreaterThanOrEqual(2);
    expect(await h.statusReason(id)).toMatch(/3 stream errors/);
    expect(await hasAuthCreds(h.db.db, id)).toBe(true);
    expect(await countAuthKeys(h.db.db, id)).toBeGreaterThanOrEqual(keysBefore);
  });

  it("socket dropped: starting, reconnects with backoff, working again", async () => {
    const { id, phoneNumber } = await pairedSession("drop");
    const before = await getSession(h.db.db, id);
    const rec = record(engine, id);
    await until(() => h.sim.control.fault({ phoneNumber, kind: "drop" }).affected === 1, "fault injected");
    await until(() => rec.statuses().includes("starting"), "starting after drop");
    const after = await h.waitForStatus(id, "working");
    await rec.stop();
    expect(rec.statuses()).not.toContain("scan_qr_code");
    expect(after.lastConnectedAt).toBeGreaterThan(before?.lastConnectedAt ?? 0);
  });

  it("405 client outdated: failed, no retry loop", async () => {
    const { id, phoneNumber } = await pairedSession("405");
    let connections = 0;
    await until(() => {
      connections = h.sim.connectionCount();
      return h.sim.control.fault({ phoneNumber, kind: "stream-error", code: 405 }).affected === 1;
    }, "fault injected");
    await h.waitForStatus(id, "failed");
    expect(await h.statusReason(id)).toMatch(/405/);
    // no retry loop: the session stopped running (connect() and the backoff timer both require it)
    expect(engine.manager.peek(id)?.isRunning).toBe(false);
    await until(() => h.sim.connectionCount() === connections - 1, "the simulator to drop the connection");
    expect((await getSession(h.db.db, id))?.status).toBe("failed");
    expect(await hasAuthCreds(h.db.db, id)).toBe(true);
  });
});

describe("keep-alive lost", () => {
  it("a stalled server: keep-alive times out, starting, reconnects, working again", async () => {
    const stallEngine = await h.engine({ gatewayId: "gw-test-1", keepAliveIntervalMs: 1_000 }, { boot: false });
    const session = await h.createSession("stall");
    const phoneNumber = nextPhone();
    await h.pair(stallEngine, session.id, { phoneNumber });
    const rec = record(stallEngine, session.id);
    await until(() => h.sim.control.fault({ phoneNumber, kind: "stall" }).affected === 1, "fault injected");
    await until(() => rec.statuses().includes("starting"), "starting after stall", 20_000);
    await h.waitForStatus(session.id, "working", 20_000);
    await rec.stop();
    expect(rec.statuses()).not.toContain("scan_qr_code");
    await stallEngine.shutdown();
  });
});

describe("QR never scanned", () => {
  it("refreshes the QR, then stops once the server's refs are used up, with a reason", async () => {
    const qrHarness = await createHarness({ sim: { qrRefs: 3, qrRefreshMs: 400, qrGraceMs: 300 } });
    try {
      const e = await qrHarness.engine({ qrTimeoutMs: 400 });
      const session = await qrHarness.createSession("never scanned");
      const events: SessionEvent[] = [];
      const abort = new AbortController();
      const watching = (async () => {
        for await (const ev of e.events.subscribe({ organizationId: qrHarness.organizationId }, abort.signal)) events.push(ev);
      })();
      await e.sessions.start(session.id);
      const ended = await qrHarness.waitForStatus(session.id, ["failed", "stopped"], 15_000);
      abort.abort();
      await watching;
      const qrs = new Set(events.map((ev) => ev.qr?.qr).filter(Boolean));
      expect(qrs.size).toBeGreaterThanOrEqual(2);
      expect(ended.status).toBe("failed");
      expect(await qrHarness.statusReason(session.id)).toMatch(/QR code not scanned/);
      // nothing restarts it: the session stopped running
      expect(e.manager.peek(session.id)?.isRunning).toBe(false);
      expect((await getSession(qrHarness.db.db, session.id))?.status).toBe("failed");
    } finally {
      await qrHarness.close();
    }
  });
});

describe("auth state read error at boot", () => {
  it("fails the session with the reason and never mints new creds over the stored ones", async () => {
    const { id } = await pairedSession("read error");
    await engine.shutdown();
    // read after the shutdown flushed them: the live session may still have been updating its creds before
    const stored = await readAuthCreds(h.db.db, id);
    expect((await getSession(h.db.db, id))?.status).toBe("working");
    await h.db.db.execute(sql`alter table wa_auth_creds rename to wa_auth_creds_unreadable`);
    let rebooted: GatewayEngine | null = null;
    try {
      rebooted = await h.engine();
      await h.waitForStatus(id, "failed");
      expect(await h.statusReason(id)).toMatch(/auth state could not be read/);
      expect(rebooted.manager.peek(id)?.currentQr()).toBeNull();
    } finally {
      await h.db.db.execute(sql`alter table wa_auth_creds_unreadable rename to wa_auth_creds`);
    }
    expect(await readAuthCreds(h.db.db, id)).toBe(stored);
    const rows = await h.db.db.select().from(schema.waAuthCreds);
    expect(rows.filter((r) => r.sessionId === id)).toHaveLength(1);
    // once the database reads again, the same creds log in without a QR
    const rec = record(rebooted, id);
    await rebooted.sessions.start(id);
    await h.waitForStatus(id, "working", 30_000);
    await rec.stop();
    expect(rec.statuses()).not.toContain("scan_qr_code");
    await rebooted.shutdown();
  });
});
