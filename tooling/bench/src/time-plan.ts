// The time plan of `npm run bench`: how many seconds of the 15-minute run each section may take. Sections with a
// fixed amount of work are planned at what they take here; the sections whose scale can stretch (pairing sessions)
// size themselves from what is left of their own allowance, so the whole run fits whichever sections ran before.
// A section run alone (`npm run bench -- NAME`) gets the same allowance, so it reproduces the full run's scale.

/** What the whole run must stay under. */
export const RUN_LIMIT_S = 15 * 60;

/**
 * Seconds per section, in run order (the runner's order): what each takes here at the scale it runs. The sum is
 * compared with RUN_LIMIT_S in the report (`planVerdict`), not bent to fit it.
 */
export const PLAN: readonly { name: string; seconds: number }[] = [
  { name: "sessions-list", seconds: 55 },
  { name: "auth-overhead", seconds: 65 },
  { name: "async-context", seconds: 25 },
  { name: "backfill", seconds: 60 },
  // `next build` comes on top when the web app changed since the last build (50 s to 2 minutes here).
  { name: "console", seconds: 35 },
  { name: "events", seconds: 75 },
  { name: "messages", seconds: 60 },
  // The 100 and 300 sessions, started from minted auth state (a smaller allowance runs fewer).
  { name: "cluster", seconds: 165 },
  // The scale: a ladder to 50, a storm of 1 000 (minted sessions) on Node 20 and on Node 24.
  { name: "sessions-per-gateway", seconds: 320 },
];

export const plannedTotalS = (names: readonly string[] = PLAN.map((p) => p.name)) =>
  PLAN.filter((p) => names.includes(p.name)).reduce((sum, p) => sum + p.seconds, 0);

/** Whether the plan fits the limit, said plainly (the report's introduction carries it). */
export function planVerdict(): string {
  const total = plannedTotalS();
  return total <= RUN_LIMIT_S
    ? `the plan totals ${total} s, within the ${RUN_LIMIT_S / 60}-minute limit`
    : `the plan totals ${total} s: over the ${RUN_LIMIT_S / 60}-minute limit by ${total - RUN_LIMIT_S} s`;
}

export function plannedSeconds(name: string): number {
  const entry = PLAN.find((p) => p.name === name);
  if (!entry) throw new Error(`no time planned for ${name}`);
  return entry.seconds;
}

let deadline = Number.POSITIVE_INFINITY;

/**
 * Called by the runner as a section starts: its allowance counts from now. BENCH_BUDGET_S replaces the allowance (a
 * section run alone at a larger scale than the plan affords, e.g. the full ladder).
 */
export function startSection(name: string, now = Date.now(), override = process.env.BENCH_BUDGET_S): void {
  deadline = now + (override ? Number(override) : plannedSeconds(name)) * 1000;
}

/** Milliseconds left of the running section's allowance (negative once it is overdrawn). */
export const sectionRemainingMs = (now = Date.now()) => deadline - now;

/** One line per section: actual against planned, then the total; what the runner prints and writes. */
export function planReport(runtimes: { name: string; seconds: number }[]): string {
  const lines = runtimes.map((r) => {
    const planned = plannedSeconds(r.name);
    return `${r.name}: ${r.seconds.toFixed(0)} s of ${planned} s planned${r.seconds > planned * 1.1 ? " (over)" : ""}`;
  });
  const total = runtimes.reduce((sum, r) => sum + r.seconds, 0);
  const planned = plannedTotalS(runtimes.map((r) => r.name));
  lines.push(`total: ${total.toFixed(0)} s of ${planned} s planned (limit ${RUN_LIMIT_S} s for the whole run)`);
  return lines.join("\n");
}
