// Gateway entry point, wiring only: env, database (+ migrations), WhatsApp engine, HTTP server, signals.
import { createDbClient, runMigrations } from "@wa/db";
import type { GatewayPorts } from "@wa/api";
import { EngineHop, holderPorts } from "./cluster/holder-ports.ts";
import { createInvitationMailer } from "./mail/invitation-mailer.ts";
import { ClusterSessionEvents } from "./cluster/session-events.ts";
import { createGatewayEngine } from "./engine.ts";
import { readEnv, type GatewayEnv } from "./env.ts";
import { createLogger } from "./http/logger.ts";
import { createServer } from "./http/server.ts";
import { authCipherFor } from "./whatsapp/auth-cipher.ts";
import { sealStoredAuthState } from "./whatsapp/auth-state.ts";
import { collectProcessMetrics, observeSessions } from "./metrics.ts";

/** Hand-over of every session, then closing: generous, since other gateways wait for nothing meanwhile. */
const SHUTDOWN_TIMEOUT_MS = 30_000;

function loadEnv(): GatewayEnv {
  try {
    return readEnv();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}

async function main() {
  const env = loadEnv();
  const logger = createLogger({ level: env.logLevel });
  if (!env.databaseUrl) {
    console.error("invalid gateway environment: DATABASE_URL: required (npm start provides the embedded database)");
    process.exit(1);
  }

  await runMigrations(env.databaseUrl);
  const db = createDbClient(env.databaseUrl, { applicationName: `wa-gateway:${env.gatewayId}` });

  // Auth state written before encryption, or under APP_SECRET_PREVIOUS, is sealed with APP_SECRET before any session starts.
  await sealStoredAuthState(
    db.db,
    authCipherFor({ current: env.appSecret, previous: env.appSecretPrevious }),
    logger.child({ component: "auth-state" }),
  );

  const engine = await createGatewayEngine({
    db,
    logger,
    config: {
      gatewayId: env.gatewayId,
      appSecret: env.appSecret,
      ...(env.appSecretPrevious ? { appSecretPrevious: env.appSecretPrevious } : {}),
      gatewayUrl: env.gatewayUrl,
      ...(env.waWsUrl ? { waWsUrl: env.waWsUrl } : {}),
      ...(env.adminPhoneNumber ? { adminPhoneNumber: env.adminPhoneNumber } : {}),
      ...(env.simulatorHttpUrl ? { simulatorHttpUrl: env.simulatorHttpUrl } : {}),
      ...(env.simulatorHttpUrl && env.simulatorRootKey ? { trustRootPublicKey: env.simulatorRootKey } : {}),
      webhookAllowPrivate: env.webhookAllowPrivate,
      eventRetentionDays: env.eventRetentionDays,
    },
  });
  collectProcessMetrics({ gatewayId: env.gatewayId });
  observeSessions(() => engine.manager.statusCounts());
  // The router's ports follow each session to its holder (engine calls over the signed hop, status changes from the
  // event log), so the console's tRPC works through any gateway.
  const holdsLocally = (sessionId: string) => engine.cluster.isHolder(sessionId);
  const cluster = { db: db.db, gatewayId: env.gatewayId, secret: env.clusterSecret, staleMs: engine.cluster.clusterTimings.staleMs, holdsLocally };
  const invitationMail = env.smtpUrl
    ? createInvitationMailer({ smtpUrl: env.smtpUrl, webUrl: env.webUrl, ...(env.smtpFrom ? { from: env.smtpFrom } : {}) })
    : undefined;
  const ports: GatewayPorts = {
    ...holderPorts(
      engine,
      new ClusterSessionEvents({ bus: engine.events, db: db.db, holdsLocally, qrOf: (id) => ports.sessions.getQr(id), logger: logger.child({ component: "session-events" }) }),
      new EngineHop({ ...cluster, logger: logger.child({ component: "engine-hop" }) }),
    ),
    ...(invitationMail ? { invitationMail } : {}),
  };
  const server = await createServer({
    db,
    ports,
    localEngine: engine,
    env: { port: env.port, webUrl: env.webUrl, jwksUrl: env.jwksUrl, gatewayUrl: env.gatewayUrl },
    logger,
    forwarding: { gatewayId: cluster.gatewayId, secret: cluster.secret, staleMs: cluster.staleMs, holdsLocally },
    ...(env.metricsToken ? { metricsToken: env.metricsToken } : {}),
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, "shutdown timed out");
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    try {
      // Hand-over first, while this server still answers the calls forwarded to it; then close.
      await engine.drain().catch((error: unknown) => logger.error({ err: error }, "hand-over failed"));
      await server.stop();
      await engine.shutdown();
      invitationMail?.close();
      await db.close();
      logger.info({}, "stopped");
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, "shutdown failed");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));

  const address = await server.start();
  logger.info({ address, gatewayId: env.gatewayId, simulator: !!env.simulatorHttpUrl, invitationMail: !!invitationMail }, "gateway ready");
  // Sessions are restored after the server listens, so health and the console answer while they reconnect.
  engine.boot().catch((error: unknown) => logger.error({ err: error }, "engine boot failed"));
}

main().catch((error: unknown) => {
  console.error(`gateway failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
