// Rows of `gateways`: registration at boot, heartbeat, offline on shutdown, and the list operators see.
import { and, asc, eq, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { gatewayStaleAfterMs, type GatewayStatus } from "../contract.ts";
import { gateways, sessionLeases, waSessions } from "../schema/index.ts";

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

/** The heartbeat; a draining gateway stays draining (only registration at boot makes it online again). */
export async function touchGatewayHeartbeat(db: Executor, id: string): Promise<void> {
  await db
    .update(gateways)
    .set({ heartbeatAt: sql`now()`, status: sql`case when ${gateways.status} = 'offline' then 'online' else ${gateways.status} end` })
    .where(eq(gateways.id, id));
}

export async function setGatewayStatus(db: Executor, id: string, status: GatewayStatus): Promise<boolean> {
  const rows = await db.update(gateways).set({ status }).where(eq(gateways.id, id)).returning({ id: gateways.id });
  return rows.length > 0;
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
  /** Sessions it holds now (unexpired leases). */
  sessions: number;
}

// Correlated on "gateways"."id" spelled out: drizzle renders a column inside select() without its table name.
const heldCount = sql<number>`(select count(*)::int from ${sessionLeases} l where l.gateway_id = "gateways"."id" and l.expires_at > now())`;

/** Every registered gateway, by id, with the sessions it holds (the admin console's list and filter). */
/**
 * Every gateway with its sessions. A gateway that stopped heartbeating (SIGKILL, lost machine) never wrote
 * `offline` itself: past `staleMs` of silence (database time) it is shown `offline`, as the cluster treats it.
 */
export async function listGateways(db: Executor, staleMs = gatewayStaleAfterMs): Promise<GatewayView[]> {
  const rows = await db
    .select({
      id: gateways.id,
      baseUrl: gateways.baseUrl,
      status: sql<GatewayStatus>`case when ${gateways.status} <> 'offline'
        and ${gateways.heartbeatAt} < now() - make_interval(secs => ${staleMs / 1000}) then 'offline'
        else ${gateways.status} end`,
      heartbeatAt: gateways.heartbeatAt,
      sessions: heldCount,
    })
    .from(gateways)
    .orderBy(asc(gateways.id));
  return rows.map((r) => ({ ...r, heartbeatAt: r.heartbeatAt.getTime(), sessions: Number(r.sessions) }));
}

export interface LiveGateway {
  id: string;
  baseUrl: string;
  /** Sessions recorded under it that should be connected, or were created in the last minute (its load, for placement). */
  load: number;
}

const PLACEMENT_LOCK_ID = 72_610_003;

/** Serializes placements until the caller's transaction ends (see cluster/placement.ts). */
export async function lockPlacement(tx: Executor): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${PLACEMENT_LOCK_ID})`);
}

/** Gateways that take work: `online` with a heartbeat fresher than `staleMs` (database time), least loaded first. */
export async function listLiveGateways(db: Executor, staleMs: number): Promise<LiveGateway[]> {
  // A session created a moment ago counts before it starts, so a burst of creates spreads.
  const load = sql<number>`(select count(*)::int from ${waSessions} s where s.gateway_id = "gateways"."id"
    and (s.status in ('starting', 'scan_qr_code', 'working') or s.created_at > now() - interval '1 minute'))`;
  const rows = await db
    .select({ id: gateways.id, baseUrl: gateways.baseUrl, load })
    .from(gateways)
    .where(and(eq(gateways.status, "online"), sql`${gateways.heartbeatAt} > now() - (${staleMs} * interval '1 millisecond')`))
    .orderBy(asc(load), asc(gateways.id));
  return rows.map((r) => ({ ...r, load: Number(r.load) }));
}

/** Whether the gateway answers for its sessions: not offline, heartbeat fresher than `staleMs`. */
const answersForItsSessions = (staleMs: number) =>
  sql<boolean>`${gateways.status} <> 'offline' and ${gateways.heartbeatAt} > now() - (${staleMs} * interval '1 millisecond')`;

/** Where a call about a session goes: its organization and status, the gateway it is recorded under and whether that gateway is live. */
export interface SessionRoute {
  sessionId: string;
  organizationId: string;
  status: string;
  gatewayId: string;
  /** The recorded gateway is not offline and its heartbeat is fresher than `staleMs`. */
  gatewayLive: boolean;
  gatewayUrl: string | null;
}

/** A session's route in one statement (the session row joined with its gateway's); null for an unknown session. */
export async function sessionRouteOf(db: Executor, sessionId: string, staleMs: number): Promise<SessionRoute | null> {
  const [row] = await db
    .select({
      organizationId: waSessions.organizationId,
      status: waSessions.status,
      gatewayId: waSessions.gatewayId,
      gatewayLive: sql<boolean>`coalesce(${answersForItsSessions(staleMs)}, false)`,
      gatewayUrl: gateways.baseUrl,
    })
    .from(waSessions)
    .leftJoin(gateways, eq(gateways.id, waSessions.gatewayId))
    .where(eq(waSessions.id, sessionId))
    .limit(1);
  return row ? { sessionId, ...row } : null;
}
