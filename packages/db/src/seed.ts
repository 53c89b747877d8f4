// Idempotent seed: the platform super admin, the demo organizations and people, and optional synthetic sessions.
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Executor } from "./client.ts";
import { hashPassword } from "./passwords.ts";
import {
  addMembership,
  createUser,
  findUserByEmail,
  normalizeEmail,
} from "./queries/identity.ts";
import type { OrgRole } from "./contract.ts";
import { organizations, waSessions } from "./schema/index.ts";

export const DEMO_ORGANIZATIONS = [
  { id: "01DEM0ACME00000000000000AC", name: "Acme" },
  { id: "01DEM0G10BEX00000000000G1X", name: "Globex" },
] as const;

export const DEMO_PEOPLE: { email: string; name: string; organizationId: string; role: OrgRole }[] = [
  { email: "owner@acme.test", name: "Ada Owner", organizationId: DEMO_ORGANIZATIONS[0].id, role: "owner" },
  { email: "member@acme.test", name: "Max Member", organizationId: DEMO_ORGANIZATIONS[0].id, role: "member" },
  { email: "owner@globex.test", name: "Grace Owner", organizationId: DEMO_ORGANIZATIONS[1].id, role: "owner" },
  { email: "member@globex.test", name: "Gus Member", organizationId: DEMO_ORGANIZATIONS[1].id, role: "member" },
];

export const PLATFORM_ORGANIZATION = { id: "01P1ATF0RM0000000000000000", name: "Platform" } as const;

export interface SeedOptions {
  superAdminEmail: string;
  /** Used only when the super admin is created; generated when absent. */
  superAdminPassword?: string;
  /** Used only when a demo person is created; generated when absent. */
  demoPassword?: string;
  /** Synthetic stopped sessions for scale work. */
  sessions?: number;
  /** Organizations the synthetic sessions are spread over. */
  orgs?: number;
  gatewayIds?: string[];
}

export interface SeedResult {
  /** Passwords this run generated (only for accounts it created); print once, never log elsewhere. */
  generatedPasswords: { email: string; password: string }[];
  createdUsers: number;
  syntheticSessions: number;
}

export const generatePassword = (): string => randomBytes(12).toString("base64url");

async function ensureOrganization(db: Executor, org: { id: string; name: string }) {
  await db.insert(organizations).values(org).onConflictDoNothing();
}

async function ensureUser(
  db: Executor,
  params: { email: string; name: string; password: string | undefined; superAdmin?: boolean },
  result: SeedResult,
) {
  const existing = await findUserByEmail(db, params.email);
  if (existing) return existing;
  const password = params.password ?? generatePassword();
  if (!params.password) result.generatedPasswords.push({ email: normalizeEmail(params.email), password });
  result.createdUsers += 1;
  return createUser(db, {
    email: params.email,
    name: params.name,
    passwordHash: await hashPassword(password),
    platformRole: params.superAdmin ? "super_admin" : null,
  });
}

export async function seed(db: Executor, options: SeedOptions): Promise<SeedResult> {
  const result: SeedResult = { generatedPasswords: [], createdUsers: 0, syntheticSessions: 0 };

  await ensureOrganization(db, PLATFORM_ORGANIZATION);
  const admin = await ensureUser(
    db,
    { email: options.superAdminEmail, name: "Platform Admin", password: options.superAdminPassword, superAdmin: true },
    result,
  );
  await addMembership(db, { userId: admin.id, organizationId: PLATFORM_ORGANIZATION.id, role: "owner" });

  for (const org of DEMO_ORGANIZATIONS) await ensureOrganization(db, org);
  // One generated demo password is shared by the demo people, so it is printed once.
  const demoPassword = options.demoPassword ?? generatePassword();
  let demoGenerated = false;
  for (const person of DEMO_PEOPLE) {
    const before = result.createdUsers;
    const user = await ensureUser(
      db,
      { email: person.email, name: person.name, password: demoPassword },
      result,
    );
    if (result.createdUsers > before && !options.demoPassword) demoGenerated = true;
    await addMembership(db, { userId: user.id, organizationId: person.organizationId, role: person.role });
  }
  if (demoGenerated) result.generatedPasswords.push({ email: "demo people (*.test)", password: demoPassword });

  if (options.sessions && options.sessions > 0) {
    result.syntheticSessions = await seedSyntheticSessions(db, {
      sessions: options.sessions,
      orgs: Math.max(1, options.orgs ?? 1),
      gatewayIds: options.gatewayIds ?? ["gw-local-1"],
    });
  }
  return result;
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
function crockford(value: number, length: number): string {
  let out = "";
  let v = value;
  for (let i = 0; i < length; i++) {
    out = CROCKFORD[v % 32] + out;
    v = Math.floor(v / 32);
  }
  return out;
}

/** Deterministic ULID-shaped ids, so reseeding finds the rows it made before instead of adding more. */
const syntheticId = (kind: "R" | "S", createdAtMs: number, index: number) =>
  `${crockford(createdAtMs, 10)}${kind}${crockford(index, 15)}`;

const SYNTHETIC_EPOCH = Date.UTC(2025, 0, 1);
const BATCH = 2000;

async function seedSyntheticSessions(
  db: Executor,
  params: { sessions: number; orgs: number; gatewayIds: string[] },
): Promise<number> {
  const orgIds: string[] = [];
  for (let o = 0; o < params.orgs; o++) {
    const id = syntheticId("R", SYNTHETIC_EPOCH, o);
    orgIds.push(id);
    await ensureOrganization(db, { id, name: `Synthetic Org ${String(o + 1).padStart(4, "0")}` });
  }
  let inserted = 0;
  for (let start = 0; start < params.sessions; start += BATCH) {
    const rows = [];
    for (let i = start; i < Math.min(params.sessions, start + BATCH); i++) {
      // Ten seconds apart, so the newest-first order is the reverse of i.
      const createdAt = new Date(SYNTHETIC_EPOCH + i * 10_000);
      const phone = `62${String(800_000_000 + i).padStart(10, "0")}`;
      rows.push({
        id: syntheticId("S", createdAt.getTime(), i),
        organizationId: orgIds[i % orgIds.length] ?? PLATFORM_ORGANIZATION.id,
        gatewayId: params.gatewayIds[i % params.gatewayIds.length] ?? "gw-local-1",
        label: `Synthetic line ${i + 1}`,
        phoneNumber: phone,
        waJid: `${phone}@s.whatsapp.net`,
        waLid: `${String(100_000_000_000_000 + i)}@lid`,
        status: "stopped" as const,
        createdAt,
        updatedAt: createdAt,
      });
    }
    const result = await db.insert(waSessions).values(rows).onConflictDoNothing().returning({ id: waSessions.id });
    inserted += result.length;
  }
  return inserted;
}

export async function countRows(db: Executor) {
  const result = await db.execute<{ users: number; organizations: number; memberships: number; sessions: number }>(sql`
    select (select count(*) from users)::int as users,
           (select count(*) from organizations)::int as organizations,
           (select count(*) from memberships)::int as memberships,
           (select count(*) from wa_sessions)::int as sessions`);
  const row = result[0];
  if (!row) throw new Error("count query returned no row");
  return row;
}
