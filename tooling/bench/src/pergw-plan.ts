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

/**
 * Sessions to pair with plain clients and store for the storm: up to `wanted`, as many as `remainingS` affords at
 * `plainPairingS` of wall time each (the floor's measured pace) plus their share of the two storms. `forced` makes
 * them all whatever they cost.
 */
export function stormTopUp(opts: { remainingS: number; ladderTop: number; plainPairingS: number; wanted: number; forced: boolean }): number {
  if (opts.forced) return opts.wanted;
  const perStored = opts.plainPairingS + 2 / STORM_RATE;
  const affordable = Math.floor((opts.remainingS - afterLadderS(opts.ladderTop) - FLEET_FIXED_S) / perStored);
  return Math.max(0, Math.min(opts.wanted, affordable));
}
