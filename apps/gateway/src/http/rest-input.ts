// A REST request's procedure input: path ids, then the query string (GET, DELETE) or the JSON body as sent.
// Only query strings are parsed into numbers and booleans (they have no types of their own), by the declared
// type of each field and strictly (decimal digits, `true`/`false`); a body is passed on exactly as written, so
// `"false"` stays a string and is refused like on tRPC. The shared schemas are never touched.
import { DomainError } from "@wa/api";
import type { RestRoute, SchemaNode } from "./rest-routes.ts";

type Scalar = "number" | "boolean" | "other";

const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "readonly", "nonoptional"]);

function unwrap(node: SchemaNode): SchemaNode {
  let current = node;
  while (WRAPPERS.has(current._zod.def.type) && current._zod.def.innerType) current = current._zod.def.innerType;
  return current;
}

function fieldKind(node: SchemaNode): { array: boolean; scalar: Scalar } {
  const inner = unwrap(node);
  const array = inner._zod.def.type === "array" && inner._zod.def.element !== undefined;
  const item = array && inner._zod.def.element ? unwrap(inner._zod.def.element) : inner;
  const type = item._zod.def.type;
  return { array, scalar: type === "number" || type === "int" ? "number" : type === "boolean" ? "boolean" : "other" };
}

const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;

function parseScalar(raw: string, scalar: Scalar): unknown {
  if (scalar === "number" && DECIMAL.test(raw)) return Number(raw);
  if (scalar === "boolean" && (raw === "true" || raw === "false")) return raw === "true";
  return raw; // left as text: the schema refuses it with a field message
}

const invalid = (path: string, message: string) =>
  new DomainError("validation_error", "invalid input", { errors: [{ path, message }] });

/** The input's fields by name; a union's (e.g. a send's kinds) merged, the first option declaring a name wins. */
function inputShape(node: SchemaNode | undefined): Record<string, SchemaNode> | undefined {
  if (!node) return undefined;
  const inner = unwrap(node);
  if (inner._zod.def.shape) return inner._zod.def.shape;
  const options = inner._zod.def.options;
  if (!options) return undefined;
  const merged: Record<string, SchemaNode> = {};
  for (const option of options) {
    for (const [name, field] of Object.entries(inputShape(option) ?? {})) if (!Object.hasOwn(merged, name)) merged[name] = field;
  }
  return merged;
}

/** The query string as input fields; a repeated field is a list only where the schema declares one. */
export function queryInput(route: RestRoute, search: string): Record<string, unknown> {
  const shape = inputShape(route.input);
  const values = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(search)) values.set(key, [...(values.get(key) ?? []), value]);
  // no prototype: a field named `__proto__` stays a field (and is refused as unknown), not a prototype
  const input = Object.create(null) as Record<string, unknown>;
  for (const [key, raw] of values) {
    const field = shape && Object.hasOwn(shape, key) ? shape[key] : undefined;
    // Unknown names are passed on as text: the strict schema names them in its refusal.
    const kind = field ? fieldKind(field) : { array: false, scalar: "other" as const };
    const parsed = raw.map((v) => parseScalar(v, kind.scalar));
    input[key] = kind.array ? parsed : parsed.length === 1 ? parsed[0] : parsed;
  }
  return input;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The procedure's input. Path ids win over nothing: the same name in the query or the body is refused, not
 * silently overridden. A body that is not an object (`[]`, `null`, `"x"`) goes to the schema as it is, which
 * refuses it exactly as the tRPC transport would.
 */
export function restInput(opts: {
  route: RestRoute;
  params: Record<string, string>;
  search: string;
  /** the parsed JSON body; undefined when none was sent */
  body: unknown;
  /** request headers (lower-case names), for the fields the route takes from headers */
  headers?: Record<string, string | string[] | undefined>;
}): unknown {
  const { route, params } = opts;
  const bodyMethod = route.method !== "GET" && route.method !== "DELETE";
  // Fields a body route takes from its query string (`?async=true`) or from headers (`Idempotency-Key`).
  const extra = Object.create(null) as Record<string, unknown>;
  if (bodyMethod && opts.search !== "") {
    const allowed = new Set(route.mapping.query ?? []);
    const query = queryInput(route, opts.search);
    for (const name of Object.keys(query)) {
      if (!allowed.has(name)) {
        throw invalid("query", allowed.size ? `unknown query parameter ${name}; this route takes ${[...allowed].join(", ")}` : "this route takes no query parameters");
      }
    }
    Object.assign(extra, query);
  }
  for (const [header, field] of Object.entries(route.mapping.headers ?? {})) {
    const value = opts.headers?.[header];
    if (value !== undefined) extra[field] = Array.isArray(value) ? value[0] : value;
  }
  const fields = bodyMethod ? opts.body : queryInput(route, opts.search);
  if (bodyMethod && opts.body === undefined) return { ...extra, ...params };
  if (!isPlainObject(fields)) return fields;
  for (const name of route.params) {
    if (Object.hasOwn(fields, name)) throw invalid(name, `given in the path; not allowed in the ${bodyMethod ? "body" : "query"}`);
  }
  if (bodyMethod) {
    for (const name of [...(route.mapping.query ?? []), ...Object.values(route.mapping.headers ?? {})]) {
      if (Object.hasOwn(fields, name)) throw invalid(name, "given as a query parameter or header; not allowed in the body");
    }
  }
  return { ...fields, ...extra, ...params };
}
