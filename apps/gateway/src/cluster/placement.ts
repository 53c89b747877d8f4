// Placement: a new session goes to the least-loaded live gateway (ties: this one, then by id).
import type { Executor } from "@wa/db";
import { listLiveGateways, lockPlacement, type LiveGateway } from "@wa/db/queries";

export async function pickGateway(db: Executor, self: string, staleMs: number): Promise<LiveGateway | null> {
  const live = await listLiveGateways(db, staleMs);
  const least = live[0];
  if (!least) return null;
  const selfRow = live.find((g) => g.id === self);
  return selfRow && selfRow.load === least.load ? selfRow : least;
}

/**
 * The gateway for a session about to be inserted in `tx`: placements serialize on a transaction lock, so creates
 * arriving at once each see the rows inserted before them instead of all picking the same least-loaded gateway.
 */
export async function placeInTransaction(tx: Executor, self: string, staleMs: number): Promise<string> {
  await lockPlacement(tx);
  return (await pickGateway(tx, self, staleMs))?.id ?? self;
}
