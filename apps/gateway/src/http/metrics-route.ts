// GET /metrics (Prometheus text format) and the request latency by route template that feeds it.
import type { FastifyInstance } from "fastify";
import { timingSafeEqual } from "node:crypto";
import { errorBody } from "@wa/api";
import { registry, requestDuration } from "../metrics.ts";
import { sendError } from "./errors.ts";

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export function installMetrics(
  app: FastifyInstance,
  opts: {
    /** Unset: /metrics is open. Set: `Authorization: Bearer <token>` required. */
    token?: string;
    /** The route template of a request (e.g. `/api/v1/sessions/{session}`), never its ids. */
    routeOf: (method: string, url: string) => string;
  },
): void {
  app.addHook("onResponse", async (request, reply) => {
    if (request.url === "/metrics") return;
    requestDuration.observe(
      { method: request.method, route: opts.routeOf(request.method, request.url), status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get("/metrics", async (request, reply) => {
    if (opts.token) {
      const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1] ?? "";
      if (!sameText(given, opts.token)) return sendError(reply, 401, errorBody({ code: "unauthorized", message: "metrics token required" }));
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
