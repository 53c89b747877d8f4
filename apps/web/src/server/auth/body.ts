// Reads a JSON request body with a size cap enforced before and while reading: a declared Content-Length over the
// cap is refused unread, and a body without one is read only until it passes the cap.
import type { z } from "zod";
import { AuthError, validationError } from "./errors.ts";
import { payloadTooLarge } from "./refusals.ts";

export const MAX_AUTH_BODY_BYTES = 16 * 1024;

async function readCapped(request: Request, maxBytes: number): Promise<string> {
  const declared = request.headers.get("content-length")?.trim();
  if (declared !== undefined) {
    if (!/^\d+$/.test(declared)) throw new AuthError("validation_error", "invalid content-length");
    if (Number(declared) > maxBytes) throw payloadTooLarge(maxBytes);
  }
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw payloadTooLarge(maxBytes);
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new AuthError("validation_error", "request body is not valid UTF-8");
  }
}

/** A JSON body validated by the schema; not JSON, unknown fields or bad values → validation_error, too big → 413. */
export async function readJsonBody<T>(request: Request, schema: z.ZodType<T>, maxBytes = MAX_AUTH_BODY_BYTES): Promise<T> {
  // JSON only: a cross-site HTML form cannot send application/json, so it cannot sign someone in (login CSRF).
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new AuthError("validation_error", "send a JSON body with content-type: application/json");
  }
  const text = await readCapped(request, maxBytes);
  let parsed: unknown;
  try {
    parsed = text.length === 0 ? {} : JSON.parse(text);
  } catch {
    throw new AuthError("validation_error", "request body is not valid JSON");
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw validationError(result.error.issues);
  return result.data;
}
