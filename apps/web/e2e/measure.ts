// Measures the console at scale: time to first rows of /admin/sessions and time per page change, in Chromium
// against the real web app and gateway. Usage (database already seeded, e.g. 100 000 sessions over 1000 orgs):
//   DATABASE_URL=postgres://… node --import tsx e2e/measure.ts [--runs 5] [--pages 10]
import { parseArgs } from "node:util";
import { ADMIN, startStack } from "./harness.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "10" }, pages: { type: "string", default: "10" } } });
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
  // Timestamps taken inside the page (performance.now(), 0 = navigation start), so the numbers are what a person
  // sees, not the automation's polling.
  await context.addInitScript(() => {
    const w = window as unknown as { __rowsAt?: number };
    new MutationObserver((_, observer) => {
      if (document.querySelector("tbody tr[data-session-id]")) {
        w.__rowsAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  });
  const firstRender: number[] = [];
  const serverHtml: number[] = [];
  const pageChange: number[] = [];
  const ttfbs: number[] = [];
  // One warm-up visit (server JIT, JWKS fetch by the gateway, browser cache), not counted.
  const warm = await context.newPage();
  await warm.goto("/admin/sessions");
  await warm.waitForSelector("tbody tr[data-session-id]");
  await warm.close();
  for (let r = 0; r < runs; r++) {
    const page = await context.newPage();
    const response = await page.goto("/admin/sessions");
    if (!response || response.status() !== 200) throw new Error(`/admin/sessions answered ${response?.status()}`);
    await page.waitForFunction(() => (window as unknown as { __rowsAt?: number }).__rowsAt !== undefined, undefined, { timeout: 30_000 });
    const timing = await page.evaluate(() => ({
      rows: (window as unknown as { __rowsAt: number }).__rowsAt,
      html: (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).responseEnd,
      ttfb: (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).responseStart,
      req: (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).requestStart,
    }));
    ttfbs.push(Math.round(timing.ttfb - timing.req));
    firstRender.push(Math.round(timing.rows));
    serverHtml.push(Math.round(timing.html));
    for (let p = 0; p < pageChanges; p++) {
      // A person looks at a page for a moment before paging on (the next page is fetched ahead meanwhile).
      await page.waitForTimeout(400);
      const ms = await page.evaluate(
        () =>
          new Promise<number>((resolve, reject) => {
            const tbody = document.querySelector("tbody");
            const next = [...document.querySelectorAll("button")].find((b) => b.textContent?.includes("Next"));
            if (!tbody || !next) return reject(new Error("no table or Next button"));
            const first = tbody.querySelector("tr[data-session-id]")?.getAttribute("data-session-id");
            const t0 = performance.now();
            const observer = new MutationObserver(() => {
              if (tbody.querySelector("tr[data-session-id]")?.getAttribute("data-session-id") !== first) {
                observer.disconnect();
                requestAnimationFrame(() => resolve(performance.now() - t0));
              }
            });
            observer.observe(tbody, { childList: true, subtree: true, attributes: true });
            next.click();
          }),
      );
      pageChange.push(Math.round(ms));
    }
    await page.close();
  }
  // The server alone: the whole HTML of /admin/sessions (first 50 rows fetched from the gateway included), warm.
  const cookies = await context.cookies();
  const cookie = cookies.map((c) => `${c.name}=${c.value}`).join("; ");
  const serverFull: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const res = await fetch(`${stack.webUrl}/admin/sessions`, { headers: { cookie } });
    const html = await res.text();
    if (!html.includes("data-session-id")) throw new Error("the server-rendered HTML has no session rows");
    serverFull.push(Math.round(performance.now() - t));
  }
  console.log(`/admin/sessions complete HTML with the first 50 rows, server only (fetch from Node): ${stats(serverFull)}`);
  console.log(`/admin/sessions HTML received (navigation start → responseEnd): ${stats(serverHtml)}`);
  console.log(`/admin/sessions server time to first byte (requestStart → responseStart): ${stats(ttfbs)}`);
  console.log(`/admin/sessions first rows (navigation start → 50 rows in the DOM): ${stats(firstRender)}`);
  console.log(`page change (click Next → next 50 rows painted): ${stats(pageChange)}`);
  await context.close();
} finally {
  await stack.stop();
}
