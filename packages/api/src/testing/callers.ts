// Callers over a test database for router tests, and the contract code of whatever a call throws.
import type { Database } from "@wa/db";
import { createInnerContext, type Principal } from "../context.ts";
import { toContractError, type DomainError } from "../errors.ts";
import { silentLogger } from "../logger.ts";
import type { GatewayPorts } from "../ports.ts";
import { createCaller } from "../root.ts";

export function callerFactory(db: Database, ports: GatewayPorts) {
  return (principal: Principal | null, authError?: DomainError) =>
    createCaller(createInnerContext({ db, ports, logger: silentLogger }, { principal, authError: authError ?? null }));
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
