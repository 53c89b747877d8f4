// The whole path on a real engine (Baileys against the simulator): a session's status changes are written as
// `session.status` events in the status writer's transaction, and a contact's inbound text as `message.received`
// (the stored WAMessage), and both reach a webhook receiver that verifies them with the `standardwebhooks` library
// within 2 s.
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

/** A webhook of the organization for one event type, to the receiver; returns its signing secret. */
async function webhookFor(eventType: string): Promise<string> {
  const id = newId();
  const secret = generateWebhookSecret();
  await createWebhook(h.db.db, {
    id,
    organizationId: h.organizationId,
    url: receiver.url,
    events: [eventType],
    sessionId: null,
    description: null,
    secretSealed: engine.webhooks.sealSecret(id, secret),
  });
  return secret;
}

describe("webhooks on a real engine", () => {
  it("[EVENTS][WEBHOOK][ENGINE] status changes reach the receiver as verified session.status events, in order", async () => {
    const secret = await webhookFor("session.status");
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

  it("[EVENTS][WEBHOOK][ENGINE] a contact's text reaches the receiver as a verified message.received within 2 s", async () => {
    const secret = await webhookFor("message.received");
    const session = await h.createSession("inbound webhooked");
    const { scan } = await h.pair(engine, session.id);
    const sentAt = Date.now();
    const res = await fetch(`${h.sim.httpUrl}/sim/accounts/${scan.phoneNumber}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "hello from a contact" }),
    });
    expect(res.status).toBe(200);
    const sent = (await res.json()) as { id: string; from: string };
    type Received = { type: string; sessionId: string; data: { waMessageId: string; direction: string; body: string | null; fromMe: boolean; chatJid: string } };
    const mine = () =>
      receiver.received.flatMap((request) => {
        const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
        try {
          const event = new StandardWebhook(secret).verify(request.body, headers) as Received;
          return event.type === "message.received" && event.data.waMessageId === sent.id ? [{ at: request.at, event }] : [];
        } catch {
          return []; // the other test's webhook, signed with its own secret
        }
      });
    const deadline = Date.now() + 10_000;
    while (mine().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const [first] = mine();
    expect(first?.event).toMatchObject({
      type: "message.received",
      sessionId: session.id,
      data: { waMessageId: sent.id, direction: "in", fromMe: false, body: "hello from a contact" },
    });
    expect((first?.at ?? Infinity) - sentAt).toBeLessThan(2_000);
  });
});
