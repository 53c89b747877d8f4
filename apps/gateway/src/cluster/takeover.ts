// Takeover: every gateway looks for sessions nobody holds (lease expired, gateway gone or draining) and takes its
// share. Shares come from rendezvous hashing over the live gateways, so they spread evenly with no coordination
// and no two gateways race for the same session; a session left over (views of who is live differ) goes to
// whoever sees it next after a grace period.
import { createHash } from "node:crypto";
import type { Database } from "@wa/db";
import { listLiveGateways, listTakeoverCandidates, type TakeoverCandidate } from "@wa/db/queries";
import type pino from "pino";
import type { SessionManager } from "../whatsapp/manager.ts";
import { forEachLimited } from "../whatsapp/manager.ts";
import { clusterMetrics } from "../metrics.ts";
import type { ClusterTimings } from "./config.ts";

const weight = (sessionId: string, gatewayId: string) =>
  createHash("sha256").update(`${sessionId}\n${gatewayId}`).digest().readUInt32BE(0);

/** The live gateway a session nobody holds belongs to (highest random weight). */
export function rendezvousOwner(sessionId: string, gatewayIds: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = -1;
  for (const id of gatewayIds) {
    const w = weight(sessionId, id);
    if (w > bestWeight || (w === bestWeight && best !== undefined && id < best)) {
      best = id;
      bestWeight = w;
    }
  }
  return best;
}

/** Which candidates this gateway takes now. */
export function myShare(
  candidates: readonly TakeoverCandidate[],
  self: string,
  liveIds: readonly string[],
  graceMs: number,
): TakeoverCandidate[] {
  return candidates.filter((c) => {
    if (c.gatewayId === self) return true; // ours already (restart, database outage): no one else's business
    if (c.expiredForMs === null || c.expiredForMs > graceMs) return true;
    return rendezvousOwner(c.sessionId, liveIds.includes(self) ? liveIds : [...liveIds, self]) === self;
  });
}

export class TakeoverScanner {
  private timer: NodeJS.Timeout | null = null;
  private scanning = false;

  constructor(
    private readonly opts: {
      db: Database;
      gatewayId: string;
      manager: SessionManager;
      timings: ClusterTimings;
      logger: pino.Logger;
      /** False while this gateway drains: it takes nothing. */
      accepting: () => boolean;
    },
  ) {}

  start(): void {
    if (this.timer) return;
    const tick = () => {
      // A little jitter per gateway so scans do not align.
      const delay = this.opts.timings.scanIntervalMs * (0.75 + Math.random() * 0.5);
      this.timer = setTimeout(() => void this.scan().finally(() => this.timer && tick()), delay);
      this.timer.unref();
    };
    tick();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One pass; returns how many sessions it took. */
  async scan(): Promise<number> {
    if (this.scanning || !this.opts.accepting()) return 0;
    this.scanning = true;
    try {
      const { db, gatewayId, timings } = this.opts;
      const candidates = await listTakeoverCandidates(db, { gatewayId, staleMs: timings.staleMs, limit: 5_000 });
      if (candidates.length === 0) return 0;
      const live = (await listLiveGateways(db, timings.staleMs)).map((g) => g.id);
      const mine = myShare(candidates, gatewayId, live, timings.scanIntervalMs * 3);
      if (mine.length === 0) return 0;
      this.opts.logger.info({ candidates: candidates.length, taking: mine.length, live: live.length }, "taking over sessions nobody holds");
      let taken = 0;
      // Leases first (cheap, fast), then connections spread over the jitter window.
      await forEachLimited(mine, timings.takeoverConcurrency, async (c) => {
        try {
          if (await this.opts.manager.adopt(c.sessionId, timings.takeoverJitterMs)) {
            taken += 1;
            if (c.gatewayId !== gatewayId) clusterMetrics.leasesTakenOver.inc();
          }
        } catch (err) {
          this.opts.logger.error({ err, sessionId: c.sessionId }, "taking over a session failed");
        }
      });
      return taken;
    } catch (err) {
      this.opts.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "takeover scan failed");
      return 0;
    } finally {
      this.scanning = false;
    }
  }
}
