// Refusals of /api/auth/* that have no AuthError code of their own (413, 405) and those made outside a handler
// (unknown paths, other methods), in the contract's error body.
import { noStore } from "./errors.ts";

/** A refusal with its status, contract code and extra headers, thrown by body reading and answered by handle(). */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "Refusal";
  }

  toResponse(): Response {
    return Response.json(
      { error: { code: this.code, message: this.message } },
      { status: this.status, headers: { ...noStore, ...this.headers } },
    );
  }
}

export const payloadTooLarge = (maxBytes: number) =>
  new Refusal(413, "payload_too_large", `request body exceeds the ${maxBytes / 1024} KiB limit`);

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;
type Method = (typeof METHODS)[number];
type Handler = (request: Request) => Response;

/**
 * Handlers for every method a route does not serve: 405 with `Allow` in the contract's body, and OPTIONS
 * answering which methods are served. Spread into a route's exports next to its real handlers.
 */
export function otherMethods<const A extends Method>(...allowed: A[]): Record<Exclude<Method, A | "HEAD">, Handler> & { OPTIONS: Handler } {
  const allow = [...allowed, ...(allowed.includes("GET" as A) ? ["HEAD"] : []), "OPTIONS"].join(", ");
  const refuse: Handler = (request) =>
    new Refusal(405, "method_not_allowed", `${request.method} is not allowed here; allowed: ${allow}`, { allow }).toResponse();
  const handlers: Partial<Record<Method | "OPTIONS", Handler>> = {
    OPTIONS: () => new Response(null, { status: 204, headers: { allow } }),
  };
  for (const method of METHODS) {
    if (method !== "HEAD" && !allowed.includes(method as A)) handlers[method] = refuse;
  }
  return handlers as Record<Exclude<Method, A | "HEAD">, Handler> & { OPTIONS: Handler };
}

/** Any method on a path under /api/auth that does not exist. */
export const unknownAuthRoute: Handler = () => new Refusal(404, "not_found", "route not found").toResponse();
