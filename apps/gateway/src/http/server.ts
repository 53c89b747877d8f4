// The gateway's HTTP server: tRPC at /trpc, REST at /api/v1 (+ openapi.json), health and readiness.
import cors from "@fastify/cors";
import {
  appRouter,
  createApiKeyAuthenticator,
  createContextFactory,
  DATABASE_UNREACHABLE_MESSAGE,
  errorBody,
  type ApiKeyAuthenticator,
  type GatewayPorts,
  type JwtVerifier,
} from "@wa/api";
import type { DbClient } from "@wa/db";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger as PinoLogger } from "pino";
import { DatabaseHealth, type DatabaseHealthOptions } from "./database-health.ts";
import { BODY_LIMIT, frameworkErrors, handleClientError, installErrorHandlers } from "./errors.ts";
import { installJsonParser } from "./json-body.ts";
import { redactUrl } from "./logger.ts";
import { registerEventStreamRoutes } from "../events/sse-route.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { REST_BASE, registerRest } from "./rest.ts";
import { allowedMethods, restRoutes } from "./rest-routes.ts";
import { registerTrpc } from "./trpc.ts";
import { installForwarding, type ForwardingOptions } from "./forwarding.ts";
import { registerEngineHop } from "./engine-hop.ts";
import type { LocalEngine } from "../cluster/engine-ops.ts";
import { installMetrics } from "./metrics-route.ts";
import { matchRoute, type RestRoute } from "./rest-routes.ts";

export interface ServerEnv {
  /** 0 picks a free port. */
  port: number;
  /** Login JWTs' issuer and the console origin allowed by CORS. */
  webUrl: string;
  jwksUrl: string;
  /** Public base URL of this gateway (the OpenAPI document's server). */
  gatewayUrl?: string;
  /** Listen address; loopback only by default. */
  host?: string;
}

export interface CreateServerOptions {
  db: DbClient;
  ports: GatewayPorts;
  env: ServerEnv;
  logger: PinoLogger;
  /** A ready verifier (tests); built from env.jwksUrl/env.webUrl otherwise. */
  jwt?: JwtVerifier;
  /** Probe timings of the database health check (tests shorten them). */
  databaseHealth?: DatabaseHealthOptions;
  /** Several gateways: calls about sessions held elsewhere are forwarded to their holder. */
  forwarding?: Omit<ForwardingOptions, "db" | "base" | "callerOf">;
  /** Several gateways: this gateway's own engine, which runs the engine calls other gateways send it (with `forwarding`). */
  localEngine?: LocalEngine;
  /** METRICS_TOKEN: when set, GET /metrics wants it as a Bearer token. */
  metricsToken?: string;
}

/** A request's route template for metrics (REST templates; ids never become labels). */
function routeTemplate(routes: readonly RestRoute[], method: string, url: string): string {
  const path = url.split("?")[0] ?? "";
  if (path.startsWith(`${REST_BASE}/`)) {
    try {
      const match = matchRoute(routes, method === "HEAD" ? "GET" : method, path.slice(REST_BASE.length));
      if (match) return `${REST_BASE}${match.route.template}`;
    } catch {
      // malformed path: counted as unmatched
    }
    return `${REST_BASE}/(unmatched)`;
  }
  if (path.startsWith("/trpc/")) {
    const procedures = path.slice(6).split(",");
    if (procedures.length > 1) return "/trpc/(batch)";
    // Only the router's own procedure names become labels: anything else a caller types stays out of /metrics.
    return Object.hasOwn(appRouter._def.procedures, procedures[0] ?? "") ? `/trpc/${procedures[0]}` : "/trpc/(unmatched)";
  }
  return ["/healthz", "/readyz"].includes(path) ? path : "(other)";
}

export interface GatewayServer {
  app: FastifyInstance;
  /** The api-key authenticator: its in-memory cache and whether it follows revocations from other processes. */
  apiKeys: ApiKeyAuthenticator;
  /** Listens; resolves with the base URL (e.g. http://127.0.0.1:8080). */
  start(): Promise<string>;
  stop(): Promise<void>;
}

/** The console's origin and its localhost/127.0.0.1 twin (people open either). */
export function allowedOrigins(webUrl: string): Set<string> {
  const origin = new URL(webUrl).origin;
  const origins = new Set([origin]);
  const url = new URL(origin);
  if (url.hostname === "localhost" || url.hostname === "127.0.0.1") {
    url.hostname = url.hostname === "localhost" ? "127.0.0.1" : "localhost";
    origins.add(url.origin);
  }
  return origins;
}

export async function createServer(opts: CreateServerOptions): Promise<GatewayServer> {
  const { db, ports, env } = opts;
  const logger = opts.logger.child({ component: "http" });
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    // SSE streams would otherwise hold `close()` open until clients leave.
    forceCloseConnections: true,
    // One line per request (onResponse below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 1000 },
    // Refusals before any route runs answer in the contract's shape too.
    frameworkErrors,
    clientErrorHandler: handleClientError,
  });

  const routes = restRoutes();
  const openApiPath = `${REST_BASE}/openapi.json`;
  /** The methods answered at a path, for 405 `Allow` (CORS preflights are answered by the cors plugin, /trpc by tRPC). */
  const allowedFor = (path: string): string[] => {
    if (path === "/healthz" || path === "/readyz" || path === openApiPath) return ["GET", "HEAD"];
    if (path.startsWith(`${REST_BASE}/`)) return allowedMethods(routes, path.slice(REST_BASE.length));
    return [];
  };
  installJsonParser(app);
  installErrorHandlers(app, { allowedFor });

  // While the database is away, REST calls are refused at once (503) instead of each waiting on a connection;
  // tRPC calls are refused the same way in its own error format (trpc.ts).
  const health = db.url ? DatabaseHealth.forUrl(db.url, opts.databaseHealth) : new DatabaseHealth(db, opts.databaseHealth);
  app.addHook("onRequest", async (request, reply) => {
    if (health.isReachable || !request.url.startsWith(`${REST_BASE}/`) || request.url.startsWith(openApiPath)) return;
    return reply
      .code(503)
      .header("retry-after", "1")
      .type("application/json")
      .send(errorBody({ code: "gateway_unavailable", message: DATABASE_UNREACHABLE_MESSAGE }));
  });
  app.addHook("onResponse", async (request, reply) => {
    const line = {
      method: request.method,
      url: redactUrl(request.url),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    };
    if (reply.statusCode >= 500) request.log.error(line, "request");
    else request.log.info(line, "request");
  });

  const origins = allowedOrigins(env.webUrl);
  await app.register(cors, {
    origin: (origin, cb) => cb(null, origin !== undefined && origins.has(origin)),
    methods: ["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"],
    maxAge: 600,
  });

  // Verified api-keys are remembered in memory; revocations from any process arrive by LISTEN/NOTIFY.
  const apiKeys = createApiKeyAuthenticator({ db: db.db, logger });
  const createContext = createContextFactory({
    db: db.db,
    ports,
    logger,
    apiKeys,
    jwt: opts.jwt ?? { jwksUrl: env.jwksUrl, issuer: env.webUrl },
  });

  installMetrics(app, { ...(opts.metricsToken ? { token: opts.metricsToken } : {}), routeOf: (method, url) => routeTemplate(routes, method, url) });
  if (opts.forwarding) {
    installForwarding(app, {
      ...opts.forwarding,
      db: db.db,
      base: REST_BASE,
      callerOf: async (request) => {
        const ctx = await createContext({ headers: request.headers, ip: request.ip });
        const principal = ctx.principal;
        if (!principal) return null;
        return {
          organizationId: principal.organizationId,
          superAdmin: principal.kind === "user" && principal.platformRole === "super_admin",
        };
      },
    });
    if (opts.localEngine) {
      registerEngineHop(app, { engine: opts.localEngine, gatewayId: opts.forwarding.gatewayId, secret: opts.forwarding.secret, logger });
    }
  }

  await registerTrpc(app, { createContext, logger, databaseReachable: () => health.isReachable });

  const gatewayUrl = (env.gatewayUrl ?? `http://127.0.0.1:${env.port}`).replace(/\/+$/, "");
  const openApi = buildOpenApiDocument({ baseUrl: `${gatewayUrl}${REST_BASE}`, routes });
  app.get(openApiPath, async () => openApi);
  await registerRest(app, { createContext, logger, routes, allowedFor });
  registerEventStreamRoutes(app, { createContext, logger, restBase: REST_BASE });

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const state = await health.state();
    if (state === "unreachable") {
      return reply.code(503).send(errorBody({ code: "gateway_unavailable", message: "database unreachable" }));
    }
    if (state === "unmigrated") {
      return reply.code(503).send(errorBody({ code: "gateway_unavailable", message: "database migrations not applied" }));
    }
    return { status: "ready", gatewayId: ports.gatewayId };
  });

  return {
    app,
    apiKeys,
    async start() {
      health.start();
      // Without a listener (database away at boot) cached keys live one second: slower, never less strict.
      await apiKeys.followChanges(db.sql).catch((error: unknown) => {
        logger.warn({ err: error instanceof Error ? error.message : String(error) }, "api-key revocations not followed");
      });
      const address = await app.listen({ port: env.port, host: env.host ?? "127.0.0.1" });
      logger.info({ address }, "gateway http listening");
      return address;
    },
    async stop() {
      await app.close();
      await health.stop();
      await apiKeys.close();
    },
  };
}
