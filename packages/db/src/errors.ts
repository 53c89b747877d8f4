// Database errors made safe to log: drizzle's query errors carry the SQL and every bound value (key hashes,
// password hashes, auth state), so only the driver's own error name, code and message are kept.
import { DrizzleQueryError } from "drizzle-orm/errors";

export interface SafeError {
  type: string;
  message: string;
  code?: string;
  stack?: string;
}

export function safeError(error: unknown): SafeError {
  // The driver's error (postgres.js) says what went wrong without the parameters; its `detail` may quote
  // values (e.g. "Key (key_hash)=(…) already exists"), so it is left out too.
  const root = error instanceof DrizzleQueryError ? error.cause : error;
  if (isSafeError(root)) return root; // already reduced (a logger's serializer may see it twice)
  if (!(root instanceof Error)) return { type: typeof root, message: String(root) };
  const code = (root as { code?: unknown }).code;
  return {
    type: root.name,
    message: root.message,
    ...(typeof code === "string" ? { code } : {}),
    ...(root.stack ? { stack: root.stack } : {}),
  };
}

function isSafeError(value: unknown): value is SafeError {
  if (typeof value !== "object" || value === null || value instanceof Error) return false;
  const { type, message } = value as Record<string, unknown>;
  return typeof type === "string" && typeof message === "string";
}

/** postgres.js' own codes for a connection that failed, closed or timed out, and the socket's errno codes. */
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "EPIPE",
]);

/**
 * True when the error says the database could not be reached (refused, reset, timed out, shutting down or
 * starting up) rather than that the query was wrong: such a write may be retried and such a call is a 503.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") {
      if (CONNECTION_CODES.has(code)) return true;
      // SQLSTATE class 08 (connection exception), 57P01–57P03 (admin shutdown, crash shutdown, cannot connect now)
      if (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[1-3]$/.test(code)) return true;
    }
    if (e instanceof AggregateError && e.errors.some((inner) => isDatabaseUnreachable(inner))) return true;
  }
  return false;
}
