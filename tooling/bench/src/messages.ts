// Messaging: sustained send throughput of one gateway to the simulator (limits set high), the latency from `POST`
// to the simulator's receipt, inbound messages stored per second, and the cost of the rate-limit check — each next
// to its floor, a plain Baileys client (tooling/bench/src/raw-baileys-client.ts) paired with the same simulator and
// measured in the same run, rounds interleaved so both see the same machine.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { seed } from "@wa/db";
import { checkRateWindows, lockSessionForSend } from "@wa/db/queries";
import { createBenchDatabase, type BenchDatabase } from "./database.ts";
import { BENCH_PASSWORD, createBenchIdentity, SUPER_ADMIN_EMAIL } from "./gateway.ts";
import { api, apiOk, pool, type SessionView } from "./pairing.ts";
import { cpuMs, onCleanup, REPO_ROOT, sleep, startChild, startGatewayChild, startSimulatorChild, until, type Child } from "./processes.ts";
import { formatShares, ownerOf, summarizeProfile, type CpuProfile } from "./profile.ts";
import { table } from "./report.ts";
import { measure, ms, quantile, summarize } from "./stats.ts";

/**
 * Messages per measured round; the simulator keeps the last 2 000 records per account (two per 1:1 send). 200, not
 * 300: three rounds still give the median, and the section saves half a minute of its time plan.
 */
const ROUND = 150;
const ROUNDS = 3;
/** Sends in flight at once, for the floor and for ours alike. */
const CONCURRENCY = 16;
/** One-at-a-time sends for the unloaded latency. */
const SEQUENTIAL = 60;
const RECIPIENTS = 5;
/** Inbound texts the simulated contacts send each account, and how many of those sends are in flight at once. */
const INBOUND = 200;
const INBOUND_CONCURRENCY = 8;
/** Timed runs of the rate-limit check. */
const CHECK_RUNS = 300;
const FLOOR_PHONE = "6289900000001";
/** Both accounts (the floor's is set in raw-baileys-client.ts to the same): 20 contacts, 2 small groups. */
const SCENARIO = { seed: "bench-messages", contacts: 20, groups: 2, membersPerGroup: 5 };
const OURS_PHONE = "6289900000002";

interface SimRecord {
  id: string;
  chat: string;
  recipient: string;
  t: number;
}

interface SentMessage {
  id: string;
  start: number;
}

interface Round {
  /** Messages per second: the round's messages over first start → last simulator receipt. */
  rate: number;
  /** Milliseconds from the start of each send to the simulator's receipt. */
  latencies: number[];
  /** Sender process CPU per message, ms. */
  cpuPerMessage: number;
  /** PostgreSQL CPU per message, ms (ours only). */
  postgresPerMessage: number;
}

async function simMessages(simHttpUrl: string, phone: string): Promise<SimRecord[]> {
  const res = await fetch(`${simHttpUrl}/sim/accounts/${phone}/messages`);
  if (!res.ok) throw new Error(`GET /sim/accounts/${phone}/messages: HTTP ${res.status}`);
  return ((await res.json()) as { data: SimRecord[] }).data;
}

/** Waits until every sent id reached its contact at the simulator; returns the first receipt time of each. */
async function receipts(simHttpUrl: string, phone: string, sent: SentMessage[], timeoutMs = 120_000): Promise<Map<string, number>> {
  const wanted = new Set(sent.map((m) => m.id));
  return until(
    async () => {
      const seen = new Map<string, number>();
      for (const r of await simMessages(simHttpUrl, phone)) {
        // The account's own phone decrypts a copy too (recipient = the account); the contact's receipt counts.
        if (!wanted.has(r.id) || r.recipient.startsWith(`${phone}@`)) continue;
        seen.set(r.id, Math.min(seen.get(r.id) ?? Infinity, r.t));
      }
      return seen.size === wanted.size ? seen : null;
    },
    `${wanted.size} messages at the simulator for ${phone}`,
    timeoutMs,
    250,
  );
}

/** CPU of this database's PostgreSQL backends (same machine), in ms. */
async function postgresCpuMs(db: BenchDatabase): Promise<number> {
  const backends = await db.sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database()`;
  return backends.reduce((sum, b) => sum + cpuMs(b.pid), 0);
}

interface Sender {
  label: string;
  phone: string;
  pid: number;
  send: (to: string[], count: number, concurrency: number, text: string) => Promise<SentMessage[]>;
}

async function measureRound(sender: Sender, db: BenchDatabase, simHttpUrl: string, to: string[], count: number, concurrency: number, text: string): Promise<Round> {
  const cpuBefore = cpuMs(sender.pid);
  const pgBefore = await postgresCpuMs(db);
  const sent = await sender.send(to, count, concurrency, text);
  const seen = await receipts(simHttpUrl, sender.phone, sent);
  // Receipts can precede the last acknowledgement; let the sender finish its bookkeeping before reading CPU.
  await sleep(500);
  const cpu = cpuMs(sender.pid) - cpuBefore;
  const pg = (await postgresCpuMs(db)) - pgBefore;
  const first = Math.min(...sent.map((m) => m.start));
  const last = Math.max(...seen.values());
  return {
    rate: (sent.length * 1000) / Math.max(1, last - first),
    latencies: sent.map((m) => (seen.get(m.id) ?? Number.NaN) - m.start),
    cpuPerMessage: cpu / sent.length,
    postgresPerMessage: pg / sent.length,
  };
}

/**
 * Creates a started session and pairs it with the simulated phone `phoneNumber`, like `createAndPair`, but a 503
 * `gateway_unavailable` ("try again shortly": on a saturated machine the gateway's database connect can time out)
 * is waited out instead of ending the benchmark.
 */
async function pairSession(gatewayUrl: string, simHttpUrl: string, token: () => Promise<string>, phoneNumber: string): Promise<SessionView> {
  const created = await apiOk<SessionView>(gatewayUrl, await token(), "/sessions", { method: "POST", body: { label: "messages bench", start: true } });
  let scanned = false;
  return until(
    async () => {
      const bearer = await token();
      const current = await api<SessionView>(gatewayUrl, bearer, `/sessions/${created.id}`);
      if (current.status === 503) return null;
      if (current.status !== 200) throw new Error(`GET /sessions/${created.id}: HTTP ${current.status}`);
      if (current.body.status === "working") return current.body;
      if (!scanned && current.body.status === "scan_qr_code") {
        const qr = await api<{ qr: string }>(gatewayUrl, bearer, `/sessions/${created.id}/qr`);
        if (qr.status !== 200) return null;
        const res = await fetch(`${simHttpUrl}/sim/scan`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ qr: qr.body.qr, phoneNumber, scenario: SCENARIO }),
        });
        if (!res.ok) throw new Error(`/sim/scan: HTTP ${res.status} ${await res.text()}`);
        scanned = true;
      }
      return null;
    },
    `session ${created.id} working`,
    240_000,
    250,
  );
}

/** The plain Baileys client in its own process, paired with the simulator as `FLOOR_PHONE`. */
async function startFloor(sim: { wsUrl: string; httpUrl: string }): Promise<Sender & { child: Child; url: string }> {
  const child = startChild("raw-baileys", ["--import", "tsx", "tooling/bench/src/raw-baileys-client.ts", sim.wsUrl, sim.httpUrl, FLOOR_PHONE], {}, { cwd: REPO_ROOT });
  const [, url = ""] = await child.waitForLine(/raw-baileys-client ready (http:\/\/127\.0\.0\.1:\d+)/, 180_000);
  return {
    label: "plain Baileys (floor)",
    phone: FLOOR_PHONE,
    pid: child.pid,
    child,
    url,
    send: async (to, count, concurrency, text) => {
      const res = await fetch(`${url}/send`, { method: "POST", body: JSON.stringify({ to, count, concurrency, text }) });
      if (!res.ok) throw new Error(`raw client /send: HTTP ${res.status} ${await res.text()}`);
      return ((await res.json()) as { messages: SentMessage[] }).messages;
    },
  };
}

interface SendResultBody {
  waMessageId?: string | null;
  message?: { waMessageId: string | null };
}

/** Sync sends through the gateway's REST API; ids are the WhatsApp ids the gateway chose. */
function gatewaySender(gatewayUrl: string, token: () => Promise<string>, sessionId: string, pid: number): Sender {
  return {
    label: "gateway (ours)",
    phone: OURS_PHONE,
    pid,
    send: async (to, count, concurrency, text) => {
      const bearer = await token();
      const indexes = Array.from({ length: count }, (_, i) => i);
      return pool(indexes, concurrency, async (i) => {
        const start = Date.now();
        const { status, body } = await api<SendResultBody>(gatewayUrl, bearer, `/sessions/${sessionId}/messages`, {
          method: "POST",
          body: { type: "text", to: to[i % to.length], text: `${text} ${i}` },
        });
        const id = body.waMessageId ?? body.message?.waMessageId ?? null;
        if (status !== 200 || !id) throw new Error(`POST /sessions/${sessionId}/messages: HTTP ${status} ${JSON.stringify(body)}`);
        return { id, start };
      });
    },
  };
}

/** The simulated contacts send `count` texts to an account (the simulator encrypts each for every linked device). */
async function injectInbound(simHttpUrl: string, phone: string, from: string[], count: number, label: string): Promise<number> {
  const started = Date.now();
  await pool(
    Array.from({ length: count }, (_, i) => i),
    INBOUND_CONCURRENCY,
    async (i) => {
      const res = await fetch(`${simHttpUrl}/sim/accounts/${phone}/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: `${label} ${i}`, from: from[i % from.length] }),
      });
      if (!res.ok) throw new Error(`POST /sim/accounts/${phone}/messages: HTTP ${res.status} ${await res.text()}`);
    },
  );
  return started;
}

/** Inbound messages per second the floor client saw on `messages.upsert`: first injection → last event. */
async function floorInbound(floorUrl: string, simHttpUrl: string, from: string[]): Promise<number> {
  const before = ((await (await fetch(`${floorUrl}/inbound`)).json()) as { messages: { t: number }[] }).messages.length;
  const started = await injectInbound(simHttpUrl, FLOOR_PHONE, from, INBOUND, "floor inbound");
  const seen = await until(
    async () => {
      const { messages } = (await (await fetch(`${floorUrl}/inbound`)).json()) as { messages: { t: number }[] };
      return messages.length >= before + INBOUND ? messages.slice(before) : null;
    },
    `${INBOUND} inbound messages at the floor client`,
    180_000,
    250,
  );
  return (INBOUND * 1000) / Math.max(1, Math.max(...seen.map((m) => m.t)) - started);
}

/** Inbound messages per second the gateway stored (rows of `messages`, direction in): first injection → last row. */
async function oursInbound(db: BenchDatabase, sessionId: string, simHttpUrl: string, from: string[]): Promise<number> {
  const count = async () =>
    (await db.sql<{ n: number; last: Date | null }[]>`
      select count(*)::int as n, max(created_at) as last from messages where session_id = ${sessionId} and direction = 'in'`)[0];
  const before = (await count())?.n ?? 0;
  const started = await injectInbound(simHttpUrl, OURS_PHONE, from, INBOUND, "ours inbound");
  const done = await until(
    async () => {
      const now = await count();
      return now && now.n >= before + INBOUND ? now : null;
    },
    `${INBOUND} inbound messages stored`,
    180_000,
    250,
  );
  return (INBOUND * 1000) / Math.max(1, new Date(done.last ?? Date.now()).getTime() - started);
}

/**
 * What the rate limit adds to a send: in one transaction, lock the session row for the send (as the send path
 * does) and count both sliding windows over the session's outbox slots. Timed on the bench database as it is after
 * the send rounds, so the windows hold every slot of the run.
 */
async function rateCheckMs(db: BenchDatabase, sessionId: string): Promise<{ samples: number[]; window: number }> {
  const samples = await measure(
    () =>
      db.db.transaction(async (tx) => {
        const session = await lockSessionForSend(tx, sessionId);
        if (!session) throw new Error("bench session vanished");
        const decision = await checkRateWindows(tx, sessionId, session);
        if (!decision.allowed) throw new Error("the bench session is over its (raised) limits");
      }),
    CHECK_RUNS,
  );
  const [row] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from outbox where session_id = ${sessionId} and slot_at > now() - interval '1 hour'`;
  return { samples, window: row?.n ?? 0 };
}

/** The functions with the most self time in a profile (idle and GC pseudo-frames apart), as `name (owner) share`. */
function hotFunctions(profile: CpuProfile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map<string, number>();
  let total = 0;
  for (const id of profile.samples ?? []) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === "(idle)") continue;
    total += 1;
    const file = frame.url ? frame.url.split("/").slice(-1)[0] : "";
    const key = `\`${frame.functionName || "(anonymous)"}${file ? ` ${file}` : ""}\` (${ownerOf(frame)})`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, n]) => `${key} ${((n / Math.max(1, total)) * 100).toFixed(1)} %`)
    .join(", ");
}

const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
const fmt = (x: number, digits = 0) => x.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });

export async function runMessages(): Promise<{ body: string; postgres: string }> {
  const db = await createBenchDatabase("messages");
  await seed(db.db, { superAdminEmail: SUPER_ADMIN_EMAIL, superAdminPassword: BENCH_PASSWORD, demoPassword: BENCH_PASSWORD });
  const identity = await createBenchIdentity(db);
  const sim = await startSimulatorChild();
  // The gateway is CPU-profiled (V8 sampling, written when it exits) to show where a message's time goes.
  const profileDir = mkdtempSync(path.join(os.tmpdir(), "wa-bench-msg-prof-"));
  onCleanup(async () => rmSync(profileDir, { recursive: true, force: true }));
  const gateway = await startGatewayChild({
    databaseUrl: db.url,
    webUrl: identity.webUrl,
    jwksUrl: identity.identity.jwksUrl,
    waWsUrl: sim.wsUrl,
    nodeArgs: ["--cpu-prof", "--cpu-prof-dir", profileDir],
  });
  const floor = await startFloor(sim);
  const session = await pairSession(gateway.url, sim.httpUrl, identity.ownerToken, OURS_PHONE);
  await apiOk(gateway.url, await identity.ownerToken(), `/sessions/${session.id}`, {
    method: "PATCH",
    body: { ratePerMin: 10_000, ratePerHour: 1_000_000 },
  });
  const ours = gatewaySender(gateway.url, identity.ownerToken, session.id, gateway.pid);
  const account = (await (await fetch(`${sim.httpUrl}/sim/accounts/${OURS_PHONE}`)).json()) as { contactRows: { jid: string }[] };
  const to = account.contactRows.slice(0, RECIPIENTS).map((c) => c.jid);
  if (to.length < RECIPIENTS) throw new Error("the simulated account has too few contacts");

  // Warm-up: the first message to a contact fetches its devices and key bundle; neither side pays that in a round.
  for (const sender of [floor, ours]) await measureRound(sender, db, sim.httpUrl, to, to.length * 2, 1, "warm-up");

  const rounds: Record<"floor" | "ours", Round[]> = { floor: [], ours: [] };
  for (let r = 0; r < ROUNDS; r++) {
    rounds.floor.push(await measureRound(floor, db, sim.httpUrl, to, ROUND, CONCURRENCY, `floor round ${r}`));
    rounds.ours.push(await measureRound(ours, db, sim.httpUrl, to, ROUND, CONCURRENCY, `ours round ${r}`));
  }
  const sequential = {
    floor: await measureRound(floor, db, sim.httpUrl, to, SEQUENTIAL, 1, "floor one at a time"),
    ours: await measureRound(ours, db, sim.httpUrl, to, SEQUENTIAL, 1, "ours one at a time"),
  };

  const contacts = account.contactRows.slice(0, RECIPIENTS).map((c) => c.jid.split("@")[0] ?? "");
  const inbound = {
    floor: await floorInbound(floor.url, sim.httpUrl, contacts),
    ours: await oursInbound(db, session.id, sim.httpUrl, contacts),
  };
  const check = await rateCheckMs(db, session.id);
  await gateway.stop();
  const profileFile = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
  const profile = profileFile ? (JSON.parse(readFileSync(path.join(profileDir, profileFile), "utf8")) as CpuProfile) : null;
  const floorReconnects = ((await (await fetch(`${floor.url}/reconnects`)).json()) as { reconnects: number }).reconnects;
  const checkMedian = median(check.samples);

  const rate = { floor: median(rounds.floor.map((r) => r.rate)), ours: median(rounds.ours.map((r) => r.rate)) };
  const loaded = { floor: summarize(rounds.floor.flatMap((r) => r.latencies)), ours: summarize(rounds.ours.flatMap((r) => r.latencies)) };
  const unloaded = { floor: summarize(sequential.floor.latencies), ours: summarize(sequential.ours.latencies) };
  const cpu = { floor: median(rounds.floor.map((r) => r.cpuPerMessage)), ours: median(rounds.ours.map((r) => r.cpuPerMessage)) };
  const pgCpu = median(rounds.ours.map((r) => r.postgresPerMessage));
  const ratio = rate.ours / rate.floor;
  const checkShare = checkMedian / unloaded.ours.median;
  const checkShareLoaded = checkMedian / (1000 / rate.ours);

  return {
    postgres: db.version,
    body: [
      "## Messages",
      "",
      "One gateway process (real Baileys, `node --import tsx apps/gateway/src/index.ts`) and, as the floor, a plain",
      "Baileys 7.0.0-rc14 client (memory auth, no database, no API; `tooling/bench/src/raw-baileys-client.ts`) run as",
      "separate processes, each paired with its own account on the same simulator process. Ours: sync",
      "`POST /api/v1/sessions/{id}/messages` (`{type: \"text\"}`, limits raised to 10 000/min and 1 000 000/h) from the",
      `bench process, ${CONCURRENCY} in flight. Floor: \`sock.sendMessage\` with the same ${CONCURRENCY} in flight. Both send to the`,
      `same ${RECIPIENTS} simulated contacts, after a warm-up message pair to each. A message counts when the contact's simulated`,
      "device decrypted it (`t` of `GET /sim/accounts/{phone}/messages`, same clock); latency is that time minus the",
      `start of the send (the POST, or the \`sendMessage\` call). ${ROUNDS} rounds of ${ROUND} messages each, floor and ours in turn;`,
      "CPU from /proc (sender process; PostgreSQL backends of the bench database for ours).",
      "",
      table(
        ["sender", "messages/s (median round)", "rounds", "CPU ms/message", "latency median ms", "latency p99 ms", "one-at-a-time median ms", "one-at-a-time p99 ms"],
        (["floor", "ours"] as const).map((k) => [
          k === "floor" ? floor.label : ours.label,
          fmt(rate[k], 1),
          rounds[k].map((r) => fmt(r.rate, 1)).join(" · "),
          ms(cpu[k]),
          ms(loaded[k].median),
          ms(loaded[k].p99),
          ms(unloaded[k].median),
          ms(unloaded[k].p99),
        ]),
      ),
      "",
      `- PostgreSQL CPU per message sent through the gateway: ${ms(pgCpu)} ms. The floor client's socket closed and` +
        ` reconnected ${floorReconnects} time(s) during the run (idle keep-alives under load; a round with a close would fail).`,
      `- Where the gateway's CPU went over the whole run (pairing, sends, inbound; V8 sampling profile): ${
        profile ? formatShares(summarizeProfile(profile, 8)) : "no profile written"
      }. Most self time: ${profile ? hotFunctions(profile, 8) : "—"}.`,
      `- Inbound: the simulated contacts send ${INBOUND} texts to each account (${INBOUND_CONCURRENCY} \`POST /sim/accounts/{phone}/messages\` in flight);` +
        ` the gateway stored ${fmt(inbound.ours, 1)} messages/s (first send → \`created_at\` of the last \`messages\` row), the plain` +
        ` client saw ${fmt(inbound.floor, 1)} messages/s on \`messages.upsert\` (the simulator's encryption bounds both).`,
      `- Rate-limit check (lock the session row for the send + count both sliding windows over the outbox, one transaction;` +
        ` ${CHECK_RUNS} runs with ${fmt(check.window)} slots in the hour window): median ${ms(checkMedian)} ms,` +
        ` p99 ${ms(summarize(check.samples).p99)} ms — ${(checkShare * 100).toFixed(1)} % of a one-at-a-time send's median latency,` +
        ` ${(checkShareLoaded * 100).toFixed(1)} % of the time per message at the sustained rate.`,
      "",
      `Goals: ours ÷ floor ≥ 0.7 of the floor's throughput — ${ratio >= 0.7 ? "met" : "not met"} (${ratio.toFixed(2)});` +
        ` rate-limit check under 10 % of a send — ${checkShare < 0.1 ? "met" : "not met"} (${(checkShare * 100).toFixed(1)} %).`,
    ].join("\n"),
  };
}
