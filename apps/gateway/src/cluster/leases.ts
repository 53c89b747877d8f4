// LeaseKeeper: the leases this gateway holds. Acquires one per session it opens, renews them all in one statement
// per interval, and tells the owner (the session manager) to close a session's socket as soon as its lease can no
// longer be proven — before the database would let another gateway take it.
import type { Database } from "@wa/db";
import { acquireLease, releaseLease, renewLeases, type LeaseFence } from "@wa/db/queries";
import type pino from "pino";
import type { ClusterTimings } from "./config.ts";
import { clusterMetrics } from "../metrics.ts";

interface Held {
  epoch: number;
  /** Local monotonic time (performance.now) until which the lease is certainly ours. */
  validUntil: number;
  /** Local time the acquiring statement returned: a renewal sent before it may not have seen the lease yet. */
  acquiredAt: number;
}

export type LeaseLostHandler = (sessionId: string, reason: string) => void;

const now = () => performance.now();

export class LeaseKeeper {
  private readonly held = new Map<string, Held>();
  private renewTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private readonly acquiring = new Map<string, Promise<LeaseFence | null>>();
  /** Leases given up here without a release (watchdog, forget): epoch and when; see renew. */
  private readonly givenUp = new Map<string, { epoch: number; at: number }>();
  private renewing = false;
  private onLost: LeaseLostHandler = () => {};

  constructor(
    private readonly opts: {
      db: Database;
      /** Renewals on their own connection: a pool busy with a burst of pairings must not starve them. */
      renewDb?: Database;
      gatewayId: string;
      timings: ClusterTimings;
      logger: pino.Logger;
    },
  ) {}

  /** Who is told when a lease is lost (set once by the session manager). */
  setLostHandler(handler: LeaseLostHandler): void {
    this.onLost = handler;
  }

  get gatewayId(): string {
    return this.opts.gatewayId;
  }

  get count(): number {
    return this.held.size;
  }

  heldSessionIds(): string[] {
    return [...this.held.keys()];
  }

  /** The fence of a session held here now (lease not past its local validity), else null. */
  fence(sessionId: string): LeaseFence | null {
    const held = this.held.get(sessionId);
    if (!held || now() >= held.validUntil) return null;
    return { sessionId, gatewayId: this.opts.gatewayId, epoch: held.epoch };
  }

  /** Takes the session's lease (or keeps the one held); null when another gateway holds it. */
  async acquire(sessionId: string): Promise<LeaseFence | null> {
    const current = this.fence(sessionId);
    if (current) return current;
    // Two callers at once (a control call and a takeover) share one acquisition: a second one would bump the
    // epoch and fence out the session the first one opened.
    const inFlight = this.acquiring.get(sessionId);
    if (inFlight) return inFlight;
    const acquiring = this.acquireNow(sessionId);
    this.acquiring.set(sessionId, acquiring);
    try {
      return await acquiring;
    } finally {
      this.acquiring.delete(sessionId);
    }
  }

  private async acquireNow(sessionId: string): Promise<LeaseFence | null> {
    const sentAt = now();
    const epoch = await acquireLease(this.opts.db, { sessionId, gatewayId: this.opts.gatewayId, ttlMs: this.opts.timings.leaseTtlMs });
    if (epoch === null) return null;
    this.givenUp.delete(sessionId);
    this.held.set(sessionId, {
      epoch,
      validUntil: sentAt + this.opts.timings.leaseTtlMs - this.opts.timings.safetyMarginMs,
      acquiredAt: now(),
    });
    clusterMetrics.leasesHeld.set(this.held.size);
    return { sessionId, gatewayId: this.opts.gatewayId, epoch };
  }

  /** Ends the lease (its socket already closed), optionally handing the session to another gateway. */
  async release(sessionId: string, handTo?: string): Promise<void> {
    const held = this.held.get(sessionId);
    if (!held) return;
    this.held.delete(sessionId);
    clusterMetrics.leasesHeld.set(this.held.size);
    // Until the release lands, a renewal may still renew it (then it is released there).
    this.givenUp.set(sessionId, { epoch: held.epoch, at: now() });
    await releaseLease(this.opts.db, { sessionId, gatewayId: this.opts.gatewayId, epoch: held.epoch }, handTo);
    if (this.givenUp.get(sessionId)?.epoch === held.epoch) this.givenUp.delete(sessionId);
  }

  /** Forgets a lease without touching the database (it is already lost). */
  forget(sessionId: string): void {
    const held = this.held.get(sessionId);
    if (held) this.givenUp.set(sessionId, { epoch: held.epoch, at: now() });
    this.held.delete(sessionId);
    clusterMetrics.leasesHeld.set(this.held.size);
  }

  start(): void {
    if (this.renewTimer) return;
    this.renewTimer = setInterval(() => void this.renew(), this.opts.timings.renewIntervalMs);
    this.renewTimer.unref();
    // Checked often: after a pause (SIGSTOP, a long GC) this fires first and closes what is no longer ours.
    this.watchdog = setInterval(() => this.expireOverdue(), 250);
    this.watchdog.unref();
  }

  stop(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    this.renewTimer = null;
    this.watchdog = null;
  }

  /** Closes every session whose lease could have expired by now. */
  expireOverdue(): void {
    const t = now();
    for (const [sessionId, held] of this.held) {
      if (t < held.validUntil) continue;
      this.held.delete(sessionId);
      this.givenUp.set(sessionId, { epoch: held.epoch, at: t });
      clusterMetrics.leasesLost.inc();
      this.opts.logger.warn({ sessionId, epoch: held.epoch }, "lease not renewed in time; closing the session here");
      this.onLost(sessionId, "lease expired");
    }
    clusterMetrics.leasesHeld.set(this.held.size);
  }

  /**
   * One bulk renewal; leases the database no longer has for us are lost at once, and leases it renewed that are no
   * longer held here are released (see below).
   */
  async renew(): Promise<void> {
    if (this.renewing || this.held.size === 0) return;
    this.renewing = true;
    const sentAt = now();
    const orphans: LeaseFence[] = [];
    try {
      // A statement stuck on a dead connection must not block the next renewals once the database is back.
      const rows = await Promise.race([
        renewLeases(this.opts.renewDb ?? this.opts.db, { gatewayId: this.opts.gatewayId, ttlMs: this.opts.timings.leaseTtlMs }),
        new Promise<never>((_, reject) => {
          setTimeout(() => reject(new Error("lease renewal timed out")), this.opts.timings.leaseTtlMs).unref();
        }),
      ]);
      clusterMetrics.leaseRenewals.inc();
      const renewed = new Map(rows.map((r) => [r.sessionId, r.epoch]));
      // The statement renews every lease recorded under this gateway, also one given up here (the watchdog fired
      // on a saturated machine while the database still had it, or the session was removed): renewed, it would
      // never expire, and the session would run nowhere — this gateway forgot it, its scan only takes expired
      // leases, and no other gateway takes a live one's. Released, the scan here takes it back. Only those given
      // up here under that epoch: a second process started with the same gateway id keeps its own.
      for (const [sessionId, given] of this.givenUp) {
        const epoch = renewed.get(sessionId);
        if (epoch === given.epoch && !this.held.has(sessionId) && !this.acquiring.has(sessionId)) {
          orphans.push({ sessionId, gatewayId: this.opts.gatewayId, epoch });
          this.givenUp.delete(sessionId);
        } else if (epoch !== given.epoch && given.at < sentAt - this.opts.timings.leaseTtlMs) {
          this.givenUp.delete(sessionId); // not renewed for a whole TTL: expired, or another holder's by now
        }
      }
      const validUntil = sentAt + this.opts.timings.leaseTtlMs - this.opts.timings.safetyMarginMs;
      for (const [sessionId, held] of this.held) {
        if (renewed.get(sessionId) === held.epoch) {
          held.validUntil = Math.max(held.validUntil, validUntil);
          continue;
        }
        // Acquired while the renewal was under way (under load an acquisition can wait for a pooled connection
        // and commit after the renewal ran): the next renewal covers it.
        if (held.acquiredAt >= sentAt || held.validUntil > validUntil) continue;
        this.held.delete(sessionId);
        clusterMetrics.leasesLost.inc();
        this.opts.logger.warn({ sessionId, epoch: held.epoch }, "lease lost to another gateway; closing the session here");
        this.onLost(sessionId, "lease taken over");
      }
    } catch (err) {
      this.opts.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "lease renewal failed");
    } finally {
      this.renewing = false;
      clusterMetrics.leasesHeld.set(this.held.size);
    }
    // Under the renewed epoch only: an acquisition here after the renewal bumped it, and stays untouched.
    await Promise.all(
      orphans.map((fence) =>
        releaseLease(this.opts.db, fence).then(
          () => this.opts.logger.warn({ sessionId: fence.sessionId, epoch: fence.epoch }, "lease no longer held here released"),
          (err: unknown) =>
            this.opts.logger.warn({ sessionId: fence.sessionId, err: err instanceof Error ? err.message : String(err) }, "releasing a lease no longer held here failed"),
        ),
      ),
    );
  }
}
