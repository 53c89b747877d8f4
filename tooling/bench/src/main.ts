// `npm run bench [-- NAME…]`: runs the benchmarks (all, or the named ones) and rewrites their sections of BENCHMARKS.md.
// Every server, child process and database a benchmark starts is stopped when it ends, failed or not.
import path from "node:path";
import { runAsyncContext } from "./async-context.ts";
import { runAuthOverhead } from "./auth-overhead.ts";
import { runBackfill } from "./backfill.ts";
import { runCluster } from "./cluster.ts";
import { runConsole } from "./console.ts";
import { runMessages } from "./messages.ts";
import { createBenchDatabase } from "./database.ts";
import { runEvents } from "./events.ts";
import { createBenchIdentity, startInProcessGateway } from "./gateway.ts";
import { REPO_ROOT, stopEverything } from "./processes.ts";
import { machineLine, writeSection } from "./report.ts";
import { httpTargets, LIST_SESSIONS, runSessionsList, seedListScale } from "./sessions-list.ts";
import { runSessionsPerGateway } from "./sessions-per-gateway.ts";
import { PLAN, plannedSeconds, planReport, RUN_LIMIT_S, startSection } from "./time-plan.ts";

const reportFile = path.join(REPO_ROOT, "BENCHMARKS.md");

interface Benchmark {
  name: string;
  /** Returns the section body; the runner appends the machine line and the command. A partial run is only printed. */
  run: () => Promise<{ body: string; postgres: string; partial?: boolean }>;
}

/** `--quick`: smaller scales and fewer rounds, for a CI smoke run (figures are reported, never enforced). */
const quick = process.argv.includes("--quick");
/** `--only=PART` (or `--only PART`): one part of a benchmark (so far `cluster --only=forwarding`); printed, not written. */
const onlyAt = process.argv.findIndex((a) => a === "--only" || a.startsWith("--only="));
const onlyArg = process.argv[onlyAt];
const only = onlyAt < 0 ? undefined : onlyArg?.startsWith("--only=") ? onlyArg.slice("--only=".length) : process.argv[onlyAt + 1];

const benchmarks: Benchmark[] = [
  {
    name: "sessions-list",
    run: async () => {
      const db = await createBenchDatabase("list");
      const sessions = quick ? 200_000 : LIST_SESSIONS;
      const { seconds: seedSeconds } = await seedListScale(db, sessions);
      const identity = await createBenchIdentity(db);
      const gateway = await startInProcessGateway(db, identity);
      const body = await runSessionsList(db, httpTargets(gateway.url, identity.superAdminToken), {
        sessions,
        seedSeconds,
        quick,
      });
      return { body, postgres: db.version };
    },
  },
  { name: "auth-overhead", run: runAuthOverhead },
  { name: "async-context", run: runAsyncContext },
  { name: "backfill", run: runBackfill },
  { name: "console", run: runConsole },
  { name: "events", run: runEvents },
  { name: "messages", run: runMessages },
  { name: "cluster", run: () => runCluster({ quick, only }) },
  // Last: it pairs as many sessions as the rest of the run's time budget allows.
  { name: "sessions-per-gateway", run: runSessionsPerGateway },
];

// The runner's order is the plan's (the plan is what a full run is held to).
if (benchmarks.map((b) => b.name).join() !== PLAN.map((p) => p.name).join()) throw new Error("main.ts and time-plan.ts list different sections");

const wanted = process.argv.slice(2).filter((a, i, all) => !a.startsWith("-") && all[i - 1] !== "--only");
const unknown = wanted.filter((w) => !benchmarks.some((b) => b.name === w));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; known: ${benchmarks.map((b) => b.name).join(", ")}`);
  process.exit(2);
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error(`${signal}: stopping every server and child process…`);
    void stopEverything().finally(() => process.exit(130));
  });
}

const selected = wanted.length ? benchmarks.filter((b) => wanted.includes(b.name)) : benchmarks;
const started = Date.now();
const failures: string[] = [];
const runtimes: { name: string; seconds: number }[] = [];
for (const bench of selected) {
  const t0 = Date.now();
  startSection(bench.name, t0);
  console.log(`▶ ${bench.name} (${plannedSeconds(bench.name)} s planned)`);
  try {
    const { body, postgres, partial } = await bench.run();
    const seconds = ((Date.now() - t0) / 1000).toFixed(0);
    const full =
      `${body.trim()}\n\nMachine: ${machineLine(postgres)}. Command: \`npm run bench -- ${bench.name}\`` +
      ` (${seconds} s; ${plannedSeconds(bench.name)} s in the time plan).`;
    // A smoke run's smaller scales must not replace the recorded figures.
    if (partial || quick) console.log(`(${quick ? "--quick" : "a partial run"}: BENCHMARKS.md is not rewritten)`);
    else writeSection(reportFile, bench.name, full);
    console.log(full);
    console.log(`✓ ${bench.name} in ${seconds} s`);
  } catch (error) {
    failures.push(bench.name);
    console.error(`✗ ${bench.name} failed:`, error);
  } finally {
    await stopEverything();
    runtimes.push({ name: bench.name, seconds: (Date.now() - t0) / 1000 });
  }
}
const total = (Date.now() - started) / 1000;
console.log(`benchmarks done in ${total.toFixed(0)} s${quick ? "" : "; results in BENCHMARKS.md"}\n${planReport(runtimes)}`);
// Timing never fails the command; a full run past the limit says so.
if (selected.length === benchmarks.length && total > RUN_LIMIT_S) console.warn(`warning: the full run took over ${RUN_LIMIT_S / 60} minutes`);
if (failures.length) {
  console.error(`failed: ${failures.join(", ")}`);
  process.exit(1);
}
process.exit(0);
