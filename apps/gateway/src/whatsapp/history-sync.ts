// Where the initial history sync of a session stands: a freshly paired device receives its contacts in chunks for
// a while after the connection opens, and a backfill must not count the directory before the last chunk is in.
//
// When it is over: WhatsApp sends INITIAL_BOOTSTRAP/RECENT chunks whose `progress` climbs to 100 and a PUSH_NAME
// chunk; once a chunk has said 100 and the PUSH_NAME chunk has arrived, the sync is complete. Where the server never
// finishes, Baileys reports the sync `paused` (no chunk for 120 s), and a long silence after progress 100 (no
// PUSH_NAME chunk at all) also ends it. A chunk below 100 arriving later (a resumed sync) makes it pending again.

import { proto } from "@whiskeysockets/baileys";

export interface HistoryChunk {
  syncType?: proto.HistorySync.HistorySyncType | null;
  progress?: number | null;
}

const { PUSH_NAME, ON_DEMAND } = proto.HistorySync.HistorySyncType;

export interface HistorySyncWatchOptions {
  /** After progress 100, how long without a chunk counts as "no PUSH_NAME chunk is coming" (default 15 s). */
  quietAfterCompleteMs?: number;
}

export class HistorySyncWatch {
  private pending = false;
  private sawFull = false;
  private sawPushNames = false;
  private quietTimer: NodeJS.Timeout | null = null;
  private waiters: (() => void)[] = [];
  private readonly quietMs: number;

  constructor(opts: HistorySyncWatchOptions = {}) {
    this.quietMs = opts.quietAfterCompleteMs ?? 15_000;
  }

  /** True while an initial sync is expected or arriving. */
  get inProgress(): boolean {
    return this.pending;
  }

  /** A connection opens with creds that have not finished an account sync: the history is on its way. */
  expect(): void {
    if (this.pending) return;
    this.pending = true;
    this.sawFull = false;
    this.sawPushNames = false;
  }

  /**
   * A new connection attaches. Whatever the previous one was receiving ended with it (a cut-off sync is not resumed
   * by a connection that has finished its account sync); `expected` says whether this one brings an initial sync.
   */
  restart(expected: boolean): void {
    this.sawFull = false;
    this.sawPushNames = false;
    if (expected) {
      this.clearQuiet();
      this.pending = true;
    } else {
      this.settle();
    }
  }

  /** A history chunk was captured (its rows are already queued for writing). */
  chunk(c: HistoryChunk): void {
    if (c.syncType === ON_DEMAND) return;
    if (typeof c.progress === "number" && c.progress < 100) this.expect();
    if (!this.pending) return;
    if (c.progress === 100) this.sawFull = true;
    if (c.syncType === PUSH_NAME) this.sawPushNames = true;
    if (this.sawFull && this.sawPushNames) return this.settle();
    if (this.sawFull) this.armQuiet();
  }

  /** Baileys gave up waiting for more chunks (`messaging-history.status` paused). */
  paused(): void {
    if (this.pending) this.settle();
  }

  /** Resolves once no initial sync is pending. */
  settled(): Promise<void> {
    if (!this.pending) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private armQuiet(): void {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => this.settle(), this.quietMs);
    this.quietTimer.unref();
  }

  private clearQuiet(): void {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = null;
  }

  private settle(): void {
    this.clearQuiet();
    this.pending = false;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
