// REST at /api/v1 from the same procedures: each route as its procedure's meta declares it, called through the
// tRPC caller (so middlewares, schemas and errors are the tRPC transport's), answered in one pass with the
// contract's statuses and error body.
import {
  createCaller,
  errorBody,
  logProcedureError,
  toContractError,
  type Context,
  type Logger,
  type RequestCredentials,
} from "@wa/api";
import type { FastifyInstance, FastifyReply } from "fastify";
import { replyRouteMissing, sendError } from "./errors.ts";
import { restInput } from "./rest-input.ts";
import { errorStatusesOf, matchRoute, REST_METHODS, type RestRoute } from "./rest-routes.ts";
import { clientIpOf } from "./client-ip.ts";

export const REST_BASE = "/api/v1";

/** The path and the query string of a request URL, without interpreting either. */
export function splitUrl(url: string): { path: string; search: string } {
  const mark = url.indexOf("?");
  return mark < 0 ? { path: url, search: "" } : { path: url.slice(0, mark), search: url.slice(mark + 1) };
}

type ProcedureCall = (input: unknown) => Promise<unknown>;

/** The caller's function for a dotted procedure path (the caller is a proxy: every step is a function). */
function procedureOf(caller: unknown, dottedPath: string): ProcedureCall {
  let node: unknown = caller;
  for (const segment of dottedPath.split(".")) {
    if ((typeof node !== "object" && typeof node !== "function") || node === null) break;
    node = (node as Record<string, unknown>)[segment];
  }
  if (typeof node !== "function") throw new Error(`no procedure at ${dottedPath}`);
  return node as ProcedureCall;
}

export async function registerRest(
  app: FastifyInstance,
  opts: {
    createContext: (request: RequestCredentials) => Promise<Context>;
    logger: Logger;
    routes: readonly RestRoute[];
    /** Methods answered at a path (for 405 `Allow`). */
    allowedFor: (path: string) => string[];
  },
): Promise<void> {
  const { routes, logger } = opts;

  async function answer(route: RestRoute, params: Record<string, string>, search: string, body: unknown, reply: FastifyReply, headers: RequestCredentials["headers"], ip: string) {
    try {
      const input = restInput({ route, params, search, body, headers: headers instanceof Headers ? undefined : headers });
      const ctx = await opts.createContext({ headers, ip });
      const data = await procedureOf(createCaller(ctx), route.procedurePath)(input);
      if (route.successStatus === 204) return await reply.code(204).send();
      return await reply.code(route.mapping.statusOf?.(data) ?? route.successStatus).send(data);
    } catch (error) {
      logProcedureError(logger, { error, path: route.procedurePath, type: route.method === "GET" ? "query" : "mutation", transport: "rest" });
      const contract = toContractError(error);
      // A status the document does not list is our drift, not the caller's fault: say so loudly.
      if (!(String(contract.status) in errorStatusesOf(route))) {
        logger.error({ route: `${route.method} ${route.template}`, status: contract.status, code: contract.code }, "undocumented error status");
      }
      // A 429 says when to come back: `details.retryAfterMs`, and `Retry-After` in whole seconds (rounded up).
      const retryAfterMs = contract.details?.retryAfterMs;
      if (contract.code === "rate_limited" && typeof retryAfterMs === "number") {
        reply.header("retry-after", String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
      }
      return sendError(reply, contract.status, errorBody(contract));
    }
  }

  await app.register(async (scope) => {
    scope.addHook("onRequest", async (request, reply) => {
      const bodyless = request.method === "GET" || request.method === "HEAD" || request.method === "DELETE";
      const sendsBody = Number(request.headers["content-length"] ?? 0) > 0 || request.headers["transfer-encoding"] !== undefined;
      // The contract says unknown body fields are a validation_error; a body where none is read is one.
      if (bodyless && sendsBody) {
        return sendError(
          reply,
          400,
          errorBody({ code: "validation_error", message: `${request.method} takes no body`, details: { errors: [{ path: "body", message: "must be empty" }] } }),
        );
      }
      // Command-style routes (`POST …:start`) are called without a body; treat a missing content-type as JSON.
      if (!bodyless && !request.headers["content-type"]) request.headers["content-type"] = "application/json";
    });
    scope.route({
      method: [...REST_METHODS],
      url: `${REST_BASE}/*`,
      handler: async (request, reply) => {
        const { path, search } = splitUrl(request.url);
        const method = request.method === "HEAD" ? "GET" : request.method;
        let match;
        try {
          match = matchRoute(routes, method, path.slice(REST_BASE.length));
        } catch {
          return sendError(reply, 400, errorBody({ code: "validation_error", message: "malformed percent-encoding in the path" }));
        }
        if (!match) return replyRouteMissing(reply, opts.allowedFor(path));
        return answer(match.route, match.params, search, request.body, reply, request.headers, clientIpOf(request));
      },
    });
  });
}
