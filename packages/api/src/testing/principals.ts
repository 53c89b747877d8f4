// Seeded people and keys as principals: the demo organizations, an Acme admin, and api-keys with chosen permissions.
import {
  DEMO_ORGANIZATIONS,
  PLATFORM_ORGANIZATION,
  seed,
  type ApiKeyPermission,
  type Database,
} from "@wa/db";
import { addMembership, createUser, findUserByEmail, createApiKey } from "@wa/db/queries";
import { generateApiKey } from "../auth/api-key.ts";
import type { KeyPrincipal, UserPrincipal } from "../context.ts";

export const ACME = DEMO_ORGANIZATIONS[0].id;
export const GLOBEX = DEMO_ORGANIZATIONS[1].id;

export interface Fixture {
  superAdmin: UserPrincipal;
  acmeOwner: UserPrincipal;
  acmeAdmin: UserPrincipal;
  acmeMember: UserPrincipal;
  globexOwner: UserPrincipal;
  globexMember: UserPrincipal;
}

async function person(
  db: Database,
  email: string,
  organizationId: string,
  orgRole: UserPrincipal["orgRole"],
  platformRole: UserPrincipal["platformRole"] = null,
): Promise<UserPrincipal> {
  const user = await findUserByEmail(db, email);
  if (!user) throw new Error(`seed did not create ${email}`);
  return { kind: "user", userId: user.id, organizationId, orgRole, platformRole, email: user.email, name: user.name };
}

/** Seeds the demo data plus admin@acme.test (org admin), and returns each person as a login principal. */
export async function seedFixture(db: Database): Promise<Fixture> {
  await seed(db, { superAdminEmail: "admin@example.com", superAdminPassword: "pw-admin-123", demoPassword: "pw-demo-123" });
  if (!(await findUserByEmail(db, "admin@acme.test"))) {
    const admin = await createUser(db, { email: "admin@acme.test", name: "Ann Admin", passwordHash: "scrypt$unused" });
    await addMembership(db, { userId: admin.id, organizationId: ACME, role: "admin" });
  }
  return {
    superAdmin: await person(db, "admin@example.com", PLATFORM_ORGANIZATION.id, "owner", "super_admin"),
    acmeOwner: await person(db, "owner@acme.test", ACME, "owner"),
    acmeAdmin: await person(db, "admin@acme.test", ACME, "admin"),
    acmeMember: await person(db, "member@acme.test", ACME, "member"),
    globexOwner: await person(db, "owner@globex.test", GLOBEX, "owner"),
    globexMember: await person(db, "member@globex.test", GLOBEX, "member"),
  };
}

/** Inserts an api-key; returns the raw key (as a client would hold it) and its principal. */
export async function createTestApiKey(
  db: Database,
  organizationId: string,
  permissions: ApiKeyPermission[],
  options: { expiresAt?: Date | null; name?: string } = {},
): Promise<{ raw: string; principal: KeyPrincipal }> {
  const { raw, prefix, hash } = generateApiKey();
  const key = await createApiKey(db, {
    organizationId,
    name: options.name ?? `test ${permissions.join("+")}`,
    prefix,
    keyHash: hash,
    permissions,
    createdByUserId: null,
    expiresAt: options.expiresAt ?? null,
  });
  return { raw, principal: { kind: "api_key", keyId: key.id, organizationId, permissions } };
}
