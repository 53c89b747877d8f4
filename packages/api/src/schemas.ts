// The contract's wire shapes as zod schemas: the router validates with them and the OpenAPI document is made from them.
import { z } from "zod";

export const sessionStatusSchema = z.enum(["starting", "scan_qr_code", "working", "failed", "stopped", "logged_out"]);
export type SessionStatus = z.infer<typeof sessionStatusSchema>;

const epochMs = z.number().int().nonnegative();

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

export const capabilitySchema = z.enum(["read", "send", "manage", "events"]);
export type Capability = z.infer<typeof capabilitySchema>;
export const orgRoleSchema = z.enum(["owner", "admin", "member"]);

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

/** `limit` above the maximum is clamped by the procedure, not refused (contract). */
const limitSchema = z
  .number()
  .int()
  .min(1)
  .optional()
  .meta({ description: `1–${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}; larger values are clamped` });
const cursorSchema = z.string().max(256).optional().meta({ description: "opaque; from a previous page's nextCursor" });
const searchSchema = z
  .string()
  .max(200)
  .optional()
  .meta({ description: "matches id, label, phone number, JID or LID" });
const statusFilterSchema = z.array(sessionStatusSchema).optional().meta({ description: "repeatable" });

export const sessionIdSchema = z.string().min(1).max(64);

export const adminSessionListInput = z.strictObject({
  limit: limitSchema,
  cursor: cursorSchema,
  status: statusFilterSchema,
  organizationId: z.string().min(1).max(64).optional(),
  gatewayId: z.string().min(1).max(128).optional(),
  q: searchSchema,
});

export const sessionListInput = z.strictObject({
  limit: limitSchema,
  cursor: cursorSchema,
  status: statusFilterSchema,
  q: searchSchema,
});

export const sessionRefInput = z.strictObject({ session: sessionIdSchema });

const labelSchema = z.string().trim().max(200).nullable();
const ratePerMinSchema = z.number().int().min(1).max(10_000);
const ratePerHourSchema = z.number().int().min(1).max(1_000_000);

export const sessionCreateInput = z.strictObject({
  label: labelSchema.optional(),
  autoRead: z.boolean().optional(),
  presenceTyping: z.boolean().optional(),
  ratePerMin: ratePerMinSchema.optional(),
  ratePerHour: ratePerHourSchema.optional(),
  start: z.boolean().optional().meta({ description: "start the session (show a QR) right after creating it" }),
});

export const sessionUpdateInput = z.strictObject({
  session: sessionIdSchema,
  label: labelSchema.optional(),
  autoRead: z.boolean().optional(),
  presenceTyping: z.boolean().optional(),
  ratePerMin: ratePerMinSchema.optional(),
  ratePerHour: ratePerHourSchema.optional(),
});

export const pairingCodeInput = z.strictObject({
  session: sessionIdSchema,
  phoneNumber: z
    .string()
    .regex(/^\d{6,15}$/, "digits only, E.164 without +")
    .meta({ description: "E.164 digits without +" }),
});
export const pairingCodeOutput = z.strictObject({ code: z.string() }).meta({ id: "PairingCode" });

export const simulateScanOutput = z.strictObject({ phoneNumber: z.string() }).meta({ id: "SimulatedScan" });

export const sessionEventsInput = z.strictObject({ session: sessionIdSchema.optional() }).optional();

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

export const apiKeyListOutput = z.object({ data: z.array(apiKeySchema) }).meta({ id: "ApiKeyList" });

export const apiKeyCreateInput = z.strictObject({
  name: z.string().trim().min(1).max(100),
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

export const apiKeyRefInput = z.strictObject({ id: z.string().min(1).max(64) });

export const meOutput = z
  .object({
    kind: z.enum(["user", "api_key"]),
    userId: z.string().nullable(),
    apiKeyId: z.string().nullable(),
    organizationId: z.string().nullable(),
    role: orgRoleSchema.nullable().meta({ description: "org role of a person; null for an api-key" }),
    permissions: z.array(capabilitySchema).meta({ description: "what the caller may do in its organization" }),
    platformRole: z.enum(["super_admin"]).nullable(),
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

export const gatewayListOutput = z
  .object({
    data: z.array(
      z.object({
        id: z.string(),
        baseUrl: z.string().nullable(),
        status: z.enum(["online", "offline"]),
        heartbeatAt: epochMs.nullable(),
      }),
    ),
  })
  .meta({ id: "GatewayList" });

/** No input: tRPC clients may call with nothing at all. */
export const emptyInput = z.strictObject({}).optional();
export const noContent = z.void();
