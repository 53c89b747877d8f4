// The send rate limits: sliding windows over the outbox slots a session's sends hold, counted in PostgreSQL so
// they hold across restarts and gateways. Call inside the transaction that holds the session row `FOR UPDATE`
// (lockSessionForSend) and that takes the slot: check and reservation are then one atomic step. The send path
// counts inside the statement that takes the slot (reserveOutbound); checkRateWindows is the same count alone.
import { sql, type SQL } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { rateWindowsMs } from "../contract.ts";

export type RateDecision =
  | { allowed: true; now: Date }
  | { allowed: false; now: Date; retryAfterMs: number; window: "minute" | "hour" };

/** The slots a session holds in each window at one instant (database time). */
export interface RateCounts {
  now: Date;
  perMin: number;
  perHour: number;
}

const one = <T>(rows: unknown): T => (rows as T[])[0] as T;

/**
 * CTEs `clock` (one row: `t`, the database's time to the millisecond, as slots are stored) and `rate_counts` (one
 * row: `per_min`, `per_hour`): one index range scan over the hour's slots (`outbox_session_slot_idx`) counts both
 * windows, the minute being a filter of the hour. A statement that starts `with` them reads its counts there.
 */
export function rateCountsCte(sessionId: string): SQL {
  return sql`clock as materialized (select date_trunc('milliseconds', clock_timestamp()) as t),
    rate_counts as materialized (
      select count(o.slot_at) filter (where o.slot_at > clock.t - make_interval(secs => ${rateWindowsMs.perMin / 1000}))::int as per_min,
        count(o.slot_at)::int as per_hour
      from clock left join outbox o on o.session_id = ${sessionId}
        and o.slot_at > clock.t - make_interval(secs => ${rateWindowsMs.perHour / 1000})
      group by clock.t)`;
}

/** Both windows' counts now. */
export async function countRateWindows(tx: Executor, sessionId: string): Promise<RateCounts> {
  const row = one<{ now: Date | string; per_min: number; per_hour: number }>(
    await tx.execute(
      sql`with ${rateCountsCte(sessionId)} select clock.t as now, per_min, per_hour from clock, rate_counts`,
    ),
  );
  return { now: new Date(row.now), perMin: Number(row.per_min), perHour: Number(row.per_hour) };
}

/**
 * Whether one more send fits both windows now (database time), and if not, how long until the oldest slot that
 * must leave a window does.
 */
export async function checkRateWindows(
  tx: Executor,
  sessionId: string,
  limits: { ratePerMin: number; ratePerHour: number },
): Promise<RateDecision> {
  return rateDecision(tx, sessionId, limits, await countRateWindows(tx, sessionId));
}

/** The decision for these counts; a refusal reads when the window frees (one more query, refusals only). */
export async function rateDecision(
  tx: Executor,
  sessionId: string,
  limits: { ratePerMin: number; ratePerHour: number },
  counts: RateCounts,
): Promise<RateDecision> {
  const { now } = counts;
  const waits: { ms: number; window: "minute" | "hour" }[] = [];
  for (const [count, limit, windowMs, window] of [
    [counts.perMin, limits.ratePerMin, rateWindowsMs.perMin, "minute"],
    [counts.perHour, limits.ratePerHour, rateWindowsMs.perHour, "hour"],
  ] as const) {
    if (count < limit) continue;
    // The window has room again once (count − limit + 1) of its slots have left it: the oldest ones.
    const leaving = one<{ slot_at: Date | string } | undefined>(
      await tx.execute(sql`
        select slot_at from outbox where session_id = ${sessionId}
          and slot_at > ${now.toISOString()}::timestamptz - make_interval(secs => ${windowMs / 1000})
        order by slot_at asc offset ${count - limit} limit 1`),
    );
    const freeAt = leaving ? new Date(leaving.slot_at).getTime() + windowMs : now.getTime() + 1;
    waits.push({ ms: Math.max(1, freeAt - now.getTime()), window });
  }
  if (waits.length === 0) return { allowed: true, now };
  const longest = waits.reduce((a, b) => (b.ms > a.ms ? b : a));
  return { allowed: false, now, retryAfterMs: longest.ms, window: longest.window };
}
