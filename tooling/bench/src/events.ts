// Events and webhooks: how fast events are written and delivered to a local Standard Webhooks receiver (one and ten
// webhooks), the delay from a change's commit to the receiver, what writing the event adds to the change's
// transaction, and the gateway's memory while 100,000 deliveries wait. Floors measured in the same run: the change's
// transaction without its event, and a bare HTTP POST loop to the same receiver.
import { seed, type EventType } from "@wa/db";
import { appendEvent, updateSession } from "@wa/db/queries";
import { createBenchDatabase, type BenchDatabase } from "./database.ts";
import { BENCH_PASSWORD, createBenchIdentity, SUPER_ADMIN_EMAIL, type BenchIdentity } from "./gateway.ts";
import { apiOk } from "./pairing.ts";
import { rssMiB, sleep, startGatewayChild, until, type GatewayChild } from "./processes.ts";
import { table } from "./report.ts";
import { measureInterleaved, ms, summarize } from "./stats.ts";
import { startReceiver, type Endpoint, type Receiver } from "./webhook-receiver.ts";

/** Concurrent writers (one session each, so they never wait on one another's row lock). */
const WRITERS = 4;
const BURST_ONE = 3_000;
const BURST_TEN = 1_000;
const PACED_RATE = 40;
const PACED_SECONDS = 10;
const COST_RUNS = 1_000;
const FLOOR_MS = 3_000;
const BACKLOG = 100_000;
const BACKLOG_BATCH = 500;
const BACKLOG_WATCH_MS = 20_000;
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
 * The change the status writer makes (a session's status), in one transaction, with or without its
 * `session.status` event — the same queries the gateway uses.
 */
async function statusChange(ctx: Ctx, sessionId: string, withEvent: boolean): Promise<string | null> {
  const previous = statusFlip.get(sessionId) ?? "stopped";
  const status = previous === "stopped" ? "failed" : "stopped";
  statusFlip.set(sessionId, status);
  const id = await ctx.db.db.transaction(async (tx) => {
    await updateSession(tx, sessionId, { status, statusReason: status === "failed" ? "bench" : null });
    if (!withEvent) return null;
    const type: EventType = "session.status";
    const event = await appendEvent(tx, {
      organizationId: ctx.organizationId,
      sessionId,
      type,
      data: { status, previous, reason: status === "failed" ? "bench" : null },
    });
    return event.id;
  });
  if (id) committedAt.set(id, performance.now());
  return id;
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
    [() => statusChange(ctx, sessionId, false), () => statusChange(ctx, sessionId, true)],
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

  // 6. Memory with 100,000 pending deliveries: the ten webhooks are switched off, one failing webhook takes the
  //    backlog (its receiver answers 500, so the head backs off and the rest wait behind it, in id order).
  const all = await apiOk<{ data: Webhook[] }>(gateway.url, await identity.ownerToken(), "/webhooks");
  for (const w of all.data) if (w.active) await setActive(ctx, w, false);
  const failing = receiver.endpoint("failing");
  failing.mode = "fail";
  const backlogHook = await createWebhook(ctx, failing);
  await sleep(2_000);
  const rssBefore = rssMiB(gateway.pid);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, rssMiB(gateway.pid));
  }, SAMPLE_MS);
  const backlogStarted = performance.now();
  let written = 0;
  const backlogSession = sessionIds[1] ?? sessionId;
  while (written < BACKLOG) {
    const n = Math.min(BACKLOG_BATCH, BACKLOG - written);
    await db.db.transaction(async (tx) => {
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          appendEvent(tx, {
            organizationId: ctx.organizationId,
            sessionId: backlogSession,
            type: "session.status",
            data: { status: "failed", previous: "stopped", reason: `backlog ${written + i}` },
          }),
        ),
      );
    });
    written += n;
  }
  const backlogWriteSeconds = (performance.now() - backlogStarted) / 1000;
  const rssAfterWrite = rssMiB(gateway.pid);
  await sleep(BACKLOG_WATCH_MS);
  clearInterval(sampler);
  const rssAfterWatch = rssMiB(gateway.pid);
  const pendingHead = await deliveries(ctx, backlogHook, "pending", 100);
  const failedHead = await deliveries(ctx, backlogHook, "failed", 100);
  const waiting = pendingHead.data.length + failedHead.data.length;
  const attemptsSoFar = failing.refused;

  // The backlog drains once the receiver answers: retry the head now (manual retry) and watch for a while.
  failing.mode = "ok";
  const head = failedHead.data[0] ?? pendingHead.data[0];
  if (head) await apiOk(gateway.url, await identity.ownerToken(), `/webhooks/${backlogHook.id}/deliveries/${head.id}:retry`, { method: "POST" });
  const drainStarted = performance.now();
  const drainArrivals = failing.arrivals.length;
  let rssDrainPeak = rssAfterWatch;
  const drainSampler = setInterval(() => {
    rssDrainPeak = Math.max(rssDrainPeak, rssMiB(gateway.pid));
  }, SAMPLE_MS);
  await sleep(10_000);
  clearInterval(drainSampler);
  const drained = failing.arrivals.length - drainArrivals;
  const drainRate = drained / ((performance.now() - drainStarted) / 1000);

  lines.push(
    `The gateway runs as its own process (\`node --import tsx apps/gateway/src/index.ts\`, \`WEBHOOK_ALLOW_PRIVATE=1\` for`,
    `the loopback receiver); the receiver is a Node HTTP server in the bench process that verifies every delivery with the`,
    `\`standardwebhooks\` npm package and answers 204. Events are \`session.status\` changes written as the status writer`,
    `writes them: \`updateSession\` + \`appendEvent\` in one transaction (\`@wa/db/queries\`), from ${WRITERS} concurrent writers`,
    `(one session each). Latency is from the moment the change's transaction resolved in the writer to the moment the`,
    `receiver had the verified body (same process, same clock). Webhooks are created through \`POST /api/v1/webhooks\`.`,
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
      ["the change's transaction", "runs", "median ms", "p99 ms"],
      [
        ["status update alone (floor)", bareS.n, ms(bareS.median), ms(bareS.p99)],
        ["status update + its event", withS.n, ms(withS.median), ms(withS.p99)],
      ],
    ),
    "",
    `Correctness seen by the receiver over the runs above: ${badSignatures} signatures failed to verify, ${outOfOrder} first`,
    `deliveries out of id order per webhook, ${duplicates} duplicate deliveries.`,
    "",
    `Memory with ${rate(BACKLOG)} pending deliveries: the ten webhooks switched off, one more webhook whose receiver answers`,
    `500; ${rate(BACKLOG)} events appended in transactions of ${BACKLOG_BATCH} (${backlogWriteSeconds.toFixed(1)} s), then ${BACKLOG_WATCH_MS / 1000} s of`,
    `the dispatcher working against that backlog (${attemptsSoFar} failed attempts reached the receiver; the first page of`,
    `waiting deliveries held ${waiting} rows). Gateway RSS (VmRSS every ${SAMPLE_MS} ms): before ${rssBefore.toFixed(0)} MiB, after the`,
    `writes ${rssAfterWrite.toFixed(0)} MiB, after the watch ${rssAfterWatch.toFixed(0)} MiB, peak ${rssPeak.toFixed(0)} MiB. Then the receiver answered 204 and`,
    `the head was retried by hand (\`POST …/deliveries/{id}:retry\`): ${rate(drained)} delivered in 10 s (${rate(drainRate)}/s),`,
    `RSS peak while draining ${rssDrainPeak.toFixed(0)} MiB.`,
  );

  const rssGrowth = rssPeak - rssBefore;
  const goals = [
    `cost of writing the event under 15 % of the change's transaction — ${cost < 0.15 ? "met" : "not met"} (${pct(cost)}: ${ms(withS.median)} ms vs ${ms(bareS.median)} ms median)`,
    `memory flat with ${rate(BACKLOG)} pending deliveries (peak within 10 % of the idle RSS) — ${rssGrowth <= rssBefore * 0.1 ? "met" : "not met"} (+${rssGrowth.toFixed(0)} MiB on ${rssBefore.toFixed(0)} MiB)`,
  ];
  lines.push("", `Goals: ${goals.join("; ")}.`);

  return {
    body: `## Events and webhooks (Standard Webhooks delivery to a local receiver)\n\n${lines.join("\n")}`,
    postgres: db.version,
  };
}
