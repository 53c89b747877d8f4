// Event log retention: events older than the retention (at least 7 days; EVENT_RETENTION_DAYS) are deleted, with
// their deliveries, by a job every gateway runs (deletes are idempotent, so several gateways do no harm).
import { minEventRetentionDays } from "@wa/db/contract";
import { pruneEvents } from "@wa/db/queries";
import { safeError, type Database } from "@wa/db";
import type pino from "pino";

const DAY_MS = 86_400_000;

export class EventRetention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  readonly retentionDays: number;

  constructor(
    private readonly deps: { db: Database; logger: pino.Logger; retentionDays?: number; everyMs?: number },
  ) {
    this.retentionDays = Math.max(minEventRetentionDays, deps.retentionDays ?? minEventRetentionDays);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.prune(), this.deps.everyMs ?? 3_600_000);
    this.timer.unref();
    void this.prune();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pruning pass, in bounded batches; returns how many events went. */
  prune(now = Date.now()): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      const before = new Date(now - this.retentionDays * DAY_MS);
      let total = 0;
      try {
        for (;;) {
          const removed = await pruneEvents(this.deps.db, before);
          total += removed;
          if (removed === 0) break;
        }
        if (total > 0) this.deps.logger.info({ events: total, retentionDays: this.retentionDays }, "old events pruned");
      } catch (error) {
        this.deps.logger.warn({ err: safeError(error) }, "pruning old events failed; next pass later");
      }
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }
}
