// Errors of /api/auth/* in the contract's shape: { error: { code, message, details? } }.
import { errorCodes, type ErrorCode } from "@wa/api/contract";
import type { z } from "zod";

export type AuthErrorCode = ErrorCode;

export class AuthError extends Error {
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "AuthError";
  }
}

export const noStore = { "cache-control": "no-store" } as const;

export function errorResponse(error: AuthError): Response {
  const body = { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
  return Response.json(body, { status: errorCodes[error.code], headers: { ...noStore, ...error.headers } });
}

export function validationError(issues: z.core.$ZodIssue[]): AuthError {
  const errors = issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
  const summary = errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join("; ");
  return new AuthError("validation_error", summary || "invalid input", { errors });
}

const MAX_BODY_BYTES = 16 * 1024;

/** Reads a JSON body and validates it; anything else (not JSON, too big, unknown fields) is a validation_error. */
export async function readJsonBody<T>(request: Request, schema: z.ZodType<T>): Promise<T> {
  // JSON only: a cross-site HTML form cannot send application/json, so it cannot sign someone in (login CSRF).
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new AuthError("validation_error", "send a JSON body with content-type: application/json");
  }
  const text = await request.text();
  if (text.length > MAX_BODY_BYTES) throw new AuthError("validation_error", "request body is too large");
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
