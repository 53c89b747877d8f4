// Prometheus metrics of one gateway (prom-client, one registry per process). Named counters are exported so any
// module increments them where the thing happens; labels never carry a person, a phone number or a message.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { sessionStatuses } from "@wa/db/contract";

export const registry = new Registry();

let defaultsCollected = false;
/** Process metrics (CPU, memory, GC) once per process. */
export function collectProcessMetrics(labels: { gatewayId: string }): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  registry.setDefaultLabels({ gateway: labels.gatewayId });
  collectDefaultMetrics({ register: registry, prefix: "wa_process_" });
}

/** Messages sent (outbound acknowledged by WhatsApp) and received (stored inbound). Wired by messaging. */
export const messagesSent = new Counter({ name: "wa_messages_sent_total", help: "Messages sent by sessions held here", registers: [registry] });
export const messagesReceived = new Counter({ name: "wa_messages_received_total", help: "Inbound messages stored", registers: [registry] });
export const rateLimitRefusals = new Counter({
  name: "wa_rate_limit_refusals_total",
  help: "Sends refused (429) or held back by a session's rate limit",
  labelNames: ["window"] as const,
  registers: [registry],
});
/** Webhook deliveries by outcome: delivered · failed (will be tried again) · dead. Wired by events. */
export const webhookDeliveries = new Counter({
  name: "wa_webhook_deliveries_total",
  help: "Webhook delivery attempts by outcome",
  labelNames: ["outcome"] as const,
  registers: [registry],
});
export const backfillRows = new Counter({
  name: "wa_backfill_rows_total",
  help: "Rows persisted by backfill jobs",
  labelNames: ["kind"] as const,
  registers: [registry],
});
export const requestDuration = new Histogram({
  name: "wa_http_request_duration_seconds",
  help: "HTTP request latency by route template",
  labelNames: ["method", "route", "status"] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});
let sessionSource: () => Map<string, number> = () => new Map();
/** Where the sessions gauge reads its counts at scrape time (the session manager). */
export function observeSessions(source: () => Map<string, number>): void {
  sessionSource = source;
}
export const sessionsByStatus = new Gauge({
  name: "wa_sessions",
  help: "Sessions held by this gateway, by status",
  labelNames: ["status"] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const status of sessionStatuses) this.set({ status }, 0);
    for (const [status, n] of sessionSource()) this.set({ status }, n);
  },
});

const loopDelay = monitorEventLoopDelay({ resolution: 20 });
loopDelay.enable();
export const eventLoopLag = new Gauge({
  name: "wa_event_loop_lag_seconds",
  help: "Event-loop delay since the last scrape (p99 and max)",
  labelNames: ["quantile"] as const,
  registers: [registry],
  collect() {
    this.set({ quantile: "0.99" }, loopDelay.percentile(99) / 1e9);
    this.set({ quantile: "1" }, loopDelay.max / 1e9);
    loopDelay.reset();
  },
});

export const clusterMetrics = {
  leasesHeld: new Gauge({ name: "wa_leases_held", help: "Session leases held by this gateway", registers: [registry] }),
  leasesTakenOver: new Counter({
    name: "wa_leases_taken_over_total",
    help: "Sessions taken over from a gateway that was gone or handed them over",
    registers: [registry],
  }),
  leasesLost: new Counter({ name: "wa_leases_lost_total", help: "Leases this gateway could not keep (socket closed)", registers: [registry] }),
  leaseRenewals: new Counter({ name: "wa_lease_renewal_queries_total", help: "Bulk lease renewal statements", registers: [registry] }),
  fencedWrites: new Counter({
    name: "wa_fenced_writes_refused_total",
    help: "Writes of a stale holder refused by the fencing epoch",
    labelNames: ["kind"] as const,
    registers: [registry],
  }),
  forwarded: new Counter({
    name: "wa_forwarded_requests_total",
    help: "Requests forwarded to the holder of their session, by outcome",
    labelNames: ["outcome"] as const,
    registers: [registry],
  }),
};
