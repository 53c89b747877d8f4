// Api-keys are remembered in memory by each gateway process, and a revocation still applies: at once on the
// gateway that revoked, within 1 s on every other one (LISTEN/NOTIFY), and after a dropped listener (full flush).
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ACME, createTestApiKey } from "@wa/api/testing";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "./test-gateway.ts";

const onPostgres = Boolean(process.env.DATABASE_URL);
const CHILD_ID = "gw-api-key-cache-b";

/** Gateway B: its own process, database pool and api-key cache. */
async function startChildGateway(url: string): Promise<{ base: string; following: boolean; child: ChildProcess }> {
  const script = fileURLToPath(new URL("../../test/child-http.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    env: {
      ...process.env,
      DATABASE_URL: url,
      WEB_URL: "http://localhost:3000",
      JWKS_URL: "http://127.0.0.1:9/jwks",
      GATEWAY_ID: CHILD_ID,
      FOLLOW_WAIT_MS: onPostgres ? "30000" : "0",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("child gateway did not start")), 90_000);
    createInterface({ input: child.stdout }).once("line", (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once("exit", (code) => reject(new Error(`child gateway exited (${code})`)));
  });
  const { base, following } = JSON.parse(first) as { base: string; following: boolean };
  return { base, following, child };
}

describe("api-key cache across gateway processes", () => {
  let t: TestDatabase;
  let a: TestGateway;
  let b: { base: string; following: boolean; child: ChildProcess };

  beforeAll(async () => {
    t = await createTestDatabase();
    a = await startTestGateway(t);
    b = await startChildGateway(t.url);
  }, 120_000);
  afterAll(async () => {
    if (b && b.child.exitCode === null) {
      const exited = new Promise((r) => b.child.once("exit", r));
      b.child.kill("SIGTERM");
      await exited;
    }
    await a?.stop();
    await t?.close();
  });

  const status = (base: string, raw: string) =>
    fetch(`${base}/api/v1/me`, { headers: { "x-api-key": raw } }).then(async (r) => {
      await r.arrayBuffer();
      return r.status;
    });

  it("[AUTH][API-KEY][CACHE]: revoked through gateway A: A refuses the very next request, process B within 1 s", async () => {
    // On PostgreSQL both follow revocations by NOTIFY (entries could live a minute); PGlite cannot deliver
    // notifications between connections, so there entries live one second.
    if (onPostgres) await expect.poll(() => a.server.apiKeys.following, { timeout: 30_000 }).toBe(true);
    expect(b.following).toBe(onPostgres);
    const key = await createTestApiKey(t.db, ACME, ["read"]);
    for (const base of [a.base, b.base, a.base, b.base]) expect(await status(base, key.raw)).toBe(200);

    const revoked = await a.call("DELETE", `/api/v1/api-keys/${key.principal.keyId}`, { token: a.tokens.acmeOwner });
    expect(revoked.status).toBe(204);
    expect(await status(a.base, key.raw)).toBe(401);
    await expect.poll(() => status(b.base, key.raw), { timeout: 1_000, interval: 20 }).toBe(401);
    expect(await status(a.base, a.keys.read)).toBe(200);
    expect(await status(b.base, a.keys.read)).toBe(200);
  });

  it.skipIf(!onPostgres)("[AUTH][API-KEY][CACHE]: when B's listening connection drops, B forgets every key (a missed revocation cannot survive)", async () => {
    const key = await createTestApiKey(t.db, ACME, ["read"]);
    expect(await status(b.base, key.raw)).toBe(200);
    // Revoked behind every gateway's back (no NOTIFY), as if the notification had been lost.
    await t.sql`update api_keys set revoked_at = now() where id = ${key.principal.keyId}`;
    expect(await status(b.base, key.raw)).toBe(200);

    const killed = await t.sql`
      select pg_terminate_backend(pid) as ok from pg_stat_activity
      where datname = current_database() and application_name = ${`wa-gateway:${CHILD_ID}`} and query ilike 'listen%'`;
    expect(killed.map((r) => r.ok)).toEqual([true]);
    await expect.poll(() => status(b.base, key.raw), { timeout: 10_000, interval: 50 }).toBe(401);
  });
});
