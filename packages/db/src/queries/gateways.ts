// This gateway's row in `gateways`: registration at boot, heartbeat, offline on shutdown.
import { eq, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
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
