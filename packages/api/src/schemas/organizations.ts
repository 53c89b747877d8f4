// Organization administration: members, invitations, and the super admin's organization list.
import { limits, orgRoles } from "@wa/db/contract";
import { z } from "zod";
import { cursorSchema, epochMs, limitSchema } from "./common.ts";

const orgRole = z.enum(orgRoles);
const idSchema = z.string().min(1).max(limits.idLength);

export const memberSchema = z
  .object({
    userId: z.string(),
    name: z.string(),
    email: z.string(),
    role: orgRole,
    joinedAt: epochMs,
    lastActiveAt: epochMs.nullable().meta({ description: "last time the person used the console in this organization" }),
  })
  .meta({ id: "Member" });

export const memberPageSchema = z
  .object({ data: z.array(memberSchema), nextCursor: z.string().nullable() })
  .meta({ id: "MemberPage" });

export const pageInput = z.strictObject({ limit: limitSchema, cursor: cursorSchema });

export const memberRoleInput = z.strictObject({ user: idSchema, role: orgRole });
export const memberRefInput = z.strictObject({ user: idSchema });

/** Invitation lifetimes the console offers; 7 days by default. */
export const invitationTtlDays = { min: 1, max: 30, default: 7 } as const;

export const invitationSchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    email: z.string(),
    role: orgRole,
    invitedBy: z.object({ id: z.string(), name: z.string() }).nullable(),
    createdAt: epochMs,
    expiresAt: epochMs,
  })
  .meta({ id: "Invitation" });

export const invitationPageSchema = z
  .object({ data: z.array(invitationSchema), nextCursor: z.string().nullable() })
  .meta({ id: "InvitationPage" });

export const invitationCreateInput = z.strictObject({
  email: z.string().trim().max(254).pipe(z.email({ message: "must be an email address" })),
  role: orgRole,
  expiresInDays: z
    .number()
    .int()
    .min(invitationTtlDays.min)
    .max(invitationTtlDays.max)
    .optional()
    .meta({ description: `days until the link expires; default ${invitationTtlDays.default}` }),
});

export const invitationCreateOutput = z
  .object({
    invitation: invitationSchema,
    token: z.string().meta({ description: "the link's secret; shown once, never again" }),
    path: z.string().meta({ description: "the web app path of the link, `/invite/<token>` (prefix the web app's URL)" }),
    email: z
      .object({
        status: z.enum(["sent", "failed"]),
        problem: z.string().nullable().meta({ description: "why the mail was not sent (the link still works: copy it)" }),
      })
      .nullable()
      .meta({ description: "the link sent by mail to the invited address; null when the gateway has no mail server (SMTP_URL unset)" }),
  })
  .meta({ id: "CreatedInvitation" });

export const invitationRefInput = z.strictObject({ id: idSchema });

export const organizationSummarySchema = z
  .object({ id: z.string(), name: z.string(), members: z.number().int(), sessions: z.number().int(), createdAt: epochMs })
  .meta({ id: "OrganizationSummary" });

export const organizationPageSchema = z
  .object({ data: z.array(organizationSummarySchema), nextCursor: z.string().nullable() })
  .meta({ id: "OrganizationPage" });

export const organizationPageInput = z.strictObject({
  limit: limitSchema,
  cursor: cursorSchema,
  q: z.string().max(limits.searchLength).optional().meta({ description: "part of the name, or the exact id" }),
});
