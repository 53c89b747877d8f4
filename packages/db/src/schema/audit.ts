// The audit log: who changed what, written in the transaction of the change.
import { index, jsonb, pgTable, text } from "drizzle-orm/pg-core";
import { createdAt, ulidId } from "./columns.ts";
import { auditActions, auditActorKinds } from "../contract.ts";
import { organizations } from "./identity.ts";

export const auditLog = pgTable(
  "audit_log",
  {
    id: ulidId(),
    organizationId: text()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    actorKind: text({ enum: auditActorKinds }).notNull(),
    /** A user or api-key id; not a foreign key, so the entry outlives the actor. */
    actorId: text().notNull(),
    /** The actor's display name at the time (a person's name or email, a key's name). */
    actorName: text().notNull(),
    action: text({ enum: auditActions }).notNull(),
    targetType: text().notNull(),
    targetId: text(),
    /** Never a secret or message text. */
    details: jsonb().notNull().default({}),
    ip: text(),
    createdAt: createdAt(),
  },
  (t) => [
    // an organization's log, newest first (keyset on id: ULIDs sort by time)
    index("audit_log_org_id_idx").on(t.organizationId, t.id),
    index("audit_log_org_action_id_idx").on(t.organizationId, t.action, t.id),
    index("audit_log_org_actor_id_idx").on(t.organizationId, t.actorId, t.id),
  ],
);
export type AuditRow = typeof auditLog.$inferSelect;
