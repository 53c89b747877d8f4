// How the sessions-per-gateway section spends its allowance in the time plan: a share for the pairing ladder, then
// as many stored sessions for the boot storm as the rest affords after what must follow it (two storms, two tails).

/** After the ladder: two rounds of tail pairings, the Node 24 gateway's start, the settle waits and the report. */
const AFTER_LADDER_FIXED_S = 100;
/** Sessions a restarted gateway brings back per second (3.9 measured at 200); each storm is run twice (Node 20, 24). */
const STORM_RATE = 4;
/** Start-up and save of the plain-client process that pairs the stored sessions. */
const FLEET_FIXED_S = 15;
/** The ladder's share of what the plan leaves after the fixed parts; the rest tops up the boot storm. */
const LADDER_SHARE = 0.7;

/** Seconds what follows the ladder takes with `sessions` in the storm. */
export const afterLadderS = (sessions: number) => AFTER_LADDER_FIXED_S + (2 * sessions) / STORM_RATE;

/** The ladder's pairing budget, from the seconds left of the section when it starts (never under a minute). */
export const ladderBudgetS = (remainingS: number) => Math.max(60, (remainingS - afterLadderS(0)) * LADDER_SHARE);

/** Plain pairings per top-up chunk: two rounds of the fleet's 16 in flight. */
export const TOP_UP_CHUNK = 32;

/**
 * Whether to pair one more chunk of plain clients for the storm (`paired` so far, the last chunk took `lastChunkS`):
 * only while the chunk and the two storms it enlarges still fit what is left of the section (`remainingS`), and never
 * past `wanted`. `forced` pairs them all whatever they cost. Decided on the pace measured chunk by chunk, not projected.
 */
export function keepToppingUp(opts: { remainingS: number; ladderTop: number; paired: number; lastChunkS: number; wanted: number; forced: boolean }): boolean {
  if (opts.paired >= opts.wanted) return false;
  if (opts.forced) return true;
  const next = Math.min(TOP_UP_CHUNK, opts.wanted - opts.paired);
  return opts.remainingS - FLEET_FIXED_S - opts.lastChunkS - afterLadderS(opts.ladderTop + opts.paired + next) >= 0;
}
