// The gateway's event services, composed for the engine: the webhooks port (sealing, URL guard), the dispatcher and
// the retention job.
import { createWebhookPort, type WebhookPort } from "@wa/api";
import type { Database } from "@wa/db";
import type pino from "pino";
import { WebhookDispatcher, type DispatcherOptions } from "./dispatcher.ts";
import { EventRetention } from "./retention.ts";
import { webhookDeliveries } from "../metrics.ts";

export interface EventServicesConfig {
  gatewayId: string;
  appSecret: string;
  appSecretPrevious?: string | undefined;
  webhookAllowPrivate?: boolean | undefined;
  eventRetentionDays?: number | undefined;
  webhooks?: Partial<DispatcherOptions> | undefined;
}

export interface EventServices {
  port: WebhookPort;
  dispatcher: WebhookDispatcher;
  retention: EventRetention;
  start(): Promise<void>;
  stop(): Promise<void>;
}
export function createEventServices(deps: { db: Database; logger: pino.Logger; config: EventServicesConfig }): EventServices {
  const { db, logger, config } = deps;
  const allowPrivate = config.webhookAllowPrivate ?? false;
  const resolve = config.webhooks?.resolve;
  const port = createWebhookPort({
    appSecret: config.appSecret,
    appSecretPrevious: config.appSecretPrevious,
    allowPrivate,
    ...(resolve ? { resolve } : {}),
  });
  const dispatcher = new WebhookDispatcher({
    db,
    logger,
    gatewayId: config.gatewayId,
    cipher: port.cipher,
    options: { ...config.webhooks, allowPrivate },
    onAttempt: ({ status }) => webhookDeliveries.inc({ outcome: status }),
  });
  const retention = new EventRetention({ db, logger: logger.child({ component: "events" }), retentionDays: config.eventRetentionDays });
  return {
    port,
    dispatcher,
    retention,
    async start() {
      retention.start();
      await dispatcher.start();
    },
    async stop() {
      await dispatcher.stop();
      await retention.stop();
    },
  };
}
