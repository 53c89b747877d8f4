// The cluster side of one gateway: membership, leases, takeover, hand-over, and the holder check other modules
// ask before doing per-session work ("am I the holder of session X, under which epoch?").
import type { Database } from "@wa/db";
import { leaseIsCurrent, listLiveGateways, type LeaseFence } from "@wa/db/queries";
import type pino from "pino";
import type { SessionManager } from "../whatsapp/manager.ts";
import { forEachLimited } from "../whatsapp/manager.ts";
import { defaultClusterTimings, type ClusterTimings } from "./config.ts";
import { LeaseKeeper } from "./leases.ts";
import { Membership } from "./membership.ts";
import { TakeoverScanner } from "./takeover.ts";

export type { ClusterTimings } from "./config.ts";
export { defaultClusterTimings } from "./config.ts";

/**
 * "Am I the holder?" for per-session work elsewhere (outbox, webhook deliveries): `fenceOf` answers from memory
 * (no query; valid while the lease is provably ours), `confirm` asks the database (the lease is current), and a
 * write can be made conditional on the fence with `fenceHolds`/`lockFence` from `@wa/db/queries`.
 */
export interface SessionHolder {
  readonly gatewayId: string;
  /** The fence (gateway id + epoch) of a session held here now, else null. */
  fenceOf(sessionId: string): LeaseFence | null;
  /** Whether this gateway holds the session now (optionally: under this epoch). */
  isHolder(sessionId: string, epoch?: number): boolean;
  /** The database's answer: is this fence still the current, unexpired lease? */
  confirm(fence: LeaseFence): Promise<boolean>;
  /** Ids of every session held here. */
  heldSessionIds(): string[];
}

export class GatewayCluster implements SessionHolder {
  readonly leases: LeaseKeeper;
  private readonly membership: Membership;
  private scanner: TakeoverScanner | null = null;
  private manager: SessionManager | null = null;
  private draining: Promise<void> | null = null;
  private readonly timings: ClusterTimings;

  constructor(
    private readonly opts: {
      db: Database;
      /** A dedicated connection for lease renewals. */
      renewDb?: Database;
      gatewayId: string;
      baseUrl: string;
      logger: pino.Logger;
      timings?: Partial<ClusterTimings>;
    },
  ) {
    this.timings = { ...defaultClusterTimings, ...opts.timings };
    const logger = opts.logger.child({ component: "cluster" });
    this.leases = new LeaseKeeper({
      db: opts.db,
      ...(opts.renewDb ? { renewDb: opts.renewDb } : {}),
      gatewayId: opts.gatewayId,
      timings: this.timings,
      logger,
    });
    this.membership = new Membership({
      db: opts.db,
      gatewayId: opts.gatewayId,
      baseUrl: opts.baseUrl,
      timings: this.timings,
      logger,
      onDrainRequested: () => void this.drain(),
    });
    this.logger = logger;
  }

  private readonly logger: pino.Logger;

  get gatewayId(): string {
    return this.opts.gatewayId;
  }

  get clusterTimings(): ClusterTimings {
    return this.timings;
  }

  get isDraining(): boolean {
    return this.draining !== null;
  }

  /** The session manager this cluster hands sessions to and takes them from. */
  attach(manager: SessionManager): void {
    this.manager = manager;
    this.scanner = new TakeoverScanner({
      db: this.opts.db,
      gatewayId: this.opts.gatewayId,
      timings: this.timings,
      logger: this.logger,
      manager,
      accepting: () => this.draining === null,
    });
  }

  async join(): Promise<void> {
    await this.membership.join();
    this.leases.start();
  }

  /** Starts looking for sessions nobody holds (after this gateway restored its own). */
  startTakeover(): void {
    this.scanner?.start();
  }

  scanNow(): Promise<number> {
    return this.scanner?.scan() ?? Promise.resolve(0);
  }

  fenceOf(sessionId: string): LeaseFence | null {
    return this.leases.fence(sessionId);
  }

  isHolder(sessionId: string, epoch?: number): boolean {
    const fence = this.leases.fence(sessionId);
    return fence !== null && (epoch === undefined || fence.epoch === epoch);
  }

  confirm(fence: LeaseFence): Promise<boolean> {
    return leaseIsCurrent(this.opts.db, fence);
  }

  heldSessionIds(): string[] {
    return this.leases.heldSessionIds();
  }

  /**
   * Draining: no new sessions, no takeovers; every session held here is closed, then handed to the least-loaded
   * live gateways in turn (each opens it after this one closed it).
   */
  drain(): Promise<void> {
    this.draining ??= (async () => {
      const manager = this.manager;
      if (!manager) return;
      manager.stopAccepting();
      await this.membership.markDraining();
      this.scanner?.stop();
      const targets = (await listLiveGateways(this.opts.db, this.timings.staleMs)).filter((g) => g.id !== this.opts.gatewayId);
      const ids = manager.heldIds();
      this.logger.info({ sessions: ids.length, targets: targets.map((t) => t.id) }, "draining: handing sessions over");
      const load = new Map(targets.map((t) => [t.id, t.load]));
      const assigned = ids.map((id) => {
        let best: string | undefined;
        for (const [gw, n] of load) if (best === undefined || n < (load.get(best) ?? 0)) best = gw;
        if (best !== undefined) load.set(best, (load.get(best) ?? 0) + 1);
        return { id, target: best };
      });
      await forEachLimited(assigned, 16, async ({ id, target }) => {
        try {
          await manager.handOver(id, target);
        } catch (err) {
          this.logger.error({ err, sessionId: id }, "handing a session over failed");
        }
      });
    })();
    return this.draining;
  }

  async leave(): Promise<void> {
    this.scanner?.stop();
    this.leases.stop();
    await this.membership.leave();
  }
}
