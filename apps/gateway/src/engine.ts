// The gateway's WhatsApp engine: session manager, event stream and backfill registry behind the router's ports.
import type { BackfillService, GatewayPorts, SessionControl } from "@wa/api";
import type { DbClient } from "@wa/db";
import { markGatewayOffline, registerGateway, touchGatewayHeartbeat } from "@wa/db/queries";
import type pino from "pino";
import { BackfillRegistry } from "./backfill/registry.ts";
import { SessionEventBus } from "@wa/api";
import { SessionManager } from "./whatsapp/manager.ts";
import { guardClosedSocketRejections } from "./whatsapp/quiet.ts";
import type { ReconnectPolicyOptions } from "./whatsapp/reconnect-policy.ts";

export interface EngineConfig {
  gatewayId: string;
  /** This gateway's public base URL, recorded in `gateways` for forwarding. */
  gatewayUrl: string;
  /** Baileys' `waWebSocketUrl`; unset means WhatsApp itself. A loopback URL selects the simulator. */
  waWsUrl?: string;
  /** Digits only; a session paired with this number is marked `isAdminSession`. */
  adminPhoneNumber?: string;
  /** The simulator's control API base URL; enables `sessions.simulateScan`. */
  simulatorHttpUrl?: string;
  /**
   * The simulator's certificate root (32-byte Curve25519 public key, raw or base64/hex string). Swapped into
   * Baileys' `WA_CERT_DETAILS.PUBLIC_KEY` in this process so the handshake keeps working if Baileys starts
   * checking certificate signatures. Test/demo only.
   */
  trustRootPublicKey?: Uint8Array | string;
  /** Sessions restored at once at boot (default 8). */
  restoreConcurrency?: number;
  /** Upper bound of the random delay before each restored session starts (default 1000 ms). */
  restoreJitterMs?: number;
  /** Gateway heartbeat interval (default 10 s). */
  heartbeatIntervalMs?: number;
  /** Lifetime of each QR (Baileys' qrTimeout; default 60 s for the first, 20 s for the next ones). */
  qrTimeoutMs?: number;
  /** Baileys keep-alive ping interval (default 30 s, Baileys' own default). */
  keepAliveIntervalMs?: number;
  /** Backoff and give-up thresholds of the reconnect policy. */
  reconnect?: Partial<ReconnectPolicyOptions>;
  /** Rows per backfill batch (default 500). */
  backfillBatchSize?: number;
}

export type GatewayEngine = GatewayPorts & {
  sessions: SessionControl;
  backfill: BackfillService;
  manager: SessionManager;
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
  const events = new SessionEventBus();
  const manager = new SessionManager({ db: db.db, logger, config, events });
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
      await manager.restoreAll();
    },
    async shutdown() {
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
      await backfill.shutdown();
      await manager.shutdown();
      await markGatewayOffline(db.db, config.gatewayId).catch((err: unknown) =>
        logger.warn({ err }, "marking the gateway offline failed"),
      );
      unguard();
    },
  };
}
