// The REST routes as the procedures declare them in their meta (method, path, success and error statuses), and
// matching a request path against them.
import { appRouter, type Meta, type RestMapping } from "@wa/api";

export const REST_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type RestMethod = (typeof REST_METHODS)[number];

/** Just enough of a zod schema's definition to read an input's fields. */
export interface SchemaNode {
  _zod: {
    def: { type: string; innerType?: SchemaNode; element?: SchemaNode; shape?: Record<string, SchemaNode>; options?: SchemaNode[] };
  };
}

export interface RestRoute {
  method: RestMethod;
  /** e.g. `/sessions/{session}:start` */
  template: string;
  /** the procedure's dotted path, e.g. `sessions.start` */
  procedurePath: string;
  params: string[];
  pattern: RegExp;
  successStatus: number;
  /** Statuses the route itself declares (`errorResponses` in its meta), with what each means there. */
  routeErrors: Record<string, string>;
  protect: boolean;
  input: SchemaNode | undefined;
  /** Query fields of a body route, header → field mappings, the answer-dependent success status. */
  mapping: RestMapping;
}

interface ProcedureDef {
  _def: { type: string; meta?: Meta; inputs?: unknown[] };
}

const isSchemaNode = (value: unknown): value is SchemaNode =>
  typeof value === "object" && value !== null && "_zod" in value && typeof (value as SchemaNode)._zod?.def?.type === "string";

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function compile(template: string): { pattern: RegExp; params: string[] } {
  const params: string[] = [];
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const param = /^\{([^}]+)\}$/.exec(part)?.[1];
      if (!param) return escapeRegExp(part);
      params.push(param);
      // ":" starts a custom method (`…/{session}:start`); an id holding one arrives percent-encoded
      return "([^/:]+)";
    })
    .join("");
  return { pattern: new RegExp(`^${source}$`), params };
}

const literalLength = (template: string) => template.replace(/\{[^}]+\}/g, "").length;

/** Every procedure with an `openapi` meta, most specific template first (so `…:start` wins over `{session}`). */
export function restRoutes(): RestRoute[] {
  // At runtime `_def.procedures` is flat, keyed by dotted path (its declared type is the nested record).
  const procedures = appRouter._def.procedures as unknown as Record<string, ProcedureDef>;
  const routes: RestRoute[] = [];
  for (const [procedurePath, procedure] of Object.entries(procedures)) {
    const meta = procedure._def.meta;
    const openapi = meta?.openapi;
    if (!openapi || openapi.enabled === false || procedure._def.type === "subscription") continue;
    const { pattern, params } = compile(openapi.path);
    const declared = openapi.errorResponses ?? {};
    const routeErrors: Record<string, string> = Array.isArray(declared)
      ? Object.fromEntries(declared.map((status) => [String(status), ""]))
      : Object.fromEntries(Object.entries(declared).map(([status, text]) => [status, text]));
    const input = procedure._def.inputs?.[0];
    routes.push({
      method: openapi.method,
      template: openapi.path,
      procedurePath,
      params,
      pattern,
      successStatus: meta.successStatus ?? 200,
      routeErrors,
      protect: openapi.protect ?? true,
      input: isSchemaNode(input) ? input : undefined,
      mapping: meta.rest ?? {},
    });
  }
  return routes.sort((a, b) => literalLength(b.template) - literalLength(a.template));
}

/** What every operation may answer besides its own errors: facts of the transport and of authentication. */
export const COMMON_ERRORS: Record<string, string> = {
  "400": "validation_error: unknown fields, wrong types, out-of-range values, invalid cursor, text PostgreSQL cannot store",
  "401": "unauthorized: no or invalid credentials",
  "403": "forbidden: the caller lacks the capability or role",
  "413": "payload_too_large: body over 1 MiB",
  "500": "internal: masked",
  "503": "gateway_unavailable: signing keys or the session's gateway unreachable",
};

/** The error statuses an operation documents (and may answer): its own, plus those its transport and auth imply. */
export function errorStatusesOf(route: RestRoute): Record<string, string> {
  const statuses: Record<string, string> = {};
  const common = ["400", "500"];
  if (route.protect) common.push("401", "403", "503");
  if (route.method !== "GET" && route.method !== "DELETE") common.push("413");
  for (const status of common) statuses[status] = COMMON_ERRORS[status] ?? "error";
  for (const [status, text] of Object.entries(route.routeErrors)) statuses[status] = text;
  return statuses;
}

export interface RouteMatch {
  route: RestRoute;
  /** path parameters, percent-decoded */
  params: Record<string, string>;
}

/** The route for this method and path; `null` when none. Throws URIError on a malformed percent-encoding. */
export function matchRoute(routes: readonly RestRoute[], method: string, path: string): RouteMatch | null {
  for (const route of routes) {
    if (route.method !== method) continue;
    const found = route.pattern.exec(path);
    if (!found) continue;
    const params: Record<string, string> = {};
    route.params.forEach((name, i) => {
      params[name] = decodeURIComponent(found[i + 1] ?? "");
    });
    return { route, params };
  }
  return null;
}

/** The methods some route answers at this path (HEAD wherever GET is), for a 405's `Allow`. */
export function allowedMethods(routes: readonly RestRoute[], path: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) if (route.pattern.test(path)) methods.add(route.method);
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods];
}
