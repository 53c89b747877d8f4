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

/** The query string as input fields; a repeated field is a list only where the schema declares one. */
export function queryInput(route: RestRoute, search: string): Record<string, unknown> {
  const shape = route.input ? unwrap(route.input)._zod.def.shape : undefined;
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
}): unknown {
  const { route, params } = opts;
  const bodyMethod = route.method !== "GET" && route.method !== "DELETE";
  if (bodyMethod && opts.search !== "") {
    throw invalid("query", "this route takes no query parameters");
  }
  const fields = bodyMethod ? opts.body : queryInput(route, opts.search);
  if (bodyMethod && opts.body === undefined) return { ...params };
  if (!isPlainObject(fields)) return fields;
  for (const name of route.params) {
    if (Object.hasOwn(fields, name)) throw invalid(name, `given in the path; not allowed in the ${bodyMethod ? "body" : "query"}`);
  }
  return { ...fields, ...params };
}
