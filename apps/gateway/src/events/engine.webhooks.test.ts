// The whole path on a real engine (Baileys against the simulator): a session's status changes are written as
// `session.status` events in the status writer's transaction and reach a webhook receiver that verifies them with
// the `standardwebhooks` library, each within 2 s of the change.
import { generateWebhookSecret } from "@wa/api";
import { newId } from "@wa/db";
import { createWebhook } from "@wa/db/queries";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayEngine } from "../engine.ts";
import { createHarness, type Harness } from "../../test/harness.ts";
import { startTestReceiver, type TestReceiver } from "./test-receiver.ts";

let h: Harness;
let engine: GatewayEngine;
let receiver: TestReceiver;

beforeAll(async () => {
  h = await createHarness();
  engine = await h.engine({ webhookAllowPrivate: true, webhooks: { pollMs: 50 } });
  receiver = await startTestReceiver();
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

describe("webhooks on a real engine", () => {
  it("[EVENTS][WEBHOOK][ENGINE] status changes reach the receiver as verified session.status events, in order", async () => {
    const id = newId();
    const secret = generateWebhookSecret();
    await createWebhook(h.db.db, {
      id,
      organizationId: h.organizationId,
      url: receiver.url,
      events: ["session.status"],
      sessionId: null,
      description: null,
      secretSealed: engine.webhooks.sealSecret(id, secret),
    });
    const session = await h.createSession("webhooked");
    const { session: paired } = await h.pair(engine, session.id);
    const workingAt = Date.now();
    expect(paired.status).toBe("working");
    const verify = () =>
      receiver.received.map((request) => {
        const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
        return { at: request.at, event: new StandardWebhook(secret).verify(request.body, headers) as { type: string; sessionId: string; data: { status: string; previous: string } } };
      });
    const deadline = Date.now() + 10_000;
    while (!verify().some((e) => e.event.data.status === "working") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const events = verify();
    // Every change, in order: each event's `previous` is the status the one before it reported.
    const chain = events.map((e) => [e.event.data.previous, e.event.data.status]);
    expect(chain[0]).toEqual(["stopped", "starting"]);
    expect(chain).toContainEqual(["starting", "scan_qr_code"]);
    expect(chain.at(-1)?.[1]).toBe("working");
    for (let i = 1; i < chain.length; i++) expect(chain[i]?.[0]).toBe(chain[i - 1]?.[1]);
    expect(events.every((e) => e.event.type === "session.status" && e.event.sessionId === session.id)).toBe(true);
    // The `working` event arrives within 2 s of the status being written.
    expect((events.at(-1)?.at ?? Infinity) - workingAt).toBeLessThan(2_000);
  });
});
