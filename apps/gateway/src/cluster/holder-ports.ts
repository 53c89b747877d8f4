// The router's ports, following the session to its holder: a call about a session held by another live gateway
// (start, QR, pairing code, backfill, send, chat actions…) runs on that gateway's engine over the signed internal
// hop (http/engine-hop.ts) instead of failing here. So every transport — tRPC batches and subscriptions included —
// works through any gateway, while authorization stays where the call arrived: the router checks the caller and
// the session's organization before it calls a port, and only then does anything leave this gateway.
// No live holder for a session that should be connected: 503 `gateway_unavailable`, as over REST.
import { DomainError, errorCodes, type ErrorCode, type GatewayPorts, type SessionControl, type SessionEvents } from "@wa/api";
import type { Database } from "@wa/db";
import { sessionRouteOf, type SessionRoute } from "@wa/db/queries";
import type { Logger } from "pino";
import { clusterMetrics } from "../metrics.ts";
import { FORWARD_HEADER, signForward } from "./assertion.ts";
import { placeInTransaction } from "./placement.ts";
import type { EngineCall, EngineOp, LocalEngine } from "./engine-ops.ts";

export const ENGINE_HOP_PATH = "/internal/v1/engine";
/** A sync send may wait for WhatsApp (a minute), a simulated scan for a QR: the hop waits a little longer. */
const HOP_TIMEOUT_MS = 90_000;
const RUNNABLE = new Set(["starting", "scan_qr_code", "working"]);

export interface HolderPortsOptions {
  db: Database;
  gatewayId: string;
  secret: string;
  /** A gateway silent for longer is not live (ms). */
  staleMs: number;
  /** Whether this gateway holds the session now (no query). */
  holdsLocally: (sessionId: string) => boolean;
  logger: Logger;
}

export interface Holder {
  id: string;
  baseUrl: string;
}

/**
 * Where a call about the session goes when it is recorded under another gateway: that gateway while it is live;
 * with it gone, a session that should be connected waits for a takeover (DomainError `gateway_unavailable`) and any
 * other is handled where the call arrived (null, as for an unknown session or one recorded here).
 */
export function holderOf(route: SessionRoute | null, self: string): Holder | null {
  if (!route || route.gatewayId === self) return null;
  if (route.gatewayLive && route.gatewayUrl) return { id: route.gatewayId, baseUrl: route.gatewayUrl };
  if (RUNNABLE.has(route.status)) {
    throw new DomainError("gateway_unavailable", `no live gateway holds session (its gateway ${route.gatewayId} is gone; takeover pending)`);
  }
  return null;
}

export class EngineHop {
  constructor(private readonly opts: HolderPortsOptions) {}

  get staleMs(): number {
    return this.opts.staleMs;
  }

  /** The live gateway holding the session when it is not this one; null when the call belongs here. */
  async holderElsewhere(sessionId: string): Promise<Holder | null> {
    if (this.opts.holdsLocally(sessionId)) return null;
    // Unknown: the local engine says not_found. Never a hint here: the holder runs engine calls on its own engine.
    return holderOf(await sessionRouteOf(this.opts.db, sessionId, this.opts.staleMs), this.opts.gatewayId);
  }

  /** Runs the call here, or on the session's holder. */
  async run<T>(call: EngineCall, here: () => Promise<T>): Promise<T> {
    const holder = await this.holderElsewhere(call.sessionId);
    return holder ? ((await this.send(holder, call)) as T) : here();
  }

  private async send(to: Holder, call: EngineCall): Promise<unknown> {
    const body = JSON.stringify(call);
    const assertion = signForward(this.opts.secret, { method: "POST", url: ENGINE_HOP_PATH, body }, this.opts.gatewayId, to.id);
    let response: Response;
    try {
      response = await fetch(`${to.baseUrl}${ENGINE_HOP_PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json", [FORWARD_HEADER]: assertion },
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(HOP_TIMEOUT_MS),
      });
    } catch (err) {
      clusterMetrics.forwarded.inc({ outcome: "unreachable" });
      this.opts.logger.warn({ err: err instanceof Error ? err.message : String(err), holder: to.id, op: call.op }, "engine call to the holder failed");
      throw new DomainError("gateway_unavailable", `the session's gateway ${to.id} is unreachable`);
    }
    clusterMetrics.forwarded.inc({ outcome: "forwarded" });
    const payload = (await response.json().catch(() => null)) as { result?: unknown; error?: { code?: unknown; message?: unknown; details?: unknown } } | null;
    if (response.ok && payload) return payload.result ?? null;
    const error = payload?.error;
    if (error && typeof error.code === "string" && Object.hasOwn(errorCodes, error.code)) {
      const details = typeof error.details === "object" && error.details !== null ? (error.details as Record<string, unknown>) : undefined;
      throw new DomainError(error.code as ErrorCode, String(error.message ?? error.code), details);
    }
    throw new DomainError("gateway_unavailable", `the session's gateway ${to.id} answered ${response.status}`);
  }
}

/**
 * `local`'s ports, with every per-session engine call routed to the session's holder; everything else (the event
 * stream, webhooks) is given as is.
 */
export function holderPorts(
  local: LocalEngine & { gatewayId: string; webhooks: GatewayPorts["webhooks"] },
  events: SessionEvents,
  hop: EngineHop,
): GatewayPorts {
  const via = <T>(op: EngineOp, sessionId: string, args: unknown[], here: () => Promise<T>) => hop.run({ op, sessionId, args }, here);
  const sessions: SessionControl = {
    start: (id) => via("sessions.start", id, [id], () => local.sessions.start(id)),
    stop: (id) => via("sessions.stop", id, [id], () => local.sessions.stop(id)),
    restart: (id) => via("sessions.restart", id, [id], () => local.sessions.restart(id)),
    logout: (id) => via("sessions.logout", id, [id], () => local.sessions.logout(id)),
    remove: (id) => via("sessions.remove", id, [id], () => local.sessions.remove(id)),
    getQr: (id) => via("sessions.getQr", id, [id], () => local.sessions.getQr(id)),
    requestPairingCode: (id, phone) => via("sessions.requestPairingCode", id, [id, phone], () => local.sessions.requestPairingCode(id, phone)),
  };
  const simulateScan = local.sessions.simulateScan;
  if (simulateScan) sessions.simulateScan = (id) => via("sessions.simulateScan", id, [id], () => simulateScan(id));
  const messaging = local.messaging;
  return {
    gatewayId: local.gatewayId,
    placeNewSession: (tx) => placeInTransaction(tx, local.gatewayId, hop.staleMs),
    sessions,
    backfill: {
      start: (id) => via("backfill.start", id, [id], () => local.backfill.start(id)),
      get: (id) => via("backfill.get", id, [id], () => local.backfill.get(id)),
    },
    events,
    webhooks: local.webhooks,
    ...(messaging
      ? {
          messaging: {
            send: (request) => via("messaging.send", request.sessionId, [request], () => messaging.send(request)),
            markChatRead: (id, chat) => via("messaging.markChatRead", id, [id, chat], () => messaging.markChatRead(id, chat)),
            setChatPresence: (id, chat, state) => via("messaging.setChatPresence", id, [id, chat, state], () => messaging.setChatPresence(id, chat, state)),
          },
        }
      : {}),
  };
}
