// The send rate limits: sliding windows over the outbox slots a session's sends hold, counted in PostgreSQL so
// they hold across restarts and gateways. Call inside the transaction that holds the session row `FOR UPDATE`
// (lockSessionForSend) and that takes the slot: check and reservation are then one atomic step.
import { sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { rateWindowsMs } from "../contract.ts";

export type RateDecision =
  | { allowed: true; now: Date }
  | { allowed: false; now: Date; retryAfterMs: number; window: "minute" | "hour" };

const one = <T>(rows: unknown): T => (rows as T[])[0] as T;

/**
 * Whether one more send fits both windows now (database time), and if not, how long until the oldest slot that
 * must leave a window does. Served by `outbox_session_slot_idx`.
 */
export async function checkRateWindows(
  tx: Executor,
  sessionId: string,
  limits: { ratePerMin: number; ratePerHour: number },
): Promise<RateDecision> {
  const minMs = rateWindowsMs.perMin;
  const hourMs = rateWindowsMs.perHour;
  // One index range scan over the hour's slots counts both windows (the minute is a filter of the hour).
  const counts = one<{ now: Date | string; per_min: number; per_hour: number }>(
    await tx.execute(sql`
      with clock as materialized (select clock_timestamp() as t)
      select clock.t as now,
        count(o.slot_at) filter (where o.slot_at > clock.t - make_interval(secs => ${minMs / 1000}))::int as per_min,
        count(o.slot_at)::int as per_hour
      from clock left join outbox o on o.session_id = ${sessionId}
        and o.slot_at > clock.t - make_interval(secs => ${hourMs / 1000})
      group by clock.t`),
  );
  const now = new Date(counts.now);
  const waits: { ms: number; window: "minute" | "hour" }[] = [];
  for (const [count, limit, windowMs, window] of [
    [Number(counts.per_min), limits.ratePerMin, minMs, "minute"],
    [Number(counts.per_hour), limits.ratePerHour, hourMs, "hour"],
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
