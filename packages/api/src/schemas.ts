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
