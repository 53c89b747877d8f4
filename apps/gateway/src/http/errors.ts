// Refusals made before any procedure runs — by Node's HTTP parser, Fastify's router and body parser, unknown
// routes and methods — in the contract's shape, like every other error.
import type { Socket } from "node:net";
import { STATUS_CODES } from "node:http";
import { errorBody, errorCodes, type ErrorCode } from "@wa/api";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export const BODY_LIMIT = 1024 * 1024;

type ContractBody = ReturnType<typeof errorBody>;

export function sendError(reply: FastifyReply, status: number, body: ContractBody) {
  return reply.code(status).type("application/json; charset=utf-8").send(body);
}

const refusal = (code: ErrorCode, message: string) => ({ status: errorCodes[code], body: errorBody({ code, message }) });

/** 405 with `Allow` when the path exists under other methods, else 404. */
export function replyRouteMissing(reply: FastifyReply, allowed: readonly string[]) {
  if (allowed.length === 0) return sendError(reply, 404, errorBody({ code: "not_found", message: "route not found" }));
  reply.header("allow", allowed.join(", "));
  return sendError(reply, 405, errorBody({ code: "method_not_allowed", message: `allowed methods: ${allowed.join(", ")}` }));
}

/** The contract code and message for an error Fastify raised before any procedure ran. */
function classify(error: FastifyError): { code: ErrorCode; message: string } | null {
  const status = error.statusCode ?? 500;
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE" || status === 413) {
    return { code: "payload_too_large", message: "request body exceeds the 1 MiB limit" };
  }
  if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || status === 415) {
    return { code: "validation_error", message: "unsupported content-type; send application/json" };
  }
  if (error.name === "JsonTooDeepError") return { code: "validation_error", message: error.message };
  if (error.code === "FST_ERR_CTP_EMPTY_JSON_BODY" || error instanceof SyntaxError || error.code === "FST_ERR_CTP_INVALID_JSON_BODY") {
    return { code: "validation_error", message: "malformed JSON body" };
  }
  if (error.code === "FST_ERR_MAX_PARAM_LENGTH" || status === 414) return { code: "uri_too_long", message: "URL too long" };
  if (error.code === "FST_ERR_BAD_URL") return { code: "validation_error", message: "malformed URL" };
  if (status === 404) return { code: "not_found", message: "route not found" };
  if (status >= 400 && status < 500) return { code: "validation_error", message: "bad request" };
  return null;
}

/** The path of a request URL, without its query string. */
const pathOf = (url: string) => url.split("?", 1)[0] ?? url;

export function installErrorHandlers(app: FastifyInstance, opts: { allowedFor: (path: string) => string[] }): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = classify(error);
    if (known) {
      request.log.debug({ code: known.code, fastifyCode: error.code }, "request refused");
      return sendError(reply, errorCodes[known.code], errorBody(known));
    }
    request.log.error({ err: { name: error.name, message: error.message }, url: request.routeOptions.url }, "request failed");
    return sendError(reply, 500, errorBody({ code: "internal", message: "internal error" }));
  });
  app.setNotFoundHandler((request, reply) => replyRouteMissing(reply, opts.allowedFor(pathOf(request.url))));
}

/**
 * Fastify's router refusals (a path segment over `maxParamLength`, a malformed URL): the contract's body, and
 * never the URL echoed back.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const known = classify(error) ?? { code: "validation_error" as const, message: "bad request" };
  void sendError(reply, errorCodes[known.code], errorBody(known));
}

/** What Node's HTTP parser refuses (bad header bytes, headers too large, timeouts) as the contract's body. */
export function clientErrorResponse(error: { code?: string }): { status: number; body: ContractBody } {
  if (error.code === "HPE_HEADER_OVERFLOW") return refusal("headers_too_large", "request headers too large");
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") return refusal("validation_error", "request not received in time");
  return refusal("validation_error", "malformed HTTP request");
}

/** Fastify's `clientErrorHandler`: answers on the raw socket, since no request object exists yet. */
export function handleClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy(error);
    return;
  }
  const { status, body } = clientErrorResponse(error);
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\n` +
      "Content-Type: application/json; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(text)}\r\n` +
      "Connection: close\r\n\r\n" +
      text,
  );
}
