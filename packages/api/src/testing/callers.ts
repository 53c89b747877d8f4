// Callers over a test database for router tests, and the contract code of whatever a call throws.
import type { Database } from "@wa/db";
import { createInnerContext, type Principal } from "../context.ts";
import { toContractError, type DomainError } from "../errors.ts";
import { silentLogger, type Logger } from "../logger.ts";
import type { GatewayPorts } from "../ports.ts";
import { createCaller } from "../root.ts";

export function callerFactory(db: Database, ports: GatewayPorts, logger: Logger = silentLogger) {
  return (principal: Principal | null, authError?: DomainError) =>
    createCaller(createInnerContext({ db, ports, logger }, { principal, authError: authError ?? null }));
}

/** A logger that keeps every line (its own fields merged with those bound by `child`), for assertions. */
export function createRecordingLogger(): Logger & { lines: { msg: string | undefined; fields: Record<string, unknown> }[] } {
  const lines: { msg: string | undefined; fields: Record<string, unknown> }[] = [];
  const make = (bound: Record<string, unknown>): Logger => {
    const log = (obj: Record<string, unknown>, msg?: string) => void lines.push({ msg, fields: { ...bound, ...obj } });
    return { debug: log, info: log, warn: log, error: log, child: (bindings) => make({ ...bound, ...bindings }) };
  };
  return Object.assign(make({}), { lines });
}

/** "ok" when the call succeeds, else the contract code of its error. */
export async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "ok";
  } catch (error) {
    return toContractError(error).code;
  }
}
