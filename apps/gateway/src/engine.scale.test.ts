// Many sessions on one engine: 50 pair and reach `working` together, then a gateway restart resumes all of them
// (bounded concurrency, jitter) without a QR.
import { listSessions } from "@wa/db/queries";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, until, type Harness } from "../test/harness.ts";

const N = 50;
let h: Harness;

beforeAll(async () => {
  h = await createHarness({ sim: { scenario: { contacts: 5, groups: 1, membersPerGroup: 3 } } });
});
afterAll(async () => {
  await h?.close();
});

const mb = (n: number) => Math.round(n / 1024 / 1024);

describe("many sessions", () => {
  it(`${N} sessions on one engine pair and reach working together; a restarted gateway resumes them all without a QR`, async () => {
    const engine = await h.engine();
    const sessions = await Promise.all(Array.from({ length: N }, (_, i) => h.createSession(`scale ${i}`)));
    const started = Date.now();
    await Promise.all(
      sessions.map((s, i) => h.pair(engine, s.id, { phoneNumber: `62815${String(i).padStart(7, "0")}`, timeoutMs: 120_000 })),
    );
    const pairedMs = Date.now() - started;
    const page = await listSessions(h.db.db, { limit: 200, organizationId: h.organizationId, statuses: ["working"] });
    expect(page.data).toHaveLength(N);
    expect(new Set(page.data.map((s) => s.phoneNumber)).size).toBe(N);
    console.log(`[scale] ${N} sessions paired in ${pairedMs} ms; rss ${mb(process.memoryUsage().rss)} MB`);

    await engine.shutdown();
    const qrSeen: string[] = [];
    const resumed = await h.engine({ restoreConcurrency: 8, restoreJitterMs: 200 }, { boot: false });
    const abort = new AbortController();
    const watching = (async () => {
      for await (const ev of resumed.events.subscribe({ organizationId: h.organizationId }, abort.signal)) {
        if (ev.status === "scan_qr_code") qrSeen.push(ev.sessionId);
      }
    })();
    const bootStarted = Date.now();
    await resumed.boot();
    await until(
      async () => {
        const p = await listSessions(h.db.db, { limit: 200, organizationId: h.organizationId, statuses: ["working"] });
        return p.data.length === N && sessions.every((s) => resumed.manager.peek(s.id)?.status === "working");
      },
      "all sessions working after restart",
      60_000,
      200,
    );
    console.log(`[scale] ${N} sessions resumed in ${Date.now() - bootStarted} ms; rss ${mb(process.memoryUsage().rss)} MB`);
    abort.abort();
    await watching;
    expect(qrSeen).toEqual([]);
    // the simulator registers a connection a moment after Baileys' `open`, and forgets the old engine's lazily
    await until(() => h.sim.connectionCount() === N, `${N} connections at the simulator`, 30_000);
    await resumed.shutdown();
  }, 180_000);
});
