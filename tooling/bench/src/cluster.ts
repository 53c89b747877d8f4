// Several gateways. The database side: what keeping leases costs (per gateway one renewal statement every
// renewIntervalMs whatever its session count, so the figure that matters is how long that statement takes for 1 000
// leases, and how fast leases are taken). The process side (cluster-failover.ts): failover after SIGKILL with 100
// and 300 sessions, a rolling restart with 300, and the forwarding overhead on a page read.
import { eq } from "drizzle-orm";
import { newId, schema } from "@wa/db";
import { acquireLease, renewLeases } from "@wa/db/queries";
import { defaultClusterTimings } from "@wa/gateway/cluster";
import { measureClusterProcesses, measureForwardingOnly, type ClusterProcessFigures, type ClusterScale } from "./cluster-failover.ts";
import { createBenchDatabase, type BenchDatabase } from "./database.ts";
import { table } from "./report.ts";
import { quantile } from "./stats.ts";
import { sectionRemainingMs } from "./time-plan.ts";

/** Failover goal from the issue: a dead gateway's sessions working elsewhere within 30 s. */
const FAILOVER_GOAL_MS = 30_000;
/** Forwarded ÷ direct page read, median. */
const FORWARD_GOAL = 1.5;

async function timeIt(work: () => Promise<unknown>, rounds: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < rounds; i += 1) {
    const began = performance.now();
    await work();
    out.push(performance.now() - began);
  }
  return out;
}

/** 1 000 leases held by one gateway: acquisition rate and the bulk renewal's time. Its rows are removed after. */
async function leaseRenewalCost(db: BenchDatabase): Promise<(string | number)[][]> {
  const organizationId = newId();
  await db.db.insert(schema.organizations).values({ id: organizationId, name: "Cluster bench (leases)" });
  const rows: (string | number)[][] = [];
  for (const count of [1_000]) {
    const gatewayId = `gw-bench-${count}`;
    const ids = Array.from({ length: count }, () => newId());
    for (let i = 0; i < ids.length; i += 1_000) {
      await db.db.insert(schema.waSessions).values(ids.slice(i, i + 1_000).map((id) => ({ id, organizationId, gatewayId, status: "working" as const })));
    }
    const began = performance.now();
    for (const id of ids) await acquireLease(db.db, { sessionId: id, gatewayId, ttlMs: 60_000 });
    const acquirePerSecond = count / ((performance.now() - began) / 1000);
    const renewals = (await timeIt(() => renewLeases(db.db, { gatewayId, ttlMs: 60_000 }), 20)).sort((a, b) => a - b);
    const statementsPerSecond = 1000 / defaultClusterTimings.renewIntervalMs;
    rows.push([
      count,
      `${quantile(renewals, 0.5).toFixed(1)} ms`,
      `${quantile(renewals, 0.99).toFixed(1)} ms`,
      statementsPerSecond.toFixed(2),
      ((statementsPerSecond * quantile(renewals, 0.5)) / 10).toFixed(2),
      Math.round(acquirePerSecond),
    ]);
  }
  // Sessions that should run under a gateway that never lives: the gateways started next would take them over.
  await db.db.delete(schema.waSessions).where(eq(schema.waSessions.organizationId, organizationId));
  return rows;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const met = (ok: boolean) => (ok ? "met" : "not met");

function processSection(f: ClusterProcessFigures, scale: ClusterScale): string[] {
  const ttl = f.leaseTtlMs;
  const reduced =
    scale.first === 100 && scale.total === 300
      ? []
      : [
          `Scale of this run: ${scale.first}, then ${scale.total} sessions — what this section's allowance in the time plan affords (or ` +
            "`--quick`, or `BENCH_CLUSTER_SESSIONS`); the issue's 100 and 300 need about " +
            `${(FIXED_S + FULL.total * PAIR_S).toFixed(0)} s (\`BENCH_BUDGET_S=${(FIXED_S + FULL.total * PAIR_S + 30).toFixed(0)} npm run bench -- cluster\`).`,
          "",
        ];
  const failoverRows = f.failovers.map((o) => [
    o.sessions,
    `${o.killed} (${o.moved})`,
    Object.entries(o.spread)
      .map(([gw, n]) => `${gw} +${n}`)
      .join(", "),
    s(o.firstMs),
    s(o.lastMs),
    (o.lastMs / ttl).toFixed(2),
    (o.lastMs / FAILOVER_GOAL_MS).toFixed(2),
  ]);
  const worstFailover = Math.max(...f.failovers.map((o) => o.lastMs));
  const rollingRows = f.rolling.steps.map((st) => [st.gateway, st.handed, s(st.drainMs), s(st.backMs)]);
  const ratio = f.forwarding.forwarded.median / f.forwarding.direct.median;
  const pairing = f.pairing.map((p) => `${p.sessions} in ${p.seconds.toFixed(0)} s`).join(", then ");
  return [
    "### Three gateway processes: failover, rolling restart, forwarding",
    "",
    ...reduced,
    "Three gateways (`node --import tsx apps/gateway/src/index.ts`, real Baileys), one simulator process, one database, " +
      `all on loopback. Sessions created through gw-1 (placed on the least-loaded gateway), given the auth state of a companion the simulator minted (\`POST /sim/companions:mint\`: what a QR pairing and its first login leave, so a start reconnects, as after any restart), and started through gw-1 (created one at a time, so placement sees every earlier one; started 8 at a time): ${pairing} to all working; ` +
      "each simulated account has 5 contacts and 1 group. \"Working again\" = status `working` in the database with a " +
      "connection made after the event, on another gateway, polled every 100 ms; then the simulator must show every account " +
      "with one live socket and still one linked device (no re-pairing).",
    "",
    `**Failover after SIGKILL** of the gateway holding the most sessions (floor: the lease TTL, ${s(ttl)} — nobody may take a ` +
      `session before its lease expires; goal: ≤ ${s(FAILOVER_GOAL_MS)}). The killed gateway is then started again, empty.`,
    "",
    table(["sessions on 3 gateways", "killed (its sessions)", "taken over by", "first working", "last working", "÷ lease TTL", "÷ 30 s goal"], failoverRows),
    "",
    `**Rolling restart** with ${f.rolling.sessions} sessions: SIGTERM gw-1, start it again, wait until every session it handed ` +
      "over works elsewhere, then gw-2, then gw-3. The simulator is sampled every 100 ms for accounts with no live socket " +
      "(the database keeps `working` through a hand-over, so the socket is what counts).",
    "",
    table(["gateway", "sessions handed over", "SIGTERM → exited", "SIGTERM → all handed sessions working"], rollingRows),
    "",
    `- worst moment: ${f.rolling.worstDisconnected} of ${f.rolling.sessions} sessions without a live socket ` +
      `(${((100 * f.rolling.worstDisconnected) / f.rolling.sessions).toFixed(1)} %; ${f.rolling.samples} samples); ` +
      `sessions lost after the three restarts: ${f.rolling.lost}; re-paired: 0 (checked after each step)`,
    "",
    `**Forwarding overhead**, \`${f.forwarding.route}\` for a session held by ${f.forwarding.holder}: directly on it (the floor) and through ` +
      `${f.forwarding.via} (auth, holder lookup, signed assertion, second hop), alternating, ${f.forwarding.direct.n} each after a warm-up.`,
    "",
    table(
      ["path", "median ms", "p99 ms"],
      [
        ["direct (holder)", f.forwarding.direct.median.toFixed(2), f.forwarding.direct.p99.toFixed(2)],
        ["forwarded (other gateway)", f.forwarding.forwarded.median.toFixed(2), f.forwarding.forwarded.p99.toFixed(2)],
      ],
    ),
    "",
    `Goals: failover ≤ 30 s — ${met(worstFailover <= FAILOVER_GOAL_MS)} (worst ${s(worstFailover)}, ${(worstFailover / ttl).toFixed(2)}× the lease TTL); ` +
      `rolling restart loses no session — ${met(f.rolling.lost === 0)}; forwarded ÷ direct ≤ ${FORWARD_GOAL} — ${met(ratio <= FORWARD_GOAL)} (${ratio.toFixed(2)}).`,
  ];
}

/** The scales. */
const FULL: ClusterScale = { first: 100, total: 300 };
/** What the section spends besides adding sessions (lease cost, start-ups, forwarding, two failovers, the rolling restart). */
const FIXED_S = 110;
/** Wall time per session added (create, store its minted auth state, start, reconnect) through the three gateways. */
const PAIR_S = 0.15;

/**
 * The 100 and 300 when the section's allowance in the time plan affords them; fewer (a third, then all)
 * when it does not. `--quick` (or BENCH_CLUSTER_SESSIONS="first,total") sets them.
 */
export function scaleOf(quick: boolean, allowanceS: number, env = process.env.BENCH_CLUSTER_SESSIONS): ClusterScale {
  if (env || quick) {
    const [first, total] = (env ?? "30,60").split(",").map(Number);
    if (!first || !total || total <= first) throw new Error("BENCH_CLUSTER_SESSIONS: two increasing counts, e.g. 100,300");
    return { first, total };
  }
  const total = Math.min(FULL.total, Math.max(30, Math.floor((allowanceS - FIXED_S) / PAIR_S / 10) * 10));
  return total === FULL.total ? FULL : { first: Math.max(10, Math.round(total / 30) * 10), total };
}

/** Sessions paired for `--only=forwarding` (placement gives each gateway three). */
const FORWARDING_ONLY_SESSIONS = 9;

/** `--only=forwarding`: just the forwarding overhead, printed and not written to BENCHMARKS.md (a partial run). */
async function runForwardingOnly(): Promise<{ body: string; postgres: string; partial: true }> {
  const db = await createBenchDatabase("cluster");
  try {
    const f = await measureForwardingOnly(db, FORWARDING_ONLY_SESSIONS);
    const row = (path: string, m: { median: number; p99: number; min: number }) => [path, m.median.toFixed(2), m.p99.toFixed(2), m.min.toFixed(2)];
    const body = [
      `Forwarding overhead only (${FORWARDING_ONLY_SESSIONS} sessions), \`${f.route}\` held by ${f.holder}, forwarded through ${f.via}, ${f.direct.n} each:`,
      "",
      table(["path", "median ms", "p99 ms", "min ms"], [row("direct (holder)", f.direct), row("forwarded (other gateway)", f.forwarded)]),
      "",
      `forwarded ÷ direct: ${(f.forwarded.median / f.direct.median).toFixed(2)} (goal ≤ ${FORWARD_GOAL})`,
    ].join("\n");
    return { body, postgres: db.version, partial: true };
  } finally {
    await db.drop();
  }
}

export async function runCluster(options: { quick?: boolean; only?: string | undefined } = {}): Promise<{ body: string; postgres: string; partial?: boolean }> {
  if (options.only === "forwarding") return runForwardingOnly();
  if (options.only !== undefined) throw new Error(`cluster --only=${options.only}: only "forwarding" can run alone`);
  const db = await createBenchDatabase("cluster");
  try {
    const leaseRows = await leaseRenewalCost(db);
    const scale = scaleOf(options.quick ?? false, sectionRemainingMs() / 1000);
    const processes = await measureClusterProcesses(db, scale);
    const body = [
      "### Lease renewal cost",
      "",
      "Lease renewal is one `UPDATE … WHERE gateway_id = $1 AND expires_at > now()` per gateway every " +
        `${defaultClusterTimings.renewIntervalMs / 1000} s (lease ${defaultClusterTimings.leaseTtlMs / 1000} s): ` +
        "queries/s per 1 000 sessions = that rate, not a multiple of the session count.",
      "",
      table(
        ["leases held by one gateway", "renewal p50", "renewal p99", "renewal statements/s", "% of one core (p50)", "acquisitions/s (one connection)"],
        leaseRows,
      ),
      "",
      ...processSection(processes, scale),
    ].join("\n");
    return { body: `## Several gateways\n\n${body}`, postgres: db.version };
  } finally {
    await db.drop();
  }
}
