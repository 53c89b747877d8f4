// The console at scale: time to first rows of /admin/sessions and time per page change, in Chromium against the
// real web app (`next start`) and gateway over a PostgreSQL database of 100 000 sessions. The stack is started by
// tooling/launcher, as `npm start` and the e2e tests start it, from the e2e harness's build folder.
import { chromium, type Page } from "playwright-core";
import { signInCookie } from "@wa/launcher/sign-in";
import { startStack } from "@wa/launcher/stack";
import { ensureWebBuild } from "@wa/launcher/web-build";
import { createBenchDatabase } from "./database.ts";
import { BENCH_PASSWORD } from "./gateway.ts";
import { onCleanup, sleep } from "./processes.ts";
import { table } from "./report.ts";
import { ms, summarize } from "./stats.ts";
import { seedListScale, ORGS, SESSIONS } from "./sessions-list.ts";

const RUNS = 6;
const PAGE_CHANGES_PER_RUN = 3;
const ROWS = "tbody tr[data-session-id]";
const ADMIN_EMAIL = "admin@example.com";
/** Shared with the e2e harness, so one build serves both. */
const DIST_DIR = ".next-e2e";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

declare global {
  interface Window {
    __benchClickAt?: number;
  }
}

/** Milliseconds from the click on "Next →" until a different first row is shown and the table is no longer busy. */
async function pageChange(page: Page): Promise<number> {
  const before = await page.locator(ROWS).first().getAttribute("data-session-id");
  await page.evaluate(() => {
    window.__benchClickAt = undefined;
  });
  await page.getByRole("button", { name: "Next →" }).click();
  const handle = await page.waitForFunction(
    ([selector, previous]) => {
      const first = document.querySelector(selector as string);
      const busy = document.querySelector('[data-testid="sessions-table"]')?.getAttribute("aria-busy") === "true";
      const clickAt = window.__benchClickAt;
      if (!first || busy || first.getAttribute("data-session-id") === previous || clickAt === undefined) return false;
      return performance.now() - clickAt;
    },
    [ROWS, before],
    { polling: "raf", timeout: 30_000 },
  );
  return (await handle.jsonValue()) as number;
}

/**
 * `next build` unless the last build is current (the harness decides). Other work in the same tree may be building
 * at that moment; Next refuses a second concurrent build, so wait for it and try again.
 */
async function buildWeb(): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      ensureWebBuild(DIST_DIR);
      return (Date.now() - started) / 1000;
    } catch (error) {
      if (!String(error).includes("Another next build process is already running") || Date.now() - started > 300_000) throw error;
      await sleep(5_000);
    }
  }
}

export async function runConsole(): Promise<{ body: string; postgres: string }> {
  const buildSeconds = await buildWeb();
  const db = await createBenchDatabase("console");
  // Set-based, as the sessions-list bench seeds its million (row-by-row batches took minutes of the run's budget).
  const { seconds: seedSeconds } = await seedListScale(db, SESSIONS);
  const stackStarted = Date.now();
  const stack = await startStack({
    databaseUrl: db.url,
    appSecret: "bench-app-secret-bench-app-secret-bench-app-secret",
    web: { distDir: DIST_DIR, logLevel: "warn" },
    gateway: { logLevel: "warn" },
    output: "quiet",
  });
  onCleanup(() => stack.stop());
  const stackSeconds = (Date.now() - stackStarted) / 1000;
  console.log(`  seeded in ${seedSeconds.toFixed(0)} s, stack up in ${stackSeconds.toFixed(0)} s`);
  const visitsStarted = Date.now();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  onCleanup(() => browser.close());
  const cookie = await signInCookie(stack.webUrl, ADMIN_EMAIL, BENCH_PASSWORD);
  const context = await browser.newContext({ baseURL: stack.webUrl, viewport: { width: 1366, height: 900 } });
  await context.addCookies([{ name: cookie.name, value: cookie.value, url: stack.webUrl, httpOnly: true, sameSite: "Lax" }]);

  const firstRender: number[] = [];
  const phases = { html: [] as number[], domContentLoaded: [] as number[], token: [] as number[], list: [] as number[] };
  const changes: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const page = await context.newPage();
    // The click time is taken in the page (capture phase), on the same clock as the rows' appearance.
    await page.addInitScript(() => {
      document.addEventListener("click", () => (window.__benchClickAt = performance.now()), true);
    });
    const response = await page.goto("/admin/sessions", { waitUntil: "commit" });
    if (!response || response.status() !== 200) throw new Error(`/admin/sessions answered ${response?.status() ?? "nothing"}`);
    // performance.now() counts from the navigation's start: the value when the first row appears is the first render.
    const handle = await page.waitForFunction((selector) => (document.querySelector(selector) ? performance.now() : false), ROWS, {
      polling: "raf",
      timeout: 30_000,
    });
    firstRender.push((await handle.jsonValue()) as number);
    // Where the first render's time goes, from the page's own Resource Timing (ms since navigation start).
    // (No helper functions inside: the page has no __name, which tsx adds to named functions.)
    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
      let token: number | null = null;
      let list: number | null = null;
      for (const r of performance.getEntriesByType("resource") as PerformanceResourceTiming[]) {
        if (r.name.includes("/api/auth/token")) token = token === null ? r.responseEnd : Math.min(token, r.responseEnd);
        if (r.name.includes("admin.sessions.list")) list = list === null ? r.responseEnd : Math.min(list, r.responseEnd);
      }
      return { html: nav?.responseEnd ?? null, domContentLoaded: nav?.domContentLoadedEventEnd ?? null, token, list };
    });
    for (const [key, value] of Object.entries(timing)) if (value !== null) phases[key as keyof typeof phases].push(value);
    for (let p = 0; p < PAGE_CHANGES_PER_RUN; p++) {
      changes.push(await pageChange(page));
      // A person reads the page for a moment, which lets the console prefetch the next page as it would.
      await page.waitForTimeout(150);
    }
    await page.close();
  }
  await context.close();
  const visitsSeconds = (Date.now() - visitsStarted) / 1000;

  const phase = (xs: number[]) => (xs.length ? `${ms(summarize(xs).median)} (n=${xs.length})` : "not seen");
  const first = summarize(firstRender);
  const warmFirst = summarize(firstRender.slice(1));
  const change = summarize(changes);
  return {
    postgres: db.version,
    body: [
      `## Console at scale (${SESSIONS.toLocaleString("en")} sessions, ${ORGS.toLocaleString("en")} organizations)`,
      "",
      "Chromium (/usr/bin/chromium, headless, via playwright-core) against `next start` and the gateway, started by the",
      "web app's e2e harness on a seeded PostgreSQL database, signed in as the seeded super admin. First render: navigation",
      "start → the first data row of `/admin/sessions` visible (`performance.now()` in the page, polled every frame).",
      `Page change: click on "Next →" → a new first row visible and the table no longer busy; ${PAGE_CHANGES_PER_RUN} per visit,`,
      `150 ms apart. ${RUNS} visits, each in a new tab of the same signed-in browser context (the first one has a cold cache).`,
      "",
      table(
        ["measure", "n", "median ms", "p99 ms", "min ms", "max ms"],
        [
          ["first render, all visits", first.n, ms(first.median), ms(first.p99), ms(first.min), ms(first.max)],
          ["first render, warm visits (2nd on)", warmFirst.n, ms(warmFirst.median), ms(warmFirst.p99), ms(warmFirst.min), ms(warmFirst.max)],
          ["page change", change.n, ms(change.median), ms(change.p99), ms(change.min), ms(change.max)],
        ],
      ),
      "",
      "- first render, median of each step in ms from navigation start (Resource Timing; a step the page did not take is" +
        ` left out): HTML received ${phase(phases.html)}, DOMContentLoaded ${phase(phases.domContentLoaded)}, first` +
        ` \`/api/auth/token\` answered ${phase(phases.token)}, first \`admin.sessions.list\` answered ${phase(phases.list)}`,
      `- first (cold-cache) visit: ${ms(firstRender[0] ?? Number.NaN)} ms; \`next build\` before the run: ${buildSeconds < 1 ? "current, skipped" : `${buildSeconds.toFixed(0)} s`}`,
      `- section time: seeding ${seedSeconds.toFixed(0)} s (set-based: one \`insert … select … from generate_series\`, indexes rebuilt after), stack start ${stackSeconds.toFixed(0)} s, browser visits ${visitsSeconds.toFixed(0)} s`,
      "",
      consoleGoals(firstRender.slice(1), phases.domContentLoaded.slice(1), change.median),
    ].join("\n"),
  };
}

/**
 * Floor of a first render, in the same visits: the document's own DOMContentLoaded (HTML parsed, scripts run, no
 * data of ours awaited). The rows are server-rendered, so the first row should appear about then.
 */
function consoleGoals(warmRenders: number[], warmDomContentLoaded: number[], pageChangeMedian: number): string {
  const render = summarize(warmRenders).median;
  const floor = summarize(warmDomContentLoaded).median;
  const ratio = render / floor;
  return (
    `Floor: DOMContentLoaded of the same warm visits, median ${ms(floor)} ms. Goals: first row visible ÷ that floor ≤ 1.5 — ` +
    `${ratio <= 1.5 ? "met" : "not met"} (${ratio.toFixed(2)}: ${ms(render)} ms); a page change under 100 ms median (no floor: it is one ` +
    `tRPC page request and a re-render) — ${pageChangeMedian < 100 ? "met" : "not met"} (${ms(pageChangeMedian)} ms).`
  );
}
