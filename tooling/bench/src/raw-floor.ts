// The floor of the sessions-per-gateway benchmark: what plain Baileys sockets (in-memory auth, no database, no API)
// cost in a process of their own against the same simulator — resident memory per socket after pairing and after a
// restart, CPU per pairing, and how long a restart takes to bring them all back (tooling/bench/src/raw-baileys-fleet.ts).
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ForcedGc, GC_NODE_ARGS } from "./forced-gc.ts";
import { cpuMs, onCleanup, quiet, REPO_ROOT, rssMiB, sleep, startChild, type Child } from "./processes.ts";
import { quantile } from "./stats.ts";

export interface RawFloor {
  sockets: number;
  /** Marginal RSS per socket from 1 to `sockets`, in the process that paired them (MiB). */
  pairedMiBPerSocket: number;
  /** The same in a new process that only reconnected them from their saved creds (MiB). */
  restartedMiBPerSocket: number;
  rss: { paired1: number; pairedN: number; restarted1: number; restartedN: number };
  /** The same two figures read after a full GC in the floor process (what the sockets hold, not uncollected garbage). */
  afterGc: { pairedMiBPerSocket: number; restartedMiBPerSocket: number; rss: { paired1: number; pairedN: number; restarted1: number; restartedN: number } };
  /** CPU of the floor process per pairing, from 1 to `sockets` (ms). */
  cpuMsPerPairing: number;
  /** Wall time of the reconnection of sockets 2…N after the restart, `CONCURRENCY` at once (s). */
  reconnectSeconds: number;
  /** Wall time of the pairing of sockets 2…N (s): what one more plain pairing costs the run's time plan. */
  pairSeconds: number;
  seconds: number;
}

/** RSS once the process has gone quiet: the median of five samples half a second apart. */
export async function settledRss(pid: number): Promise<number> {
  // With hundreds of sockets keep-alives never let the process go fully quiet; do not wait long for it (it is
  // called a dozen times per run: 20 s waits and 5 s of samples each were minutes of the time plan).
  await quiet(pid, 10_000);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rssMiB(pid));
    await sleep(500);
  }
  return quantile(samples.sort((a, b) => a - b), 0.5);
}

async function startFleet(sim: { wsUrl: string; httpUrl: string }, prefix: string, file: string, resume: boolean, gc: ForcedGc) {
  const args = [...GC_NODE_ARGS, "--import", "tsx", "tooling/bench/src/raw-baileys-fleet.ts", sim.wsUrl, sim.httpUrl, prefix, file];
  const child: Child = startChild("raw-fleet", resume ? [...args, "--resume"] : args, gc.env, { cwd: REPO_ROOT });
  const [, url = ""] = await child.waitForLine(/raw-baileys-fleet ready (http:\/\/127\.0\.0\.1:\d+)/, 120_000);
  const command = async (route: string, body: unknown = {}) => {
    const res = await fetch(`${url}${route}`, { method: "POST", body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`raw fleet ${route}: HTTP ${res.status} ${await res.text()}`);
  };
  return { child, command };
}

/** Pairs `sockets` plain clients (phone numbers `prefix` + 7 digits), then reconnects them in a new process. */
export async function measureRawFloor(sim: { wsUrl: string; httpUrl: string }, sockets: number, prefix: string): Promise<RawFloor> {
  const started = Date.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), "wa-bench-fleet-"));
  onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, "creds.json");

  const gc = new ForcedGc("floor");
  const paired = await startFleet(sim, prefix, file, false, gc);
  await paired.command("/pair", { upTo: 1 });
  const paired1 = await settledRss(paired.child.pid);
  const paired1Gc = await gc.rssAfterGc(paired.child.pid);
  const cpu0 = cpuMs(paired.child.pid);
  const pairStarted = Date.now();
  await paired.command("/pair", { upTo: sockets });
  const pairSeconds = (Date.now() - pairStarted) / 1000;
  const cpuMsPerPairing = (cpuMs(paired.child.pid) - cpu0) / (sockets - 1);
  const pairedN = await settledRss(paired.child.pid);
  const pairedNGc = await gc.rssAfterGc(paired.child.pid);
  await paired.command("/save");
  await paired.child.stop(5_000);

  const restarted = await startFleet(sim, prefix, file, true, gc);
  await restarted.command("/resume", { upTo: 1 });
  const restarted1 = await settledRss(restarted.child.pid);
  const restarted1Gc = await gc.rssAfterGc(restarted.child.pid);
  const t0 = Date.now();
  await restarted.command("/resume", { upTo: sockets });
  const reconnectSeconds = (Date.now() - t0) / 1000;
  const restartedN = await settledRss(restarted.child.pid);
  const restartedNGc = await gc.rssAfterGc(restarted.child.pid);
  await restarted.child.stop(5_000);

  return {
    sockets,
    pairedMiBPerSocket: (pairedN - paired1) / (sockets - 1),
    restartedMiBPerSocket: (restartedN - restarted1) / (sockets - 1),
    rss: { paired1, pairedN, restarted1, restartedN },
    afterGc: {
      pairedMiBPerSocket: (pairedNGc - paired1Gc) / (sockets - 1),
      restartedMiBPerSocket: (restartedNGc - restarted1Gc) / (sockets - 1),
      rss: { paired1: paired1Gc, pairedN: pairedNGc, restarted1: restarted1Gc, restartedN: restartedNGc },
    },
    cpuMsPerPairing,
    reconnectSeconds,
    pairSeconds,
    seconds: (Date.now() - started) / 1000,
  };
}
