// Property-based fuzzing of the REST API from the OpenAPI document it serves: for every operation, requests
// built from its declared parameters and body — valid, invalid and hostile — sent with no credentials, an org
// owner's login JWT, an api-key and a super admin's login JWT. No answer may be a 5xx, carry a status the
// document does not list for that operation, a 2xx body its response schema refuses, or an error body outside the
// contract (shape, one of its codes, that code's status).
//
// Bounded by default (fixed seed, FUZZ_RUNS runs per operation plus a quarter as many well-formed ones); FUZZ_SEED=<n> FUZZ_RUNS=<n> explores more.
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isContractError, startTestGateway, type TestGateway } from "./test-gateway.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_201);
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
/** Runs per operation of a caller that gets everything right (2xx answers, whose bodies are checked). */
const WELL_FORMED_RUNS = Math.ceil(RUNS / 4);

interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
}
interface Parameter {
  name: string;
  in: "path" | "query";
  required?: boolean;
  schema: JsonSchema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: { "application/json": { schema: JsonSchema } } };
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  security?: unknown[];
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema> };
}

type Credential = "none" | "owner" | "apiKey" | "superAdmin";
type Body = { kind: "none" } | { kind: "json"; value: unknown } | { kind: "raw"; text: string; contentType: string };

interface FuzzRequest {
  credential: Credential;
  pathParams: Record<string, string>;
  query: [string, string][];
  body: Body;
}

/** Values a schema accepts (strings may still hold text the server refuses, such as NUL: that is a 400). */
function valid(doc: Doc, schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  if (schema.$ref) {
    const target = doc.components.schemas[decodeURIComponent(schema.$ref.replace("#/components/schemas/", ""))];
    return target && depth < 4 ? valid(doc, target, depth + 1) : fc.jsonValue();
  }
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => valid(doc, s, depth + 1)));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "string": {
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      const bounds = { minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 80, 300) };
      return fc.oneof(
        { weight: 3, arbitrary: fc.string({ ...bounds, unit: "grapheme-ascii" }) },
        { weight: 1, arbitrary: fc.string({ ...bounds, unit: "binary" }) },
      );
    }
    case "integer": {
      const min = BigInt(Math.max(schema.minimum ?? Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER));
      const max = BigInt(Math.min(schema.maximum ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
      return fc.oneof(fc.constantFrom(Number(min), Number(max)), fc.bigInt({ min, max }).map(Number));
    }
    case "number":
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: schema.minimum, max: schema.maximum });
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      return fc.array(schema.items ? valid(doc, schema.items, depth + 1) : fc.jsonValue(), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 4, 4)),
      });
    case "object": {
      const properties = schema.properties ?? {};
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, child] of Object.entries(properties)) record[key] = valid(doc, child, depth + 1);
      return fc.record(record, { requiredKeys: (schema.required ?? []).filter((k) => k in properties) });
    }
    default:
      return fc.jsonValue();
  }
}

/** Anything at all, biased towards near misses: wrong types, extra fields, strings that look like numbers. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom("true", "false", "0x10", "1e3", "16", "", " ", "null", "\u0000", "\ud800", "%00", "../", "a:start"),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 0, 8.64e15, 253402300800000),
);

function bodyArbitrary(doc: Doc, op: Operation): fc.Arbitrary<Body> {
  const schema = op.requestBody?.content["application/json"].schema;
  const none = fc.constant<Body>({ kind: "none" });
  const raw = fc
    .record({
      text: fc.constantFrom("{", "[]", "null", '"x"', "1", "{}{}", '{"a":1,}', "\u0000", `{"label":${"[".repeat(64)}}`),
      contentType: fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded"),
    })
    .map((r): Body => ({ kind: "raw", ...r }));
  const anything = hostileValue.map((value): Body => ({ kind: "json", value }));
  if (!schema) return fc.oneof({ weight: 4, arbitrary: none }, raw, anything);
  const good = valid(doc, schema);
  const withExtra = fc
    .tuple(good, fc.string({ minLength: 1, maxLength: 12 }), hostileValue)
    .map(([value, key, extra]): Body => ({ kind: "json", value: { ...(value as object), [key]: extra } }));
  const wrongField = fc
    .tuple(good, fc.constantFrom(...Object.keys(schema.properties ?? { x: {} })), hostileValue)
    .map(([value, key, wrong]): Body => ({ kind: "json", value: { ...(value as object), [key]: wrong } }));
  return fc.oneof(
    { weight: 5, arbitrary: good.map((value): Body => ({ kind: "json", value })) },
    { weight: 2, arbitrary: wrongField },
    { weight: 1, arbitrary: withExtra },
    { weight: 1, arbitrary: none },
    { weight: 1, arbitrary: raw },
    { weight: 1, arbitrary: anything },
  );
}

const asQueryText = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));

/** A declared query parameter with a value its schema accepts (arrays as repeated parameters). */
function validQuery(doc: Doc, p: Parameter): fc.Arbitrary<[string, string][]> {
  return valid(doc, p.schema).map((v): [string, string][] =>
    Array.isArray(v) ? v.map((item) => [p.name, asQueryText(item)]) : [[p.name, asQueryText(v)]],
  );
}

function queryArbitrary(doc: Doc, params: Parameter[]): fc.Arbitrary<[string, string][]> {
  const perParam = params.map((p) => {
    const good = validQuery(doc, p);
    const bad = hostileValue.map((v): [string, string][] => [[p.name, asQueryText(v)]]);
    return fc.option(fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: bad }), { nil: [] });
  });
  const unknown = fc.option(
    fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 10 })).map(([k, v]): [string, string][] => [[k, v]]),
    { nil: [], freq: 8 },
  );
  return fc.tuple(...perParam, unknown).map((parts) => parts.flat());
}

/** The served document's id inside the validator: response schemas are referenced as `${DOC_ID}#/paths/…`. */
const DOC_ID = "https://gateway.test/openapi.json";

/** JSON Pointer escaping of one reference token. */
const pointerToken = (token: string) => token.replaceAll("~", "~0").replaceAll("/", "~1");

/**
 * A validator per documented 2xx JSON response of an operation, compiled from the served document itself (the
 * document is registered whole, so the schemas' `#/components/...` references resolve inside it); `null` for a
 * 2xx without a body (204).
 */
function successValidators(ajv: Ajv2020, template: string, method: string, op: Operation): Map<string, ValidateFunction | null> {
  const validators = new Map<string, ValidateFunction | null>();
  for (const [status, response] of Object.entries(op.responses)) {
    if (!status.startsWith("2")) continue;
    if (!response.content?.["application/json"]?.schema) {
      validators.set(status, null);
      continue;
    }
    const pointer = ["paths", template, method, "responses", status, "content", "application/json", "schema"].map(pointerToken).join("/");
    validators.set(status, ajv.compile({ $ref: `${DOC_ID}#/${pointer}` }));
  }
  return validators;
}

describe("REST fuzzing from the served OpenAPI document", () => {
  let t: TestDatabase;
  let gw: TestGateway;
  let doc: Doc;
  let ajv: Ajv2020;
  const ids: Record<string, string[]> = { session: [], id: [] };

  beforeAll(async () => {
    t = await createTestDatabase();
    gw = await startTestGateway(t);
    doc = (await gw.call("GET", "/api/v1/openapi.json")).body as Doc;
    // OpenAPI 3.1 schemas are JSON Schema 2020-12; keywords OpenAPI adds (`example`, …) are not schema errors.
    ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
    addFormats(ajv);
    ajv.addSchema(doc, DOC_ID);
    for (const label of ["fuzz-a", "fuzz-b", "fuzz-c", "fuzz-d"]) {
      const created = await gw.call("POST", "/api/v1/sessions", { token: gw.tokens.acmeOwner, body: { label } });
      ids.session?.push((created.body as { id: string }).id);
    }
    const foreign = await gw.call("POST", "/api/v1/sessions", { token: gw.tokens.globexOwner, body: { label: "foreign" } });
    ids.session?.push((foreign.body as { id: string }).id);
    const key = await gw.call("POST", "/api/v1/api-keys", { token: gw.tokens.acmeOwner, body: { name: "fuzz pool", permissions: ["read"] } });
    ids.id?.push((key.body as { apiKey: { id: string } }).apiKey.id);
  });
  afterAll(async () => {
    await gw?.stop();
    await t?.close();
  });

  function headersFor(credential: Credential): Record<string, string> {
    if (credential === "owner") return { authorization: `Bearer ${gw.tokens.acmeOwner}` };
    if (credential === "superAdmin") return { authorization: `Bearer ${gw.tokens.superAdmin}` };
    if (credential === "apiKey") return { "x-api-key": gw.keys.full };
    return {};
  }

  async function send(method: string, template: string, request: FuzzRequest) {
    const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(request.pathParams[name] ?? ""));
    const search = new URLSearchParams(request.query).toString();
    const headers = headersFor(request.credential);
    let body: string | undefined;
    if (request.body.kind === "json") {
      headers["content-type"] = "application/json";
      body = JSON.stringify(request.body.value) ?? "null";
    } else if (request.body.kind === "raw") {
      headers["content-type"] = request.body.contentType;
      body = request.body.text;
    }
    // GET and DELETE carry no body in this API (a body there is its own 400, covered elsewhere).
    if (method === "get" || method === "delete") body = undefined;
    const abort = new AbortController();
    const res = await fetch(`${gw.base}/api/v1${path}${search ? `?${search}` : ""}`, { method: method.toUpperCase(), headers, body, signal: abort.signal });
    // An event stream that opened never ends by itself: its status is the answer (its body is no JSON).
    if (res.ok && res.headers.get("content-type")?.startsWith("text/event-stream")) {
      abort.abort();
      return { status: res.status, text: "" };
    }
    const text = await res.text();
    return { status: res.status, text };
  }

  it("[FUZZ]: every operation, four kinds of caller: no 5xx, only documented statuses, 2xx bodies per schema, only contract errors", async () => {
    const operations = Object.entries(doc.paths)
      .flatMap(([template, item]) => Object.entries(item).map(([method, op]) => ({ template, method, op })))
      // destructive operations last, so the others meet live ids
      .sort((a, b) => Number(/delete|logout/.test(`${a.method}${a.template}`)) - Number(/delete|logout/.test(`${b.method}${b.template}`)));
    expect(operations.length).toBeGreaterThanOrEqual(20);
    let sent = 0;
    const statuses = new Map<number, number>();
    /** Operations whose 2xx JSON body was checked against its schema at least once. */
    const bodiesChecked = new Set<string>();
    let withJsonBody = 0;
    for (const [index, { template, method, op }] of operations.entries()) {
      const pathParams = (op.parameters ?? []).filter((p) => p.in === "path");
      const queryParams = (op.parameters ?? []).filter((p) => p.in === "query");
      const paramRecord: Record<string, fc.Arbitrary<string>> = {};
      const wellFormedParams: Record<string, fc.Arbitrary<string>> = {};
      for (const p of pathParams) {
        const known = ids[p.name] ?? [];
        // "." and ".." are not ids a URL can carry: clients resolve them as path steps
        const text = (valid(doc, p.schema) as fc.Arbitrary<string>).filter((s) => s !== "." && s !== "..");
        const hostile = fc.string({ maxLength: 80, unit: "binary" }).filter((s) => s !== "." && s !== "..");
        paramRecord[p.name] = known.length > 0 ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known) }, text, hostile) : fc.oneof(text, hostile);
        wellFormedParams[p.name] = known.length > 0 ? fc.constantFrom(...known) : text;
      }
      const request = fc.record<FuzzRequest>({
        credential: fc.constantFrom<Credential>("none", "owner", "apiKey", "superAdmin"),
        pathParams: fc.record(paramRecord),
        query: queryArbitrary(doc, queryParams),
        body: bodyArbitrary(doc, op),
      });
      // A caller that gets everything right, so that 2xx answers (and their bodies) are common, not a rarity.
      const requestBody = op.requestBody?.content["application/json"].schema;
      const wellFormed = fc.record<FuzzRequest>({
        credential: fc.constantFrom<Credential>("owner", "apiKey", "superAdmin"),
        pathParams: fc.record(wellFormedParams),
        query: fc
          .tuple(...queryParams.map((p) => fc.option(validQuery(doc, p), { nil: [] })))
          .map((parts) => parts.flat()),
        body: requestBody
          ? valid(doc, requestBody).map((value): Body => ({ kind: "json", value }))
          : fc.constant<Body>({ kind: "none" }),
      });
      const documented = Object.keys(op.responses);
      const validators = successValidators(ajv, template, method, op);
      for (const [status, validate] of validators) {
        if (!validate) continue;
        // A schema that accepts anything would make the body check vacuous.
        expect(validate("not a response body"), `${method} ${template} ${status} schema refuses a bare string`).toBe(false);
        withJsonBody++;
      }
      const property = (arbitrary: fc.Arbitrary<FuzzRequest>) =>
        fc.asyncProperty(arbitrary, async (req) => {
          const reply = await send(method, template, req);
          sent++;
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          const what = `${method.toUpperCase()} ${template} ${JSON.stringify(req)} → ${reply.status} ${reply.text.slice(0, 300)}`;
          expect(reply.status, what).toBeLessThan(500);
          expect(documented, what).toContain(String(reply.status));
          let parsed: unknown;
          try {
            parsed = JSON.parse(reply.text);
          } catch {
            parsed = undefined;
          }
          if (reply.status >= 400) {
            expect(isContractError(parsed, reply.status), what).toBe(true);
            return;
          }
          const validate = validators.get(String(reply.status));
          if (validate === null) {
            expect(reply.text, what).toBe("");
            return;
          }
          if (!validate) throw new Error(`no response schema for ${what}`);
          expect(validate(parsed), `${what}\n${ajv.errorsText(validate.errors)}`).toBe(true);
          bodiesChecked.add(`${method} ${template}`);
        });
      const options = { seed: SEED + index, endOnFailure: process.env.FUZZ_SHRINK !== "1" };
      await fc.assert(property(request), { ...options, numRuns: RUNS });
      await fc.assert(property(wellFormed), { ...options, numRuns: WELL_FORMED_RUNS });
    }
    // The generators reach past authentication and validation, not only refusals.
    expect(sent).toBe(operations.length * (RUNS + WELL_FORMED_RUNS));
    // …and past them: most operations answered 2xx with a body that was checked against its schema.
    expect(bodiesChecked.size, [...bodiesChecked].join(", ")).toBeGreaterThanOrEqual(Math.ceil(withJsonBody / 2));
    for (const status of [200, 201, 400, 401, 403, 404]) expect(statuses.get(status) ?? 0, `status ${status} seen`).toBeGreaterThan(0);
  }, 300_000);
});
