// The logging surface the router needs; a pino logger satisfies it, tests pass a silent one.
import { limits } from "@wa/db/contract";
import type { Principal } from "./context.ts";

export interface LogFn {
  (obj: Record<string, unknown>, msg?: string): void;
}

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** A logger whose every line also carries these fields. */
  child(bindings: Record<string, unknown>): Logger;
}

const noop = () => {};
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => silentLogger };

/**
 * The fields bound to every log line of one call: who called, and the session the call is about when its input
 * names one (read before validation, so only a plausible id is kept).
 */
export function callLogFields(principal: Principal, rawInput: unknown): Record<string, unknown> {
  const caller =
    principal.kind === "user"
      ? {
          kind: "user",
          userId: principal.userId,
          organizationId: principal.organizationId,
          ...(principal.platformRole ? { platformRole: principal.platformRole } : {}),
        }
      : { kind: "api_key", apiKeyId: principal.keyId, organizationId: principal.organizationId };
  const session = typeof rawInput === "object" && rawInput !== null ? (rawInput as { session?: unknown }).session : undefined;
  const named = typeof session === "string" && session.length > 0 && session.length <= limits.idLength;
  return { caller, ...(named ? { sessionId: session } : {}) };
}
