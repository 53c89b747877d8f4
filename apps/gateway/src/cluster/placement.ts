// Placement: a new session goes to the least-loaded live gateway (ties: this one, then by id).
import type { Database } from "@wa/db";
import { listLiveGateways, type LiveGateway } from "@wa/db/queries";

export async function pickGateway(db: Database, self: string, staleMs: number): Promise<LiveGateway | null> {
  const live = await listLiveGateways(db, staleMs);
  const least = live[0];
  if (!least) return null;
  const selfRow = live.find((g) => g.id === self);
  return selfRow && selfRow.load === least.load ? selfRow : least;
}
