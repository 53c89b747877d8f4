// A database outage loses no status change: a 405 from WhatsApp while PostgreSQL is down is in the database once it
// is back; meanwhile the API answers 503 at once and /readyz says "database unreachable", then recovers.
// Runs its own PostgreSQL cluster (initdb + pg_ctl in a temp dir, on a free port): never the shared server.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ACME, createTestApiKey, seedFixture } from "@wa/api/testing";
import { createDbClient, runMigrations, type DbClient } from "@wa/db";
import { getSession } from "@wa/db/queries";
import { scanQr, startSimulator, type Simulator } from "@wa/wa-sim";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_APP_SECRET, until, freePort } from "../../test/harness.ts";
import { createGatewayEngine, type GatewayEngine } from "../engine.ts";
import { createServer, type GatewayServer } from "../http/server.ts";

/** The PostgreSQL server binaries of this machine, whatever the version: a missing install fails the test loudly. */
function findPgBin(): string {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim());
  } catch {
    // no pg_config: look where Debian installs the server
  }
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => join(root, version, "bin")));
  }
  const found = candidates.find((dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl")));
  if (!found) throw new Error(`no PostgreSQL server binaries (initdb, pg_ctl) found in ${candidates.join(", ") || root}`);
  return found;
}
const PG_BIN = findPgBin();


/** A throwaway PostgreSQL cluster this test may stop and start (as the postgres user when run as root). */
function createCluster(port: number) {
  const dir = mkdtempSync(join(tmpdir(), "wa-outage-pg-"));
  const data = join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chmodSync(dir, 0o777);
    execFileSync("chown", ["postgres", dir]);
  }
  const run = (bin: string, args: string[]) =>
    execFileSync(asRoot ? "runuser" : join(PG_BIN, bin), asRoot ? ["-u", "postgres", "--", join(PG_BIN, bin), ...args] : args, {
      stdio: "ignore",
    });
  run("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: () => run("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "start"]),
    stop: () => run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]),
    remove: () => {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe("database outage", () => {
  let cluster: ReturnType<typeof createCluster>;
  let db: DbClient;
  let sim: Simulator;
  let engine: GatewayEngine;
  let server: GatewayServer;
  let base: string;
  let key: string;

  beforeAll(async () => {
    cluster = createCluster(await freePort());
    cluster.start();
    await runMigrations(cluster.url);
    db = createDbClient(cluster.url, { max: 4, connectTimeoutSeconds: 2 });
    await seedFixture(db.db);
    key = (await createTestApiKey(db.db, ACME, ["read", "manage"])).raw;
    sim = await startSimulator({ qrRefreshMs: 20_000 });
    const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
    engine = await createGatewayEngine({
      db,
      logger,
      config: {
        gatewayId: "gw-outage-1",
        appSecret: TEST_APP_SECRET,
        gatewayUrl: "http://127.0.0.1:1",
        waWsUrl: sim.url,
        simulatorHttpUrl: sim.httpUrl,
        trustRootPublicKey: sim.rootPublicKey,
      },
    });
    server = await createServer({
      db,
      ports: engine,
      env: { port: 0, webUrl: "http://localhost:3000", jwksUrl: "http://127.0.0.1:9/jwks" },
      logger,
    });
    base = await server.start();
  });
  afterAll(async () => {
    try {
      cluster?.start(); // queued writes flush at shutdown: give them their database back if a step failed
    } catch {
      // already running
    }
    await server?.stop();
    await engine?.shutdown();
    await sim?.stop();
    await db?.close();
    cluster?.remove();
  });

  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers: { "x-api-key": key } });
    return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
  };

  it("[OUTAGE]: a 405 during the outage is in the database after it returns; the API answers 503 meanwhile", async () => {
    const created = await fetch(`${base}/api/v1/sessions`, {
      method: "POST",
      headers: { "x-api-key": key, "content-type": "application/json" },
      body: JSON.stringify({ label: "outage", start: true }),
    });
    const { id } = (await created.json()) as { id: string };
    const qr = await until(() => engine.manager.peek(id)?.currentQr(), "a QR", 30_000);
    const phoneNumber = "6281399000001";
    await scanQr(sim.httpUrl, qr.qr, { phoneNumber });
    await until(async () => (await getSession(db.db, id))?.status === "working", "working", 30_000);
    await until(() => sim.control.account(phoneNumber).connected > 0, "the simulator holds the connection");

    cluster.stop();
    expect(sim.control.fault({ phoneNumber, kind: "stream-error", code: 405 }).affected).toBe(1);
    await until(() => engine.manager.peek(id)?.status === "failed", "failed in memory");

    // API calls while the database is away: 503 gateway_unavailable, answered at once rather than after timeouts
    const timings: number[] = [];
    await until(async () => (await get(`/api/v1/sessions/${id}`)).status === 503, "REST refusing with 503");
    for (const path of [`/api/v1/sessions/${id}`, "/api/v1/sessions", "/api/v1/me"]) {
      const began = Date.now();
      const reply = await get(path);
      timings.push(Date.now() - began);
      expect(reply.status).toBe(503);
      expect(reply.body.error?.code).toBe("gateway_unavailable");
    }
    expect(Math.max(...timings)).toBeLessThan(3_000);
    const ready = await get("/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body.error?.message).toBe("database unreachable");

    cluster.start();
    const back = Date.now();
    await until(async () => (await get("/readyz")).status === 200, "ready again", 20_000);
    const readyAfterMs = Date.now() - back;
    const row = await until(async () => {
      const s = await getSession(db.db, id);
      return s?.status === "failed" ? s : null;
    }, "the queued status write", 20_000);
    expect(row.statusReason).toMatch(/outdated \(405\)/);
    const viaApi = await get(`/api/v1/sessions/${id}`);
    expect(viaApi.status).toBe(200);
    expect(viaApi.body).toMatchObject({ status: "failed" });
    console.info(`outage: REST answered 503 in ${timings.join(", ")} ms; /readyz 200 again ${readyAfterMs} ms after the database`);
  });
});
