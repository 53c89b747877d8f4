// The database unreachable for longer than the lease, with three real gateway processes that reach it through a
// TCP proxy this test silences (the shared PostgreSQL server is never disturbed; the test reads it directly):
// every gateway closes its sockets before its leases could expire and reconnects nothing while the database is
// away; when it answers again every session is back to `working` from its stored auth state — the same linked
// device at the simulator, no new pairing, one live connection per account throughout.
import { schema } from "@wa/db";
import { getSession } from "@wa/db/queries";
import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayCluster } from "../../test/gateway-cluster.ts";
import { createHarness, sleep, TEST_APP_SECRET, until, type Harness } from "../../test/harness.ts";
import { startSilenceableProxy, type SilenceableProxy } from "../../test/silenceable-proxy.ts";

const GATEWAYS = ["gw-a", "gw-b", "gw-c"];
const SESSIONS = 6;
const phones = Array.from({ length: SESSIONS }, (_, i) => `62817300${String(i).padStart(4, "0")}`);
const ids: string[] = [];
const phoneOf = new Map<string, string>();
let h: Harness;
let proxy: SilenceableProxy;
let c: GatewayCluster;
let devicesBefore: { deviceId: number; pairedAt: number }[][] = [];

// Every account sampled throughout: never two live connections, and no socket the simulator had to replace.
const maxConnected = new Map<string, number>();
let sampling = true;
let sampler: Promise<void> = Promise.resolve();
let connectedNow = new Map<string, number>();

const leasesOf = () => h.db.db.select().from(schema.sessionLeases).where(inArray(schema.sessionLeases.sessionId, ids));
const allLinkedDevices = () => Promise.all(phones.map((p) => c.linkedDevices(p)));

beforeAll(async () => {
  h = await createHarness();
  const target = new URL(h.db.url);
  proxy = await startSilenceableProxy({ host: target.hostname, port: Number(target.port || 5432) });
  c = new GatewayCluster({ db: h.db, sim: h.sim, appSecret: TEST_APP_SECRET, gatewayDatabaseUrl: proxy.urlFor(h.db.url) });
  await c.seed();
  await Promise.all(GATEWAYS.map((gw) => c.start(gw)));
}, 240_000);

afterAll(async () => {
  if (process.env.CLUSTER_TEST_LOGS) {
    for (const gw of c?.gateways.values() ?? []) {
      const lines = gw.output.join("").split("\n").filter((l) => /lease|taken|closing|database|error|warn/i.test(l));
      console.log(gw.id, lines.slice(-60).join("\n"));
    }
  }
  sampling = false;
  await sampler;
  proxy?.restore();
  await c?.stopAll();
  await proxy?.close();
  await h?.close();
});

describe("several gateways while the database is unreachable", () => {
  it("pairs sessions on every gateway", async () => {
    for (const phone of phones) {
      const id = await c.create("gw-a", phone);
      ids.push(id);
      phoneOf.set(id, phone);
    }
    await Promise.all(ids.map((id) => c.pair("gw-a", id, phoneOf.get(id) ?? "")));
    const holders = new Set(await Promise.all(ids.map(async (id) => (await getSession(h.db.db, id))?.gatewayId)));
    expect([...holders].sort()).toEqual(GATEWAYS);
    devicesBefore = await allLinkedDevices();
    for (const devices of devicesBefore) expect(devices).toHaveLength(1);
    sampler = (async () => {
      while (sampling) {
        const now = new Map<string, number>();
        await Promise.all(
          phones.map(async (p) => {
            const { connected } = await c.account(p);
            now.set(p, connected);
            maxConnected.set(p, Math.max(maxConnected.get(p) ?? 0, connected));
          }),
        );
        connectedNow = now;
        await sleep(100);
      }
    })();
  }, 180_000);

  it("past the lease: every gateway closes its sockets before its leases could expire, and reconnects nothing", async () => {
    const silencedAt = Date.now();
    proxy.silence();
    // A renewal already past the proxy commits within milliseconds: read the leases after it.
    await sleep(500);
    const leases = await leasesOf();
    expect(leases).toHaveLength(SESSIONS);
    const latestExpiry = Math.max(...leases.map((l) => l.expiresAt.getTime()));

    // Each socket is closed while its lease is still ours: nobody could have taken the session before. When each
    // socket closed is the simulator's record of it, not when this test's polling noticed; each is held to its own
    // session's lease (they were acquired and renewed at different moments, seconds apart).
    await until(() => phones.every((p) => connectedNow.get(p) === 0), "every account to have no live connection", 30_000, 50);
    let closedAt: number[] = [];
    await until(
      async () => {
        const accounts = await Promise.all(phones.map((p) => c.account(p)));
        closedAt = accounts.map((a) => a.lastDisconnectedAt ?? 0);
        return accounts.every((a) => a.connected === 0) && closedAt.every((at) => at >= silencedAt);
      },
      "every account's close recorded since the silence",
      30_000,
      50,
    );
    for (const lease of leases) {
      const closed = closedAt[phones.indexOf(phoneOf.get(lease.sessionId) ?? "")];
      expect(closed, `session ${lease.sessionId} on ${lease.gatewayId}`).toBeLessThan(lease.expiresAt.getTime());
    }

    // Longer than the lease: every lease expires with the database away, and no gateway reconnects meanwhile.
    while (Date.now() < latestExpiry + 3_000) {
      for (const p of phones) expect(connectedNow.get(p)).toBe(0);
      await sleep(200);
    }
    const unchanged = await leasesOf();
    expect(unchanged.map((l) => [l.sessionId, l.gatewayId, l.epoch]).sort()).toEqual(leases.map((l) => [l.sessionId, l.gatewayId, l.epoch]).sort());
    for (const l of unchanged) expect(l.expiresAt.getTime()).toBeLessThan(Date.now());
  }, 120_000);

  it("when the database answers again, every session works again from its stored auth state, without re-pairing", async () => {
    const restoredAt = Date.now();
    proxy.restore();
    await until(
      async () => {
        for (const id of ids) {
          const row = await getSession(h.db.db, id);
          if (row?.status !== "working" || (row.lastConnectedAt ?? 0) < restoredAt) return false;
        }
        return phones.every((p) => connectedNow.get(p) === 1);
      },
      "every session working again (connected since the database returned)",
      90_000,
      250,
    );
    expect(await allLinkedDevices()).toEqual(devicesBefore);
    // Working for real: a message sent through any gateway reaches the contact.
    for (const id of ids) {
      const phone = phoneOf.get(id) ?? "";
      const detail = (await (await fetch(`${h.sim.httpUrl}/sim/accounts/${phone}`)).json()) as { contactRows: { jid: string }[] };
      const text = `after the outage ${id}`;
      const sent = await c.call("gw-b", "POST", `/sessions/${id}/messages`, { type: "text", to: detail.contactRows[0]?.jid, text });
      expect(sent.status).toBe(200);
      const received = (await (await fetch(`${h.sim.httpUrl}/sim/accounts/${phone}/messages`)).json()) as { data: { text: string }[] };
      expect(received.data.map((m) => m.text)).toContain(text);
    }
    sampling = false;
    await sampler;
    for (const p of phones) {
      expect(maxConnected.get(p)).toBe(1);
      expect((await c.account(p)).replaced).toBe(0);
    }
  }, 180_000);
});
