// Users, organizations and memberships.
import { and, asc, eq } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { newId } from "../ids.ts";
import type { OrgRole, PlatformRole } from "../contract.ts";
import { memberships, organizations, users } from "../schema/index.ts";

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

/** Public view of a user: never includes the password hash. */
export interface UserProfile {
  id: string;
  email: string;
  name: string;
  platformRole: PlatformRole | null;
}

const profileColumns = { id: users.id, email: users.email, name: users.name, platformRole: users.platformRole };

export async function getUserProfile(db: Executor, id: string): Promise<UserProfile | null> {
  const [row] = await db.select(profileColumns).from(users).where(eq(users.id, id)).limit(1);
  return row ?? null;
}

/** For sign-in only: the profile plus the password hash to verify against. */
export async function findUserCredentials(
  db: Executor,
  email: string,
): Promise<(UserProfile & { passwordHash: string }) | null> {
  const [row] = await db
    .select({ ...profileColumns, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.email, normalizeEmail(email)))
    .limit(1);
  return row ?? null;
}

export async function findUserByEmail(db: Executor, email: string): Promise<UserProfile | null> {
  const [row] = await db.select(profileColumns).from(users).where(eq(users.email, normalizeEmail(email))).limit(1);
  return row ?? null;
}

export async function createUser(
  db: Executor,
  params: { email: string; name: string; passwordHash: string; platformRole?: PlatformRole | null },
): Promise<UserProfile> {
  const [row] = await db
    .insert(users)
    .values({ id: newId(), ...params, email: normalizeEmail(params.email) })
    .returning(profileColumns);
  if (!row) throw new Error("insert returned no row");
  return row;
}

export async function setPlatformRole(db: Executor, email: string, role: PlatformRole | null): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ platformRole: role, updatedAt: new Date() })
    .where(eq(users.email, normalizeEmail(email)))
    .returning({ id: users.id });
  return rows.length > 0;
}

export async function createOrganization(db: Executor, params: { name: string; id?: string }) {
  const [row] = await db
    .insert(organizations)
    .values({ id: params.id ?? newId(), name: params.name })
    .returning({ id: organizations.id, name: organizations.name });
  if (!row) throw new Error("insert returned no row");
  return row;
}

export async function addMembership(db: Executor, params: { userId: string; organizationId: string; role: OrgRole }) {
  await db.insert(memberships).values(params).onConflictDoUpdate({
    target: [memberships.userId, memberships.organizationId],
    set: { role: params.role },
  });
}

export interface MembershipView {
  organizationId: string;
  organizationName: string;
  role: OrgRole;
}

/** A person's organizations, oldest membership first (the first is the default active organization). */
export async function listMemberships(db: Executor, userId: string): Promise<MembershipView[]> {
  return db
    .select({ organizationId: organizations.id, organizationName: organizations.name, role: memberships.role })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(memberships.createdAt), asc(organizations.id));
}

export async function getMembership(db: Executor, userId: string, organizationId: string) {
  const [row] = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.userId, userId), eq(memberships.organizationId, organizationId)))
    .limit(1);
  return row ?? null;
}

export async function listOrganizations(db: Executor) {
  return db
    .select({ id: organizations.id, name: organizations.name })
    .from(organizations)
    .orderBy(asc(organizations.name));
}

/** Remembers the organization a person switched to, so their next sign-in starts there. */
export async function setLastOrganization(db: Executor, userId: string, organizationId: string): Promise<void> {
  await db.update(users).set({ lastOrganizationId: organizationId }).where(eq(users.id, userId));
}

/** The organization a person last chose (null when never chose, or no longer a member there). */
export async function getLastOrganization(db: Executor, userId: string): Promise<string | null> {
  const [row] = await db
    .select({ organizationId: memberships.organizationId })
    .from(users)
    .innerJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.organizationId, users.lastOrganizationId)))
    .where(eq(users.id, userId))
    .limit(1);
  return row?.organizationId ?? null;
}
