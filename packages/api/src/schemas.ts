// The contract's wire shapes as zod schemas: the router validates with them and the OpenAPI document is made from them.
// Statuses, permissions, roles and limits come from the contract's facts (@wa/db/contract), never a second list.
import {
  capabilities,
  gatewayStatuses,
  limits,
  orgRoles,
  phoneNumberPattern,
  phoneNumberRule,
  platformRoles,
  rateLimitsOrdered,
  rateLimitsRule,
  sessionSettingsDefaults,
  sessionStatuses,
} from "@wa/db/contract";
import { z } from "zod";
import { cursorSchema, epochMs, limitSchema } from "./schemas/common.ts";

export type { Capability, SessionStatus } from "@wa/db/contract";

export const sessionStatusSchema = z.enum(sessionStatuses);


export const waSessionSchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    gatewayId: z.string(),
    label: z.string().nullable(),
    phoneNumber: z.string().nullable(),
    waJid: z.string().nullable(),
    waLid: z.string().nullable(),
    status: sessionStatusSchema,
    statusReason: z.string().nullable(),
    isAdminSession: z.boolean(),
    autoRead: z.boolean(),
    presenceTyping: z.boolean(),
    ratePerMin: z.number().int(),
    ratePerHour: z.number().int(),
    createdByUserId: z.string().nullable(),
    createdAt: epochMs,
    updatedAt: epochMs,
    lastConnectedAt: epochMs.nullable(),
  })
  .meta({ id: "WASession" });
export type WaSessionOutput = z.infer<typeof waSessionSchema>;

export const sessionPageSchema = z
  .object({ data: z.array(waSessionSchema), nextCursor: z.string().nullable() })
  .meta({ id: "SessionPage" });
export type SessionPageOutput = z.infer<typeof sessionPageSchema>;

export const backfillStatusSchema = z.enum(["running", "succeeded", "failed"]);

export const backfillJobSchema = z
  .object({
    id: z.string(),
    sessionId: z.string(),
    organizationId: z.string(),
    status: backfillStatusSchema,
    contacts: z.number().int().nonnegative(),
    groups: z.number().int().nonnegative(),
    groupMembers: z.number().int().nonnegative(),
    startedAt: epochMs,
    finishedAt: epochMs.nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: "BackfillJob" });
export type BackfillJob = z.infer<typeof backfillJobSchema>;

export const sessionQrSchema = z
  .object({ qr: z.string(), image: z.string(), expiresAt: epochMs })
  .meta({ id: "SessionQr" });
export type SessionQr = z.infer<typeof sessionQrSchema>;

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: "Error" });

// ---- Inputs and the remaining outputs (every procedure's .input()/.output(); strict: unknown fields are refused)

export const capabilitySchema = z.enum(capabilities);
export const orgRoleSchema = z.enum(orgRoles);

const searchSchema = z
  .string()
  .max(limits.searchLength)
  .optional()
  .meta({ description: "matches id, label, phone number, JID or LID" });
const statusFilterSchema = z.array(sessionStatusSchema).optional().meta({ description: "repeatable" });

export const sessionIdSchema = z.string().min(1).max(limits.idLength);

export const adminSessionListInput = z.strictObject({
  limit: limitSchema,
  cursor: cursorSchema,
  status: statusFilterSchema,
  organizationId: z.string().min(1).max(limits.idLength).optional(),
  gatewayId: z.string().min(1).max(limits.gatewayIdLength).optional(),
  q: searchSchema,
});

export const sessionListInput = z.strictObject({
  limit: limitSchema,
  cursor: cursorSchema,
  status: statusFilterSchema,
  q: searchSchema,
});

export const sessionRefInput = z.strictObject({ session: sessionIdSchema });

const labelSchema = z.string().trim().max(limits.labelLength).nullable();
const ratePerMinSchema = z.number().int().min(limits.ratePerMin.min).max(limits.ratePerMin.max);
const ratePerHourSchema = z
  .number()
  .int()
  .min(limits.ratePerHour.min)
  .max(limits.ratePerHour.max)
  .meta({ description: "at least ratePerMin" });

/** The field message a broken rate-limit rule answers with (`validation_error`, path `ratePerHour`). */
export const rateLimitsIssue = { path: "ratePerHour", message: rateLimitsRule } as const;

export const sessionCreateInput = z
  .strictObject({
    label: labelSchema.optional(),
    autoRead: z.boolean().optional(),
    presenceTyping: z.boolean().optional(),
    ratePerMin: ratePerMinSchema.optional(),
    ratePerHour: ratePerHourSchema.optional(),
    start: z.boolean().optional().meta({ description: "start the session (show a QR) right after creating it" }),
  })
  // A limit left out takes its default, so the rule holds for the session that will exist.
  .refine(
    (s) =>
      rateLimitsOrdered({
        ratePerMin: s.ratePerMin ?? sessionSettingsDefaults.ratePerMin,
        ratePerHour: s.ratePerHour ?? sessionSettingsDefaults.ratePerHour,
      }),
    { path: [rateLimitsIssue.path], message: rateLimitsIssue.message },
  );

/** Checked here when both limits are sent; against the stored one by the procedure when only one is. */
export const sessionUpdateInput = z
  .strictObject({
    session: sessionIdSchema,
    label: labelSchema.optional(),
    autoRead: z.boolean().optional(),
    presenceTyping: z.boolean().optional(),
    ratePerMin: ratePerMinSchema.optional(),
    ratePerHour: ratePerHourSchema.optional(),
  })
  .refine(
    (s) => s.ratePerMin === undefined || s.ratePerHour === undefined || rateLimitsOrdered({ ratePerMin: s.ratePerMin, ratePerHour: s.ratePerHour }),
    { path: [rateLimitsIssue.path], message: rateLimitsIssue.message },
  );

/** A phone number on the wire; the gateway checks numbers it is handed with the same rule. */
export const phoneNumberSchema = z.string().regex(phoneNumberPattern, phoneNumberRule).meta({ description: "E.164 digits without +" });

export const pairingCodeInput = z.strictObject({
  session: sessionIdSchema,
  phoneNumber: phoneNumberSchema,
});
export const pairingCodeOutput = z.strictObject({ code: z.string() }).meta({ id: "PairingCode" });

export const simulateScanOutput = z.strictObject({ phoneNumber: z.string() }).meta({ id: "SimulatedScan" });

export const sessionEventSchema = z
  .object({
    sessionId: z.string(),
    organizationId: z.string(),
    status: sessionStatusSchema,
    qr: sessionQrSchema.nullable(),
    session: waSessionSchema,
    at: z.number().int(),
  })
  .meta({ id: "SessionEvent" });

export const sessionEventsInput = z
  .strictObject({
    session: sessionIdSchema.optional(),
    // tRPC's SSE link sends the last tracked id when it reconnects (and a browser's EventSource sends
    // Last-Event-ID); the stream restarts live from the current state, so the id is accepted and not replayed.
    lastEventId: z.string().max(256).nullish(),
  })
  .optional();

export const apiKeySchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    name: z.string(),
    prefix: z.string().meta({ description: "first characters of the key, to tell keys apart" }),
    permissions: z.array(capabilitySchema),
    createdByUserId: z.string().nullable(),
    createdAt: epochMs,
    lastUsedAt: epochMs.nullable(),
    expiresAt: epochMs.nullable(),
    revokedAt: epochMs.nullable(),
  })
  .meta({ id: "ApiKey" });

export type ApiKeyOutput = z.infer<typeof apiKeySchema>;

export const apiKeyListOutput = z.object({ data: z.array(apiKeySchema) }).meta({ id: "ApiKeyList" });

export const apiKeyCreateInput = z.strictObject({
  name: z.string().trim().min(1).max(limits.apiKeyNameLength),
  permissions: z
    .array(capabilitySchema)
    .min(1)
    .refine((p) => new Set(p).size === p.length, "permissions must not repeat"),
  // bounded by the last instant PostgreSQL and ISO dates both write plainly (9999-12-31T23:59:59.999Z)
  expiresAt: epochMs.max(253_402_300_799_999).nullable().optional().meta({ description: "epoch ms; absent or null: never expires" }),
});
export const apiKeyCreateOutput = z
  .object({ apiKey: apiKeySchema, key: z.string().meta({ description: "wa_…; shown once, never again" }) })
  .meta({ id: "CreatedApiKey" });

export const apiKeyRefInput = z.strictObject({ id: z.string().min(1).max(limits.idLength) });

export const meOutput = z
  .object({
    kind: z.enum(["user", "api_key"]),
    userId: z.string().nullable(),
    apiKeyId: z.string().nullable(),
    organizationId: z.string().nullable(),
    role: orgRoleSchema.nullable().meta({ description: "org role of a person; null for an api-key" }),
    permissions: z.array(capabilitySchema).meta({ description: "what the caller may do in its organization" }),
    platformRole: z.enum(platformRoles).nullable(),
    email: z.string().nullable(),
    name: z.string().nullable(),
  })
  .meta({ id: "Me" });

export const systemInfoOutput = z
  .object({
    gatewayId: z.string(),
    simulator: z.boolean().meta({ description: "whether sessions can be paired with the simulated phone" }),
  })
  .meta({ id: "SystemInfo" });

export const organizationListOutput = z
  .object({ data: z.array(z.object({ id: z.string(), name: z.string() })) })
  .meta({ id: "OrganizationList" });

export const gatewaySchema = z
  .object({
    id: z.string(),
    baseUrl: z.string().nullable(),
    status: z.enum(gatewayStatuses),
    heartbeatAt: epochMs.nullable(),
    sessions: z.number().int().meta({ description: "sessions it holds now" }),
  })
  .meta({ id: "Gateway" });

export const gatewayListOutput = z
  .object({ data: z.array(gatewaySchema) })
  .meta({ id: "GatewayList" });

/** No input: tRPC clients may call with nothing at all. */
export const emptyInput = z.strictObject({}).optional();
export const noContent = z.void();
export * from "./schemas/events.ts";
export * from "./schemas/messages.ts";
export * from "./schemas/common.ts";
export * from "./schemas/audit.ts";
export * from "./schemas/organizations.ts";
export * from "./schemas/cluster.ts";
export * from "./schemas/recipients.ts";
