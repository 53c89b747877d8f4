// Short, human reasons for database failures: what a job's `error`, an API message or a log line may carry.
// Drizzle's error message holds the whole statement with every parameter (contacts' JIDs and names), so it is
// never passed on; only the SQLSTATE / driver code is read.

const SQLSTATE_REASONS: Record<string, string> = {
  "40P01": "deadlock",
  "40001": "serialization failure",
  "55P03": "lock not available",
  "57014": "statement timeout",
  "57P01": "database shutting down",
  "53300": "too many connections",
  "23503": "a referenced row is missing",
  "23505": "duplicate key",
  "23514": "check violation",
};

const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT"]);

/** The driver's error code found on `err` or its causes (SQLSTATE or a Node/postgres.js connection code). */
function errorCode(err: unknown): string | null {
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/** True for failures worth one more try: deadlocks, serialization failures, a dropped connection. */
export function isTransientDbFailure(err: unknown): boolean {
  const code = errorCode(err);
  return code !== null && (code === "40P01" || code === "40001" || code === "55P03" || CONNECTION_CODES.has(code));
}

/** `database write failed (deadlock)`-style reason, or null when `err` is not a database failure. */
export function describeDbFailure(err: unknown, action = "database write failed"): string | null {
  const code = errorCode(err);
  const isDrizzle = err instanceof Error && err.message.startsWith("Failed query:");
  if (code && CONNECTION_CODES.has(code)) return "database unreachable";
  if (code && /^[0-9A-Z]{5}$/.test(code)) return `${action} (${SQLSTATE_REASONS[code] ?? `SQLSTATE ${code}`})`;
  return isDrizzle ? action : null;
}
