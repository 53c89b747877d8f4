// Reads the contract's error code (and message) from a tRPC client error, so views can branch on it.
import { isErrorCode, type ErrorCode } from "@wa/api/contract";

export type ContractCode = ErrorCode;

interface ErrorLike {
  message?: unknown;
  data?: { code?: unknown; httpStatus?: unknown; details?: unknown } | null;
}

export function errorCode(error: unknown): ContractCode | "network" | null {
  if (!error || typeof error !== "object") return null;
  const data = (error as ErrorLike).data;
  if (data && typeof data.code === "string") {
    const code = data.code;
    // tRPC's own codes, for errors raised before the gateway's formatter ran.
    if (code === "UNAUTHORIZED") return "unauthorized";
    if (code === "FORBIDDEN") return "forbidden";
    if (code === "NOT_FOUND") return "not_found";
    if (code === "CONFLICT") return "conflict";
    if (code === "BAD_REQUEST") return "validation_error";
    return isErrorCode(code) ? code : "internal";
  }
  return "network";
}

export function errorMessage(error: unknown): string {
  if (!error || typeof error !== "object") return "Something went wrong.";
  const code = errorCode(error);
  if (code === "network") return "The gateway could not be reached. Check that it is running, then retry.";
  const message = (error as ErrorLike).message;
  return typeof message === "string" && message ? message : "Something went wrong.";
}

/** Field messages of a validation_error, keyed by field path. */
export function fieldErrors(error: unknown): Record<string, string> {
  const details = (error as ErrorLike | null)?.data?.details as { errors?: { path?: unknown; message?: unknown }[] } | undefined;
  const out: Record<string, string> = {};
  for (const e of details?.errors ?? []) {
    const path = Array.isArray(e.path) ? e.path.join(".") : String(e.path ?? "");
    if (typeof e.message === "string") out[path] = e.message;
  }
  return out;
}
