// SIGKILL of a gateway with deliveries pending and events just written: the dispatcher and the event writer run in
// a child process that is killed with -9 mid-run; after a restart (a dispatcher with the same gateway id) every
// committed event reaches the receiver, none lost, the only duplicate being the one in flight at the kill.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createWebhookPort, generateWebhookSecret } from "@wa/api";
import { newId, schema } from "@wa/db";
import { createWebhook, listEventsAfter, EVENT_ID_ZERO } from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import pino from "pino";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebhookDispatcher } from "./dispatcher.ts";
import { startTestReceiver, type TestReceiver } from "./test-receiver.ts";

const APP_SECRET = "sigkill-test-app-secret-sigkill-test-app-secret";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("webhook delivery across a SIGKILL", () => {
  let t: TestDatabase;
  let receiver: TestReceiver;
  let child: ChildProcess | null = null;
  let restarted: WebhookDispatcher | null = null;

  beforeAll(async () => {
    t = await createTestDatabase();
    receiver = await startTestReceiver();
  });
  afterAll(async () => {
    child?.kill("SIGKILL");
    await restarted?.stop();
    await receiver?.close();
    await t?.close();
  });

  it("[EVENTS][SIGKILL] every committed event is delivered after a restart; duplicates only of the one in flight", async () => {
    const organizationId = newId();
    await t.db.insert(schema.organizations).values({ id: organizationId, name: "SIGKILL" });
    const port = createWebhookPort({ appSecret: APP_SECRET, allowPrivate: true });
    const webhookId = newId();
    const secret = generateWebhookSecret();
    await createWebhook(t.db, {
      id: webhookId,
      organizationId,
      url: receiver.url,
      events: ["*"],
      sessionId: null,
      description: null,
      secretSealed: port.sealSecret(webhookId, secret),
    });
    // Each answer takes 40 ms: the child writes faster than it delivers.
    receiver.answer = () => ({ status: 200, delayMs: 40 });

    const script = fileURLToPath(new URL("../../test/child-events.ts", import.meta.url));
    child = spawn(process.execPath, ["--import", "tsx", script], {
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
      env: { ...process.env, DATABASE_URL: t.url, ORGANIZATION_ID: organizationId, GATEWAY_ID: "gw-kill-1", APP_SECRET, COUNT: "200" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const committed: string[] = [];
    const exited = new Promise<void>((r) => child?.once("exit", () => r()));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (text) => {
      try {
        const line = JSON.parse(text) as { committed?: string };
        if (line.committed) committed.push(line.committed);
      } catch {
        // not ours
      }
    });
    // Kill it mid-run: events still being written, deliveries pending and one in flight.
    const deadline = Date.now() + 60_000;
    while ((committed.length < 60 || receiver.received.length < 10) && Date.now() < deadline) await sleep(20);
    expect(committed.length).toBeGreaterThanOrEqual(60);
    child.kill("SIGKILL");
    await exited;
    const deliveredBeforeKill = receiver.received.length;

    const all = await listEventsAfter(t.db, { organizationId, after: EVENT_ID_ZERO, limit: 1000 });
    const allIds = all.map((e) => e.id);
    // Every event the child saw committed is in the log (and nothing else is promised).
    expect(allIds).toEqual(expect.arrayContaining(committed));
    expect(allIds.length).toBeLessThan(200);
    expect(deliveredBeforeKill).toBeLessThan(allIds.length);

    restarted = new WebhookDispatcher({
      db: t.db,
      logger: pino({ level: "silent" }),
      gatewayId: "gw-kill-1",
      cipher: port.cipher,
      options: { pollMs: 20, allowPrivate: true },
    });
    receiver.answer = () => 200;
    await restarted.start();
    await receiver.waitFor(allIds.length, 60_000);
    const until = Date.now() + 30_000;
    const unique = () => new Set(receiver.received.map((r) => String(r.headers["webhook-id"])));
    while (unique().size < allIds.length && Date.now() < until) await sleep(50);
    await sleep(300);

    const ids = receiver.received.map((r) => String(r.headers["webhook-id"]));
    expect([...new Set(ids)].sort()).toEqual([...allIds].sort());
    // In order, apart from the one redelivered after the restart.
    const firstSeen = ids.filter((id, i) => ids.indexOf(id) === i);
    expect(firstSeen).toEqual(allIds);
    expect(ids.length - allIds.length).toBeLessThanOrEqual(1);
    for (const request of receiver.received) {
      const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
      expect(() => new StandardWebhook(secret).verify(request.body, headers)).not.toThrow();
    }
  }, 150_000);
});
