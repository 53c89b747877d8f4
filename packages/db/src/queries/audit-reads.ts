// Reading the audit log: keyset pages on the entry id (a ULID, so newest first is id descending).
import { and, desc, eq, lt } from "drizzle-orm";
import type { Executor } from "../client.ts";
import type { AuditAction, AuditActorKind } from "../contract.ts";
import { auditLog } from "../schema/index.ts";
import { decodeCursor, encodeCursor } from "./page-cursor.ts";

export interface AuditEntry {
  id: string;
  organizationId: string;
  actor: { kind: AuditActorKind; id: string; name: string };
  action: AuditAction;
  targetType: string;
  targetId: string | null;
  details: Record<string, unknown>;
  ip: string | null;
  createdAt: Date;
}

export interface ListAuditParams {
  limit: number;
  /** A cursor from `decodeAuditCursor`. */
  cursor?: string | null;
  /** Omitted only for a platform-wide read. */
  organizationId?: string;
  action?: AuditAction;
  actorId?: string;
}

/** The entry id a cursor names, or null when it is not one this code issued. */
export function decodeAuditCursor(value: string): string | null {
  const parts = decodeCursor(value, ["string"]);
  return parts ? String(parts[0]) : null;
}

export async function listAudit(db: Executor, params: ListAuditParams): Promise<{ data: AuditEntry[]; nextCursor: string | null }> {
  const rows = await db
    .select()
    .from(auditLog)
    .where(
      and(
        params.organizationId ? eq(auditLog.organizationId, params.organizationId) : undefined,
        params.action ? eq(auditLog.action, params.action) : undefined,
        params.actorId ? eq(auditLog.actorId, params.actorId) : undefined,
        params.cursor ? lt(auditLog.id, params.cursor) : undefined,
      ),
    )
    .orderBy(desc(auditLog.id))
    .limit(params.limit + 1);
  const page = rows.slice(0, params.limit);
  const last = page.at(-1);
  return {
    data: page.map((r) => ({
      id: r.id,
      organizationId: r.organizationId,
      actor: { kind: r.actorKind, id: r.actorId, name: r.actorName },
      action: r.action,
      targetType: r.targetType,
      targetId: r.targetId,
      details: (r.details ?? {}) as Record<string, unknown>,
      ip: r.ip,
      createdAt: r.createdAt,
    })),
    nextCursor: rows.length > params.limit && last ? encodeCursor([last.id]) : null,
  };
}
