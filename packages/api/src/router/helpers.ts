// What the routers share: page parameters from list inputs, and the session lookup every session route starts with.
import type { Database } from "@wa/db";
import { limits, type SessionStatus } from "@wa/db/contract";
import { decodeSessionCursor, getSession, type ListSessionsParams, type WaSession } from "@wa/db/queries";
import { fail, notFound } from "../errors.ts";

/** Page size: the default when absent, clamped (not refused) above the maximum. */
export const clampLimit = (limit: number | undefined) => Math.min(limit ?? limits.page.default, limits.page.max);

/** The decoded cursor, or a 400 naming the field. */
export function parseCursor(cursor: string | undefined) {
  if (cursor === undefined || cursor === "") return null;
  const decoded = decodeSessionCursor(cursor);
  if (!decoded) {
    throw fail("validation_error", "invalid cursor", { errors: [{ path: "cursor", message: "invalid cursor" }] });
  }
  return decoded;
}

/** The list query for a sessions page input (filters beyond these are the caller's to add). */
export function sessionPageParams(input: {
  limit?: number | undefined;
  cursor?: string | undefined;
  status?: SessionStatus[] | undefined;
  q?: string | undefined;
}): ListSessionsParams {
  return {
    limit: clampLimit(input.limit),
    cursor: parseCursor(input.cursor),
    statuses: input.status,
    q: input.q,
  };
}

/**
 * The session or 404. With an organization, only that organization's session: another one's answers exactly as an
 * id that does not exist anywhere.
 */
export async function requireSession(db: Database, id: string, organizationId?: string): Promise<WaSession> {
  const session = await getSession(db, id, organizationId);
  if (!session) throw notFound("session");
  return session;
}
