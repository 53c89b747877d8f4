// Backfill throughput and memory: a gateway process (real Baileys) paired with a simulated account of 10 000 contacts
// and 1 000 groups × 50 members, backfilled through the admin API while its RSS is sampled from /proc.
import { seed } from "@wa/db";
import { bulkWriteFloor } from "./bulk-floor.ts";
import { createBenchDatabase, type BenchDatabase } from "./database.ts";
import { BENCH_PASSWORD, createBenchIdentity, SUPER_ADMIN_EMAIL } from "./gateway.ts";
import { api, apiOk, createAndPair, type Scenario } from "./pairing.ts";
import { cpuMs, quiet, rssMiB, sleep, startGatewayChild, startSimulatorChild, until } from "./processes.ts";
import { ForcedGc, GC_NODE_ARGS, type HeapAfterGc } from "./forced-gc.ts";
import { table } from "./report.ts";
import { quantile } from "./stats.ts";

const SCENARIO: Required<Scenario> = { seed: "bench-backfill", contacts: 10_000, groups: 1_000, membersPerGroup: 50 };
const RUNS = 3;
const SAMPLE_MS = 50;


interface Job {
  status: "running" | "succeeded" | "failed";
  contacts: number;
  groups: number;
  groupMembers: number;
  startedAt: number;
  finishedAt: number | null;
  error: string | null;
}

interface RunResult {
  rows: number;
  contacts: number;
  groups: number;
  groupMembers: number;
  seconds: number;
  rowsPerSecond: number;
  rssBefore: number;
  rssPeak: number;
  rssAfter: number;
  /** After a full GC forced once the run is over (bench-only signal): memory the run left held, not garbage. */
  rssAfterGc: number;
  heapUsedAfterGc: number;
  cpuSeconds: number;
  simCpuSeconds: number;
  postgresCpuSeconds: number;
  /** Seconds from the start: first contact row, contacts done, first group row (from the job's counters). */
  firstContact: number;
  contactsDone: number;
  firstGroup: number;
}

/**
 * A sampling profile of PostgreSQL: every 50 ms, which statements of this database are active (normalised to
 * their first words). Shows what the backfill waits on when the gateway itself is idle.
 */
function samplePostgres(db: BenchDatabase): { counts: Map<string, number>; samples: () => number; stop: () => void } {
  const counts = new Map<string, number>();
  let samples = 0;
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      const rows = await db.sql<{ query: string }[]>`
        select query from pg_stat_activity
        where datname = current_database() and state = 'active' and pid <> pg_backend_pid()`;
      samples += 1;
      for (const { query } of rows) {
        const key = query.replace(/\s+/g, " ").replace(/\$\d+/g, "?").trim().slice(0, 90);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      await sleep(50);
    }
  };
  const running = loop().catch(() => undefined);
  return {
    counts,
    samples: () => samples,
    stop: () => {
      stopped = true;
      void running;
    },
  };
}


/** CPU of this database's PostgreSQL backends (same machine), in ms. */
async function postgresCpuMs(db: BenchDatabase): Promise<number> {
  const backends = await db.sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database()`;
  return backends.reduce((sum, b) => sum + cpuMs(b.pid), 0);
}

const PHASES = [
  "backfill: app-state resync done",
  "backfill: groups fetched",
  "backfill: LID mappings applied",
  "backfill: contacts done",
  "backfill: groups done",
];

/** Per job (in the order they ran): the `ms` of each phase line the gateway logged. */
function jobPhases(output: string): Map<string, number>[] {
  const jobs = new Map<string, Map<string, number>>();
  for (const line of output.split("\n")) {
    if (!line.includes('"backfill: ')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; jobId?: string; ms?: number };
      if (!entry.jobId || !entry.msg || entry.ms === undefined) continue;
      const job = jobs.get(entry.jobId) ?? new Map<string, number>();
      job.set(entry.msg, entry.ms);
      jobs.set(entry.jobId, job);
    } catch {
      // not a log line of ours
    }
  }
  return [...jobs.values()];
}

/** A full GC in the gateway and its heap right after; RSS is read a moment later, once V8 has handed freed pages back. */
async function collectGarbage(gc: ForcedGc, pid: number): Promise<HeapAfterGc & { rss: number }> {
  const heap = await gc.collect(pid);
  await sleep(2_000);
  return { ...heap, rss: rssMiB(pid) };
}

const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
const mib = (x: number) => x.toFixed(0);
const signed = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(0)}`;

export async function runBackfill(): Promise<{ body: string; postgres: string }> {
  const db = await createBenchDatabase("backfill");
  await seed(db.db, { superAdminEmail: SUPER_ADMIN_EMAIL, superAdminPassword: BENCH_PASSWORD, demoPassword: BENCH_PASSWORD });
  const identity = await createBenchIdentity(db);
  const sim = await startSimulatorChild();
  const gc = new ForcedGc("backfill");
  const gateway = await startGatewayChild({
    databaseUrl: db.url,
    webUrl: identity.webUrl,
    jwksUrl: identity.identity.jwksUrl,
    waWsUrl: sim.wsUrl,
    // The job logs its phases at info (the gateway's production level); read back below.
    logLevel: "info",
    nodeArgs: [...GC_NODE_ARGS],
    env: gc.env,
  });
  const rssIdle = rssMiB(gateway.pid);

  const pairStarted = Date.now();
  const session = await createAndPair({
    gatewayUrl: gateway.url,
    simHttpUrl: sim.httpUrl,
    token: identity.ownerToken,
    label: "backfill bench",
    scenario: SCENARIO,
    timeoutMs: 180_000,
  });
  const pairedMs = Date.now() - pairStarted;
  // The post-pairing history sync has landed once every contact is stored; then a short quiet spell (its last
  // writes, Baileys' own bookkeeping). A machine busy with other work keeps a process from looking idle for long.
  const settleStarted = Date.now();
  await until(async () => {
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from contacts where session_id = ${session.id}`;
    return (row?.n ?? 0) >= SCENARIO.contacts;
  }, "the history sync's contacts", 120_000, 500);
  await quiet(gateway.pid, 20_000);
  const settleMs = Date.now() - settleStarted;
  const account = (await (await fetch(`${sim.httpUrl}/sim/accounts/${session.phoneNumber ?? ""}`)).json()) as {
    counts: { contacts: number; groups: number; groupMembers: number };
  };

  const runs: RunResult[] = [];
  const floors: Awaited<ReturnType<typeof bulkWriteFloor>>[] = [];
  const sessionRows = `session_id = '${session.id.replace(/'/g, "''")}'`;
  const pgQueries = new Map<string, number>();
  let pgSamples = 0;
  for (let run = 0; run < RUNS; run++) {
    const admin = await identity.superAdminToken();
    await sleep(1_000);
    const rssBefore = rssMiB(gateway.pid);
    const cpuBefore = cpuMs(gateway.pid);
    const simCpuBefore = cpuMs(sim.pid);
    const pgCpuBefore = await postgresCpuMs(db);
    const timeline: { t: number; contacts: number; groups: number }[] = [];
    const activity = samplePostgres(db);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssMiB(gateway.pid));
    }, SAMPLE_MS);
    let job: Job;
    try {
      const started = await api<Job>(gateway.url, admin, `/admin/sessions/${session.id}:backfill`, { method: "POST" });
      if (started.status !== 202) throw new Error(`start backfill: HTTP ${started.status} ${JSON.stringify(started.body)}`);
      job = started.body;
      const deadline = Date.now() + 300_000;
      while (job.status === "running") {
        if (Date.now() > deadline) throw new Error("backfill did not finish within 5 minutes");
        await sleep(100);
        job = await apiOk<Job>(gateway.url, admin, `/admin/sessions/${session.id}/backfill`);
        timeline.push({ t: (Date.now() - job.startedAt) / 1000, contacts: job.contacts, groups: job.groups });
      }
    } finally {
      clearInterval(sampler);
      activity.stop();
    }
    for (const [query, n] of activity.counts) pgQueries.set(query, (pgQueries.get(query) ?? 0) + n);
    pgSamples += activity.samples();
    if (job.status !== "succeeded" || job.finishedAt === null) throw new Error(`backfill ${job.status}: ${job.error ?? "?"}`);
    const cpuSeconds = (cpuMs(gateway.pid) - cpuBefore) / 1000;
    const simCpuSeconds = (cpuMs(sim.pid) - simCpuBefore) / 1000;
    const postgresCpuSeconds = ((await postgresCpuMs(db)) - pgCpuBefore) / 1000;
    const finalContacts = job.contacts;
    const at = (pred: (p: { contacts: number; groups: number }) => boolean) =>
      timeline.find(pred)?.t ?? (job.finishedAt === null ? Number.NaN : (job.finishedAt - job.startedAt) / 1000);
    await sleep(2_000);
    const rssAfter = rssMiB(gateway.pid);
    const afterGc = await collectGarbage(gc, gateway.pid);
    const rows = job.contacts + job.groups + job.groupMembers;
    const seconds = (job.finishedAt - job.startedAt) / 1000;
    runs.push({
      rows,
      contacts: job.contacts,
      groups: job.groups,
      groupMembers: job.groupMembers,
      seconds,
      rowsPerSecond: rows / seconds,
      rssBefore,
      rssPeak,
      rssAfter,
      rssAfterGc: afterGc.rss,
      heapUsedAfterGc: afterGc.heapUsed / 1024 / 1024,
      cpuSeconds,
      simCpuSeconds,
      postgresCpuSeconds,
      firstContact: at((p) => p.contacts > 0),
      contactsDone: at((p) => p.contacts >= finalContacts),
      firstGroup: at((p) => p.groups > 0),
    });
    // The floor right after each run, so each ratio compares two things measured under the same load of this
    // shared machine (the session's rows are all stored from the first run on).
    floors.push(await bulkWriteFloor(db, ["contacts", "groups", "group_members"], sessionRows, 1));
  }

  const phases = jobPhases(gateway.stdout());
  const [stored] = await db.sql<{ contacts: number; groups: number; members: number }[]>`
    select (select count(*)::int from contacts) as contacts, (select count(*)::int from groups) as groups,
           (select count(*)::int from group_members) as members`;
  // The floor, in the same run: the rows this session now holds, bulk-loaded into empty copies of their tables.
  const ratios = runs.map((r, i) => r.seconds / (floors[i]?.seconds ?? Number.NaN));
  const floorSeconds = median(floors.map((f) => f.seconds));
  const floor = {
    rows: floors[0]?.rows ?? 0,
    seconds: floorSeconds,
    perTable: Object.fromEntries(
      Object.keys(floors[0]?.perTable ?? {}).map((t) => [t, median(floors.map((f) => f.perTable[t] ?? Number.NaN))]),
    ),
  };
  const ratio = median(ratios);
  const first = runs[0];
  const last = runs.at(-1);
  if (!first || !last || !stored) throw new Error("no backfill run recorded");
  const rate = median(runs.map((r) => r.rowsPerSecond));
  // Held memory is judged after a full GC: RSS before it also counts garbage V8 has not collected yet (reported too).
  const growth = last.rssAfterGc - first.rssAfterGc;
  const heapGrowth = last.heapUsedAfterGc - first.heapUsedAfterGc;
  const growthBeforeGc = last.rssAfter - first.rssAfter;
  const peakOverBefore = Math.max(...runs.map((r) => r.rssPeak - r.rssBefore));
  const flat = growth < 32 && heapGrowth < 32 && peakOverBefore < 128;

  return {
    postgres: db.version,
    body: [
      `## Backfill (${SCENARIO.contacts.toLocaleString("en")} contacts, ${SCENARIO.groups.toLocaleString("en")} groups × ${SCENARIO.membersPerGroup} members)`,
      "",
      "The gateway runs as its own process (`node --import tsx apps/gateway/src/index.ts`, real Baileys) against the",
      "simulator in another process; one session is paired through the API (create → QR → `/sim/scan` with the",
      "scenario), then `POST /api/v1/admin/sessions/{id}:backfill` is started and `GET …/backfill` polled every 100 ms.",
      `${RUNS} runs on the same session (the first writes the memberships, the later ones find nothing changed). Duration`,
      `is the job's \`finishedAt − startedAt\`; RSS is the gateway's VmRSS sampled every ${SAMPLE_MS} ms from /proc.`,
      "",
      "Memory after a run is read twice, 2 s after it ends (\"RSS after\") and again after a full garbage collection that",
      "the bench forces in the gateway: **bench-only**, the gateway is started with `--expose-gc` and a preload",
      "(`tooling/bench/src/gc-on-signal.mjs`) that runs `gc()` on SIGUSR2 and reports the heap used right after; RSS is read",
      "2 s later. Production gateways run neither. The collection happens before the next run, so later runs start from",
      "a collected heap. Without it, a run's garbage stays in a heap V8 grows and collects lazily, which is what RSS",
      "before the GC shows (a sampling allocation profile of single runs, taken apart from this bench: ~300 MB allocated",
      "per run, over 40 % of it Baileys decoding the server's answers).",
      "",
      `Floor, in the same run: the ${floor.rows.toLocaleString("en")} rows the session holds after each run (contacts, groups, group members), read into`,
      "the bench and bulk-loaded into empty copies of the three tables (`create table … (like … including all)`: same",
      "columns, defaults, checks and indexes; `like` copies no foreign keys, so the floor skips the checks the real",
      "tables make), one `insert … select … from unnest($1::text[], …)` per table, one load right after each run (each run's",
      "ratio is to its own load), median of the loads:",
      `${floor.seconds.toFixed(3)} s (${Object.entries(floor.perTable).map(([t, x]) => `${t} ${x.toFixed(3)} s`).join(", ")}).`,
      "",
      table(
        [
          "run",
          "contacts",
          "groups",
          "group members",
          "seconds",
          "÷ floor",
          "rows/s",
          "RSS before MiB",
          "RSS peak MiB",
          "RSS after MiB",
          "RSS after GC MiB",
          "heap used after GC MiB",
        ],
        runs.map((r, i) => [
          i + 1,
          r.contacts,
          r.groups,
          r.groupMembers,
          r.seconds.toFixed(2),
          (ratios[i] ?? Number.NaN).toFixed(2),
          Math.round(r.rowsPerSecond).toLocaleString("en"),
          mib(r.rssBefore),
          mib(r.rssPeak),
          mib(r.rssAfter),
          mib(r.rssAfterGc),
          mib(r.heapUsedAfterGc),
        ]),
      ),
      "",
      "Where a run's time goes (seconds from the job's start, read from its counters every 100 ms; CPU from /proc for the",
      "gateway, the simulator and this database's PostgreSQL backends):",
      "",
      table(
        ["run", "first contact row", "contacts done", "first group row", "end", "gateway CPU s", "simulator CPU s", "PostgreSQL CPU s"],
        runs.map((r, i) => [
          i + 1,
          r.firstContact.toFixed(1),
          r.contactsDone.toFixed(1),
          r.firstGroup.toFixed(1),
          r.seconds.toFixed(1),
          r.cpuSeconds.toFixed(1),
          r.simCpuSeconds.toFixed(1),
          r.postgresCpuSeconds.toFixed(1),
        ]),
      ),
      "",
      "The job's own phases (its log lines, ms from its start): the contacts' app-state resync and the groups' fetch",
      "(both Baileys and the simulator) run side by side, then each side's writes; the job ends when both are done.",
      "",
      table(
        ["run", ...PHASES.map((p) => p.replace("backfill: ", ""))],
        runs.map((_, i) => [i + 1, ...PHASES.map((p) => phases[i]?.get(p)?.toFixed(0) ?? "—")]),
      ),
      "",
      `- PostgreSQL statements seen active (${pgSamples} samples every 50 ms over the runs; share of samples):`,
      ...[...pgQueries.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([query, n]) => `  - ${((n / Math.max(1, pgSamples)) * 100).toFixed(0)} % \`${query.replace(/`/g, "'")}…\``),
      `- simulated account: ${account.counts.contacts} contacts, ${account.counts.groups} groups, ${account.counts.groupMembers} memberships;` +
        ` stored after the runs: ${stored.contacts} contacts, ${stored.groups} groups, ${stored.members} group members`,
      `- gateway RSS idle before pairing ${mib(rssIdle)} MiB; pairing to \`working\` ${(pairedMs / 1000).toFixed(1)} s;` +
        ` post-pairing sync settled after ${(settleMs / 1000).toFixed(1)} s`,
      `- median ${Math.round(rate).toLocaleString("en")} rows/s, median total ${median(runs.map((r) => r.seconds)).toFixed(2)} s per backfill`,
      "",
      `Goals: backfill ÷ bulk-write floor ≤ 2.0 — ${ratio <= 2 ? "met" : "not met"} (median ${ratio.toFixed(2)}: ${median(runs.map((r) => r.seconds)).toFixed(2)} s ÷ ${floor.seconds.toFixed(3)} s, medians; runs ${ratios.map((x) => x.toFixed(2)).join(", ")});` +
        ` flat memory, judged after a full GC (RSS and heap used after the last run each within 32 MiB of after the first;` +
        ` peak RSS under 128 MiB above the start of its run) — ${flat ? "met" : "not met"}` +
        ` (after GC: RSS ${signed(growth)} MiB, heap used ${signed(heapGrowth)} MiB over ${RUNS} runs; largest peak ${peakOverBefore.toFixed(0)} MiB` +
        ` above its start; RSS before the GC ${signed(growthBeforeGc)} MiB, garbage included).`,
    ].join("\n"),
  };
}
