// Fastify-level errors (body limit, malformed JSON, unknown routes, anything unexpected) in the contract's shape.
import { errorBody, errorCodes, type ErrorCode } from "@wa/api";
import type { FastifyError, FastifyInstance } from "fastify";

export const BODY_LIMIT = 1024 * 1024;

/** The contract code and message for an error Fastify raised before any procedure ran. */
function classify(error: FastifyError): { code: ErrorCode; message: string } | null {
  const status = error.statusCode ?? 500;
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE" || status === 413) {
    return { code: "payload_too_large", message: "request body exceeds the 1 MiB limit" };
  }
  if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || status === 415) {
    return { code: "validation_error", message: "unsupported content-type; send application/json" };
  }
  if (error.code === "FST_ERR_CTP_EMPTY_JSON_BODY" || error instanceof SyntaxError || error.code === "FST_ERR_CTP_INVALID_JSON_BODY") {
    return { code: "validation_error", message: "malformed JSON body" };
  }
  if (status === 404) return { code: "not_found", message: "route not found" };
  if (status >= 400 && status < 500) return { code: "validation_error", message: "bad request" };
  return null;
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = classify(error);
    if (known) {
      request.log.debug({ code: known.code, fastifyCode: error.code }, "request refused");
      return reply.code(errorCodes[known.code]).type("application/json").send(errorBody(known));
    }
    request.log.error({ err: { name: error.name, message: error.message }, url: request.routeOptions.url }, "request failed");
    return reply.code(500).type("application/json").send(errorBody({ code: "internal", message: "internal error" }));
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).type("application/json").send(errorBody({ code: "not_found", message: "route not found" })),
  );
}
