// The console's live session stream across gateways. Changes of sessions held here come from the in-process bus
// (at once, with their QR); changes made by any other gateway come from the event log in PostgreSQL, where every
// status change is written in the transaction that makes it (`session.status`) and ids commit in order per
// organization. The log is tailed from a point taken when the stream opens (a little before it, so a change
// committed while the stream was being set up is not lost: a repeated change is harmless, each event carries the
// session as it is now), and resumed from its last id after a database error: nothing is skipped. A QR rotates
// without a status change, so for a session waiting for a scan on another gateway the holder is asked for the QR
// again when the one shown expires, and a new one is sent as an event of its own.
import { tailEvents, type SessionEvent, type SessionEvents, type SessionQr } from "@wa/api";
import type { Database } from "@wa/db";
import { eventIdFloorAt, getSession, latestEventId } from "@wa/db/queries";
import type { Logger } from "pino";

/** How far before the stream opened the log is read again (commit latency and small clock skew between gateways). */
const REPLAY_MS = 2_000;
const RETRY_MS = 1_000;
/** After a shown QR expired, how long before its holder is asked again when it has not rotated yet. */
const QR_RECHECK_MS = 1_000;
/** Remote sessions whose QR one stream follows at most (the console shows a handful at a time). */
const MAX_QR_WATCHES = 50;

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
    const qrWatch = new QrWatch();
    return merge([local, this.fromLog(filter, start, signal, qrWatch), this.qrRotations(filter, qrWatch, signal)], signal);
  }

  /** Status changes of sessions held elsewhere, as the console's events (the session as it is now). */
  private async *fromLog(
    filter: { organizationId: string; sessionId?: string },
    start: Promise<string>,
    signal: AbortSignal,
    qrWatch: QrWatch,
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
            if (qr) qrWatch.follow(sessionId, qr);
            else qrWatch.forget(sessionId);
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

  /** New QRs of remote sessions waiting for a scan, asked of their holder when the one shown expires. */
  private async *qrRotations(filter: { organizationId: string }, qrWatch: QrWatch, signal: AbortSignal): AsyncGenerator<SessionEvent> {
    while (!signal.aborted) {
      await qrWatch.untilDue(signal);
      for (const { sessionId, shown } of qrWatch.takeDue()) {
        try {
          if (this.opts.holdsLocally(sessionId)) continue; // the bus sends its QRs now
          const session = await getSession(this.opts.db, sessionId, filter.organizationId);
          if (session?.status !== "scan_qr_code") continue; // its status change comes from the log
          const qr = await this.opts.qrOf(sessionId);
          if (qr.qr === shown.qr) {
            qrWatch.follow(sessionId, shown, Date.now() + QR_RECHECK_MS); // not rotated yet
            continue;
          }
          qrWatch.follow(sessionId, qr);
          yield { sessionId, organizationId: session.organizationId, status: session.status, qr, session, at: Date.now() };
        } catch (err) {
          // The holder is changing or the database is away: the log brings the next status change.
          this.opts.logger.debug({ sessionId, err: err instanceof Error ? err.message : String(err) }, "session stream: QR not refreshed");
        }
      }
    }
  }
}

/** The remote sessions whose QR a stream shows, each with the time to ask for a new one. */
class QrWatch {
  private readonly watched = new Map<string, { shown: SessionQr; dueAt: number }>();
  private wake: (() => void) | null = null;

  follow(sessionId: string, shown: SessionQr, dueAt = Math.max(shown.expiresAt, Date.now() + QR_RECHECK_MS)): void {
    if (!this.watched.has(sessionId) && this.watched.size >= MAX_QR_WATCHES) return;
    this.watched.set(sessionId, { shown, dueAt });
    this.wake?.();
  }

  forget(sessionId: string): void {
    this.watched.delete(sessionId);
  }

  /** Resolves when a watched QR is due (or a new one is followed, or the stream ends). */
  async untilDue(signal: AbortSignal): Promise<void> {
    const next = Math.min(...[...this.watched.values()].map((w) => w.dueAt));
    const waitMs = Number.isFinite(next) ? Math.max(0, next - Date.now()) : 60_000;
    if (waitMs === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, waitMs);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      this.wake = done;
      signal.addEventListener("abort", done, { once: true });
    });
    this.wake = null;
  }

  /** The watches that are due, removed (each is followed again once checked). */
  takeDue(): { sessionId: string; shown: SessionQr }[] {
    const now = Date.now();
    const due = [...this.watched].filter(([, w]) => w.dueAt <= now);
    for (const [sessionId] of due) this.watched.delete(sessionId);
    return due.map(([sessionId, w]) => ({ sessionId, shown: w.shown }));
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
