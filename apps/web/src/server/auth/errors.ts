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
