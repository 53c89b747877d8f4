// The audit log: record (inside the caller's transaction, so a failed change writes none).
import type { Executor } from "../client.ts";
import type { AuditAction, AuditActorKind } from "../contract.ts";
import { newId } from "../ids.ts";
import { eq } from "drizzle-orm";
import { apiKeys, auditLog } from "../schema/index.ts";

export interface AuditActor {
  kind: AuditActorKind;
  id: string;
  name: string;
}

export interface NewAuditEntry {
  organizationId: string;
  actor: AuditActor;
  action: AuditAction;
  targetType: string;
  targetId: string | null;
  /** Never a secret or message text. */
  details?: Record<string, unknown>;
  ip: string | null;
}

/** Records one entry; call it with the transaction that makes the change. */
export async function recordAudit(tx: Executor, entry: NewAuditEntry): Promise<{ id: string }> {
  const id = newId();
  await tx.insert(auditLog).values({
    id,
    organizationId: entry.organizationId,
    actorKind: entry.actor.kind,
    actorId: entry.actor.id,
    actorName: entry.actor.name,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    details: entry.details ?? {},
    ip: entry.ip,
  });
  return { id };
}

/** An api-key's name, as the actor's display name of what the key does (the id when the key is gone). */
export async function apiKeyDisplayName(tx: Executor, keyId: string): Promise<string> {
  const [row] = await tx.select({ name: apiKeys.name }).from(apiKeys).where(eq(apiKeys.id, keyId)).limit(1);
  return row?.name ?? keyId;
}
