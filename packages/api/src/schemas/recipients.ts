// The console's recipient picker: a session's backfilled contacts and groups, searched by name or number.
import { limits } from "@wa/db/contract";
import { z } from "zod";

/** How many of each kind one search returns (the picker shows a short list, the person types more to narrow it). */
export const recipientSearchLimit = 20;

export const recipientSearchInput = z.strictObject({
  // Not `sessionIdSchema` from ../schemas.ts: that file re-exports this one, and the cycle would read it too early.
  session: z.string().min(1).max(limits.idLength),
  q: z.string().max(limits.searchLength).optional(),
});

export const recipientSearchItemSchema = z.object({
  kind: z.enum(["contact", "group"]),
  jid: z.string(),
  name: z.string().nullable(),
  phoneNumber: z.string().nullable(),
  size: z.number().int().nullable(),
});

export const recipientSearchResultSchema = z.object({ data: z.array(recipientSearchItemSchema) });
