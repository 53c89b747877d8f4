// The gateway's WhatsApp engine: session manager, event stream and backfill registry behind the router's ports.
export type { EngineConfig } from "./engine-config.ts";
import type { GatewayPorts, SessionControl } from "@wa/api";
import type { DbClient } from "@wa/db";
import type pino from "pino";
import type { EngineConfig } from "./engine-config.ts";
import { BackfillRegistry } from "./backfill/registry.ts";
import { GatewayCluster } from "./cluster/index.ts";
import { SessionEventBus } from "@wa/api";
import { SessionManager } from "./whatsapp/manager.ts";
import { guardClosedSocketRejections } from "./whatsapp/quiet.ts";
import { trustSimulator } from "./whatsapp/simulator.ts";

export type GatewayEngine = GatewayPorts & {
  sessions: SessionControl;
  backfill: BackfillRegistry;
  manager: SessionManager;
  /** Membership, leases, takeover, hand-over; `cluster` is also the holder check for per-session work. */
  cluster: GatewayCluster;
  boot(): Promise<void>;
  /** Graceful hand-over (SIGTERM): marks the gateway draining and hands every session to the others. */
  drain(): Promise<void>;
  shutdown(): Promise<void>;
};

export async function createGatewayEngine(opts: {
  db: DbClient;
  logger: pino.Logger;
  config: EngineConfig;
}): Promise<GatewayEngine> {
  const { db, config } = opts;
  const logger = opts.logger.child({ component: "engine", gatewayId: config.gatewayId });
  if (config.simulatorHttpUrl || config.trustRootPublicKey) {
    await trustSimulator({ httpUrl: config.simulatorHttpUrl, rootPublicKey: config.trustRootPublicKey });
  }
  const events = new SessionEventBus();
  const cluster = new GatewayCluster({
    db: db.db,
    gatewayId: config.gatewayId,
    baseUrl: config.gatewayUrl,
    logger,
    timings: { ...(config.heartbeatIntervalMs ? { heartbeatIntervalMs: config.heartbeatIntervalMs } : {}), ...config.cluster },
  });
  const manager = new SessionManager({ db: db.db, logger, config, events, leases: cluster.leases });
  cluster.attach(manager);
  const backfill = new BackfillRegistry({
    db: db.db,
    logger,
    sessions: manager,
    batchSize: config.backfillBatchSize ?? 500,
  });
  let booted = false;
  const unguard = guardClosedSocketRejections((reason) =>
    logger.warn({ err: reason }, "a send on a closed WhatsApp socket failed unobserved"),
  );

  return {
    gatewayId: config.gatewayId,
    sessions: manager.control(),
    backfill,
    events,
    manager,
    cluster,
    async boot() {
      if (booted) return;
      booted = true;
      await cluster.join();
      await manager.restoreAll();
      cluster.startTakeover();
    },
    drain: () => cluster.drain(),
    async shutdown() {
      await backfill.shutdown();
      await manager.shutdown();
      await cluster.leave().catch((err: unknown) => logger.warn({ err }, "marking the gateway offline failed"));
      unguard();
    },
  };
}
