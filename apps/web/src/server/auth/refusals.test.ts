// Every refusal of /api/auth/* in the contract's error body: oversized bodies (refused before or while reading),
// other methods (405 with Allow), unknown paths (404).
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { MAX_AUTH_BODY_BYTES, readJsonBody } from "./body.ts";
import { AuthError, errorResponse } from "./errors.ts";
import { Refusal } from "./refusals.ts";

const URL_BASE = "http://127.0.0.1:3999";

async function expectContractError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error).toEqual(expect.objectContaining({ code, message: expect.any(String) }));
  expect(Object.keys(body.error).every((k) => ["code", "message", "details"].includes(k))).toBe(true);
}

/** A body of `total` bytes produced on demand, counting what the reader actually pulled. */
function meteredBody(total: number, chunk = 64 * 1024) {
  const meter = { pulled: 0 };
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const size = Math.min(chunk, total - sent);
      sent += size;
      meter.pulled += size;
      controller.enqueue(new Uint8Array(size).fill(0x20));
    },
  });
  return { stream, meter };
}

const schema = z.strictObject({ email: z.string() });
const outcome = (request: Request) =>
  readJsonBody(request, schema).then(
    () => new Response(null, { status: 204 }),
    (error: unknown) => {
      if (error instanceof Refusal) return error.toResponse();
      if (error instanceof AuthError) return errorResponse(error);
      throw error;
    },
  );
const jsonPost = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request(`${URL_BASE}/api/auth/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
    duplex: "half",
  } as RequestInit);

describe("auth request bodies", () => {
  it("[SIZE]: a declared Content-Length over the limit is refused with 413 before any byte is read", async () => {
    const { stream, meter } = meteredBody(100 * 1024 * 1024);
    const res = await outcome(jsonPost(stream, { "content-length": String(100 * 1024 * 1024) }));
    await expectContractError(res, 413, "payload_too_large");
    // A ReadableStream may pull once ahead when created; nothing beyond that was read.
    expect(meter.pulled).toBeLessThanOrEqual(64 * 1024);
  });

  it("[SIZE]: a 100 MiB body without Content-Length is read only until it passes the limit", async () => {
    const { stream, meter } = meteredBody(100 * 1024 * 1024);
    const res = await outcome(jsonPost(stream));
    await expectContractError(res, 413, "payload_too_large");
    expect(meter.pulled).toBeLessThanOrEqual(MAX_AUTH_BODY_BYTES + 2 * 64 * 1024);
  });

  it("[SIZE]: a body within the limit is read; malformed JSON and a bad Content-Length are 400 validation_error", async () => {
    expect((await outcome(jsonPost(JSON.stringify({ email: "a@b.c" })))).status).toBe(204);
    await expectContractError(await outcome(jsonPost("{not json")), 400, "validation_error");
    await expectContractError(await outcome(jsonPost(new Uint8Array([0x22, 0xff, 0x22]))), 400, "validation_error");
    await expectContractError(await outcome(jsonPost("{}", { "content-length": "-1" })), 400, "validation_error");
    await expectContractError(await outcome(jsonPost(`{"email":"${"a".repeat(MAX_AUTH_BODY_BYTES)}"}`)), 413, "payload_too_large");
  });
});

describe("/api/auth routes", () => {
  const served: Record<string, string[]> = {
    "sign-in": ["POST"],
    "sign-up": ["POST"],
    "sign-out": ["POST"],
    token: ["GET"],
    jwks: ["GET"],
  };

  it("[405]: every method a route does not serve is 405 with Allow, in the contract's body; OPTIONS lists the methods", async () => {
    for (const [route, methods] of Object.entries(served)) {
      const mod = (await import(`@/app/api/auth/${route}/route.ts`)) as Record<string, unknown>;
      const allow = [...methods, ...(methods.includes("GET") ? ["HEAD"] : []), "OPTIONS"].join(", ");
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"].filter((m) => !methods.includes(m))) {
        const handler = mod[method];
        expect(typeof handler, `${route} ${method}`).toBe("function");
        const res = (handler as (r: Request) => Response)(new Request(`${URL_BASE}/api/auth/${route}`, { method }));
        expect(res.headers.get("allow"), `${route} ${method}`).toBe(allow);
        await expectContractError(res, 405, "method_not_allowed");
      }
      const options = (mod.OPTIONS as (r: Request) => Response)(new Request(`${URL_BASE}/api/auth/${route}`, { method: "OPTIONS" }));
      expect(options.status).toBe(204);
      expect(options.headers.get("allow")).toBe(allow);
    }
  });

  it("[404]: an unknown path under /api/auth is 404 in the contract's body for every method", async () => {
    const mod = (await import("@/app/api/auth/[...path]/route.ts")) as Record<string, unknown>;
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
      const handler = mod[method];
      if (typeof handler !== "function") throw new Error(`no ${method} handler`);
      const res = (handler as (r: Request) => Response)(new Request(`${URL_BASE}/api/auth/nope`, { method }));
      await expectContractError(res, 404, "not_found");
    }
  });
});
