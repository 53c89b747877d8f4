// The console's live session stream across gateways. Changes of sessions held here come from the in-process bus
// (at once, with their QR); changes made by any other gateway come from the event log in PostgreSQL, where every
// status change is written in the transaction that makes it (`session.status`) and ids commit in order per
// organization. The log is tailed from a point taken when the stream opens (a little before it, so a change
// committed while the stream was being set up is not lost: a repeated change is harmless, each event carries the
// session as it is now), and resumed from its last id after a database error: nothing is skipped.
import { tailEvents, type SessionEvent, type SessionEvents, type SessionQr } from "@wa/api";
import type { Database } from "@wa/db";
import { eventIdFloorAt, getSession, latestEventId } from "@wa/db/queries";
import type { Logger } from "pino";

/** How far before the stream opened the log is read again (commit latency and small clock skew between gateways). */
const REPLAY_MS = 2_000;
const RETRY_MS = 1_000;

export interface ClusterSessionEventsOptions {
  /** This gateway's bus (sessions held here). */
  bus: SessionEvents;
  db: Database;
  /** Whether this gateway holds the session now: its changes come from the bus. */
  holdsLocally: (sessionId: string) => boolean;
  /** The current QR of a session waiting for a scan (on whichever gateway holds it). */
  qrOf: (sessionId: string) => Promise<SessionQr>;
  logger: Logger;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

export class ClusterSessionEvents implements SessionEvents {
  constructor(private readonly opts: ClusterSessionEventsOptions) {}

  subscribe(filter: { organizationId: string; sessionId?: string }, signal: AbortSignal): AsyncIterable<SessionEvent> {
    // Both sources start now: the bus registers at once, the log's starting point is asked for at once.
    const local = this.opts.bus.subscribe(filter, signal);
    const openedAt = Date.now();
    const start = latestEventId(this.opts.db, filter.organizationId).then(
      (latest) => {
        const floor = eventIdFloorAt(openedAt - REPLAY_MS);
        return latest < floor ? latest : floor;
      },
      () => eventIdFloorAt(openedAt - REPLAY_MS),
    );
    return merge([local, this.fromLog(filter, start, signal)], signal);
  }

  /** Status changes of sessions held elsewhere, as the console's events (the session as it is now). */
  private async *fromLog(
    filter: { organizationId: string; sessionId?: string },
    start: Promise<string>,
    signal: AbortSignal,
  ): AsyncGenerator<SessionEvent> {
    let after = await start;
    while (!signal.aborted) {
      try {
        const log = tailEvents(
          this.opts.db,
          { organizationId: filter.organizationId, after, types: ["session.status"], sessionId: filter.sessionId },
          signal,
        );
        for await (const entry of log) {
          const sessionId = entry.sessionId;
          // A failed read below retries this very entry: the cursor moves only past what was handled.
          const session = sessionId && !this.opts.holdsLocally(sessionId) ? await getSession(this.opts.db, sessionId, filter.organizationId) : null;
          if (sessionId && session) {
            const qr = session.status === "scan_qr_code" ? await this.opts.qrOf(sessionId).catch(() => null) : null;
            yield { sessionId, organizationId: session.organizationId, status: session.status, qr, session, at: entry.createdAt };
          }
          after = entry.id;
        }
      } catch (err) {
        if (signal.aborted) break;
        this.opts.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "session stream: reading the event log failed; retrying");
        await sleep(RETRY_MS, signal);
      }
    }
  }
}

/** Items of several async iterables as they come; all end when the signal aborts. */
async function* merge<T>(sources: AsyncIterable<T>[], signal: AbortSignal): AsyncGenerator<T> {
  const queue: T[] = [];
  let wake: (() => void) | null = null;
  const poke = () => {
    wake?.();
    wake = null;
  };
  let failure: unknown = null;
  const pumps = sources.map(async (source) => {
    try {
      for await (const item of source) {
        queue.push(item);
        poke();
      }
    } catch (err) {
      failure ??= err;
      poke();
    }
  });
  signal.addEventListener("abort", poke, { once: true });
  try {
    while (!signal.aborted) {
      const next = queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (failure) throw failure;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    signal.removeEventListener("abort", poke);
    void Promise.allSettled(pumps);
  }
}
