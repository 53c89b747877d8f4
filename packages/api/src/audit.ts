// Audit entries from a procedure: who the caller is (user or api-key, with a display name) and where the call came
// from, so a mutation records what it did with one line inside its own transaction.
import type { Executor } from "@wa/db/client";
import { apiKeyDisplayName, recordAudit, type AuditActor, type NewAuditEntry } from "@wa/db/queries";
import type { Principal } from "./context.ts";

/** The part of a procedure's context the audit log needs. */
export interface AuditCaller {
  principal: Principal;
  ip: string | null;
}

/** The caller as an audit actor plus their address. An api-key's name is read in `tx` (it is not in the token). */
export async function auditFrom(tx: Executor, ctx: AuditCaller): Promise<{ actor: AuditActor; ip: string | null }> {
  const p = ctx.principal;
  const actor: AuditActor =
    p.kind === "user"
      ? { kind: "user", id: p.userId, name: p.name ?? p.email ?? p.userId }
      : { kind: "api_key", id: p.keyId, name: await apiKeyDisplayName(tx, p.keyId) };
  return { actor, ip: ctx.ip };
}

/**
 * Records what the caller did, in `tx`: the transaction that makes the change, so a change that fails (rolls back)
 * leaves no entry and a committed one always has its entry. `details` never holds a secret or message text.
 */
export async function audit(
  tx: Executor,
  ctx: AuditCaller,
  entry: Omit<NewAuditEntry, "actor" | "ip">,
): Promise<void> {
  await recordAudit(tx, { ...entry, ...(await auditFrom(tx, ctx)) });
}
