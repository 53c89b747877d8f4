// Sessions per gateway: resident memory of one gateway process at 1, 50, 200 and 500 working simulated sessions,
// and the boot storm — how long all of them take to be `working` again after the gateway restarts.
import { seed } from "@wa/db";
import { createBenchDatabase } from "./database.ts";
import { BENCH_PASSWORD, createBenchIdentity, SUPER_ADMIN_EMAIL } from "./gateway.ts";
import { apiOk, createAndPair, pool, type Scenario, type SessionView } from "./pairing.ts";
import { cpuMs, freePort, quiet, rssMiB, sleep, startGatewayChild, startSimulatorChild, type GatewayChild } from "./processes.ts";
import { table } from "./report.ts";
import { quantile } from "./stats.ts";

const STEPS = [1, 50, 200, 500];
const SCENARIO: Scenario = { seed: "bench-per-gateway", contacts: 5, groups: 1, membersPerGroup: 3 };
/** Pairings in flight at once (each costs the gateway a Baileys key generation and the simulator a handshake). */
const CONCURRENCY = 10;
/** Wall-time budget for pairing; a step that would not fit is not started (the whole `npm run bench` is bounded). */
const PAIRING_BUDGET_S = Number(process.env.BENCH_PAIRING_BUDGET_S ?? 330);
const GATEWAY_ID = "gw-bench-1";

interface Step {
  sessions: number;
  pairSeconds: number;
  gatewayCpuPerSession: number;
  simCpuPerSession: number;
  rss: number;
}

const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

/** RSS after the process has gone quiet: the median of five samples a second apart. */
async function settledRss(pid: number): Promise<number> {
  await quiet(pid, 60_000);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rssMiB(pid));
    await sleep(1_000);
  }
  return median(samples);
}

/** Counts this gateway's working sessions through the admin list (REST, pages of 200). */
async function countWorking(gatewayUrl: string, token: string): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: "200", status: "working", gatewayId: GATEWAY_ID });
    if (cursor) query.set("cursor", cursor);
    const page: { data: unknown[]; nextCursor: string | null } = await apiOk(gatewayUrl, token, `/admin/sessions?${query.toString()}`);
    count += page.data.length;
    cursor = page.nextCursor;
  } while (cursor);
  return count;
}

export async function runSessionsPerGateway(): Promise<{ body: string; postgres: string }> {
  const db = await createBenchDatabase("pergw");
  await seed(db.db, { superAdminEmail: SUPER_ADMIN_EMAIL, superAdminPassword: BENCH_PASSWORD, demoPassword: BENCH_PASSWORD });
  const identity = await createBenchIdentity(db);
  const sim = await startSimulatorChild();
  const port = await freePort();
  const gatewayEnv = {
    databaseUrl: db.url,
    webUrl: identity.webUrl,
    jwksUrl: identity.identity.jwksUrl,
    waWsUrl: sim.wsUrl,
    gatewayId: GATEWAY_ID,
    port,
  };
  let gateway: GatewayChild = await startGatewayChild(gatewayEnv);
  const rssEmpty = await settledRss(gateway.pid);

  const steps: Step[] = [];
  const paired: SessionView[] = [];
  const pairingStarted = Date.now();
  let limitedBy: string | null = null;
  for (const target of STEPS) {
    const need = target - paired.length;
    const last = steps.at(-1);
    if (last && last.sessions > 1) {
      const perSession = last.pairSeconds / (last.sessions - (steps.at(-2)?.sessions ?? 0));
      const spent = (Date.now() - pairingStarted) / 1000;
      const projected = need * perSession;
      if (spent + projected > PAIRING_BUDGET_S) {
        limitedBy =
          `${target} sessions were not attempted: at the measured ${perSession.toFixed(2)} s per pairing, ${need} more would take ` +
          `about ${projected.toFixed(0)} s, past the ${PAIRING_BUDGET_S} s pairing budget (${spent.toFixed(0)} s spent)`;
        break;
      }
    }
    const t0 = Date.now();
    const gatewayCpu0 = cpuMs(gateway.pid);
    const simCpu0 = cpuMs(sim.pid);
    const offset = paired.length;
    const batch = await pool(
      Array.from({ length: need }, (_, i) => offset + i),
      CONCURRENCY,
      (n) =>
        createAndPair({
          gatewayUrl: gateway.url,
          simHttpUrl: sim.httpUrl,
          token: identity.ownerToken,
          label: `per-gateway ${n}`,
          scenario: SCENARIO,
          phoneNumber: `62816${String(n).padStart(7, "0")}`,
          timeoutMs: 180_000,
        }),
    );
    const pairSeconds = (Date.now() - t0) / 1000;
    paired.push(...batch);
    const gatewayCpu = (cpuMs(gateway.pid) - gatewayCpu0) / 1000;
    const simCpu = (cpuMs(sim.pid) - simCpu0) / 1000;
    const working = await countWorking(gateway.url, await identity.superAdminToken());
    if (working !== target) throw new Error(`${target} sessions paired but the admin list shows ${working} working`);
    steps.push({
      sessions: target,
      pairSeconds,
      gatewayCpuPerSession: gatewayCpu / need,
      simCpuPerSession: simCpu / need,
      rss: await settledRss(gateway.pid),
    });
    console.log(`  ${target} sessions working; gateway RSS ${steps.at(-1)?.rss.toFixed(0)} MiB`);
  }

  // Boot storm: SIGTERM, start the same gateway again, poll the admin list until every session is working.
  const reached = steps.at(-1)?.sessions ?? 0;
  const stopStarted = Date.now();
  await gateway.stop();
  const stopSeconds = (Date.now() - stopStarted) / 1000;
  const restartStarted = Date.now();
  gateway = await startGatewayChild(gatewayEnv);
  const readySeconds = (Date.now() - restartStarted) / 1000;
  const token = await identity.superAdminToken();
  const workingAt: { t: number; n: number }[] = [];
  const deadline = Date.now() + 300_000;
  for (;;) {
    const n = await countWorking(gateway.url, token);
    workingAt.push({ t: (Date.now() - restartStarted) / 1000, n });
    if (n >= reached) break;
    if (Date.now() > deadline) throw new Error(`after the restart only ${n} of ${reached} sessions were working within 300 s`);
    await sleep(250);
  }
  const stormSeconds = (Date.now() - restartStarted) / 1000;
  const half = workingAt.find((w) => w.n >= reached / 2)?.t ?? stormSeconds;
  const rssAfterStorm = await settledRss(gateway.pid);

  const rows = steps.map((s, i) => {
    const prev = i === 0 ? { sessions: 0, rss: rssEmpty } : steps[i - 1];
    const marginal = prev ? (s.rss - prev.rss) / (s.sessions - prev.sessions) : Number.NaN;
    return [
      s.sessions,
      s.rss.toFixed(0),
      marginal.toFixed(2),
      s.pairSeconds.toFixed(1),
      (s.gatewayCpuPerSession * 1000).toFixed(0),
      (s.simCpuPerSession * 1000).toFixed(0),
    ];
  });
  const first = steps[0];
  const top = steps.at(-1);
  const perSession = first && top && top.sessions > first.sessions ? (top.rss - first.rss) / (top.sessions - first.sessions) : Number.NaN;

  return {
    postgres: db.version,
    body: [
      "## Sessions per gateway",
      "",
      "One gateway process (`node --import tsx apps/gateway/src/index.ts`, real Baileys) and the simulator in its own",
      `process. Sessions are paired through the API (\`POST /api/v1/sessions {start:true}\` as an org owner, \`GET …/qr\`,`,
      `\`/sim/scan\`), ${CONCURRENCY} at a time; each simulated account has ${SCENARIO.contacts} contacts and ${SCENARIO.groups} group.`,
      "RSS is the gateway's VmRSS once it has gone quiet (median of 5 samples); CPU is from /proc while pairing.",
      "",
      table(
        ["working sessions", "gateway RSS MiB", "marginal MiB/session", "pairing wall s", "gateway CPU ms/pairing", "simulator CPU ms/pairing"],
        [["0 (idle)", rssEmpty.toFixed(0), "—", "—", "—", "—"], ...rows],
      ),
      "",
      `- marginal memory: ${perSession.toFixed(2)} MiB per working session (from ${first?.sessions ?? "?"} to ${top?.sessions ?? "?"})`,
      limitedBy ? `- ${limitedBy}` : `- every step up to ${reached} sessions fitted the ${PAIRING_BUDGET_S} s pairing budget`,
      `- boot storm with ${reached} sessions: SIGTERM took ${stopSeconds.toFixed(1)} s; the restarted gateway answered /readyz after` +
        ` ${readySeconds.toFixed(1)} s, half the sessions were working after ${half.toFixed(1)} s and all ${reached} after` +
        ` ${stormSeconds.toFixed(1)} s (from spawn; admin list polled every 250 ms); RSS after the storm ${rssAfterStorm.toFixed(0)} MiB`,
    ].join("\n"),
  };
}
