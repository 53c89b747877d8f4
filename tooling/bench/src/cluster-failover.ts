// Several gateways as real processes (`apps/gateway/src/index.ts`, real Baileys) over one database and the simulator:
// forwarding overhead on a page read, failover after SIGKILL with 100 and then 300 sessions, and a rolling restart
// (SIGTERM hand-over) of all three gateways with 300 sessions. "Working again" is read from the database (status
// `working` with a connection made after the event, on a live gateway) and cross-checked at the simulator (one live
// socket per account, no new linked device).
import { and, eq, gte, inArray, ne, sql } from "drizzle-orm";
import { schema, seed } from "@wa/db";
import { mintCompanions, type MintedCompanion } from "@wa/wa-sim";
import { defaultClusterTimings } from "@wa/gateway/cluster";
import type { BenchDatabase } from "./database.ts";
import { BENCH_PASSWORD, createBenchIdentity, SUPER_ADMIN_EMAIL, type BenchIdentity } from "./gateway.ts";
import { api, pool, type Scenario } from "./pairing.ts";
import { freePort, sleep, startGatewayChild, startSimulatorChild, type GatewayChild, type SimulatorChild } from "./processes.ts";
import { summarize, type Summary } from "./stats.ts";
import { storeMintedAuthState } from "./stored-sessions.ts";

const GATEWAYS = ["gw-1", "gw-2", "gw-3"] as const;
const SCENARIO: Scenario = { seed: "bench-cluster", contacts: 5, groups: 1, membersPerGroup: 3 };
/** The simulated accounts' numbers: this prefix + 7 digits. */
const PHONE_PREFIX = "62818";
/** Starts in flight at once (each goes through gw-1 to the session's holder). */
const START_CONCURRENCY = 8;
/** Requests per path (direct, forwarded) for the forwarding overhead, alternating; after WARMUP of each. */
const FORWARD_ROUNDS = 120;
const WARMUP = 20;
const WAIT_MS = 120_000;

export interface FailoverFigure {
  sessions: number;
  killed: string;
  moved: number;
  /** Kill → first / last moved session working on another gateway. */
  firstMs: number;
  lastMs: number;
  spread: Record<string, number>;
}

export interface RollingStep {
  gateway: string;
  handed: number;
  /** SIGTERM → process exited (hand-over done). */
  drainMs: number;
  /** SIGTERM → every session working again (the restarted gateway included). */
  backMs: number;
}

export interface ClusterProcessFigures {
  pairing: { sessions: number; seconds: number }[];
  forwarding: { direct: Summary; forwarded: Summary; route: string; holder: string; via: string };
  failovers: FailoverFigure[];
  rolling: { sessions: number; steps: RollingStep[]; worstDisconnected: number; samples: number; lost: number };
  leaseTtlMs: number;
}

interface Cluster {
  db: BenchDatabase;
  sim: SimulatorChild;
  identity: BenchIdentity;
  gateways: Map<string, GatewayChild>;
  ports: Map<string, number>;
  phones: string[];
}

async function startGateway(c: Cluster, id: string): Promise<GatewayChild> {
  const port = c.ports.get(id) ?? (await freePort());
  c.ports.set(id, port);
  const gw = await startGatewayChild({
    databaseUrl: c.db.url,
    webUrl: c.identity.webUrl,
    jwksUrl: c.identity.identity.jwksUrl,
    waWsUrl: c.sim.wsUrl,
    gatewayId: id,
    port,
  });
  c.gateways.set(id, gw);
  return gw;
}

function gatewayOf(c: Cluster, id: string): GatewayChild {
  const gw = c.gateways.get(id);
  if (!gw) throw new Error(`no gateway ${id}`);
  return gw;
}

/**
 * Adds `count` sessions the way a user brings back numbers already linked: each is created through gw-1 (placement
 * puts it on the least-loaded gateway), given the auth state of a companion the simulator minted (what a pairing and
 * its first login leave; pairing 300 through the gateways would be two minutes of the time plan), and started through
 * gw-1's API. Returns once all are `working`.
 */
async function startMore(c: Cluster, count: number): Promise<{ sessions: number; seconds: number }> {
  const offset = c.phones.length;
  const t0 = Date.now();
  const via = gatewayOf(c, "gw-1").url;
  const minted = await mintCompanions(c.sim.httpUrl, { count, phonePrefix: PHONE_PREFIX, firstIndex: offset, scenario: SCENARIO });
  // Created one at a time: placement happens in the create's transaction and must see every earlier session.
  const created: { id: string; companion: MintedCompanion }[] = [];
  for (const companion of minted) {
    const res = await api<{ id: string }>(via, await c.identity.ownerToken(), "/sessions", { method: "POST", body: { label: `cluster ${companion.phoneNumber}`, start: false } });
    if (res.status !== 201) throw new Error(`create: HTTP ${res.status}`);
    created.push({ id: res.body.id, companion });
  }
  const ids = await pool(created, START_CONCURRENCY, async ({ id, companion }) => {
    await storeMintedAuthState(c.db, id, companion);
    const started = await api<{ status: string }>(via, await c.identity.ownerToken(), `/sessions/${id}:start`, { method: "POST" });
    if (started.status !== 200) throw new Error(`start: HTTP ${started.status}`);
    return id;
  });
  for (;;) {
    const working = await c.db.db.$count(schema.waSessions, and(inArray(schema.waSessions.id, ids), eq(schema.waSessions.status, "working")));
    if (working === ids.length) break;
    if (Date.now() - t0 > WAIT_MS) throw new Error(`${working} of ${ids.length} started sessions working after ${WAIT_MS / 1000} s`);
    await sleep(200);
  }
  c.phones.push(...minted.map((m) => m.phoneNumber));
  return { sessions: c.phones.length, seconds: (Date.now() - t0) / 1000 };
}

async function sessionIdsOn(c: Cluster, gatewayId: string): Promise<string[]> {
  const rows = await c.db.db.select({ id: schema.waSessions.id }).from(schema.waSessions).where(eq(schema.waSessions.gatewayId, gatewayId));
  return rows.map((r) => r.id);
}

/** Sessions per gateway, as recorded in the database. */
async function holders(c: Cluster): Promise<Record<string, number>> {
  const rows = await c.db.db.execute<{ gateway_id: string; n: number }>(sql`select gateway_id, count(*)::int as n from wa_sessions group by gateway_id`);
  return Object.fromEntries([...rows].map((r) => [r.gateway_id, Number(r.n)]));
}

/** How many of `ids` are `working` on a gateway other than `except`, with a connection made at or after `since`. */
async function workingSince(c: Cluster, ids: string[], since: number, except: string): Promise<number> {
  if (ids.length === 0) return 0;
  return c.db.db.$count(
    schema.waSessions,
    and(
      inArray(schema.waSessions.id, ids),
      eq(schema.waSessions.status, "working"),
      ne(schema.waSessions.gatewayId, except),
      gte(schema.waSessions.lastConnectedAt, new Date(since)),
    ),
  );
}

async function simAccounts(c: Cluster): Promise<{ phoneNumber: string; connected: number; devices: number; replaced: number }[]> {
  const res = await fetch(`${c.sim.httpUrl}/sim/accounts`);
  return ((await res.json()) as { data: { phoneNumber: string; connected: number; devices: number; replaced: number }[] }).data;
}

/** Every account has exactly one linked device (no re-pairing) and one live socket. */
async function checkSimulator(c: Cluster, when: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ours = new Set(c.phones);
    const accounts = (await simAccounts(c)).filter((a) => ours.has(a.phoneNumber));
    const relinked = accounts.filter((a) => a.devices !== 1).length;
    if (relinked > 0) throw new Error(`${when}: ${relinked} accounts have a second linked device (re-paired)`);
    const notOne = accounts.filter((a) => a.connected !== 1).length;
    if (accounts.length === c.phones.length && notOne === 0) return;
    if (Date.now() > deadline) throw new Error(`${when}: ${notOne} accounts have no or several live sockets at the simulator`);
    await sleep(250);
  }
}

async function failover(c: Cluster): Promise<FailoverFigure> {
  const before = await holders(c);
  const killed = GATEWAYS.reduce((a, b) => ((before[b] ?? 0) > (before[a] ?? 0) ? b : a));
  const movedIds = await sessionIdsOn(c, killed);
  const moved = movedIds.length;
  const sessions = c.phones.length;
  const gw = gatewayOf(c, killed);
  const killedAt = Date.now();
  gw.process.kill("SIGKILL");
  await gw.exited;
  // Sessions elsewhere stay connected from before; the moved ones reconnect after the kill.
  const stayed = sessions - moved;
  let firstMs = 0;
  for (;;) {
    const back = await workingSince(c, movedIds, killedAt, killed);
    if (back > 0 && firstMs === 0) firstMs = Date.now() - killedAt;
    if (back >= moved) break;
    if (Date.now() - killedAt > WAIT_MS) throw new Error(`failover: ${back} of ${moved} sessions working again after ${WAIT_MS / 1000} s`);
    await sleep(100);
  }
  const lastMs = Date.now() - killedAt;
  const after = await holders(c);
  const spread = Object.fromEntries(GATEWAYS.filter((g) => g !== killed).map((g) => [g, (after[g] ?? 0) - (before[g] ?? 0)]));
  if ((after[killed] ?? 0) !== 0 || Object.values(after).reduce((a, b) => a + b, 0) !== stayed + moved) throw new Error("failover: sessions left behind");
  await checkSimulator(c, `after SIGKILL of ${killed}`);
  // Back as an empty gateway: it takes nothing back by force.
  await startGateway(c, killed);
  return { sessions, killed, moved, firstMs, lastMs, spread };
}

/**
 * SIGTERM each gateway in turn, start it again, and wait until every session it handed over is working on another
 * gateway before the next. Sampled all along at the simulator: accounts with no live socket (the database keeps
 * `working` through a hand-over, so the socket is the truth).
 */
async function rollingRestart(c: Cluster): Promise<ClusterProcessFigures["rolling"]> {
  const sessions = c.phones.length;
  const ours = new Set(c.phones);
  let worstDisconnected = 0;
  let samples = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const disconnected = (await simAccounts(c)).filter((a) => ours.has(a.phoneNumber) && a.connected === 0).length;
      worstDisconnected = Math.max(worstDisconnected, disconnected);
      samples += 1;
      await sleep(100);
    }
  })();
  const steps: RollingStep[] = [];
  try {
    for (const id of GATEWAYS) {
      const handed = await sessionIdsOn(c, id);
      const gw = gatewayOf(c, id);
      const t0 = Date.now();
      gw.process.kill("SIGTERM");
      const code = await gw.exited;
      if (code !== 0) throw new Error(`${id} exited with ${code} after SIGTERM`);
      const drainMs = Date.now() - t0;
      await startGateway(c, id);
      for (;;) {
        const back = await workingSince(c, handed, t0, id);
        if (back >= handed.length) break;
        if (Date.now() - t0 > WAIT_MS) throw new Error(`rolling restart: ${back} of ${handed.length} handed sessions working ${WAIT_MS / 1000} s after SIGTERM of ${id}`);
        await sleep(100);
      }
      await checkSimulator(c, `after the hand-over of ${id}`);
      steps.push({ gateway: id, handed: handed.length, drainMs, backMs: Date.now() - t0 });
    }
  } finally {
    sampling = false;
    await sampler;
  }
  const [row] = await c.db.db.execute<{ n: number }>(sql`select count(*)::int as n from wa_sessions where status = 'working'`);
  return { sessions, steps, worstDisconnected, samples, lost: sessions - Number(row?.n ?? 0) };
}

/** The same page read (a session's chats) on its holder and through another gateway, alternating. */
async function forwardingOverhead(c: Cluster): Promise<ClusterProcessFigures["forwarding"]> {
  const [row] = await c.db.db.execute<{ id: string; gateway_id: string }>(
    sql`select id, gateway_id from wa_sessions where status = 'working' order by gateway_id desc, id limit 1`,
  );
  if (!row) throw new Error("no working session");
  const holder = row.gateway_id;
  const other = GATEWAYS.find((g) => g !== holder) ?? "gw-1";
  const route = `/sessions/${row.id}/chats?limit=50`;
  const token = await c.identity.ownerToken();
  const timed = async (via: string) => {
    const t0 = performance.now();
    const res = await api<{ data: unknown[] }>(gatewayOf(c, via).url, token, route);
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`GET ${route} via ${via}: HTTP ${res.status}`);
    return ms;
  };
  const direct: number[] = [];
  const forwarded: number[] = [];
  for (let i = 0; i < WARMUP + FORWARD_ROUNDS; i += 1) {
    const d = await timed(holder);
    const f = await timed(other);
    if (i >= WARMUP) {
      direct.push(d);
      forwarded.push(f);
    }
  }
  return { direct: summarize(direct), forwarded: summarize(forwarded), route: "GET /sessions/{id}/chats?limit=50", holder, via: other };
}

/** Sessions for the first failover, then in all (second failover, rolling restart). */
export interface ClusterScale {
  first: number;
  total: number;
}

/** Three gateways and the simulator over `db`, nothing paired yet. */
async function startCluster(db: BenchDatabase): Promise<Cluster> {
  await seed(db.db, { superAdminEmail: SUPER_ADMIN_EMAIL, superAdminPassword: BENCH_PASSWORD, demoPassword: BENCH_PASSWORD });
  const identity = await createBenchIdentity(db);
  const sim = await startSimulatorChild();
  const c: Cluster = { db, sim, identity, gateways: new Map(), ports: new Map(), phones: [] };
  // Ports first (one at a time, so no two draw the same), then the three start-ups side by side: nothing is measured yet.
  for (const id of GATEWAYS) c.ports.set(id, await freePort());
  await Promise.all(GATEWAYS.map((id) => startGateway(c, id)));
  return c;
}

/** Only the forwarding overhead, with a few sessions (`--only=forwarding`: for working on it, never reported). */
export async function measureForwardingOnly(db: BenchDatabase, sessions: number): Promise<ClusterProcessFigures["forwarding"]> {
  const c = await startCluster(db);
  await startMore(c, sessions);
  return forwardingOverhead(c);
}

export async function measureClusterProcesses(db: BenchDatabase, scale: ClusterScale): Promise<ClusterProcessFigures> {
  const c = await startCluster(db);

  const pairing = [await startMore(c, scale.first)];
  console.log(`  ${scale.first} sessions working in ${pairing[0]?.seconds.toFixed(0)} s`);
  const forwarding = await forwardingOverhead(c);
  // Printed now: a later part failing must not lose these figures.
  const { direct, forwarded } = forwarding;
  console.log(`  forwarding: direct ${direct.median.toFixed(2)} ms, forwarded ${forwarded.median.toFixed(2)} ms (÷ ${(forwarded.median / direct.median).toFixed(2)})`);
  const failovers = [await failover(c)];
  console.log(`  failover of ${failovers[0]?.moved} sessions: ${((failovers[0]?.lastMs ?? 0) / 1000).toFixed(1)} s`);
  pairing.push(await startMore(c, scale.total - scale.first));
  console.log(`  ${scale.total} sessions working in ${pairing[1]?.seconds.toFixed(0)} s more`);
  const rolling = await rollingRestart(c);
  console.log(`  rolling restart: worst ${rolling.worstDisconnected} disconnected`);
  failovers.push(await failover(c));
  console.log(`  failover of ${failovers[1]?.moved} sessions: ${((failovers[1]?.lastMs ?? 0) / 1000).toFixed(1)} s`);
  return { pairing, forwarding, failovers, rolling, leaseTtlMs: defaultClusterTimings.leaseTtlMs };
}
