// Membership: this gateway's row in `gateways` — registered online at boot, a heartbeat every few seconds,
// `draining` when told to (by the admin route or SIGTERM), `offline` when it leaves.
import type { Database } from "@wa/db";
import { getGateway, markGatewayOffline, registerGateway, setGatewayStatus, touchGatewayHeartbeat } from "@wa/db/queries";
import type pino from "pino";
import type { ClusterTimings } from "./config.ts";

export class Membership {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly opts: {
      db: Database;
      gatewayId: string;
      baseUrl: string;
      timings: ClusterTimings;
      logger: pino.Logger;
      /** Called when the row says `draining` (an operator drained this gateway through another one). */
      onDrainRequested: () => void;
    },
  ) {}

  /** The heartbeat in flight, if any. */
  private beating: Promise<void> = Promise.resolve();

  async join(): Promise<void> {
    await registerGateway(this.opts.db, { id: this.opts.gatewayId, baseUrl: this.opts.baseUrl });
    this.timer = setInterval(() => {
      this.beating = this.beat();
    }, this.opts.timings.heartbeatIntervalMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    try {
      await touchGatewayHeartbeat(this.opts.db, this.opts.gatewayId);
      const row = await getGateway(this.opts.db, this.opts.gatewayId);
      if (row?.status === "draining") this.opts.onDrainRequested();
    } catch (err) {
      this.opts.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "gateway heartbeat failed");
    }
  }

  async markDraining(): Promise<void> {
    await setGatewayStatus(this.opts.db, this.opts.gatewayId, "draining");
  }

  async leave(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // A heartbeat still in flight would land after `offline` and show this gateway live again.
    await this.beating;
    await markGatewayOffline(this.opts.db, this.opts.gatewayId);
  }
}
