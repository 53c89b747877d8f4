// The gateway's WhatsApp engine: session manager, event stream, backfill registry and messaging behind the router's ports.
export type { EngineConfig } from "./engine-config.ts";
import { randomUUID } from "node:crypto";
import type { GatewayPorts, SessionControl } from "@wa/api";
import type { DbClient } from "@wa/db";
import { markGatewayOffline, registerGateway, touchGatewayHeartbeat } from "@wa/db/queries";
import type pino from "pino";
import type { EngineConfig } from "./engine-config.ts";
import { BackfillRegistry } from "./backfill/registry.ts";
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
  messaging: Messaging;
  boot(): Promise<void>;
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
  // Messaging reaches the sessions' connections through the manager, which hands their messages to messaging.
  const messaging: Messaging = new Messaging({
    db: db.db,
    logger: logger.child({ component: "messaging" }),
    instanceId: `${config.gatewayId}:${randomUUID()}`,
    sourceOf: (sessionId): MessageSource | null => manager.messageSource(sessionId),
    assertHeld: (sessionId) => manager.assertHeldHere(sessionId),
    organizationOf: (sessionId) => manager.peek(sessionId)?.organizationId ?? null,
  });
  const manager: SessionManager = new SessionManager({ db: db.db, logger, config, events, messages: messaging.sink });
  const backfill = new BackfillRegistry({
    db: db.db,
    logger,
    sessions: manager,
    batchSize: config.backfillBatchSize ?? 500,
  });
  let heartbeat: NodeJS.Timeout | null = null;
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
    messaging,
    async boot() {
      if (booted) return;
      booted = true;
      await registerGateway(db.db, { id: config.gatewayId, baseUrl: config.gatewayUrl });
      heartbeat = setInterval(() => {
        touchGatewayHeartbeat(db.db, config.gatewayId).catch((err: unknown) =>
          logger.warn({ err }, "gateway heartbeat failed"),
        );
      }, config.heartbeatIntervalMs ?? 10_000);
      heartbeat.unref();
      messaging.start();
      await manager.restoreAll();
    },
    async shutdown() {
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
      await backfill.shutdown();
      await messaging.close();
      await manager.shutdown();
      await markGatewayOffline(db.db, config.gatewayId).catch((err: unknown) =>
        logger.warn({ err }, "marking the gateway offline failed"),
      );
      unguard();
    },
  };
}
