// [ORG][WEBHOOKS] in Chromium against the real stack: an owner creates a webhook in the console (event picker,
// secret shown once), a session's status change is delivered to a local receiver that verifies it with the
// `standardwebhooks` library, a failing delivery shows in the deliveries view and the console's retry delivers it;
// the session page's live events panel shows the change; enable/disable, rotation and deletion work from the console.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { Webhook } from "standardwebhooks";
import { ARTIFACTS, startStack, until, type Stack } from "./harness.ts";
import { assertFitsPhone, PHONE } from "./page-checks.ts";

let stack: Stack;
let receiver: Receiver;

/** A webhook endpoint on loopback: answers 500 while `failing`, else verifies the signature and answers 204. */
interface Receiver {
  url: string;
  failing: boolean;
  secret: string | null;
  /** `webhook-id`s of the attempts answered 500. */
  refused: string[];
  /** Verified deliveries: id, type and body. */
  verified: {
    id: string;
    type: string;
    body: { id: string; type: string; sessionId: string | null; data: unknown };
  }[];
  badSignatures: number;
  server: Server;
}

async function startReceiver(): Promise<Receiver> {
  const state: Omit<Receiver, "url" | "server"> = {
    failing: true,
    secret: null,
    refused: [],
    verified: [],
    badSignatures: 0,
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const id = String(req.headers["webhook-id"] ?? "");
      if (state.failing) {
        state.refused.push(id);
        res.writeHead(500).end("not now");
        return;
      }
      const body = Buffer.concat(chunks).toString("utf8");
      try {
        if (!state.secret) throw new Error("no secret yet");
        const event = new Webhook(state.secret).verify(body, {
          "webhook-id": id,
          "webhook-timestamp": String(req.headers["webhook-timestamp"] ?? ""),
          "webhook-signature": String(req.headers["webhook-signature"] ?? ""),
        }) as Receiver["verified"][number]["body"];
        state.verified.push({ id, type: event.type, body: event });
        res.writeHead(204).end();
      } catch {
        state.badSignatures += 1;
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const receiverState = state as Receiver;
  receiverState.server = server;
  receiverState.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/whatsapp`;
  return receiverState;
}

before(async () => {
  receiver = await startReceiver();
  // The receiver is on loopback, which the gateway refuses unless told otherwise (contract: tests, demo).
  stack = await startStack({ gatewayEnv: { WEBHOOK_ALLOW_PRIVATE: "1" } });
});
after(async () => {
  await stack?.stop();
  receiver?.server.closeAllConnections();
  await new Promise<void>((resolve) => (receiver ? receiver.server.close(() => resolve()) : resolve()));
});

interface Delivery {
  id: string;
  eventId: string;
  type: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  nextAttemptAt: number | null;
  deliveredAt: number | null;
}

describe("webhooks console", () => {
  it("[ORG][WEBHOOKS]: create a webhook in the console, trigger an event, see the failed delivery and its retry, the signed payload and the live events panel", async () => {
    const ownerToken = await stack.tokenFor("owner@acme.test");
    const owner = await stack.signedIn("owner@acme.test");
    const page = await owner.newPage();
    try {
      await webhooksFlow(page, ownerToken);
    } catch (error) {
      // What the console showed when it went wrong.
      await page
        .screenshot({ path: path.join(ARTIFACTS, "webhooks-failure.png"), fullPage: true })
        .catch(() => undefined);
      throw error;
    } finally {
      await owner.close();
    }
  });
});

async function webhooksFlow(page: Page, ownerToken: string) {
  // Create: only session.status, picked in the event picker; the secret is shown once.
  await page.goto("/webhooks");
  await page.locator('[data-testid="webhooks-table"][aria-busy="false"]').waitFor();
  await page.getByLabel("Endpoint URL").fill(receiver.url);
  await page.getByLabel("Description (optional)").fill("e2e receiver");
  const picker = page.getByTestId("event-picker");
  await picker.getByRole("checkbox", { name: /All events/ }).uncheck();
  await picker.getByRole("checkbox", { name: /session\.status/ }).check();
  await page.getByRole("button", { name: "Add webhook" }).click();
  const secret = await page.getByTestId("webhook-secret").innerText();
  assert.match(secret, /^whsec_/);
  receiver.secret = secret;
  const row = page.locator("tr[data-webhook-id]", { hasText: receiver.url });
  await row.waitFor();
  const webhookId = (await row.getAttribute("data-webhook-id")) ?? "";
  const listed = await stack.api<{ data: { id: string; events: string[]; active: boolean }[] }>(
    ownerToken,
    "GET",
    "/webhooks",
  );
  assert.deepEqual(
    listed.body.data.find((w) => w.id === webhookId)?.events,
    ["session.status"],
    "the picked events were saved",
  );

  // Trigger: a new session that starts changes status (session.status events).
  const created = await stack.api<{ id: string }>(ownerToken, "POST", "/sessions", {
    label: "Webhooks e2e",
    start: true,
  });
  assert.equal(created.status, 201);
  const sessionId = created.body.id;

  // The deliveries view shows the first attempt failed (HTTP 500), with its attempt count and a next attempt.
  await page.getByRole("link", { name: "See its deliveries →" }).click();
  await page.waitForURL(`**/webhooks/${webhookId}`);
  const failedRow = page.locator('tr[data-delivery-id][data-status="failed"]').first();
  await failedRow.waitFor({ timeout: 90_000 });
  assert.match(await failedRow.innerText(), /HTTP 500/);
  assert.ok(receiver.refused.length >= 1, "the receiver saw the failed attempt");

  // Let it fail a few times, so the next automatic attempt is well ahead (backoff ≈ 2 s, 4 s, 8 s, 16 s …).
  const head = await until(
    "the head delivery to have failed 4 times",
    async () => {
      const page1 = await stack.api<{ data: Delivery[] }>(
        ownerToken,
        "GET",
        `/webhooks/${webhookId}/deliveries?status=failed`,
      );
      const failed = page1.body.data.at(-1);
      return failed && failed.attempts >= 4 ? failed : null;
    },
    60_000,
  );
  assert.ok(
    head.nextAttemptAt !== null && head.nextAttemptAt > Date.now(),
    "a failed delivery has its next attempt ahead",
  );
  const scheduled = head.nextAttemptAt ?? 0;
  const headRow = page.locator(`tr[data-delivery-id="${head.id}"]`);
  await until(
    "the console to show 4 attempts",
    async () => Number(await headRow.getByTestId("attempts").innerText()) >= 4,
  );

  // Retry from the console, with the receiver answering again: delivered before its scheduled attempt.
  receiver.failing = false;
  await headRow.getByRole("button", { name: "Retry now" }).click();
  await page
    .locator(`tr[data-delivery-id="${head.id}"][data-status="delivered"]`)
    .waitFor({ timeout: 60_000 });
  const deliveredPage = await stack.api<{ data: Delivery[] }>(
    ownerToken,
    "GET",
    `/webhooks/${webhookId}/deliveries?status=delivered`,
  );
  const delivered = deliveredPage.body.data.find((d) => d.id === head.id);
  assert.ok(
    delivered?.deliveredAt && delivered.deliveredAt < scheduled,
    "the console's retry delivered it, not the scheduled attempt",
  );
  assert.ok((delivered?.attempts ?? 0) >= 5, "four failed attempts and the retry");
  // The receiver verified it with the secret the console showed, under the same webhook-id as the failed attempts.
  const verified = receiver.verified.find((v) => v.id === head.eventId);
  assert.ok(verified, "the retried delivery reached the receiver and verified");
  assert.ok(receiver.refused.includes(head.eventId), "the same webhook-id as the refused attempts");
  assert.equal(verified.body.type, "session.status");
  assert.equal(verified.body.sessionId, sessionId);
  assert.equal(receiver.badSignatures, 0);

  // The status filter and the signed payload.
  await page.getByRole("button", { name: "Delivered", exact: true }).click();
  await page.locator(`tr[data-delivery-id="${head.id}"]`).getByRole("button", { name: "Payload" }).click();
  const payload = await page.getByTestId("signed-payload").innerText();
  assert.ok(
    payload.includes(head.eventId) && payload.includes('"session.status"'),
    "the payload shows the event as sent",
  );
  await page.getByRole("button", { name: "Dead", exact: true }).click();
  await page.getByTestId("deliveries-empty").waitFor();

  // The session page's live events panel shows the next change as it happens.
  await page.goto(`/sessions/${sessionId}`);
  await page.getByTestId("events-live").filter({ hasText: "● live" }).waitFor({ timeout: 60_000 });
  assert.equal((await stack.api(ownerToken, "POST", `/sessions/${sessionId}:stop`)).status, 200);
  await page
    .locator('[data-testid="session-events"] li[data-event-type="session.status"]', { hasText: "→ stopped" })
    .waitFor({ timeout: 60_000 });
  // …and the webhook got it too, verified, after the earlier ones (in id order).
  await until("the stop event at the receiver", async () =>
    receiver.verified.some((v) => (v.body.data as { status?: string }).status === "stopped"),
  );
  const ids = receiver.verified.map((v) => v.id);
  assert.deepEqual([...new Set(ids)], [...new Set(ids)].sort(), "deliveries arrive in event id order");

  // At phone width the webhook pages follow the console's 390 px rules.
  await page.setViewportSize(PHONE);
  await page.goto(`/webhooks/${webhookId}`);
  await page.locator('[data-testid="deliveries-table"][aria-busy="false"]').waitFor();
  await assertFitsPhone(page, "webhook deliveries", { signOut: false });
  await page.goto("/webhooks");
  await page.locator('[data-testid="webhooks-table"][aria-busy="false"]').waitFor();
  await assertFitsPhone(page, "webhooks", { signOut: false });
  await page.setViewportSize({ width: 1366, height: 900 });

  // The secret is not shown again; disable, rotate and delete from the console.
  assert.equal(await page.getByTestId("webhook-secret").count(), 0, "the secret is shown only once");
  await row.getByRole("button", { name: "Disable" }).click();
  // exact: the actions cell reads "DisableDeliveries", which a substring match would take for the badge
  await row.getByText("Disabled", { exact: true }).waitFor();
  assert.equal(
    (await stack.api<{ active: boolean }>(ownerToken, "GET", `/webhooks/${webhookId}`)).body.active,
    false,
  );
  await page.goto(`/webhooks/${webhookId}`);
  await page.getByRole("button", { name: "Rotate secret" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Rotate secret" }).click();
  const rotated = await page.getByTestId("rotated-secret").getByTestId("webhook-secret").innerText();
  assert.match(rotated, /^whsec_/);
  assert.notEqual(rotated, secret);
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete webhook" }).click();
  await page.waitForURL("**/webhooks");
  assert.equal((await stack.api(ownerToken, "GET", `/webhooks/${webhookId}`)).status, 404);

  // A member is not allowed (the API's 403 for `manage`).
  const member = await stack.signedIn("member@acme.test");
  const memberPage = await member.newPage();
  await memberPage.goto("/webhooks");
  await memberPage.getByTestId("not-allowed").waitFor();
  await member.close();
}
