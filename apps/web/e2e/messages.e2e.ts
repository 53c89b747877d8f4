// End-to-end: a session's messages in the console against the real stack (database, simulator, gateway, web) in
// Chromium — send from the console to a backfilled contact, see it at the simulated phone and its ticks change; a
// contact's reply appears without a reload; the super admin sees counts, never the text.
import assert from "node:assert/strict";
import path from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { ADMIN, ARTIFACTS, startStack, until, type Stack } from "./harness.ts";

let stack: Stack;

before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

interface SimContact {
  phoneNumber: string;
  jid: string;
  name: string;
}

/** A working session paired with a simulated phone, its contacts and groups backfilled into the database. */
async function pairAndBackfill(ownerToken: string, adminToken: string, label: string) {
  const { id, phoneNumber } = await stack.pairSession(ownerToken, label, { seed: "e2e-messages", contacts: 8, groups: 2, membersPerGroup: 4 });
  const started = await stack.api<{ status: string }>(adminToken, "POST", `/admin/sessions/${id}:backfill`);
  assert.equal(started.status, 202, `backfill: ${JSON.stringify(started.body)}`);
  await until(
    "the backfill to succeed",
    async () => {
      const job = await stack.api<{ status: string; error: string | null }>(adminToken, "GET", `/admin/sessions/${id}/backfill`);
      if (job.body.status === "failed") throw new Error(`backfill failed: ${job.body.error ?? "?"}`);
      return job.body.status === "succeeded";
    },
    60_000,
  );
  const account = await stack.sim.request<{ contactRows: SimContact[] }>("GET", `/sim/accounts/${phoneNumber}`);
  return { id, phoneNumber, contacts: account.contactRows };
}

const messageRow = (page: Page, text: string) => page.locator('[data-testid="message"]', { hasText: text });

/** The page a failing test leaves a screenshot of (e2e-artifacts/messages-failure.png). */
let failureShot: Page | undefined;

describe("messages", () => {
  // A passing test closes its pages; one still open means the test failed on it.
  afterEach(async () => {
    if (!failureShot || failureShot.isClosed()) return;
    await failureShot.screenshot({ path: path.join(ARTIFACTS, "messages-failure.png"), fullPage: true }).catch(() => undefined);
  });

  it("[ORG][MESSAGES]: send a text from the console to a backfilled contact → it reaches the simulated phone and its ticks move sent → delivered → read; a contact's reply appears without a reload; the super admin sees counts only", async () => {
    const ownerToken = await stack.tokenFor("owner@acme.test");
    const adminToken = await stack.tokenFor(ADMIN.email);
    const session = await pairAndBackfill(ownerToken, adminToken, "Messages e2e");
    const contact = session.contacts[0];
    assert.ok(contact, "the simulated account has contacts");

    const owner = await stack.signedIn("owner@acme.test");
    const page = await owner.newPage();
    page.on("pageerror", (error) => console.log(`  page error: ${error.message}`));
    failureShot = page;
    await page.goto(`/sessions/${session.id}`);
    await page.locator('[data-testid="message-log"][aria-busy="false"]').waitFor({ timeout: 30_000 });
    await page.getByTestId("messages-live").getByText("● live").waitFor({ timeout: 30_000 });
    // Marks this document: a reload or navigation would lose it.
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });

    // Pick the contact by part of its name from the backfilled contacts.
    const to = page.getByRole("combobox", { name: "To" });
    await to.fill(contact.name.slice(0, Math.max(3, contact.name.length - 2)));
    const option = page.getByRole("option").filter({ hasText: `+${contact.phoneNumber}` });
    await option.waitFor({ timeout: 15_000 });
    await option.click();
    await page.getByTestId("recipient-picked").getByText(contact.name).waitFor();

    const text = `Hello from the console ${Date.now()}`;
    await page.getByLabel("Message", { exact: true }).fill(text);
    await page.getByRole("button", { name: "Send message" }).click();
    await page.getByTestId("send-result").waitFor({ timeout: 30_000 });

    // It reached the contact's simulated device, in the contact's chat.
    const received = await until("the text at the simulated contact", async () => {
      const { data } = await stack.sim.request<{ data: { id: string; chat: string; recipient: string; text: string | null }[] }>(
        "GET",
        `/sim/accounts/${session.phoneNumber}/messages`,
      );
      return data.find((m) => m.text === text && m.recipient === contact.jid);
    });
    assert.equal(received.chat, contact.jid, "sent in the contact's chat");

    // The log shows it with ticks that follow the receipts: delivered (the simulator's receipt), then read.
    const row = messageRow(page, text);
    await row.waitFor();
    assert.equal(await row.getAttribute("data-direction"), "out");
    assert.equal(await row.getAttribute("data-wa-message-id"), received.id, "the log row is the message the phone got");
    const status = row.getByTestId("message-status");
    const seen = new Set<string>();
    await until(
      "status delivered",
      async () => {
        const s = (await status.getAttribute("data-status")) ?? "";
        seen.add(s);
        return s === "delivered" || s === "read";
      },
      30_000,
    );
    await stack.sim.request("POST", `/sim/accounts/${session.phoneNumber}/messages/${received.id}/read`, { by: contact.phoneNumber });
    await row.locator('[data-testid="message-status"][data-status="read"]').waitFor({ timeout: 30_000 });
    console.log(`  statuses seen in the log: ${[...seen].join(" → ")} → read`);

    // The contact answers: the reply appears in the log, inbound, without a reload.
    const reply = `Reply from ${contact.name} ${Date.now()}`;
    await stack.sim.request("POST", `/sim/accounts/${session.phoneNumber}/messages`, { text: reply, from: contact.phoneNumber });
    const inbound = messageRow(page, reply);
    await inbound.waitFor({ timeout: 30_000 });
    assert.equal(await inbound.getAttribute("data-direction"), "in");
    assert.equal(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), true, "no reload");
    // Newest first: the reply sits above the sent text.
    const bodies = await page.getByTestId("message-body").allInnerTexts();
    assert.ok(bodies.findIndex((b) => b.includes(reply)) < bodies.findIndex((b) => b.includes(text)), "newest first");

    // At phone width the messages card fits.
    await page.setViewportSize({ width: 390, height: 844 });
    const { scrollWidth, clientWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
    }));
    assert.ok(scrollWidth <= clientWidth, `the session page scrolls sideways at 390 px (${scrollWidth} > ${clientWidth})`);
    await page.getByTestId("session-messages").screenshot({ path: path.join(ARTIFACTS, "messages-mobile.png") });
    await owner.close();

    // The super admin sees the session's counts, not the text.
    const admin = await stack.signedIn(ADMIN.email);
    const adminPage = await admin.newPage();
    failureShot = adminPage;
    await adminPage.goto(`/admin/sessions/${session.id}`);
    const counts = adminPage.getByTestId("message-counts");
    await counts.locator('[aria-busy="false"]').waitFor({ timeout: 30_000 });
    const count = async (testId: string) => Number((await counts.getByTestId(testId).locator(".v").innerText()).replace(/[^\d]/g, ""));
    assert.ok((await count("messages-outbound")) >= 1, "the sent message is counted");
    assert.ok((await count("messages-inbound")) >= 1, "the reply is counted");
    const pageText = await adminPage.locator("body").innerText();
    assert.ok(!pageText.includes(text) && !pageText.includes(reply), "no message text on the admin page");
    await adminPage.screenshot({ path: path.join(ARTIFACTS, "messages-admin-counts.png"), fullPage: true });
    await admin.close();
  });
});
