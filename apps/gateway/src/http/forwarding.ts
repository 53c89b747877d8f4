// Forwarding: any gateway answers any REST route. A call about a session held by another live gateway is sent on
// to it with a signed assertion (cluster/assertion.ts) and its answer streamed back (SSE included); with no live
// holder it is 503 `gateway_unavailable`. A new session is placed by the create procedure itself (any transport;
// cluster/holder-ports.ts), so POST /sessions is answered here.
import { DomainError, errorBody } from "@wa/api";
import type { Database } from "@wa/db";
import { getSession } from "@wa/db/queries";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { liveHolderOf, type Holder } from "../cluster/holder-ports.ts";
import { FORWARD_HEADER, ReplayGuard, signForward, verifyForward } from "../cluster/assertion.ts";
import { clientIpOf, recordForwardedClientIp } from "./client-ip.ts";
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

/** Hop-by-hop and recomputed headers: never copied across the hop. */
const HOP = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", "accept-encoding", "upgrade", FORWARD_HEADER]);
const HOP_BACK = new Set(["connection", "content-length", "transfer-encoding", "keep-alive", "content-encoding"]);

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

  async function forward(request: FastifyRequest, reply: FastifyReply, to: { id: string; baseUrl: string }) {
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
    let upstream: Response;
    try {
      upstream = await fetch(`${to.baseUrl}${request.url}`, {
        method: request.method,
        headers,
        ...(body && request.method !== "GET" && request.method !== "HEAD" ? { body } : {}),
        signal: abort.signal,
        redirect: "manual",
      });
    } catch (err) {
      clusterMetrics.forwarded.inc({ outcome: "unreachable" });
      request.log.warn({ err: err instanceof Error ? err.message : String(err), holder: to.id }, "forwarding to the holder failed");
      return sendError(reply, 503, errorBody({ code: "gateway_unavailable", message: `the session's gateway ${to.id} is unreachable` }));
    }
    clusterMetrics.forwarded.inc({ outcome: "forwarded" });
    reply.code(upstream.status);
    upstream.headers.forEach((value, name) => {
      if (!HOP_BACK.has(name)) void reply.header(name, value);
    });
    // Only callers allowed to see the session get here (see callerOf).
    reply.header("x-wa-served-by", to.id);
    if (!upstream.body) return reply.send();
    return reply.send(Readable.fromWeb(upstream.body as WebReadableStream<Uint8Array>));
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
      if (verdict.clientIp) {
        recordForwardedClientIp(request, verdict.clientIp);
        request.log = request.log.child({ clientIp: verdict.clientIp, forwardedBy: verdict.from });
      }
      return; // answered here, never forwarded again
    }
    const path = request.url.split("?")[0] ?? "";
    const found = sessionPath.exec(path);
    if (!found?.[1]) return;
    let sessionId: string;
    try {
      sessionId = decodeURIComponent(found[1]);
    } catch {
      return; // the route answers the malformed path
    }
    if (opts.holdsLocally(sessionId)) return;
    const row = await getSession(opts.db, sessionId);
    if (!row || row.gatewayId === opts.gatewayId) return;
    // Checked only for calls that would leave this gateway (the route checks every call again).
    const caller = await opts.callerOf(request);
    if (!caller) return; // the route answers 401
    if (!caller.superAdmin && row.organizationId !== caller.organizationId) return; // the route answers 404
    let holder: Holder | null;
    try {
      holder = await liveHolderOf(opts.db, row, opts.staleMs);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      return sendError(reply.header("retry-after", "5"), 503, errorBody({ code: err.code, message: err.message }));
    }
    if (holder) return forward(request, reply, holder);
  });
}
