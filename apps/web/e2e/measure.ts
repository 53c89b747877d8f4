// Measures the console at scale: time to first rows of /admin/sessions and time per page change, in Chromium
// against the real web app and gateway. Usage (database already seeded, e.g. 100 000 sessions over 1000 orgs):
//   DATABASE_URL=postgres://… node --import tsx e2e/measure.ts [--runs 5] [--pages 10]
import { parseArgs } from "node:util";
import { ADMIN, startStack } from "./harness.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, pages: { type: "string", default: "10" } } });
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error("measure: set DATABASE_URL to a seeded database");
  process.exit(2);
}
const runs = Number(values.runs);
const pageChanges = Number(values.pages);

const stack = await startStack({ databaseUrl });
const stats = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return `median ${pick(0.5)} ms, p90 ${pick(0.9)} ms, min ${sorted[0]} ms, max ${sorted[sorted.length - 1]} ms (n=${xs.length})`;
};
try {
  const [{ n } = { n: 0 }] = await stack.db.sql<{ n: number }[]>`select count(*)::int as n from wa_sessions`;
  console.log(`sessions in the database: ${n}`);
  const context = await stack.signedIn(ADMIN.email);
  const firstRender: number[] = [];
  const serverHtml: number[] = [];
  const pageChange: number[] = [];
  const rowsSelector = "tbody tr[data-session-id]";
  for (let r = 0; r < runs; r++) {
    const page = await context.newPage();
    const t0 = Date.now();
    const response = await page.goto("/admin/sessions", { waitUntil: "commit" });
    serverHtml.push(Date.now() - t0);
    if (!response || response.status() !== 200) throw new Error(`/admin/sessions answered ${response?.status()}`);
    await page.waitForSelector(rowsSelector, { timeout: 30_000 });
    firstRender.push(Date.now() - t0);
    for (let p = 0; p < pageChanges; p++) {
      const before = await page.locator(rowsSelector).first().getAttribute("data-session-id");
      const t = Date.now();
      await page.getByRole("button", { name: "Next →" }).click();
      await page.waitForFunction(
        ([sel, prev]) => {
          const first = document.querySelector(sel as string);
          const table = document.querySelector('[data-testid="sessions-table"]');
          return first && first.getAttribute("data-session-id") !== prev && table?.getAttribute("aria-busy") !== "true";
        },
        [rowsSelector, before],
        { timeout: 30_000 },
      );
      pageChange.push(Date.now() - t);
      // A person looks at the page for a moment; lets the prefetch of the next page happen as it would.
      await page.waitForTimeout(150);
    }
    await page.close();
  }
  console.log(`/admin/sessions response headers: ${stats(serverHtml)}`);
  console.log(`/admin/sessions first rows visible (navigation → 50 rows): ${stats(firstRender)}`);
  console.log(`page change (click Next → new rows): ${stats(pageChange)}`);
  await context.close();
} finally {
  await stack.stop();
}
