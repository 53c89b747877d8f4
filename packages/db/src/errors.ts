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
