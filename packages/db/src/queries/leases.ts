// Session leases with a fencing epoch: acquire, bulk renewal, release and hand-over, takeover candidates, and the
// fenced writes (status, auth state) that only the current holder can make. Times are the database's (now()), so
// gateways' clocks never have to agree.
import { and, eq, sql, type SQL } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { sessionLeases, waSessions } from "../schema/index.ts";
import { writeSessionState, type SessionSettingsPatch, type SessionStatePatch, type WaSession } from "./sessions.ts";

/** Who may write a session's rows: the gateway holding its lease under this epoch. */
export interface LeaseFence {
  sessionId: string;
  gatewayId: string;
  epoch: number;
}

/** A write named a lease that is no longer current (expired, or taken over under a newer epoch). */
export class LeaseLostError extends Error {
  readonly code = "lease_lost";
  constructor(readonly fence: LeaseFence) {
    super(`lease of session ${fence.sessionId} (epoch ${fence.epoch}) is no longer held by ${fence.gatewayId}`);
    this.name = "LeaseLostError";
  }
}

const interval = (ms: number) => sql`(${Math.max(0, Math.round(ms))} * interval '1 millisecond')`;

type RowList<T> = T[];
const rowsOf = <T>(result: unknown): T[] => result as RowList<T>;

/**
 * Takes the session's lease when nobody holds it (no row, or expired) or when it is recorded under this very gateway
 * id (the same gateway restarted). The epoch always increases, and the session row names the new holder, in one
 * statement. Returns the new epoch, or null when another gateway holds it.
 */
export async function acquireLease(
  db: Executor,
  params: { sessionId: string; gatewayId: string; ttlMs: number },
): Promise<number | null> {
  const result = await db.execute(sql`
    with taken as (
      insert into session_leases (session_id, gateway_id, epoch, expires_at)
      select s.id, ${params.gatewayId}, 1, now() + ${interval(params.ttlMs)} from wa_sessions s where s.id = ${params.sessionId}
      on conflict (session_id) do update
        set gateway_id = excluded.gateway_id, epoch = session_leases.epoch + 1, expires_at = excluded.expires_at
        where session_leases.expires_at <= now() or session_leases.gateway_id = excluded.gateway_id
      returning session_id, epoch
    ), moved as (
      update wa_sessions set gateway_id = ${params.gatewayId}
      where id in (select session_id from taken) and gateway_id <> ${params.gatewayId}
      returning id
    )
    select epoch::text as epoch, (select count(*) from moved) as moved from taken`);
  const [row] = rowsOf<{ epoch: string }>(result);
  return row ? Number(row.epoch) : null;
}

/**
 * Renews every unexpired lease of the gateway in one statement (the cost does not grow with the number of
 * queries: one per interval per gateway). Leases missing from the answer are lost.
 */
export async function renewLeases(
  db: Executor,
  params: { gatewayId: string; ttlMs: number },
): Promise<{ sessionId: string; epoch: number }[]> {
  const result = await db.execute(sql`
    update session_leases set expires_at = now() + ${interval(params.ttlMs)}
    where gateway_id = ${params.gatewayId} and expires_at > now()
    returning session_id, epoch::text as epoch`);
  return rowsOf<{ session_id: string; epoch: string }>(result).map((r) => ({ sessionId: r.session_id, epoch: Number(r.epoch) }));
}

/**
 * Ends a lease at once (after its socket is closed), optionally naming the gateway that should take the session
 * next (hand-over): the session row moves there in the same transaction.
 */
export async function releaseLease(db: Executor, fence: LeaseFence, handTo?: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const rows = rowsOf<{ session_id: string }>(
      await tx.execute(sql`
        update session_leases set expires_at = now() - interval '1 millisecond'
        where session_id = ${fence.sessionId} and gateway_id = ${fence.gatewayId} and epoch = ${fence.epoch}
        returning session_id`),
    );
    if (rows.length === 0) return false;
    if (handTo) await tx.update(waSessions).set({ gatewayId: handTo }).where(eq(waSessions.id, fence.sessionId));
    return true;
  });
}

/**
 * SQL condition: the fence names the latest epoch. An expired lease nobody took yet still fences correctly (any new
 * holder bumps the epoch before it reads anything), so a write queued during a database outage still lands.
 */
export const fenceHolds = (fence: LeaseFence): SQL => sql`exists (
  select 1 from session_leases
  where session_id = ${fence.sessionId} and gateway_id = ${fence.gatewayId} and epoch = ${fence.epoch})`;

/** Whether the fence is the current, unexpired lease, asked of the database (for work that must not run twice). */
export async function leaseIsCurrent(db: Executor, fence: LeaseFence): Promise<boolean> {
  const rows = rowsOf<{ ok: boolean }>(
    await db.execute(sql`select exists (
      select 1 from session_leases
      where session_id = ${fence.sessionId} and gateway_id = ${fence.gatewayId} and epoch = ${fence.epoch} and expires_at > now()) as ok`),
  );
  return rows[0]?.ok === true;
}

/**
 * Inside a transaction: locks the lease row (FOR SHARE) if the fence names its latest epoch, else throws
 * LeaseLostError. A
 * takeover (which updates the row) then waits for this transaction, so a stale holder's write can never land after
 * the new holder has read the state.
 */
export async function lockFence(tx: Executor, fence: LeaseFence): Promise<void> {
  const rows = rowsOf<{ epoch: string }>(
    await tx.execute(sql`
      select epoch from session_leases
      where session_id = ${fence.sessionId} and gateway_id = ${fence.gatewayId} and epoch = ${fence.epoch}
      for share`),
  );
  if (rows.length === 0) throw new LeaseLostError(fence);
}

/**
 * The session row updated only while the fence holds (its lease row locked FOR SHARE in the same statement, see
 * writeSessionState); null when refused (lease lost) or the row is gone.
 */
export async function updateSessionFenced(
  db: Executor,
  fence: LeaseFence,
  patch: SessionSettingsPatch & SessionStatePatch,
): Promise<WaSession | null> {
  return writeSessionState(db, fence.sessionId, patch, fence);
}

export interface TakeoverCandidate {
  sessionId: string;
  gatewayId: string;
  /** How long ago the lease ended (ms); null when the session never had one. */
  expiredForMs: number | null;
}

/**
 * Sessions that should be connected (starting, scan_qr_code, working) but that nobody holds: no lease or an expired
 * one, and recorded under this gateway or under one that is not live (offline, draining, or silent past
 * `staleMs`). A live gateway's sessions are never candidates: no forced take-back.
 */
export async function listTakeoverCandidates(
  db: Executor,
  params: { gatewayId: string; staleMs: number; limit: number },
): Promise<TakeoverCandidate[]> {
  const result = await db.execute(sql`
    select s.id as session_id, s.gateway_id,
      case when l.expires_at is null then null else floor(extract(epoch from (now() - l.expires_at)) * 1000) end as expired_for_ms
    from wa_sessions s
    left join session_leases l on l.session_id = s.id
    left join gateways g on g.id = s.gateway_id
    where (l.session_id is null or l.expires_at <= now())
      and s.status in ('starting', 'scan_qr_code', 'working')
      and (s.gateway_id = ${params.gatewayId} or g.id is null or g.status <> 'online'
           or g.heartbeat_at < now() - ${interval(params.staleMs)})
    order by s.id
    limit ${params.limit}`);
  return rowsOf<{ session_id: string; gateway_id: string; expired_for_ms: string | number | null }>(result).map((r) => ({
    sessionId: r.session_id,
    gatewayId: r.gateway_id,
    expiredForMs: r.expired_for_ms === null ? null : Number(r.expired_for_ms),
  }));
}

/** The current lease of a session (holder and epoch), expired or not; null when it never had one. */
export async function getLease(db: Executor, sessionId: string) {
  const [row] = await db.select().from(sessionLeases).where(and(eq(sessionLeases.sessionId, sessionId))).limit(1);
  return row ?? null;
}
