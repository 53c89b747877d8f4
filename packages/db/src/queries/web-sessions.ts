// Web (browser) sessions: rows keyed by the SHA-256 of the cookie token, revocable, with the active organization.
import { and, eq, gt, isNull, lt, or } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { newId } from "../ids.ts";
import type { PlatformRole } from "../contract.ts";
import { users, webSessions } from "../schema/index.ts";

export interface ActiveWebSession {
  id: string;
  userId: string;
  activeOrganizationId: string | null;
  expiresAt: Date;
  lastSeenAt: Date;
  user: { id: string; email: string; name: string; platformRole: PlatformRole | null };
}

export async function createWebSession(
  db: Executor,
  params: { userId: string; tokenHash: string; activeOrganizationId: string | null; userAgent: string | null; expiresAt: Date },
): Promise<{ id: string }> {
  const id = newId();
  await db.insert(webSessions).values({ id, ...params });
  return { id };
}

/** The session a cookie token hash names, with its person; null when unknown, revoked or expired. */
export async function findActiveWebSession(
  db: Executor,
  tokenHash: string,
  now: Date = new Date(),
): Promise<ActiveWebSession | null> {
  const [row] = await db
    .select({
      id: webSessions.id,
      userId: webSessions.userId,
      activeOrganizationId: webSessions.activeOrganizationId,
      expiresAt: webSessions.expiresAt,
      lastSeenAt: webSessions.lastSeenAt,
      user: { id: users.id, email: users.email, name: users.name, platformRole: users.platformRole },
    })
    .from(webSessions)
    .innerJoin(users, eq(users.id, webSessions.userId))
    .where(and(eq(webSessions.tokenHash, tokenHash), isNull(webSessions.revokedAt), gt(webSessions.expiresAt, now)))
    .limit(1);
  return row ?? null;
}

export async function touchWebSession(db: Executor, id: string, now: Date = new Date()): Promise<void> {
  await db.update(webSessions).set({ lastSeenAt: now }).where(eq(webSessions.id, id));
}

export async function setWebSessionOrganization(db: Executor, id: string, organizationId: string | null): Promise<void> {
  await db.update(webSessions).set({ activeOrganizationId: organizationId }).where(eq(webSessions.id, id));
}

/** Whether the web session is still signed in (not revoked, not expired): streams opened with its tokens re-check it. */
export async function isWebSessionActive(db: Executor, id: string, now: Date = new Date()): Promise<boolean> {
  const [row] = await db
    .select({ id: webSessions.id })
    .from(webSessions)
    .where(and(eq(webSessions.id, id), isNull(webSessions.revokedAt), gt(webSessions.expiresAt, now)))
    .limit(1);
  return row !== undefined;
}

/** Revokes the session a token hash names; true when a live row was revoked. */
export async function revokeWebSession(db: Executor, tokenHash: string, now: Date = new Date()): Promise<boolean> {
  const rows = await db
    .update(webSessions)
    .set({ revokedAt: now })
    .where(and(eq(webSessions.tokenHash, tokenHash), isNull(webSessions.revokedAt)))
    .returning({ id: webSessions.id });
  return rows.length > 0;
}

/** Revokes every live session of a person (e.g. after a password change or role removal). */
export async function revokeUserWebSessions(db: Executor, userId: string, now: Date = new Date()): Promise<number> {
  const rows = await db
    .update(webSessions)
    .set({ revokedAt: now })
    .where(and(eq(webSessions.userId, userId), isNull(webSessions.revokedAt)))
    .returning({ id: webSessions.id });
  return rows.length;
}

/** Deletes rows that can no longer authenticate anything. */
export async function deleteDeadWebSessions(db: Executor, before: Date): Promise<number> {
  const rows = await db
    .delete(webSessions)
    .where(or(lt(webSessions.expiresAt, before), lt(webSessions.revokedAt, before)))
    .returning({ id: webSessions.id });
  return rows.length;
}
