// Engine measurements against the simulator running in its own process (so RSS is the engine's alone), on a
// fresh database of DATABASE_URL's server:
//   node --expose-gc --import tsx test/bench-engine.ts backfill [contacts groups membersPerGroup]
//   node --expose-gc --import tsx test/bench-engine.ts sessions 1 50 200
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { newId, schema } from "@wa/db";
import { getSession, createSession, countDirectory } from "@wa/db/queries";
import { createTestDatabase } from "@wa/db/testing";
import pino from "pino";
import { createGatewayEngine, type GatewayEngine } from "../src/engine.ts";
import { TEST_APP_SECRET } from "./harness.ts";

const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gc = () => (globalThis as { gc?: () => void }).gc?.();

async function startSimProcess(port: number) {
  const cli = fileURLToPath(new URL("../../../packages/wa-sim/src/cli.ts", import.meta.url));
  const child = spawn(process.execPath, ["--max-old-space-size=4096", "--import", "tsx", cli, "--port", String(port), "--log-format", "json"], {
    env: { ...process.env, WA_SIM_LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const info = await new Promise<{ url: string; control: string; rootPublicKey: string }>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.on("line", (line) => {
      try {
        const j = JSON.parse(line) as { msg?: string; url?: string; control?: string; rootPublicKey?: string };
        if (j.msg === "wa-sim listening" && j.url && j.control && j.rootPublicKey) {
          resolve({ url: j.url, control: j.control, rootPublicKey: j.rootPublicKey });
        }
      } catch {
        /* not JSON */
      }
    });
    child.once("exit", (code) => reject(new Error(`simulator exited (${code})`)));
  });
  return { ...info, httpUrl: info.control.replace(/\/sim\/?$/, ""), stop: () => child.kill("SIGTERM") };
}

async function waitFor<T>(fn: () => Promise<T> | T, what: string, timeoutMs: number): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(100);
  }
}

async function pair(engine: GatewayEngine, sim: { httpUrl: string }, db: Awaited<ReturnType<typeof createTestDatabase>>, sessionId: string, body: Record<string, unknown>) {
  await engine.sessions.start(sessionId);
  const qr = await waitFor(() => engine.manager.peek(sessionId)?.currentQr(), "QR", 120_000);
  // A reused keep-alive socket can be closed by the simulator under load before the request is read: retry those.
  let res: Response | null = null;
  for (let attempt = 1; !res; attempt++) {
    try {
      res = await fetch(`${sim.httpUrl}/sim/scan`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ qr: qr.qr, ...body }),
      });
    } catch (err) {
      if (attempt >= 3) throw err;
      await sleep(200);
    }
  }
  if (!res.ok) throw new Error(`scan failed: ${res.status} ${await res.text()}`);
  await waitFor(async () => (await getSession(db.db, sessionId))?.status === "working", "working", 300_000);
}

async function main() {
  const [mode = "backfill", ...args] = process.argv.slice(2);
  if (!process.env.DATABASE_URL) throw new Error("DATABASE_URL (a PostgreSQL server) is required for the measurements");
  const sim = await startSimProcess(7_900 + Math.floor(Math.random() * 90));
  const db = await createTestDatabase();
  const organizationId = newId();
  await db.db.insert(schema.organizations).values({ id: organizationId, name: "bench" });
  const engine = await createGatewayEngine({
    db,
    logger: pino({ level: process.env.BENCH_LOG_LEVEL ?? "silent" }),
    config: { gatewayId: "gw-bench", appSecret: TEST_APP_SECRET, gatewayUrl: "http://127.0.0.1:1", waWsUrl: sim.url, trustRootPublicKey: sim.rootPublicKey, backfillBatchSize: 1_000 },
  });
  await engine.boot();
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    if (mode === "backfill") {
      const [contacts = 10_000, groups = 1_000, membersPerGroup = 50] = args.map(Number);
      const session = await createSession(db.db, { organizationId, gatewayId: "gw-bench" });
      const t0 = Date.now();
      await pair(engine, sim, db, session.id, {
        phoneNumber: "6289900000001",
        scenario: { seed: "bench", contacts, groups, membersPerGroup },
      });
      await waitFor(async () => (await countDirectory(db.db, session.id)).contacts >= contacts, "history contacts", 600_000);
      const captured = Date.now() - t0;
      gc();
      await sleep(500);
      const before = process.memoryUsage().rss;
      peak = before;
      const row = await getSession(db.db, session.id);
      if (!row) throw new Error("no session");
      const started = Date.now();
      await engine.backfill.start(row.id);
      const job = await waitFor(() => {
        const j = engine.backfill.peek(session.id);
        return j && j.status !== "running" ? j : null;
      }, "backfill", 900_000);
      const ms = Date.now() - started;
      const rows = job.contacts + job.groups + job.groupMembers;
      process.stdout.write(
        `${JSON.stringify({
          mode,
          job: { status: job.status, error: job.error, contacts: job.contacts, groups: job.groups, groupMembers: job.groupMembers },
          db: await countDirectory(db.db, session.id),
          pairAndHistoryCaptureMs: captured,
          backfillMs: ms,
          rowsPerSecond: Math.round((rows / ms) * 1000),
          rssBeforeMb: mb(before),
          peakRssDuringBackfillMb: mb(peak),
        })}\n`,
      );
    } else {
      const targets = (args.length ? args : ["1", "50", "200"]).map(Number);
      let paired = 0;
      for (const target of targets) {
        const wanted = target - paired;
        const ids = [];
        for (let i = 0; i < wanted; i++) ids.push((await createSession(db.db, { organizationId, gatewayId: "gw-bench" })).id);
        const t0 = Date.now();
        for (let i = 0; i < ids.length; i += 25) {
          await Promise.all(
            ids.slice(i, i + 25).map((id, j) =>
              pair(engine, sim, db, id, { phoneNumber: `62888${String(paired + i + j).padStart(7, "0")}`, scenario: { contacts: 20, groups: 3, membersPerGroup: 6 } }),
            ),
          );
        }
        paired = target;
        await sleep(5_000);
        gc();
        await sleep(1_000);
        const usage = process.memoryUsage();
        process.stdout.write(
          `${JSON.stringify({ mode, workingSessions: paired, pairMs: Date.now() - t0 - 6_000, rssMb: mb(usage.rss), heapUsedMb: mb(usage.heapUsed) })}\n`,
        );
      }
    }
  } finally {
    clearInterval(sampler);
    await engine.shutdown();
    sim.stop();
    await db.close();
  }
}

await main();
process.exit(0);
