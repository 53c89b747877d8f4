// Shapes every list shares: epoch-ms times, page sizes and opaque cursors (imported by each domain's schemas).
import { limits } from "@wa/db/contract";
import { z } from "zod";

export const epochMs = z.number().int().nonnegative();

/** `limit` above the maximum is clamped by the procedure, not refused (contract). */
export const limitSchema = z
  .number()
  .int()
  .min(limits.page.min)
  .optional()
  .meta({ description: `${limits.page.min}–${limits.page.max}, default ${limits.page.default}; larger values are clamped` });
export const cursorSchema = z.string().max(limits.cursorLength).optional().meta({ description: "opaque; from a previous page's nextCursor" });
