// The gateway's WhatsApp engine: session manager, event stream, backfill registry and messaging behind the router's ports.
export type { EngineConfig } from "./engine-config.ts";
import { randomUUID } from "node:crypto";
import type { GatewayPorts, SessionControl } from "@wa/api";
import { createDbClient, type DbClient } from "@wa/db";
import type pino from "pino";
import type { EngineConfig } from "./engine-config.ts";
import { BackfillRegistry } from "./backfill/registry.ts";
import { GatewayCluster } from "./cluster/index.ts";
import { createEventServices, type EventServices } from "./events/index.ts";
import { SessionEventBus } from "@wa/api";
import { Messaging } from "./messaging/service.ts";
import type { MessageSource } from "./messaging/types.ts";
import { SessionManager } from "./whatsapp/manager.ts";
import { guardClosedSocketRejections } from "./whatsapp/quiet.ts";
import { trustSimulator } from "./whatsapp/simulator.ts";

export type GatewayEngine = GatewayPorts & {
  sessions: SessionControl;
  backfill: BackfillRegistry;
  manager: SessionManager;
  eventServices: EventServices;
  messaging: Messaging;
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
  // Lease renewals get a connection of their own: a burst of pairings can fill the pool for longer than a lease.
  const leaseClient = db.url ? createDbClient(db.url, { max: 1, applicationName: `wa-gateway-leases:${config.gatewayId}` }) : null;
  const cluster = new GatewayCluster({
    db: db.db,
    ...(leaseClient ? { renewDb: leaseClient.db } : {}),
    gatewayId: config.gatewayId,
    baseUrl: config.gatewayUrl,
    logger,
    timings: { ...(config.heartbeatIntervalMs ? { heartbeatIntervalMs: config.heartbeatIntervalMs } : {}), ...config.cluster },
  });
  // Messaging reaches the sessions' connections through the manager, which hands their messages to messaging.
  const messaging: Messaging = new Messaging({
    db: db.db,
    logger: logger.child({ component: "messaging" }),
    instanceId: `${config.gatewayId}:${randomUUID()}`,
    sourceOf: (sessionId): MessageSource | null => manager.messageSource(sessionId),
    fenceOf: (sessionId) => cluster.fenceOf(sessionId),
    assertHeld: (sessionId) => manager.assertHeldHere(sessionId),
    organizationOf: (sessionId) => manager.peek(sessionId)?.organizationId ?? null,
  });
  const manager: SessionManager = new SessionManager({
    db: db.db,
    logger,
    config,
    events,
    messages: messaging.sink,
    leases: cluster.leases,
  });
  cluster.attach(manager);
  const backfill = new BackfillRegistry({
    db: db.db,
    logger,
    sessions: manager,
    batchSize: config.backfillBatchSize ?? 2_000,
  });
  const eventServices = createEventServices({ db: db.db, logger, config });
  let booted = false;
  const unguard = guardClosedSocketRejections((reason) =>
    logger.warn({ err: reason }, "a send on a closed WhatsApp socket failed unobserved"),
  );

  return {
    gatewayId: config.gatewayId,
    sessions: manager.control(),
    backfill,
    events,
    webhooks: eventServices.port,
    eventServices,
    manager,
    messaging,
    cluster,
    async boot() {
      if (booted) return;
      booted = true;
      await cluster.join();
      await eventServices.start();
      messaging.start();
      await manager.restoreAll();
      cluster.startTakeover();
    },
    drain: () => cluster.drain(),
    async shutdown() {
      await eventServices.stop();
      await backfill.shutdown();
      await messaging.close();
      await manager.shutdown();
      await cluster.leave().catch((err: unknown) => logger.warn({ err }, "marking the gateway offline failed"));
      await leaseClient?.close();
      unguard();
    },
  };
}
