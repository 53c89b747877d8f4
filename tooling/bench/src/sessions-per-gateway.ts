// Sessions per gateway: resident memory of one gateway process at 1, 50, 200 and 500 working simulated sessions,
// and the boot storm — how long all of them take to be `working` again after the gateway restarts.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { seed } from "@wa/db";
import { createBenchDatabase } from "./database.ts";
import { BENCH_PASSWORD, createBenchIdentity, SUPER_ADMIN_EMAIL } from "./gateway.ts";
import { apiOk, createAndPair, pool, retriedUnavailable, type Scenario, type SessionView } from "./pairing.ts";
import { cpuMs, freePort, onCleanup, sleep, startGatewayChild, startSimulatorChild, type GatewayChild } from "./processes.ts";
import { measureRawFloor, settledRss } from "./raw-floor.ts";
import { storePairedSessions } from "./stored-sessions.ts";
import { formatShares, summarizeProfile, type CpuProfile } from "./profile.ts";
import { nodeBinary } from "./node-binary.ts";
import { keepToppingUp, ladderBudgetS, TOP_UP_CHUNK } from "./pergw-plan.ts";
import { sectionRemainingMs } from "./time-plan.ts";
import { table } from "./report.ts";

/**
 * `--quick` (CI smoke): a small ladder; BENCH_PERGW_STEPS="1,50" overrides either. The ladder stops at the step its
 * share of the section's time plan cannot reach (the 50, 200, 500 need far more than 15 minutes here).
 */
const quick = process.argv.includes("--quick");
const STEPS = (process.env.BENCH_PERGW_STEPS ?? (quick ? "1,20,50" : "1,30,100,200,500")).split(",").map(Number);
/** The low step the CPU ratio is taken against. */
const LOW = STEPS[1] ?? 30;
/** Plain Baileys sockets paired (and reconnected after a restart) for the memory floor. */
const FLOOR_SOCKETS = Number(process.env.BENCH_PERGW_FLOOR ?? (quick ? 20 : 30));
/**
 * Sessions the boot storm restores: the gateway's own, topped up with sessions paired by plain clients and stored —
 * as many as the section's time plan affords (BENCH_PERGW_STORM, when set, is made whatever it costs).
 */
const STORM_SESSIONS = Number(process.env.BENCH_PERGW_STORM ?? (quick ? 100 : 1000));
const STORM_FORCED = process.env.BENCH_PERGW_STORM !== undefined;
/** Memory goal: the gateway's marginal RSS per working session ≤ this × the floor's per socket. */
const MEMORY_GOAL = 1.5;
const SCENARIO: Scenario = { seed: "bench-per-gateway", contacts: 5, groups: 1, membersPerGroup: 3 };
/**
 * Pairings in flight at once (each costs the gateway a Baileys key generation and the simulator a handshake). 8, not
 * more: on 2 shared cores more only queues work, and opens more database connections at once.
 */
const CONCURRENCY = 8;
/** Pairing slows down as sessions accumulate (more sockets to serve, more GC); projections allow for it. */
const SLOWDOWN = 1.5;
const GATEWAY_ID = "gw-bench-1";
/** How long a boot storm may take before the bench gives up: 5 minutes, or 0.6 s per session for a larger storm. */
const stormWaitMs = (sessions: number) => Math.max(300_000, sessions * 600);
/** Pairings measured at the top population on each Node major (two rounds of the pairing concurrency). */
const TAIL_PAIRINGS = 2 * CONCURRENCY;

interface Step {
  sessions: number;
  pairSeconds: number;
  gatewayCpuPerSession: number;
  simCpuPerSession: number;
  rss: number;
  heap: { used: number; total: number; external: number };
  mallocHeap: number;
}

/**
 * Resident MiB of the process's main malloc heap (the `[heap]` mapping in /proc/PID/smaps): native allocations of
 * the main thread (OpenSSL, zlib, Buffer backing stores), which V8's heap figures do not show.
 */
function mallocHeapMiB(pid: number): number {
  try {
    const smaps = readFileSync(`/proc/${pid}/smaps`, "utf8");
    const at = smaps.indexOf("[heap]");
    if (at < 0) return 0;
    return Number(/\nRss:\s+(\d+) kB/.exec(smaps.slice(at))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** The gateway's V8 heap and off-heap memory (prom-client's process metrics on its /metrics), in MiB. */
async function heapOf(gatewayUrl: string): Promise<{ used: number; total: number; external: number }> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
  const pick = (name: string) =>
    Number(new RegExp(`^wa_process_${name}(?:\\{[^}]*\\})? (\\S+)`, "m").exec(text)?.[1] ?? Number.NaN) / 1_048_576;
  return { used: pick("nodejs_heap_size_used_bytes"), total: pick("nodejs_heap_size_total_bytes"), external: pick("nodejs_external_memory_bytes") };
}

/**
 * Counts this gateway's working sessions through the admin list (REST, pages of 200). With `since`, only those
 * connected since then: a graceful stop keeps statuses (so the next boot resumes them), so right after a restart
 * `working` alone would still count the sockets of the previous process.
 */
async function countWorking(gatewayUrl: string, token: string, since = 0): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: "200", status: "working", gatewayId: GATEWAY_ID });
    if (cursor) query.set("cursor", cursor);
    const page: { data: { lastConnectedAt: number | null }[]; nextCursor: string | null } = await apiOk(
      gatewayUrl,
      token,
      `/admin/sessions?${query.toString()}`,
    );
    count += page.data.filter((s) => (s.lastConnectedAt ?? 0) >= since).length;
    cursor = page.nextCursor;
  } while (cursor);
  return count;
}

/**
 * Gateway CPU per pairing from 1 to `upTo` sessions on another Node binary, in a database of its own (so the main
 * ladder's gateway never sees these sessions): the 50-session side of that major's ratio.
 */
async function pairingCpuOn(nodePath: string, sim: { pid: number; wsUrl: string; httpUrl: string }, upTo: number) {
  const db = await createBenchDatabase("pergw24");
  await seed(db.db, { superAdminEmail: SUPER_ADMIN_EMAIL, superAdminPassword: BENCH_PASSWORD, demoPassword: BENCH_PASSWORD });
  const identity = await createBenchIdentity(db);
  const gateway = await startGatewayChild({
    databaseUrl: `${db.url}?connect_timeout=30`,
    webUrl: identity.webUrl,
    jwksUrl: identity.identity.jwksUrl,
    waWsUrl: sim.wsUrl,
    gatewayId: "gw-bench-other-node",
    port: await freePort(),
    nodePath,
  });
  const pair = (n: number) =>
    createAndPair({
      gatewayUrl: gateway.url,
      simHttpUrl: sim.httpUrl,
      token: identity.ownerToken,
      label: `other node ${n}`,
      scenario: SCENARIO,
      phoneNumber: `62819${String(n).padStart(7, "0")}`,
      timeoutMs: 120_000,
    });
  await pair(0);
  const cpu0 = cpuMs(gateway.pid);
  const sim0 = cpuMs(sim.pid);
  const t0 = Date.now();
  const done = await pool(Array.from({ length: upTo - 1 }, (_, i) => i + 1), CONCURRENCY, (n) =>
    pair(n).then(
      () => 1,
      () => 0,
    ),
  );
  const ok = Math.max(1, done.reduce((a: number, b) => a + b, 0));
  const result = {
    wallS: (Date.now() - t0) / 1000,
    cpuMsPerPairing: (cpuMs(gateway.pid) - cpu0) / ok,
    simCpuMsPerPairing: (cpuMs(sim.pid) - sim0) / ok,
    failed: upTo - 1 - ok,
  };
  await gateway.stop();
  return result;
}

export async function runSessionsPerGateway(): Promise<{ body: string; postgres: string }> {
  const db = await createBenchDatabase("pergw");
  await seed(db.db, { superAdminEmail: SUPER_ADMIN_EMAIL, superAdminPassword: BENCH_PASSWORD, demoPassword: BENCH_PASSWORD });
  const identity = await createBenchIdentity(db);
  const sim = await startSimulatorChild();
  // The floor first, while the machine is not yet busy with the gateway's sockets; its process is gone afterwards.
  const floor = await measureRawFloor(sim, FLOOR_SOCKETS, "62818");
  console.log(`  floor: ${floor.pairedMiBPerSocket.toFixed(2)} MiB/socket paired, ${floor.restartedMiBPerSocket.toFixed(2)} restarted`);
  // Node 24's 50-session pairing cost, before the main ladder (its top-population side is measured after it).
  const node24 = nodeBinary(24);
  const low24 = node24 ? await pairingCpuOn(node24, sim, LOW) : null;
  if (low24) console.log(`  node 24: ${low24.cpuMsPerPairing.toFixed(0)} ms CPU per pairing from 1 to ${LOW}`);
  const port = await freePort();
  const gatewayEnv = {
    // A connect under a pairing burst on 2 busy cores can take longer than the gateway's default 5 s.
    databaseUrl: `${db.url}?connect_timeout=30`,
    webUrl: identity.webUrl,
    jwksUrl: identity.identity.jwksUrl,
    waWsUrl: sim.wsUrl,
    gatewayId: GATEWAY_ID,
    port,
  };
  // The first gateway process is CPU-profiled (V8 sampling, written when it exits) to show where pairing time goes.
  const profileDir = mkdtempSync(path.join(os.tmpdir(), "wa-bench-prof-"));
  onCleanup(async () => rmSync(profileDir, { recursive: true, force: true }));
  let gateway: GatewayChild = await startGatewayChild({ ...gatewayEnv, nodeArgs: ["--cpu-prof", "--cpu-prof-dir", profileDir] });
  const rssEmpty = await settledRss(gateway.pid);

  // Pairing gets what is left of this section's allowance in the time plan (BENCH_PAIRING_BUDGET_S overrides).
  const pairingBudgetS = Number(
    process.env.BENCH_PAIRING_BUDGET_S ?? ladderBudgetS(sectionRemainingMs() / 1000),
  );
  const steps: Step[] = [];
  const paired: SessionView[] = [];
  const failedPairings: string[] = [];
  const pairingStarted = Date.now();
  let limitedBy: string | null = null;
  for (const target of STEPS) {
    const need = target - paired.length;
    const last = steps.at(-1);
    if (last && last.sessions > 1) {
      const perSession = last.pairSeconds / (last.sessions - (steps.at(-2)?.sessions ?? 0));
      const spent = (Date.now() - pairingStarted) / 1000;
      const projected = need * perSession * SLOWDOWN;
      if (spent + projected > pairingBudgetS) {
        limitedBy =
          `${target} sessions were not attempted: at the measured ${perSession.toFixed(2)} s per pairing (×${SLOWDOWN} for the slowdown` +
          ` as sessions accumulate), ${need} more would take ` +
          `about ${projected.toFixed(0)} s, past the ${pairingBudgetS.toFixed(0)} s pairing budget (${spent.toFixed(0)} s spent)`;
        break;
      }
    }
    const t0 = Date.now();
    const gatewayCpu0 = cpuMs(gateway.pid);
    const simCpu0 = cpuMs(sim.pid);
    const offset = paired.length;
    // A hard stop: past the budget (plus a minute) no new pairing starts, and the step ends with what it reached.
    const hardStop = pairingStarted + (pairingBudgetS + 60) * 1000;
    const batch = await pool(
      Array.from({ length: need }, (_, i) => offset + i),
      CONCURRENCY,
      (n) =>
        Date.now() > hardStop
          ? Promise.resolve(null)
          : createAndPair({
          gatewayUrl: gateway.url,
          simHttpUrl: sim.httpUrl,
          token: identity.ownerToken,
          label: `per-gateway ${n}`,
          scenario: SCENARIO,
          phoneNumber: `62816${String(n).padStart(7, "0")}`,
          timeoutMs: 120_000,
        }).catch((error: unknown) => {
          // Counted and reported, not fatal: on an overloaded shared machine a pairing can stall.
          failedPairings.push(error instanceof Error ? error.message : String(error));
          return null;
        }),
    );
    const pairSeconds = (Date.now() - t0) / 1000;
    const done = batch.filter((b): b is SessionView => b !== null);
    paired.push(...done);
    const reachedNow = paired.length;
    const gatewayCpu = (cpuMs(gateway.pid) - gatewayCpu0) / 1000;
    const simCpu = (cpuMs(sim.pid) - simCpu0) / 1000;
    const working = await countWorking(gateway.url, await identity.superAdminToken());
    if (working < reachedNow) throw new Error(`${reachedNow} sessions paired but the admin list shows ${working} working`);
    steps.push({
      sessions: reachedNow,
      pairSeconds,
      gatewayCpuPerSession: gatewayCpu / Math.max(1, done.length),
      simCpuPerSession: simCpu / Math.max(1, done.length),
      rss: await settledRss(gateway.pid),
      heap: await heapOf(gateway.url),
      mallocHeap: mallocHeapMiB(gateway.pid),
    });
    console.log(`  ${reachedNow} sessions working; gateway RSS ${steps.at(-1)?.rss.toFixed(0)} MiB`);
    if (reachedNow < target) {
      limitedBy = `the step to ${target} sessions was cut at ${reachedNow}: the pairing budget of ${pairingBudgetS.toFixed(0)} s (+60 s) ran out`;
      break;
    }
  }

  // Boot storm: SIGTERM, start the same gateway again, poll the admin list until every session is working.
  const ladderTop = steps.at(-1)?.sessions ?? 0;
  // The top-up: plain pairings chunk by chunk while the plan has room for them and the larger storms (or all, when forced).
  const wantedTopUp = Math.max(0, STORM_SESSIONS - ladderTop);
  const firstChunkS = (2 * TOP_UP_CHUNK * floor.pairSeconds) / Math.max(1, floor.sockets - 1);
  const topUp = wantedTopUp
    ? await storePairedSessions(db, sim, {
        count: wantedTopUp,
        organizationId: identity.ownerOrganizationId,
        gatewayId: GATEWAY_ID,
        prefix: "62815",
        chunk: TOP_UP_CHUNK,
        more: (paired, lastChunkS) =>
          keepToppingUp({ remainingS: sectionRemainingMs() / 1000, ladderTop, paired, lastChunkS: lastChunkS || firstChunkS, wanted: wantedTopUp, forced: STORM_FORCED }),
      })
    : { count: 0, seconds: 0 };
  const stored = topUp.count;
  const storeSeconds = topUp.seconds;
  if (stored) console.log(`  ${stored} sessions paired by plain clients and stored in ${storeSeconds.toFixed(0)} s`);
  const plainPairingS = stored ? storeSeconds / stored : floor.pairSeconds / Math.max(1, floor.sockets - 1);
  const stormLimited =
    stored < wantedTopUp
      ? `the boot storm was held to ${ladderTop + stored} sessions by the time plan (a plain pairing and its storing took ${plainPairingS.toFixed(2)} s of wall time here, ` +
        `so the ${wantedTopUp} a storm of ${STORM_SESSIONS} needs would take about ${((wantedTopUp * plainPairingS) / 60).toFixed(0)} min, and each of its two storms several more): ` +
        `\`BENCH_PERGW_STORM=${STORM_SESSIONS} npm run bench -- sessions-per-gateway\` makes them`
      : null;
  const reached = ladderTop + stored;
  /** Sessions held by the gateway (and expected working after each restart). */
  let population = reached;
  const stopStarted = Date.now();
  await gateway.stop();
  const stopSeconds = (Date.now() - stopStarted) / 1000;
  const profileFile = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
  const profile = profileFile
    ? formatShares(summarizeProfile(JSON.parse(readFileSync(path.join(profileDir, profileFile), "utf8")) as CpuProfile, 8))
    : "no profile written";
  const restartStarted = Date.now();
  const stormSimCpu0 = cpuMs(sim.pid);
  gateway = await startGatewayChild(gatewayEnv);
  const readySeconds = (Date.now() - restartStarted) / 1000;
  const token = await identity.superAdminToken();
  const workingAt: { t: number; n: number }[] = [];
  const deadline = Date.now() + stormWaitMs(reached);
  for (;;) {
    const n = await countWorking(gateway.url, token, restartStarted);
    workingAt.push({ t: (Date.now() - restartStarted) / 1000, n });
    if (n >= reached) break;
    if (Date.now() > deadline) throw new Error(`after the restart only ${n} of ${reached} sessions were working within ${stormWaitMs(reached) / 1000} s`);
    await sleep(250);
  }
  const stormSeconds = (Date.now() - restartStarted) / 1000;
  const stormSimCpuS = (cpuMs(sim.pid) - stormSimCpu0) / 1000;
  const stormGatewayCpuS = cpuMs(gateway.pid) / 1000;
  // Cross-check from the other side: the simulator sees every account's companion connected again.
  const accounts = (await (await fetch(`${sim.httpUrl}/sim/accounts`)).json()) as { data: { connected: number }[] };
  const connected = accounts.data.filter((a) => a.connected > 0).length;
  if (connected < reached) throw new Error(`the admin list shows ${reached} sessions reconnected but the simulator sees ${connected}`);
  const half = workingAt.find((w) => w.n >= reached / 2)?.t ?? stormSeconds;
  const rssAfterStorm = await settledRss(gateway.pid);
  const heapAfterStorm = await heapOf(gateway.url);
  const mallocAfterStorm = mallocHeapMiB(gateway.pid);

  // The same population on two Node majors, back to back: pair TAIL_PAIRINGS more on this (Node 20) gateway, then
  // restart it on Node 24 (its own boot storm) and pair TAIL_PAIRINGS more there.
  const pairTail = async (label: string) => {
    const offset = 1_000_000 + paired.length;
    const cpu0 = cpuMs(gateway.pid);
    const sim0 = cpuMs(sim.pid);
    const t0 = Date.now();
    const done = await pool(Array.from({ length: TAIL_PAIRINGS }, (_, i) => offset + i), CONCURRENCY, (n) =>
      createAndPair({
        gatewayUrl: gateway.url,
        simHttpUrl: sim.httpUrl,
        token: identity.ownerToken,
        label: `per-gateway ${label} ${n}`,
        scenario: SCENARIO,
        phoneNumber: `62817${String(n).padStart(7, "0")}`,
        timeoutMs: 120_000,
      }).catch((error: unknown) => {
        failedPairings.push(error instanceof Error ? error.message : String(error));
        return null;
      }),
    );
    const ok = done.filter((b): b is SessionView => b !== null);
    paired.push(...ok);
    population += ok.length;
    return {
      label,
      at: population,
      wallS: (Date.now() - t0) / 1000,
      cpuMsPerPairing: (cpuMs(gateway.pid) - cpu0) / Math.max(1, ok.length),
      simCpuMsPerPairing: (cpuMs(sim.pid) - sim0) / Math.max(1, ok.length),
    };
  };
  const tails: { label: string; at: number; wallS: number; cpuMsPerPairing: number; simCpuMsPerPairing: number; storm?: string }[] = [];
  tails.push({ ...(await pairTail(process.version)), storm: `${stormSeconds.toFixed(1)} s` });
  if (node24) {
    await gateway.stop();
    const started24 = Date.now();
    gateway = await startGatewayChild({ ...gatewayEnv, nodePath: node24 });
    const token24 = await identity.superAdminToken();
    const deadline24 = Date.now() + stormWaitMs(population);
    while ((await countWorking(gateway.url, token24, started24)) < population) {
      if (Date.now() > deadline24) throw new Error(`the Node 24 gateway did not bring every session back within ${stormWaitMs(population) / 1000} s`);
      await sleep(250);
    }
    const storm24 = `${((Date.now() - started24) / 1000).toFixed(1)} s`;
    const version = spawnSync(node24, ["--version"], { encoding: "utf8" }).stdout.trim();
    tails.push({ ...(await pairTail(version)), storm: storm24 });
  }

  const rows = steps.map((s, i) => {
    const prev = steps[i - 1];
    const marginal = prev ? ((s.rss - prev.rss) / (s.sessions - prev.sessions)).toFixed(2) : "—";
    return [
      s.sessions,
      s.rss.toFixed(0),
      marginal,
      `${s.heap.used.toFixed(0)} / ${s.heap.total.toFixed(0)} / ${s.heap.external.toFixed(0)}`,
      s.mallocHeap.toFixed(0),
      s.pairSeconds.toFixed(1),
      (s.gatewayCpuPerSession * 1000).toFixed(0),
      (s.simCpuPerSession * 1000).toFixed(0),
    ];
  });
  const first = steps[0];
  const top = steps.at(-1);
  const at50 = steps.find((st) => st.sessions === LOW);
  const cpuRatio = at50 && top && top !== at50 ? top.gatewayCpuPerSession / at50.gatewayCpuPerSession : Number.NaN;
  const tail20 = tails[0];
  const tail24 = tails[1];
  const cpuRatioTail = at50 && tail20 ? tail20.cpuMsPerPairing / (at50.gatewayCpuPerSession * 1000) : Number.NaN;
  const cpuRatio24 = low24 && tail24 ? tail24.cpuMsPerPairing / low24.cpuMsPerPairing : Number.NaN;
  const perSession = first && top && top.sessions > first.sessions ? (top.rss - first.rss) / (top.sessions - first.sessions) : Number.NaN;
  const perSessionRestarted = first && reached > first.sessions ? (rssAfterStorm - first.rss) / (reached - first.sessions) : Number.NaN;
  const ratioPaired = perSession / floor.pairedMiBPerSocket;
  const ratioRestarted = perSessionRestarted / floor.restartedMiBPerSocket;
  const met = (ok: boolean) => (ok ? "met" : "not met");
  const retried = retriedUnavailable();
  const overrides = ["BENCH_PERGW_STEPS", "BENCH_PERGW_FLOOR", "BENCH_PERGW_STORM", "BENCH_PAIRING_BUDGET_S", "BENCH_BUDGET_S"]
    .filter((name) => process.env[name])
    .map((name) => `${name}=${process.env[name]}`);

  const rssFell = steps.some((st, i) => i > 0 && st.rss < (steps[i - 1]?.rss ?? 0));
  return {
    postgres: db.version,
    body: [
      "## Sessions per gateway",
      "",
      "One gateway process (`node --import tsx apps/gateway/src/index.ts`, real Baileys) and the simulator in its own",
      `process. Sessions are paired through the API (\`POST /api/v1/sessions {start:true}\` as an org owner, \`GET …/qr\`,`,
      `\`/sim/scan\`), ${CONCURRENCY} at a time; each simulated account has ${SCENARIO.contacts} contacts and ${SCENARIO.groups} group.`,
      "RSS is the gateway's VmRSS once it has gone quiet (median of 5 samples; the idle figure still holds start-up garbage,",
      "so marginal figures start from 1 session); heap is V8's used / total and the off-heap `external` (its /metrics);",
      "malloc heap is the resident part of the main thread's native malloc heap (`[heap]` in /proc/PID/smaps);",
      "CPU is from /proc while pairing. The gateway's DATABASE_URL carries `connect_timeout=30`.",
      "",
      `Floor, in the same run: plain Baileys 7.0.0-rc14 sockets (the simulator's test client, in-memory auth, no database,`,
      `no API; \`tooling/bench/src/raw-baileys-fleet.ts\`) in a process of their own against the same simulator: ${floor.sockets}`,
      `paired ${CONCURRENCY} at a time, their creds saved, then reconnected from them by a new process (the restart).`,
      "",
      table(
        ["floor process", "RSS at 1 socket MiB", `RSS at ${floor.sockets} MiB`, "marginal MiB/socket"],
        [
          ["paired them", floor.rss.paired1.toFixed(0), floor.rss.pairedN.toFixed(0), floor.pairedMiBPerSocket.toFixed(2)],
          ["reconnected them (restart)", floor.rss.restarted1.toFixed(0), floor.rss.restartedN.toFixed(0), floor.restartedMiBPerSocket.toFixed(2)],
        ],
      ),
      "",
      `- floor CPU ${floor.cpuMsPerPairing.toFixed(0)} ms per pairing; ${floor.sockets - 1} sockets reconnected in ${floor.reconnectSeconds.toFixed(1)} s after the restart (${(floor.sockets - 1) / floor.reconnectSeconds > 0 ? ((floor.sockets - 1) / floor.reconnectSeconds).toFixed(1) : "?"} per s); the floor took ${floor.seconds.toFixed(0)} s`,
      "",
      table(
        ["working sessions", "gateway RSS MiB", "marginal MiB/session", "heap used / total / external MiB", "malloc heap MiB", "pairing wall s", "gateway CPU ms/pairing", "simulator CPU ms/pairing"],
        [["0 (idle)", rssEmpty.toFixed(0), "—", "—", "—", "—", "—", "—"], ...rows],
      ),
      "",
      `- marginal memory after pairing: ${perSession.toFixed(2)} MiB per working session (from ${first?.sessions ?? "?"} to ${top?.sessions ?? "?"}) — ${ratioPaired.toFixed(2)}× the floor's ${floor.pairedMiBPerSocket.toFixed(2)}`,
      `- marginal memory after a restart: ${perSessionRestarted.toFixed(2)} MiB per session (RSS after the boot storm ${rssAfterStorm.toFixed(0)} MiB, heap ${heapAfterStorm.used.toFixed(0)} / ${heapAfterStorm.total.toFixed(0)} / ${heapAfterStorm.external.toFixed(0)} MiB, malloc heap ${mallocAfterStorm.toFixed(0)} MiB, above the 1-session gateway) — ${ratioRestarted.toFixed(2)}× the floor's ${floor.restartedMiBPerSocket.toFixed(2)}`,
      `- where the first gateway process spent its CPU (V8 sampling profile from start to SIGTERM, idle excluded): ${profile}`,
      limitedBy ? `- ${limitedBy}` : `- every step up to ${ladderTop} sessions fitted the ${pairingBudgetS.toFixed(0)} s pairing budget`,
      `- boot storm with ${reached} sessions (${ladderTop} paired through the gateway` +
        (stored ? `, ${stored} paired by plain clients and stored as the gateway's, plain JSON it sealed at boot: ${storeSeconds.toFixed(0)} s to make` : "") +
        `): SIGTERM took ${stopSeconds.toFixed(1)} s; the restarted gateway answered /readyz after` +
        ` ${readySeconds.toFixed(1)} s, half the sessions were working after ${half.toFixed(1)} s and all ${reached} after` +
        ` ${stormSeconds.toFixed(1)} s (from spawn; admin list polled every 250 ms for \`working\` with \`lastConnectedAt\` after the restart; the simulator confirms ${connected} connected);` +
        ` CPU meanwhile: gateway ${stormGatewayCpuS.toFixed(1)} s, simulator ${stormSimCpuS.toFixed(1)} s (${((stormSimCpuS / stormSeconds) * 100).toFixed(0)} % of a core); the floor reconnected ${floor.sockets - 1} sockets at ${((floor.sockets - 1) / floor.reconnectSeconds).toFixed(1)}/s, the gateway ${(reached / stormSeconds).toFixed(1)}/s`,
      ...(stormLimited ? [`- ${stormLimited}`] : []),
      failedPairings.length ? `- ${failedPairings.length} pairing(s) (ladder and tails) did not reach \`working\` within 120 s and are left out (first: ${failedPairings[0]})` : "- every pairing of the ladder reached `working`",
      retried ? `- ${retried} API calls were answered 503 (the gateway's database probe waited over 5 s behind its busy pool) and asked again after Retry-After` : "- no API call was answered 503",
      "",
      `Pairing cost on two Node majors: the ${TAIL_PAIRINGS} pairings at the top population on the Node 20 gateway after the`,
      "storm, then a restart on Node 24 (`npx -p node@24`; its own boot storm) and as many pairings there; Node 24's",
      `${LOW}-session figure is a ladder from 1 to ${LOW} on a Node 24 gateway of its own (own database, same simulator) before the main run.`,
      "",
      table(
        ["node", "sessions before", "boot storm to all working", "pairing wall s", "gateway CPU ms/pairing", "simulator CPU ms/pairing", "÷ same major at the low step"],
        [
          ...(at50 ? [[process.version, `1→${LOW}`, "—", at50.pairSeconds.toFixed(1), (at50.gatewayCpuPerSession * 1000).toFixed(0), (at50.simCpuPerSession * 1000).toFixed(0), "1.00"]] : []),
          ...(low24 && tail24 ? [[tail24.label, `1→${LOW}`, "—", low24.wallS.toFixed(1), low24.cpuMsPerPairing.toFixed(0), low24.simCpuMsPerPairing.toFixed(0), "1.00"]] : []),
          ...tails.map((t, i) => [
            t.label,
            t.at - TAIL_PAIRINGS,
            t.storm ?? "—",
            t.wallS.toFixed(1),
            t.cpuMsPerPairing.toFixed(0),
            t.simCpuMsPerPairing.toFixed(0),
            (i === 0 ? cpuRatioTail : cpuRatio24).toFixed(2),
          ]),
        ],
      ),
      node24 ? "" : "- Node 24 could not be installed with `npx -p node@24`: its rows are missing.",
      "",
      ...(overrides.length ? [`Scale set by the environment for this run: ${overrides.join(" ")} (by default: steps 1, 30, 100, 200, 500 cut by the time plan, a floor of 30 sockets, a storm of up to 1 000 as the plan affords).`, ""] : []),
      ...(rssFell
        ? ["RSS fell between two steps (V8 and malloc returned pairing garbage meanwhile): the after-pairing marginal figure is not a measurement at this scale, and its goal is not shown.", ""]
        : []),
      `Goals: memory per working session ≤ ${MEMORY_GOAL}× the floor — after pairing ${rssFell ? "not shown" : met(ratioPaired <= MEMORY_GOAL)} (${ratioPaired.toFixed(2)}), after a restart ${met(ratioRestarted <= MEMORY_GOAL)} (${ratioRestarted.toFixed(2)}).` +
        ` Gateway CPU per pairing at the top step ÷ at the low step (${LOW} sessions) ≤ 1.3 — Node 20 ` +
        (Number.isNaN(cpuRatio)
          ? // The ladder ended at the low step: the top population is the storm's, and its tail pairings are the figure.
            `${met(cpuRatioTail <= 1.3)} (the ladder stopped at ${LOW}; the ${TAIL_PAIRINGS} pairings at ${tail20 ? tail20.at - TAIL_PAIRINGS : "?"} sessions after the storm ÷ at ${LOW}: ${cpuRatioTail.toFixed(2)}),`
          : `${met(cpuRatio <= 1.3)} (${cpuRatio.toFixed(2)}; the ${TAIL_PAIRINGS} pairings at ${tail20 ? tail20.at - TAIL_PAIRINGS : "?"} sessions after the storm ÷ at ${LOW}: ${cpuRatioTail.toFixed(2)}),`) +
        ` Node 24 ${met(cpuRatio24 <= 1.3)} (${cpuRatio24.toFixed(2)}). All sessions working within 60 s of a restart — ${met(stormSeconds < 60)} at ${reached} sessions (${stormSeconds.toFixed(1)} s).`,
    ].join("\n"),
  };
}
