// [ORG][MEMBERS] in Chromium: an owner invites a colleague, the colleague joins through the link in a second browser
// context and works in the organization, the owner changes their role and removes them; the audit log shows it all.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ADMIN, startStack, until, type Stack } from "./harness.ts";

let stack: Stack;

before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

describe("organization members", () => {
  it("[ORG][MEMBERS]: invite, accept in a second browser context, change the role, remove", async () => {
    const email = `colleague-${Date.now()}@acme.test`;
    const ownerToken = await stack.tokenFor("owner@acme.test");
    const shared = await stack.api(ownerToken, "POST", "/sessions", { label: "Acme shared session" });
    assert.equal(shared.status, 201);
    const owner = await stack.signedIn("owner@acme.test");
    const page = await owner.newPage();
    await page.goto("/invitations");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Role").selectOption("member");
    await page.getByRole("button", { name: "Create invitation link" }).click();
    const link = (await page.getByTestId("invitation-url").innerText()).trim();
    assert.match(link, /\/invite\/[A-Za-z0-9_-]{43}$/);
    await page.locator('[data-testid="invitations-table"]').getByRole("cell", { name: email, exact: true }).waitFor();

    // The colleague, in a browser of their own, signs up through the link.
    const colleague = await stack.browser.newContext({ baseURL: stack.webUrl });
    const theirs = await colleague.newPage();
    await theirs.goto(link);
    await theirs.getByTestId("invitation-summary").waitFor();
    assert.equal(await theirs.getByLabel("Email").inputValue(), email);
    await theirs.getByLabel("Your name").fill("Casey Colleague");
    await theirs.getByLabel("Password").fill("colleague password");
    await theirs.getByRole("button", { name: "Create account" }).click();
    await theirs.waitForURL(/\/sessions/);
    // The organization's sessions, as a member sees them.
    await theirs.locator("tbody tr[data-session-id]").filter({ hasText: "Acme shared session" }).waitFor();
    assert.match(await theirs.getByTestId("who").innerText(), /Casey Colleague/);
    // As a member: reading works, managing is refused.
    const memberToken = await theirs.evaluate(async () => ((await (await fetch("/api/auth/token")).json()) as { token: string }).token);
    assert.equal((await stack.api(memberToken, "GET", "/sessions?limit=1")).status, 200);
    assert.equal((await stack.api(memberToken, "POST", "/sessions", { label: "not allowed" })).status, 403);
    // The link works once.
    const reuse = await stack.browser.newContext({ baseURL: stack.webUrl });
    const reusePage = await reuse.newPage();
    await reusePage.goto(link);
    assert.equal(await reusePage.getByTestId("invitation-problem").getAttribute("data-problem"), "accepted");
    await reuse.close();

    // The owner makes them an admin: the same token now manages (the gateway reads the current role).
    await page.goto("/members");
    const row = page.locator('[data-testid="members-table"] tbody tr').filter({ hasText: email });
    await row.getByRole("combobox").selectOption("admin");
    await until("role saved", async () => (await row.getByRole("combobox").inputValue()) === "admin" && !(await row.getByRole("combobox").isDisabled()));
    const created = await until("the colleague can create a session", async () => {
      const r = await stack.api(memberToken, "POST", "/sessions", { label: "Colleague's session" });
      return r.status === 201 ? (r.body as { id: string }) : null;
    });

    // Both actions are in the owner's audit log.
    await page.goto("/audit");
    const audit = page.locator('[data-testid="audit-table"][aria-busy="false"]');
    await audit.waitFor();
    await audit.locator("tbody tr").filter({ hasText: "member.joined" }).filter({ hasText: "Casey Colleague" }).waitFor();
    await audit.locator("tbody tr").filter({ hasText: "session.created" }).filter({ hasText: "Casey Colleague" }).waitFor();
    await audit.locator("tbody tr").filter({ hasText: "member.role_changed" }).first().waitFor();

    // Removed: their next console request is refused and their token stops working at the gateway.
    await page.goto("/members");
    const again = page.locator('[data-testid="members-table"] tbody tr').filter({ hasText: email });
    await again.getByRole("button", { name: "Remove" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Remove" }).click();
    await again.waitFor({ state: "detached" });
    await theirs.goto("/sessions");
    await theirs.getByTestId("no-organization").waitFor();
    await until("the gateway refuses the removed member's token", async () => (await stack.api(memberToken, "GET", "/sessions?limit=1")).status === 401, 10_000);
    const tokenRes = await theirs.evaluate(async () => (await fetch("/api/auth/token")).status);
    assert.equal(tokenRes, 403);
    assert.ok(created.id);
    await colleague.close();
    await owner.close();
  });

  it("[SUPER_ADMIN][ORGANIZATIONS]: the organizations view lists counts, searches, and leads to the sessions and audit log", async () => {
    const admin = await stack.signedIn(ADMIN.email, ADMIN.password);
    const page = await admin.newPage();
    await page.goto("/admin/organizations");
    const table = page.locator('[data-testid="organizations-table"][aria-busy="false"]');
    await table.waitFor();
    await page.getByLabel("Search organizations").fill("acme");
    await until("search applied", async () => page.url().includes("q=acme"));
    const row = table.locator("tbody tr").filter({ hasText: "Acme" }).first();
    await row.waitFor();
    await row.getByRole("link", { name: "Audit log" }).click();
    await page.waitForURL(/\/admin\/audit\?org=/);
    await page.locator('[data-testid="audit-table"][aria-busy="false"] tbody tr').first().waitFor();
    await admin.close();
  });
});
