// Three real gateway processes, one database, one simulator: placement of 30 sessions, forwarding (and its
// refusals), SIGKILL takeover without re-pairing, SIGSTOP past the lease, SIGTERM hand-over with messages queued
// (none lost, no 440 `replaced`) — with one live connection per account sampled throughout.
import { schema } from "@wa/db";
import { getSession, listGateways } from "@wa/db/queries";
import { and, inArray, ne } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, sleep, TEST_APP_SECRET, until, type Harness } from "../../test/harness.ts";
import { GatewayCluster } from "../../test/gateway-cluster.ts";
import { FORWARD_HEADER, signForward } from "./assertion.ts";

const SESSIONS = Number(process.env.CLUSTER_TEST_SESSIONS ?? 30);
/**
 * Sessions created (one at a time, so placement sees every earlier one) and then paired at once, batch after batch:
 * a session waits for its QR scan no longer than one batch takes.
 */
const PAIRING_BATCH = 6;
let h: Harness;
let c: GatewayCluster;
const phones = Array.from({ length: SESSIONS }, (_, i) => `62817100${String(i).padStart(4, "0")}`);
const ids: string[] = [];
const phoneOf = new Map<string, string>();
const maxConnected = new Map<string, number>();
let sampling = true;
let sampler: Promise<void> = Promise.resolve();

const holderOf = async (id: string) => (await getSession(h.db.db, id))?.gatewayId;
const sessionsOf = async (gw: string) => {
  const out: string[] = [];
  for (const id of ids) if ((await holderOf(id)) === gw) out.push(id);
  return out;
};
/** Every account's linked devices (id and pairing time): a re-pairing would add or replace one. */
const allLinkedDevices = () => Promise.all(phones.map((p) => c.linkedDevices(p)));

beforeAll(async () => {
  h = await createHarness();
  c = new GatewayCluster({ db: h.db, sim: h.sim, appSecret: TEST_APP_SECRET });
  await c.seed();
  await Promise.all([c.start("gw-1"), c.start("gw-2"), c.start("gw-3")]);
}, 240_000);

afterAll(async () => {
  if (process.env.CLUSTER_TEST_LOGS) {
    for (const gw of c?.gateways.values() ?? []) {
      const lines = gw.output.join("").split("\n").filter((l) => /lease|taken|draining|forward|placement|error/i.test(l));
      console.log(gw.id, lines.slice(-40).join("\n"));
    }
  }
  sampling = false;
  await sampler;
  await c?.stopAll();
  await h?.close();
});

describe("several gateways", () => {
  it(`places ${SESSIONS} sessions created through gateway 1 on every gateway (each ≥ ${Math.floor(SESSIONS / 3) - 2}); all pair and work`, async () => {
    for (let i = 0; i < phones.length; i += PAIRING_BATCH) {
      const batch: string[] = [];
      for (const phone of phones.slice(i, i + PAIRING_BATCH)) {
        const id = await c.create("gw-1", phone);
        batch.push(id);
        phoneOf.set(id, phone);
      }
      ids.push(...batch);
      await Promise.all(batch.map((id) => c.pair("gw-1", id, phoneOf.get(id) ?? "")));
    }
    const counts = await Promise.all(["gw-1", "gw-2", "gw-3"].map(async (gw) => (await sessionsOf(gw)).length));
    for (const n of counts) expect(n).toBeGreaterThanOrEqual(Math.floor(SESSIONS / 3) - 2);
    for (const id of ids) expect((await getSession(h.db.db, id))?.status).toBe("working");
    for (const p of phones) expect((await c.account(p)).devices).toBe(1);
    const gateways = await listGateways(h.db.db);
    expect(gateways.map((g) => [g.id, g.status])).toEqual([["gw-1", "online"], ["gw-2", "online"], ["gw-3", "online"]]);
    expect(gateways.reduce((n, g) => n + g.sessions, 0)).toBe(SESSIONS);
    // From now on, every account is sampled: never two live connections.
    sampler = (async () => {
      while (sampling) {
        await Promise.all(
          phones.map(async (p) => {
            const { connected } = await c.account(p);
            maxConnected.set(p, Math.max(maxConnected.get(p) ?? 0, connected));
          }),
        );
        await sleep(250);
      }
    })();
  }, 420_000);

  it("forwards a call about a session held elsewhere; refuses forged and replayed forwards with 401", async () => {
    const [held] = await sessionsOf("gw-3");
    if (!held) throw new Error("gw-3 holds nothing");
    const viaOne = await c.call("gw-1", "GET", `/sessions/${held}`);
    expect(viaOne.status).toBe(200);
    expect(viaOne.headers.get("x-wa-served-by")).toBe("gw-3");
    expect(viaOne.body).toMatchObject({ id: held, gatewayId: "gw-3", status: "working" });
    const qr = await c.call("gw-1", "GET", `/sessions/${held}/qr`);
    expect(qr.status).toBe(409); // answered by the holder, which knows it is working

    const forged = signForward("not-the-cluster-secret-not-the-cluster-secret", { method: "GET", url: `/api/v1/sessions/${held}`, body: "" }, "gw-1", "gw-3");
    expect((await c.call("gw-3", "GET", `/sessions/${held}`, undefined, { [FORWARD_HEADER]: forged })).status).toBe(401);
    const { CLUSTER_TEST_SECRET } = await import("../../test/gateway-cluster.ts");
    // bound to the caller's credentials as sent on
    const headers = { authorization: `Bearer ${c.apiKey}` };
    const genuine = signForward(CLUSTER_TEST_SECRET, { method: "GET", url: `/api/v1/sessions/${held}`, body: "", headers }, "gw-1", "gw-3");
    expect((await c.call("gw-3", "GET", `/sessions/${held}`, undefined, { [FORWARD_HEADER]: genuine })).status).toBe(200);
    const replayed = await c.call("gw-3", "GET", `/sessions/${held}`, undefined, { [FORWARD_HEADER]: genuine });
    expect(replayed.status).toBe(401);
    expect(replayed.body).toMatchObject({ error: { code: "unauthorized" } });
    // bound to the method and path: the same signature for another call is refused
    const other = signForward(CLUSTER_TEST_SECRET, { method: "GET", url: `/api/v1/sessions/${held}`, body: "", headers }, "gw-1", "gw-3");
    expect((await c.call("gw-3", "POST", `/sessions/${held}:stop`, undefined, { [FORWARD_HEADER]: other })).status).toBe(401);
    expect((await getSession(h.db.db, held))?.status).toBe("working");
  });

  it("SIGKILL of gateway 2: its sessions work on gateways 1 and 3 within 30 s, with no new pairing; 503 before takeover", async () => {
    const moved = await sessionsOf("gw-2");
    expect(moved.length).toBeGreaterThan(0);
    const devicesBefore = await allLinkedDevices();
    const killedAt = Date.now();
    await c.kill("gw-2", "SIGKILL");
    const [first] = moved;
    const early = await c.call("gw-1", "GET", `/sessions/${first}`);
    expect([503, 200]).toContain(early.status); // 503 gateway_unavailable until a live gateway holds it
    if (early.status === 503) expect(early.body).toMatchObject({ error: { code: "gateway_unavailable" } });
    for (const id of moved) await c.waitWorking("gw-1", id, 45_000);
    const elapsed = Date.now() - killedAt;
    expect(elapsed).toBeLessThan(30_000 + 5_000); // polling slack under load
    for (const id of moved) expect(["gw-1", "gw-3"]).toContain(await holderOf(id));
    expect(await allLinkedDevices()).toEqual(devicesBefore);
  }, 90_000);

  it("SIGSTOP of gateway 3 past its lease: taken over; after SIGCONT it reconnects nothing", async () => {
    const paused = await sessionsOf("gw-3");
    expect(paused.length).toBeGreaterThan(0);
    c.get("gw-3").child.kill("SIGSTOP");
    for (const id of paused) {
      await until(async () => (await holderOf(id)) === "gw-1", `${id} taken over by gw-1`, 45_000, 250);
      await c.waitWorking("gw-1", id, 45_000);
    }
    c.get("gw-3").child.kill("SIGCONT");
    await sleep(20_000);
    for (const id of paused) {
      expect(await holderOf(id)).toBe("gw-1");
      expect((await getSession(h.db.db, id))?.status).toBe("working");
    }
    const metrics = await (await fetch(`${c.get("gw-3").url}/metrics`)).text();
    expect(metrics).toMatch(/wa_leases_held\{[^}]*\} 0/);
  }, 120_000);

  it("SIGTERM of gateway 1 hands its sessions over (closed there before opened here: no 440 at the simulator) with no queued message lost", async () => {
    await c.start("gw-2");
    const handed = await sessionsOf("gw-1");
    expect(handed.length).toBeGreaterThan(0);
    const devicesBefore = await allLinkedDevices();
    const replacedBefore = new Map(await Promise.all(phones.map(async (p) => [p, (await c.account(p)).replaced] as const)));

    // Messages queued on gateway 1's sessions right before the signal; typing first makes each send take a while,
    // so most are still in the outbox when gateway 1 closes the sessions.
    const queuing = handed.slice(0, 6);
    const queued = new Map<string, { to: string; texts: string[] }>();
    for (const id of queuing) {
      expect((await c.call("gw-1", "PATCH", `/sessions/${id}`, { presenceTyping: true })).status).toBe(200);
      const phone = phoneOf.get(id) ?? "";
      const detail = (await (await fetch(`${h.sim.httpUrl}/sim/accounts/${phone}`)).json()) as { contactRows: { jid: string }[] };
      const to = detail.contactRows[0]?.jid;
      if (!to) throw new Error(`${phone} has no contacts`);
      const texts = Array.from({ length: 3 }, (_, i) => `queued across the hand-over ${id} #${i}`);
      for (const text of texts) {
        const sent = await c.call("gw-1", "POST", `/sessions/${id}/messages?async=true`, { type: "text", to, text });
        expect(sent.status).toBe(202);
      }
      queued.set(id, { to, texts });
    }

    const unsent = await h.db.db
      .select({ id: schema.outbox.id })
      .from(schema.outbox)
      .where(and(inArray(schema.outbox.sessionId, queuing), ne(schema.outbox.state, "sent")));
    expect(unsent.length).toBeGreaterThan(0); // the hand-over really has queued messages to carry

    await c.kill("gw-1", "SIGTERM");
    expect(await c.get("gw-1").exited).toBe(0);
    for (const id of handed) {
      expect(["gw-2", "gw-3"]).toContain(await holderOf(id));
      await c.waitWorking("gw-2", id, 45_000);
    }
    const gateways = await listGateways(h.db.db);
    expect(gateways.find((g) => g.id === "gw-1")?.status).toBe("offline");

    // Every queued message reached its contact, once (the simulator keeps a resent WhatsApp id once; copies to the
    // account's own devices are recorded under another recipient).
    for (const [id, { to, texts }] of queued) {
      const phone = phoneOf.get(id) ?? "";
      const received = await until(
        async () => {
          const body = (await (await fetch(`${h.sim.httpUrl}/sim/accounts/${phone}/messages`)).json()) as { data: { text: string; recipient: string }[] };
          const got = body.data.filter((m) => m.recipient === to && texts.includes(m.text)).map((m) => m.text);
          return texts.every((t) => got.includes(t)) ? got : null;
        },
        `the messages queued on ${id} to arrive`,
        45_000,
        250,
      );
      expect(received.sort()).toEqual([...texts].sort());
    }
    for (const p of phones) expect((await c.account(p)).replaced).toBe(replacedBefore.get(p));
    expect(await allLinkedDevices()).toEqual(devicesBefore);
  }, 180_000);

  it("never showed two live connections for one account", () => {
    sampling = false;
    for (const p of phones) expect(maxConnected.get(p) ?? 0).toBeLessThanOrEqual(1);
  });
});
