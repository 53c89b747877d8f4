// Forwarding: any gateway answers any REST route. A call about a session held by another live gateway is sent on
// to it with a signed assertion (cluster/assertion.ts) and its answer streamed back (SSE included); with no live
// holder it is 503 `gateway_unavailable`. The holder is looked up in one statement and remembered briefly
// (cluster/holder-hints.ts): a stale hint costs an extra hop or one more lookup, never a wrong answer. A new
// session is placed by the create procedure itself (any transport; cluster/holder-ports.ts), so POST /sessions is
// answered here.
import { DomainError, errorBody } from "@wa/api";
import type { Database } from "@wa/db";
import { sessionRouteOf, type SessionRoute } from "@wa/db/queries";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { IncomingMessage } from "node:http";
import { HolderHints } from "../cluster/holder-hints.ts";
import { holderOf, type Holder } from "../cluster/holder-ports.ts";
import { FORWARD_HEADER, ReplayGuard, signForward, verifyForward } from "../cluster/assertion.ts";
import { clientIpOf, recordForwardedClientIp } from "./client-ip.ts";
import { connectionRefused, requestHolder } from "./holder-client.ts";
import { clusterMetrics } from "../metrics.ts";
import { sendError } from "./errors.ts";

export interface ForwardingOptions {
  db: Database;
  gatewayId: string;
  secret: string;
  /** A gateway silent for longer is not live (ms). */
  staleMs: number;
  /** Whether this gateway holds the session now (no query). */
  holdsLocally: (sessionId: string) => boolean;
  /** The REST prefix, e.g. /api/v1. */
  base: string;
  /**
   * Who is calling (null: no or bad credentials). Only a caller who may see the session is forwarded or told about
   * its gateway; anyone else gets the route's own answer (401, 404), so another organization's session stays
   * indistinguishable from an unknown id.
   */
  callerOf: (request: FastifyRequest) => Promise<CallerScope | null>;
}

export interface CallerScope {
  organizationId: string | null;
  superAdmin: boolean;
}

/** On the answer to a forwarded call: the gateway it reached does not hold the session (any more). */
export const NOT_HOLDER_HEADER = "x-wa-not-holder";

/** Hop-by-hop and recomputed headers: never copied across the hop. */
const HOP = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", "accept-encoding", "upgrade", FORWARD_HEADER]);
const HOP_BACK = new Set(["connection", "content-length", "transfer-encoding", "keep-alive", "content-encoding", NOT_HOLDER_HEADER]);

type Sent = { ok: true; upstream: IncomingMessage } | { ok: false; error: unknown };

const bodyText = (body: unknown) => (body === undefined || body === null ? "" : JSON.stringify(body));

/** The request's gateway assertion ("" when absent). */
export const assertionOf = (request: FastifyRequest): string => {
  const header = request.headers[FORWARD_HEADER];
  return Array.isArray(header) ? (header[0] ?? "") : (header ?? "");
};

/** A call signed by no gateway of this cluster (forged, replayed, expired, altered): 401, counted and logged. */
export function refuseForward(request: FastifyRequest, reply: FastifyReply, what: string, reason: string) {
  clusterMetrics.forwarded.inc({ outcome: "refused" });
  request.log.warn({ reason }, `${what} refused`);
  return sendError(reply, 401, errorBody({ code: "unauthorized", message: `${what} refused: ${reason}` }));
}

export function installForwarding(app: FastifyInstance, opts: ForwardingOptions): void {
  const replay = new ReplayGuard();
  const sessionPath = new RegExp(`^${opts.base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/(?:admin/)?sessions/([^/:?]+)`);
  /** The session a REST call is about (null: none, or not decodable). */
  const sessionOf = (url: string): string | null => {
    const found = sessionPath.exec(url.split("?")[0] ?? "");
    if (!found?.[1]) return null;
    try {
      return decodeURIComponent(found[1]);
    } catch {
      return null;
    }
  };

  const hints = new HolderHints();

  /** Sends the call on to `to`, signed; the answer's head, or why it could not be sent. */
  async function send(request: FastifyRequest, to: Holder): Promise<Sent> {
    const body = bodyText(request.body);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (HOP.has(name) || value === undefined) continue;
      headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    // Bound to the credentials and Idempotency-Key sent on, and vouching for the caller's address (the audit log's).
    headers[FORWARD_HEADER] = signForward(
      opts.secret,
      { method: request.method, url: request.url, body, headers: request.headers },
      opts.gatewayId,
      to.id,
      Date.now(),
      clientIpOf(request),
    );
    const abort = new AbortController();
    request.raw.once("close", () => abort.abort());
    try {
      const upstream = await requestHolder(`${to.baseUrl}${request.url}`, {
        method: request.method,
        headers,
        body: request.method !== "GET" && request.method !== "HEAD" ? body : "",
        signal: abort.signal,
      });
      return { ok: true, upstream };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** The holder's answer, streamed back to the caller. */
  function relay(request: FastifyRequest, reply: FastifyReply, upstream: IncomingMessage, to: Holder) {
    clusterMetrics.forwarded.inc({ outcome: "forwarded" });
    const status = upstream.statusCode ?? 502;
    reply.code(status);
    for (const [name, value] of Object.entries(upstream.headers)) {
      if (!HOP_BACK.has(name) && value !== undefined) void reply.header(name, value);
    }
    // Only callers allowed to see the session get here (see callerOf).
    reply.header("x-wa-served-by", to.id);
    if (request.method === "HEAD" || status === 204 || status === 304) {
      upstream.resume();
      return reply.send();
    }
    return reply.send(upstream);
  }

  /** Where the call goes: a live holder elsewhere, here (null), or 503 when its holder is gone (a takeover pending). */
  function destination(route: SessionRoute | null, reply: FastifyReply): Holder | null | "answered" {
    try {
      return holderOf(route, opts.gatewayId);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      void sendError(reply.header("retry-after", "5"), 503, errorBody({ code: err.code, message: err.message }));
      return "answered";
    }
  }

  app.addHook("preHandler", async (request, reply) => {
    if (!request.url.startsWith(`${opts.base}/`) || request.url.startsWith(`${opts.base}/openapi.json`)) return;
    if (request.headers[FORWARD_HEADER] !== undefined) {
      const verdict = verifyForward(assertionOf(request), {
        secret: opts.secret,
        self: opts.gatewayId,
        call: { method: request.method, url: request.url, body: bodyText(request.body), headers: request.headers },
        replay,
      });
      if (!verdict.ok) return refuseForward(request, reply, "forwarded call", verdict.reason);
      // Sent here by a stale hint: still answered here (the ports follow the session), and the sender forgets it.
      const forwardedFor = sessionOf(request.url);
      if (forwardedFor !== null && !opts.holdsLocally(forwardedFor)) reply.header(NOT_HOLDER_HEADER, "1");
      if (verdict.clientIp) {
        recordForwardedClientIp(request, verdict.clientIp);
        request.log = request.log.child({ clientIp: verdict.clientIp, forwardedBy: verdict.from });
      }
      return; // answered here, never forwarded again
    }
    const sessionId = sessionOf(request.url);
    if (sessionId === null) return; // no session named, or a malformed path the route answers
    if (opts.holdsLocally(sessionId)) return;
    const hinted = hints.get(sessionId);
    let route = hinted ?? (await sessionRouteOf(opts.db, sessionId, opts.staleMs));
    if (!route || route.gatewayId === opts.gatewayId) return;
    // Checked only for calls that would leave this gateway (the route checks every call again).
    const caller = await opts.callerOf(request);
    if (!caller) return; // the route answers 401
    if (!caller.superAdmin && route.organizationId !== caller.organizationId) return; // the route answers 404
    let to = destination(route, reply);
    if (to === "answered") return reply;
    if (!to) return;
    let sent = await send(request, to);
    if (!sent.ok && hinted && connectionRefused(sent.error)) {
      // The remembered holder is gone (a failover since the hint): the call never left, so ask the database again.
      hints.forget(sessionId);
      route = await sessionRouteOf(opts.db, sessionId, opts.staleMs);
      to = destination(route, reply);
      if (to === "answered") return reply;
      if (!to || !route) return; // answered here
      sent = await send(request, to);
    }
    if (!sent.ok) {
      hints.forget(sessionId);
      clusterMetrics.forwarded.inc({ outcome: "unreachable" });
      request.log.warn({ err: sent.error instanceof Error ? sent.error.message : String(sent.error), holder: to.id }, "forwarding to the holder failed");
      return sendError(reply, 503, errorBody({ code: "gateway_unavailable", message: `the session's gateway ${to.id} is unreachable` }));
    }
    if (sent.upstream.headers[NOT_HOLDER_HEADER] !== undefined) hints.forget(sessionId);
    else hints.remember(route);
    return relay(request, reply, sent.upstream, to);
  });
}
