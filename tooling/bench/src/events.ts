// Events and webhooks: how fast events are written and delivered to a local Standard Webhooks receiver (one and ten
// webhooks), the delay from a change's commit to the receiver, what writing the event adds to the change's
// transaction, and the gateway's memory while 100,000 deliveries wait. Floors measured in the same run: the change's
// transaction without its event, and a bare HTTP POST loop to the same receiver.
import { eq, seed, sql, waSessions, type EventType } from "@wa/db";
import { appendEvent, updateSession, updateSessionState } from "@wa/db/queries";
import { createBenchDatabase, type BenchDatabase } from "./database.ts";
import { BENCH_PASSWORD, createBenchIdentity, SUPER_ADMIN_EMAIL, type BenchIdentity } from "./gateway.ts";
import { apiOk } from "./pairing.ts";
import { rssMiB, sleep, startGatewayChild, until, type GatewayChild } from "./processes.ts";
import { table } from "./report.ts";
import { measureInterleaved, ms, summarize } from "./stats.ts";
import { startReceiver, type Endpoint, type Receiver } from "./webhook-receiver.ts";

/** Concurrent writers (one session each, so they never wait on one another's row lock). */
const WRITERS = 4;
const BURST_ONE = 300;
const BURST_TEN = 60;
const PACED_RATE = 20;
const PACED_SECONDS = 6;
const COST_RUNS = 150;
const FLOOR_MS = 3_000;
const BACKLOG = 100_000;
const BACKLOG_SMALL = 10_000;
const BACKLOG_CHUNK = 10_000;
const BACKLOG_FANOUT_TIMEOUT_MS = 300_000;
const BACKLOG_WATCH_MS = 5_000;
const DRAIN_MS = 5_000;
const SAMPLE_MS = 200;

interface Webhook {
  id: string;
  url: string;
  events: string[];
  active: boolean;
}

interface Ctx {
  db: BenchDatabase;
  identity: BenchIdentity;
  gateway: GatewayChild;
  receiver: Receiver;
  organizationId: string;
  sessionIds: string[];
}

/** Performance-clock time at which each event's transaction had committed (resolved), by event id. */
const committedAt = new Map<string, number>();
const statusFlip = new Map<string, "stopped" | "failed">();

/**
 * The change the status writer makes (a session's status) in one transaction, as `updateSessionState` does it:
 * lock the row and read the previous status, update it, then (with `withEvent`) append its `session.status` event.
 */
async function statusChange(ctx: Ctx, sessionId: string, withEvent: boolean): Promise<string | null> {
  const status = statusFlip.get(sessionId) === "failed" ? "stopped" : "failed";
  statusFlip.set(sessionId, status);
  const reason = status === "failed" ? "bench" : null;
  const id = await ctx.db.db.transaction(async (tx) => {
    const [before] = await tx.select({ status: waSessions.status }).from(waSessions).where(eq(waSessions.id, sessionId)).for("update");
    await updateSession(tx, sessionId, { status, statusReason: reason });
    if (!withEvent) return null;
    const type: EventType = "session.status";
    const event = await appendEvent(tx, {
      organizationId: ctx.organizationId,
      sessionId,
      type,
      data: { status, previous: before?.status ?? null, reason },
    });
    return event.id;
  });
  if (id) committedAt.set(id, performance.now());
  return id;
}

/**
 * The gateway's status writer itself (`updateSessionState`: one statement, the event appended in it when the status
 * changes): with `withEvent` the status flips; without, only the reason changes, so the same statement writes no event.
 */
async function statusWrite(ctx: Ctx, sessionId: string, withEvent: boolean): Promise<void> {
  if (!withEvent) {
    await updateSessionState(ctx.db.db, sessionId, { statusReason: `bench ${performance.now()}` });
    return;
  }
  const status = statusFlip.get(sessionId) === "failed" ? "stopped" : "failed";
  statusFlip.set(sessionId, status);
  await updateSessionState(ctx.db.db, sessionId, { status, statusReason: status === "failed" ? "bench" : null });
}

/** Writes `count` events from WRITERS concurrent writers as fast as they go; resolves with their ids and the time taken. */
async function burst(ctx: Ctx, count: number): Promise<{ ids: string[]; started: number; seconds: number }> {
  const ids: string[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    ctx.sessionIds.map(async (sessionId) => {
      while (next < count) {
        next += 1;
        const id = await statusChange(ctx, sessionId, true);
        if (id) ids.push(id);
      }
    }),
  );
  return { ids, started, seconds: (performance.now() - started) / 1000 };
}

async function createWebhook(ctx: Ctx, endpoint: Endpoint, events: string[] = ["*"]): Promise<Webhook> {
  const created = await apiOk<{ webhook: Webhook; secret: string }>(ctx.gateway.url, await ctx.identity.ownerToken(), "/webhooks", {
    method: "POST",
    body: { url: endpoint.url, events, description: `bench ${endpoint.path}` },
  });
  if (!/^whsec_/.test(created.secret)) throw new Error(`the webhook secret is not a whsec_ secret`);
  endpoint.secret = created.secret;
  return created.webhook;
}

async function setActive(ctx: Ctx, webhook: Webhook, active: boolean): Promise<void> {
  await apiOk(ctx.gateway.url, await ctx.identity.ownerToken(), `/webhooks/${webhook.id}`, { method: "PATCH", body: { active } });
}

/** Median RSS of the gateway over `ms`, sampled every SAMPLE_MS. */
async function rssMedian(pid: number, ms: number): Promise<number> {
  const samples: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    samples.push(rssMiB(pid));
    await sleep(SAMPLE_MS);
  }
  return summarize(samples).median;
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const base32 = (value: number, width: number) => {
  let out = "";
  for (let i = 0, n = value; i < width; i++, n = Math.floor(n / 32)) out = `${CROCKFORD[n % 32] ?? "0"}${out}`;
  return out;
};
const ulidTime = (id: string) => [...id.slice(0, 10)].reduce((t, c) => t * 32 + CROCKFORD.indexOf(c), 0);

/**
 * Appends `count` session.status events in one transaction, in appendEvent's order: the first through appendEvent
 * (which takes the organization's event-order lock until the commit), the rest with ULIDs above it (its
 * millisecond + 1, counter in the random part), inserted in chunks; then the organization's sequence is moved to
 * the last one, so later appendEvent calls continue above them.
 */
async function writeBacklog(ctx: Ctx, sessionId: string, count: number): Promise<void> {
  const data = (i: number) => ({ status: "failed", previous: "stopped", reason: `backlog ${i}` });
  await ctx.db.db.transaction(async (tx) => {
    const first = await appendEvent(tx, { organizationId: ctx.organizationId, sessionId, type: "session.status", data: data(0) });
    const prefix = base32(ulidTime(first.id) + 1, 10);
    let last = first.id;
    for (let done = 1; done < count; ) {
      const n = Math.min(BACKLOG_CHUNK, count - done);
      const ids = Array.from({ length: n }, (_, i) => `${prefix}${base32(done + i, 16)}`);
      last = ids[ids.length - 1] ?? last;
      // One statement per chunk: the ids as one array parameter, the bodies built beside them.
      await tx.execute(sql`
        insert into events (id, organization_id, session_id, type, data)
        select u.id, ${ctx.organizationId}, ${sessionId}, 'session.status',
          jsonb_build_object('status', 'failed', 'previous', 'stopped', 'reason', 'backlog ' || (${done}::int + u.n - 1))
        from unnest(${`{${ids.join(",")}}`}::text[]) with ordinality as u(id, n)`);
      done += n;
    }
    await tx.execute(sql`update event_sequences set last_id = ${last} where organization_id = ${ctx.organizationId}`);
  });
}

/** A webhook's waiting work: open delivery rows, and events past its fan-out cursor (not rows yet). */
async function waitingOf(ctx: Ctx, webhookId: string): Promise<{ open: number; notFannedOut: number }> {
  const [row] = await ctx.db.sql<{ open: number; not_fanned_out: number }[]>`
    select
      (select count(*)::int from webhook_deliveries where webhook_id = ${webhookId} and status in ('pending', 'failed')) as open,
      (select count(*)::int from events e, webhooks w
        where w.id = ${webhookId} and e.organization_id = w.organization_id and e.id > w.cursor) as not_fanned_out`;
  return { open: row?.open ?? 0, notFannedOut: row?.not_fanned_out ?? 0 };
}

/**
 * The gateway's memory while BACKLOG deliveries wait: the other webhooks switched off, one webhook whose receiver
 * answers 500 (its head backs off; everything after it waits behind, in id order) gets the backlog in two steps —
 * first BACKLOG_SMALL events (the floor: the dispatcher has done the same kind of work, on a tenth of the rows),
 * then the rest up to BACKLOG. Flat means the second peak is within 10 % of the first. Then the receiver recovers,
 * the head is retried by hand, and the backlog drains for a while.
 */
async function backlogMemory(ctx: Ctx): Promise<{ lines: string[]; flat: boolean; growth: number; base: number }> {
  const { gateway, identity } = ctx;
  const all = await apiOk<{ data: Webhook[] }>(gateway.url, await identity.ownerToken(), "/webhooks");
  for (const w of all.data) if (w.active) await setActive(ctx, w, false);
  const failing = ctx.receiver.endpoint("failing");
  failing.mode = "fail";
  const hook = await createWebhook(ctx, failing);
  const sessionId = ctx.sessionIds[1] ?? ctx.sessionIds[0] ?? "";
  const idle = await rssMedian(gateway.pid, 3_000);

  const step = async (count: number, total: number) => {
    let peak = rssMiB(gateway.pid);
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMiB(gateway.pid));
    }, SAMPLE_MS);
    const t0 = performance.now();
    await writeBacklog(ctx, sessionId, count);
    const writeSeconds = (performance.now() - t0) / 1000;
    // The dispatcher turns the events into delivery rows (pages of its fan-out batch) while the head keeps failing.
    let waiting = await waitingOf(ctx, hook.id);
    while (waiting.open < total && performance.now() - t0 < BACKLOG_FANOUT_TIMEOUT_MS) {
      await sleep(1_000);
      waiting = await waitingOf(ctx, hook.id);
    }
    const fanOutSeconds = (performance.now() - t0) / 1000;
    await sleep(BACKLOG_WATCH_MS);
    clearInterval(sampler);
    const settled = await rssMedian(gateway.pid, 2_000);
    waiting = await waitingOf(ctx, hook.id);
    return { peak, settled, writeSeconds, fanOutSeconds, waiting };
  };
  const small = await step(BACKLOG_SMALL, BACKLOG_SMALL);
  const large = await step(BACKLOG - BACKLOG_SMALL, BACKLOG);
  const refused = failing.refused;

  failing.mode = "ok";
  const head = (await deliveries(ctx, hook, "failed", 1)).data[0];
  if (head) await apiOk(gateway.url, await identity.ownerToken(), `/webhooks/${hook.id}/deliveries/${head.id}:retry`, { method: "POST" });
  const drainStart = performance.now();
  let drainPeak = large.settled;
  const drainSampler = setInterval(() => {
    drainPeak = Math.max(drainPeak, rssMiB(gateway.pid));
  }, SAMPLE_MS);
  await sleep(DRAIN_MS);
  clearInterval(drainSampler);
  const drained = failing.arrivals.length;
  const drainRate = drained / ((performance.now() - drainStart) / 1000);
  const growth = Math.max(large.peak, drainPeak) - small.peak;

  const row = (label: string, r: typeof small, waiting: number) => [
    label,
    rate(waiting),
    `${r.writeSeconds.toFixed(1)} / ${r.fanOutSeconds.toFixed(0)}`,
    r.peak.toFixed(0),
    r.settled.toFixed(0),
  ];
  return {
    base: small.peak,
    growth,
    flat: growth <= small.peak * 0.1,
    lines: [
      `Memory with ${rate(BACKLOG)} pending deliveries: the ten webhooks switched off, one more webhook whose receiver answers`,
      `500 (its head backs off, the rest wait behind it). Events appended in one transaction in appendEvent's order, first`,
      `${rate(BACKLOG_SMALL)} (the floor), then the rest up to ${rate(BACKLOG)}; after each step the dispatcher turns them into delivery`,
      `rows, then ${BACKLOG_WATCH_MS / 1000} s more of it working against the backlog. Gateway RSS (VmRSS every ${SAMPLE_MS} ms) before any`,
      `backlog: ${idle.toFixed(0)} MiB (median of 3 s).`,
      "",
      table(
        ["step", "open delivery rows", "write s / all fanned out s", "RSS peak MiB", "RSS after MiB (median of 2 s)"],
        [row(`${rate(BACKLOG_SMALL)} events (floor)`, small, small.waiting.open), row(`+${rate(BACKLOG - BACKLOG_SMALL)} events`, large, large.waiting.open)],
      ),
      "",
      `At the end: ${rate(large.waiting.notFannedOut)} events not yet fanned out; ${refused} failed attempts reached the receiver (backoff).`,
      `Drain once the receiver answers (head retried by hand, \`POST …/deliveries/{id}:retry\`): ${rate(drained)} deliveries in`,
      `${DRAIN_MS / 1000} s (${rate(drainRate)}/s), in id order; RSS peak while draining ${drainPeak.toFixed(0)} MiB.`,
    ],
  };
}

/** Deliveries of one webhook in a status (first page only: enough to see a head and to count up to `limit`). */
async function deliveries(ctx: Ctx, webhook: Webhook, status: string, limit = 100) {
  return apiOk<{ data: { id: string; eventId: string; status: string; attempts: number }[] }>(
    ctx.gateway.url,
    await ctx.identity.ownerToken(),
    `/webhooks/${webhook.id}/deliveries?status=${status}&limit=${limit}`,
  );
}

/** Checks one endpoint's arrivals for the given ids: each arrived, in id order (first arrivals), duplicates counted. */
function arrivalReport(endpoint: Endpoint, ids: readonly string[]) {
  const wanted = new Set(ids);
  const firstAt = new Map<string, number>();
  let duplicates = 0;
  let outOfOrder = 0;
  let last = "";
  for (const a of endpoint.arrivals) {
    if (!wanted.has(a.eventId)) continue;
    if (firstAt.has(a.eventId)) {
      duplicates += 1;
      continue;
    }
    if (a.eventId < last) outOfOrder += 1;
    last = a.eventId;
    firstAt.set(a.eventId, a.at);
  }
  const missing = ids.filter((id) => !firstAt.has(id)).length;
  const latencies = ids.flatMap((id) => {
    const at = firstAt.get(id);
    const commit = committedAt.get(id);
    return at !== undefined && commit !== undefined ? [at - commit] : [];
  });
  const lastArrival = Math.max(...firstAt.values());
  return { duplicates, outOfOrder, missing, latencies, lastArrival };
}

/** The delivery floor: sequential (or `parallel` concurrent) POSTs of an event-sized body to the same receiver. */
async function postLoop(receiver: Receiver, parallel: number, body: string): Promise<number> {
  const before = receiver.floorRequests();
  const deadline = performance.now() + FLOOR_MS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (performance.now() < deadline) {
        const res = await fetch(receiver.floorUrl, {
          method: "POST",
          headers: { "content-type": "application/json", "webhook-id": "x", "webhook-timestamp": "0", "webhook-signature": "v1,x" },
          body,
        });
        await res.arrayBuffer();
      }
    }),
  );
  return (receiver.floorRequests() - before) / ((performance.now() - started) / 1000);
}

const rate = (n: number) => Math.round(n).toLocaleString("en-US");
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export async function runEvents(): Promise<{ body: string; postgres: string }> {
  const db = await createBenchDatabase("events");
  await seed(db.db, { superAdminEmail: SUPER_ADMIN_EMAIL, superAdminPassword: BENCH_PASSWORD, demoPassword: BENCH_PASSWORD });
  const identity = await createBenchIdentity(db);
  const receiver = await startReceiver();
  const gateway = await startGatewayChild({
    databaseUrl: db.url,
    webUrl: identity.webUrl,
    jwksUrl: identity.identity.jwksUrl,
    // The receiver listens on loopback.
    env: { WEBHOOK_ALLOW_PRIVATE: "1" },
  });
  const sessionIds: string[] = [];
  for (let i = 0; i < WRITERS; i++) {
    const s = await apiOk<{ id: string }>(gateway.url, await identity.ownerToken(), "/sessions", {
      method: "POST",
      body: { label: `events bench ${i + 1}`, start: false },
    });
    sessionIds.push(s.id);
  }
  const ctx: Ctx = { db, identity, gateway, receiver, organizationId: identity.ownerOrganizationId, sessionIds };
  const lines: string[] = [];

  // One webhook for every event type; the receiver verifies each delivery with `standardwebhooks`.
  const first = receiver.endpoint("1");
  await createWebhook(ctx, first);
  // Warm-up: the first deliveries open the connection and fill the caches.
  const warm = await burst(ctx, 50);
  await first.waitFor(warm.ids.length, 60_000);

  // 1. The change's transaction alone vs with its event (interleaved, same session, same conditions).
  const sessionId = sessionIds[0] ?? "";
  const [bare, withEvent] = await measureInterleaved(
    [() => statusWrite(ctx, sessionId, false), () => statusWrite(ctx, sessionId, true)],
    COST_RUNS,
    50,
  );
  const bareS = summarize(bare ?? []);
  const withS = summarize(withEvent ?? []);
  const cost = (withS.median - bareS.median) / bareS.median;
  await first.waitFor(warm.ids.length + COST_RUNS + 50, 120_000);

  // 2. The delivery floor: a bare POST loop to the same receiver, one at a time and ten at a time.
  const sampleBody = JSON.stringify({
    id: "01JBENCH0000000000000000000",
    type: "session.status",
    organizationId: ctx.organizationId,
    sessionId,
    createdAt: Date.now(),
    schema: 1,
    data: { status: "failed", previous: "stopped", reason: "bench" },
  });
  const floorOne = await postLoop(receiver, 1, sampleBody);
  const floorTen = await postLoop(receiver, 10, sampleBody);

  // 3. Latency at a steady pace (the dispatcher is not saturated): commit → verified at the receiver.
  const paced: string[] = [];
  const pacedStart = performance.now();
  for (let i = 0; i < PACED_RATE * PACED_SECONDS; i++) {
    const due = pacedStart + (i * 1000) / PACED_RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const id = await statusChange(ctx, sessionIds[i % WRITERS] ?? sessionId, true);
    if (id) paced.push(id);
  }
  await until(async () => arrivalReport(first, paced).missing === 0, "the paced events at the receiver", 60_000, 50);
  const pacedReport = arrivalReport(first, paced);
  const pacedLatency = summarize(pacedReport.latencies);

  // 4. Throughput, one webhook: a burst written as fast as WRITERS go, delivered as fast as the gateway goes.
  const burstOne = await burst(ctx, BURST_ONE);
  await until(async () => arrivalReport(first, burstOne.ids).missing === 0, "the one-webhook burst at the receiver", 180_000, 50);
  const oneReport = arrivalReport(first, burstOne.ids);
  const oneDelivered = burstOne.ids.length / ((oneReport.lastArrival - burstOne.started) / 1000);
  const oneLatency = summarize(oneReport.latencies);

  // 5. Throughput, ten webhooks on the same events.
  const ten: Endpoint[] = [first];
  for (let i = 2; i <= 10; i++) {
    const endpoint = receiver.endpoint(String(i));
    await createWebhook(ctx, endpoint);
    ten.push(endpoint);
  }
  const burstTen = await burst(ctx, BURST_TEN);
  await until(async () => ten.every((e) => arrivalReport(e, burstTen.ids).missing === 0), "the ten-webhook burst at the receivers", 300_000, 100);
  const tenReports = ten.map((e) => arrivalReport(e, burstTen.ids));
  const tenLast = Math.max(...tenReports.map((r) => r.lastArrival));
  const tenDelivered = (burstTen.ids.length * ten.length) / ((tenLast - burstTen.started) / 1000);
  const tenLatency = summarize(tenReports.flatMap((r) => r.latencies));
  const duplicates = [pacedReport, oneReport, ...tenReports].reduce((s, r) => s + r.duplicates, 0);
  const outOfOrder = [pacedReport, oneReport, ...tenReports].reduce((s, r) => s + r.outOfOrder, 0);
  const badSignatures = ten.reduce((s, e) => s + e.badSignatures, 0);

  // 6. Memory with 100,000 pending deliveries.
  const memory = await backlogMemory(ctx);

  lines.push(
    `The gateway runs as its own process (\`node --import tsx apps/gateway/src/index.ts\`, \`WEBHOOK_ALLOW_PRIVATE=1\` for`,
    `the loopback receiver); the receiver is a Node HTTP server in the bench process that verifies every delivery with the`,
    `\`standardwebhooks\` npm package and answers 204. Events are \`session.status\` changes; the bursts write each in one`,
    `transaction that locks the session row, updates it, then \`appendEvent\`s (so the bench knows each event's id);`,
    `${WRITERS} concurrent writers, one session each, in one organization (so their event writes take its event-order lock`,
    `in turn). Latency runs from the moment the change's transaction resolved in the writer to the moment the receiver`,
    `had the verified body (same process, same clock). Webhooks are created through \`POST /api/v1/webhooks\`.`,
    "",
    table(
      ["measure", "value", "floor (same run)", "ratio to floor"],
      [
        [
          "events written/s (1 webhook, burst)",
          rate(burstOne.ids.length / burstOne.seconds),
          "—",
          "—",
        ],
        [
          "events delivered/s (1 webhook, burst)",
          rate(oneDelivered),
          `${rate(floorOne)} POST/s (sequential loop)`,
          (oneDelivered / floorOne).toFixed(2),
        ],
        [
          "events written/s (10 webhooks, burst)",
          rate(burstTen.ids.length / burstTen.seconds),
          "—",
          "—",
        ],
        [
          "deliveries/s (10 webhooks, burst)",
          rate(tenDelivered),
          `${rate(floorTen)} POST/s (10 parallel loops)`,
          (tenDelivered / floorTen).toFixed(2),
        ],
      ],
    ),
    "",
    table(
      ["delivery latency, commit → receiver", "events", "p50 ms", "p99 ms", "max ms"],
      [
        [`steady ${PACED_RATE} events/s, 1 webhook`, pacedLatency.n, ms(pacedLatency.median), ms(pacedLatency.p99), ms(pacedLatency.max)],
        [`burst of ${BURST_ONE}, 1 webhook (queueing included)`, oneLatency.n, ms(oneLatency.median), ms(oneLatency.p99), ms(oneLatency.max)],
        [`burst of ${BURST_TEN}, 10 webhooks (queueing included)`, tenLatency.n, ms(tenLatency.median), ms(tenLatency.p99), ms(tenLatency.max)],
      ],
    ),
    "",
    table(
      ["the change's write (`updateSessionState`, one statement)", "runs", "median ms", "p99 ms"],
      [
        ["the status writer, reason only: no event (floor)", bareS.n, ms(bareS.median), ms(bareS.p99)],
        ["the status writer, status changed: + its event", withS.n, ms(withS.median), ms(withS.p99)],
      ],
    ),
    "",
    `Correctness seen by the receiver over the runs above: ${badSignatures} signatures failed to verify, ${outOfOrder} first`,
    `deliveries out of id order per webhook, ${duplicates} duplicate deliveries.`,
    "",
    ...memory.lines,
  );

  const goals = [
    `cost of writing the event under 15 % of the change's transaction — ${cost < 0.15 ? "met" : "not met"} (${pct(cost)}: ${ms(withS.median)} ms vs ${ms(bareS.median)} ms median)`,
    `memory flat with ${rate(BACKLOG)} pending deliveries (RSS peak within 10 % of the peak with ${rate(BACKLOG_SMALL)}) — ${memory.flat ? "met" : "not met"} (${memory.growth >= 0 ? "+" : ""}${memory.growth.toFixed(0)} MiB on ${memory.base.toFixed(0)} MiB)`,
  ];
  lines.push("", `Goals: ${goals.join("; ")}.`);

  return {
    body: `## Events and webhooks (Standard Webhooks delivery to a local receiver)\n\n${lines.join("\n")}`,
    postgres: db.version,
  };
}
