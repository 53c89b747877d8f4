// The OpenAPI 3.1 document, generated from the router's zod schemas (trpc-to-openapi), with each operation's
// statuses taken from the same route facts the REST handler answers by (rest-routes.ts).
import { appRouter, errorBodySchema } from "@wa/api";
import { limits } from "@wa/db/contract";

import { generateOpenApiDocument, type OpenAPIObject } from "trpc-to-openapi";
import { errorStatusesOf, type RestRoute } from "./rest-routes.ts";

const BEARER_DESCRIPTION =
  "A login JWT, or an api-key (`wa_…`). A script gets a login JWT from the web app: `POST /api/auth/sign-in` " +
  "`{email, password}` (keep the session cookie it sets), then `GET /api/auth/token` with that cookie → " +
  "`{ token, expiresAt }`, valid 5 minutes. Admin routes (`/admin/…`) and `/api-keys` accept only a login JWT: " +
  "api-keys are refused there with 403.";

const DOCUMENT_DESCRIPTION =
  "Sessions, pairing and backfill. Every non-2xx answer has the body `{ error: { code, message, details? } }`. " +
  "Request bodies are JSON and are taken exactly as typed (a string is never read as a number or a boolean). " +
  "Query parameters are text on the wire: those declared as integers take decimal digits, booleans `true` or " +
  "`false`; anything else is a 400.";

interface Parameter {
  name?: string;
  in?: string;
  description?: string;
  schema?: Record<string, unknown>;
}
interface Operation {
  responses?: Record<string, unknown>;
  security?: unknown[];
  parameters?: Parameter[];
}

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

/** `limit` is clamped, not refused: say the default and the maximum the server applies. */
function documentLimit(parameter: Parameter): void {
  if (parameter.in !== "query" || parameter.name !== "limit" || !parameter.schema) return;
  parameter.schema.default = limits.page.default;
  parameter.schema.maximum = limits.page.max;
  parameter.description = `page size, 1–${limits.page.max}, default ${limits.page.default}; a larger value is clamped to ${limits.page.max}, not refused`;
  delete parameter.schema.description;
}

export function buildOpenApiDocument(opts: { baseUrl: string; routes: readonly RestRoute[] }): OpenAPIObject {
  const doc = generateOpenApiDocument(appRouter, {
    title: "WhatsApp gateway",
    description: DOCUMENT_DESCRIPTION,
    version: "1.0.0",
    // a private repository: no open-source license is granted
    license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
    openApiVersion: "3.1.0",
    baseUrl: opts.baseUrl,
    securitySchemes: {
      bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: BEARER_DESCRIPTION },
      apiKey: { type: "apiKey", in: "header", name: "x-api-key", description: "api-key (`wa_…`); not accepted on admin routes or /api-keys" },
    },
    defs: { Error: errorBodySchema },
  });
  for (const route of opts.routes) {
    const op = (doc.paths?.[route.template] as Record<string, Operation> | undefined)?.[route.method.toLowerCase()];
    if (!op) continue;
    const success = op.responses?.["200"];
    const responses: Record<string, unknown> = {
      [String(route.successStatus)]: route.successStatus === 204 ? { description: "No content" } : success,
    };
    for (const status of route.mapping.alsoSucceedsWith ?? []) responses[String(status)] = success;
    const errors = errorStatusesOf(route);
    for (const status of Object.keys(errors).sort()) responses[status] = errorResponse(errors[status] ?? "error");
    op.responses = responses;
    // Public operations say so (an absent `security` would mean "whatever the document's default is").
    if (!route.protect) op.security = [];
    for (const parameter of op.parameters ?? []) documentLimit(parameter);
  }
  // trpc-to-openapi's own error schemas are no longer referenced.
  const schemas = doc.components?.schemas;
  if (schemas) for (const name of Object.keys(schemas)) if (name.startsWith("error.")) delete schemas[name];
  return doc;
}
