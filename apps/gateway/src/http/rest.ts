// REST at /api/v1 from the same procedures (trpc-to-openapi), with the contract's statuses and error body,
// and the OpenAPI 3.1 document made from the same zod schemas.
import {
  appRouter,
  errorBody,
  errorBodySchema,
  errorCodes,
  logProcedureError,
  successStatusOf,
  toContractError,
  type Context,
  type ErrorCode,
  type Logger,
  type RequestCredentials,
} from "@wa/api";
import type { FastifyInstance } from "fastify";
import { fastifyTRPCOpenApiPlugin, generateOpenApiDocument, type OpenAPIObject } from "trpc-to-openapi";
import { BODY_LIMIT } from "./errors.ts";

export const REST_BASE = "/api/v1";

const isErrorCode = (value: unknown): value is ErrorCode => typeof value === "string" && value in errorCodes;

interface AdapterErrorBody {
  message?: unknown;
  data?: { code?: unknown; details?: unknown; path?: unknown };
  error?: unknown;
}

/**
 * trpc-to-openapi answers errors as `{ ...errorShape, message, code: "NOT_FOUND", issues }`. Our errorShape
 * already carries the contract code in `data.code` and field messages in `data.details`; this turns that body
 * into `{ error: { code, message, details? } }` with the contract status.
 */
export function toContractBody(raw: string): { status: number; body: string } | null {
  let parsed: AdapterErrorBody;
  try {
    parsed = JSON.parse(raw) as AdapterErrorBody;
  } catch {
    return null;
  }
  if (parsed && typeof parsed.error === "object" && parsed.error !== null) return null; // already ours
  // Without our formatter's code (should not happen) the safe answer is a masked internal error.
  const code: ErrorCode = isErrorCode(parsed?.data?.code) ? parsed.data.code : "internal";
  const details =
    typeof parsed?.data?.details === "object" && parsed.data.details !== null
      ? (parsed.data.details as Record<string, unknown>)
      : undefined;
  let message = typeof parsed?.message === "string" ? parsed.message : "error";
  // zod's own message is its issues as JSON; a procedure's message ("invalid cursor") is kept as written
  if (code === "validation_error" && details && message.trimStart().startsWith("[")) message = "invalid input";
  if (code === "not_found" && parsed?.data?.path === undefined) message = "route not found";
  if (code === "internal") message = "internal error";
  return { status: errorCodes[code], body: JSON.stringify(errorBody({ code, message, ...(details ? { details } : {}) })) };
}

export async function registerRest(
  app: FastifyInstance,
  opts: { createContext: (request: RequestCredentials) => Promise<Context>; logger: Logger },
): Promise<void> {
  await app.register(async (scope) => {
    // Command-style routes (`POST …:start`) are called without a body; treat a missing content-type as JSON.
    scope.addHook("onRequest", async (request, reply) => {
      const bodyless = request.method === "GET" || request.method === "DELETE";
      // The adapter would ignore a body here; the contract says unknown body fields are a validation_error.
      if (bodyless && Number(request.headers["content-length"] ?? 0) > 0) {
        return reply
          .code(400)
          .send(errorBody({ code: "validation_error", message: `${request.method} takes no body`, details: { errors: [{ path: "body", message: "must be empty" }] } }));
      }
      if (!bodyless && !request.headers["content-type"]) request.headers["content-type"] = "application/json";
    });
    scope.addHook("onSend", async (_request, reply, payload) => {
      if (reply.statusCode < 400 || typeof payload !== "string") return payload;
      const rewritten = toContractBody(payload);
      if (!rewritten) return payload;
      reply.code(rewritten.status);
      reply.header("content-type", "application/json; charset=utf-8");
      return rewritten.body;
    });
    await scope.register(fastifyTRPCOpenApiPlugin, {
      basePath: REST_BASE,
      router: appRouter,
      maxBodySize: BODY_LIMIT,
      createContext: ({ req }: { req: { headers: RequestCredentials["headers"] } }) => opts.createContext({ headers: req.headers }),
      responseMeta: ({ paths, errors }: { paths?: readonly string[] | undefined; errors: readonly unknown[] }) => {
        const [error] = errors;
        if (error) return { status: toContractError(error).status };
        const status = paths?.[0] ? successStatusOf(paths[0]) : undefined;
        return status ? { status } : {};
      },
      onError: ({ error, path, type }: { error: unknown; path?: string | undefined; type: string }) =>
        logProcedureError(opts.logger, { error, path, type, transport: "rest" }),
    });
  });
}

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

const ERROR_DESCRIPTIONS: Record<string, string> = {
  "400": "validation_error: unknown fields, wrong types, out-of-range values, invalid cursor",
  "401": "unauthorized: no or invalid credentials",
  "403": "forbidden: the caller lacks the capability or role",
  "404": "not_found: unknown id, or another organization's",
  "409": "conflict: not allowed in the current state",
  "413": "payload_too_large: body over 1 MiB",
  "500": "internal: masked",
  "503": "gateway_unavailable: signing keys or the session's gateway unreachable",
};

type Operation = { operationId?: string; responses?: Record<string, unknown>; security?: unknown[] };

/**
 * The OpenAPI 3.1 document: generated from the router, then corrected where trpc-to-openapi cannot know our
 * choices: success statuses (201/202/204) and the contract's error body for every error response.
 */
export function buildOpenApiDocument(opts: { baseUrl: string }): OpenAPIObject {
  const doc = generateOpenApiDocument(appRouter, {
    title: "WhatsApp gateway",
    description: "Sessions, pairing and backfill. Every non-2xx answer has the body `{ error: { code, message, details? } }`.",
    version: "1.0.0",
    openApiVersion: "3.1.0",
    baseUrl: opts.baseUrl,
    securitySchemes: {
      bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "login JWT, or an api-key (wa_…)" },
      apiKey: { type: "apiKey", in: "header", name: "x-api-key", description: "api-key (wa_…)" },
    },
    defs: { Error: errorBodySchema },
  });
  for (const [route, pathItem] of Object.entries(doc.paths ?? {})) {
    for (const [method, value] of Object.entries(pathItem as Record<string, Operation>)) {
      if (!["get", "post", "patch", "put", "delete"].includes(method) || !value.responses) continue;
      const op = value;
      const success = successStatusOf((op.operationId ?? "").replace(/-/g, "."));
      const responses: Record<string, unknown> = {};
      if (success === 204) responses["204"] = { description: "No content" };
      else responses[String(success ?? 200)] = op.responses?.["200"];
      const codes = new Set(["400", "500"]);
      if (op.security) for (const c of ["401", "403", "503"]) codes.add(c);
      if (route.includes("{")) codes.add("404");
      if (method !== "get" && method !== "delete") codes.add("413");
      if (/:(backfill|start|stop|restart|logout)$|\/(qr|pairing-code|simulate-scan)$/.test(route)) codes.add("409");
      for (const code of [...codes].sort()) responses[code] = errorResponse(ERROR_DESCRIPTIONS[code] ?? "error");
      op.responses = responses;
    }
  }
  // trpc-to-openapi's own error schemas are no longer referenced.
  const schemas = doc.components?.schemas;
  if (schemas) for (const name of Object.keys(schemas)) if (name.startsWith("error.")) delete schemas[name];
  return doc;
}
