// Rows of `gateways`: registration at boot, heartbeat, offline on shutdown, and the list operators see.
import { asc, eq, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import type { GatewayStatus } from "../contract.ts";
import { gateways } from "../schema/index.ts";

export async function registerGateway(db: Executor, params: { id: string; baseUrl: string }): Promise<void> {
  const now = new Date();
  await db
    .insert(gateways)
    .values({ id: params.id, baseUrl: params.baseUrl, status: "online", startedAt: now, heartbeatAt: now })
    .onConflictDoUpdate({
      target: gateways.id,
      set: { baseUrl: params.baseUrl, status: "online", startedAt: now, heartbeatAt: now },
    });
}

export async function touchGatewayHeartbeat(db: Executor, id: string): Promise<void> {
  await db.update(gateways).set({ heartbeatAt: sql`now()`, status: "online" }).where(eq(gateways.id, id));
}

export async function markGatewayOffline(db: Executor, id: string): Promise<void> {
  await db.update(gateways).set({ status: "offline", heartbeatAt: sql`now()` }).where(eq(gateways.id, id));
}

export async function getGateway(db: Executor, id: string) {
  const [row] = await db.select().from(gateways).where(eq(gateways.id, id)).limit(1);
  return row ?? null;
}

export interface GatewayView {
  id: string;
  baseUrl: string;
  status: GatewayStatus;
  heartbeatAt: number;
}

/** Every registered gateway, by id (the admin console's filter list). */
export async function listGateways(db: Executor): Promise<GatewayView[]> {
  const rows = await db
    .select({ id: gateways.id, baseUrl: gateways.baseUrl, status: gateways.status, heartbeatAt: gateways.heartbeatAt })
    .from(gateways)
    .orderBy(asc(gateways.id));
  return rows.map((r) => ({ ...r, heartbeatAt: r.heartbeatAt.getTime() }));
}
