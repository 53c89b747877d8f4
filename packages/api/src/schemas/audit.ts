// The audit log's wire shapes (contract "Audit log").
import { auditActions, auditActorKinds, limits } from "@wa/db/contract";
import { z } from "zod";
import { cursorSchema, epochMs, limitSchema } from "./common.ts";

export const auditActionSchema = z.enum(auditActions);

export const auditEntrySchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    actor: z.object({
      kind: z.enum(auditActorKinds),
      id: z.string().meta({ description: "a user id or an api-key id" }),
      name: z.string().meta({ description: "the actor's display name at the time" }),
    }),
    action: auditActionSchema,
    targetType: z.string().meta({ description: "session, api_key, member, invitation, user, …" }),
    targetId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).meta({ description: "what changed; never a secret or message text" }),
    ip: z.string().nullable().meta({ description: "the caller's address" }),
    createdAt: epochMs,
  })
  .meta({ id: "AuditEntry" });
export type AuditEntryOutput = z.infer<typeof auditEntrySchema>;

export const auditPageSchema = z
  .object({ data: z.array(auditEntrySchema), nextCursor: z.string().nullable() })
  .meta({ id: "AuditPage" });

const actorIdSchema = z.string().min(1).max(limits.idLength);

export const auditListInput = z.strictObject({
  limit: limitSchema,
  cursor: cursorSchema,
  action: auditActionSchema.optional(),
  actor: actorIdSchema.optional().meta({ description: "a user id or an api-key id" }),
});

export const adminAuditListInput = z.strictObject({
  limit: limitSchema,
  cursor: cursorSchema,
  organizationId: z.string().min(1).max(limits.idLength).optional(),
  action: auditActionSchema.optional(),
});
