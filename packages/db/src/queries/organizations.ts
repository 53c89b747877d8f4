// The platform's organizations for super admins: paged by name, searchable, with member and session counts.
import { and, asc, eq, ilike, or, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { memberships, organizations, waSessions } from "../schema/index.ts";
import { decodeCursor, encodeCursor } from "./page-cursor.ts";

export interface OrganizationSummary {
  id: string;
  name: string;
  members: number;
  sessions: number;
  createdAt: Date;
}

export interface OrganizationCursor {
  name: string;
  id: string;
}

export function decodeOrganizationCursor(value: string): OrganizationCursor | null {
  const parts = decodeCursor(value, ["string", "string"]);
  return parts ? { name: String(parts[0]), id: String(parts[1]) } : null;
}

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/** One page by name (then id), keyset; `q` matches the name (substring) or the exact id. */
export async function listOrganizationSummaries(
  db: Executor,
  params: { limit: number; cursor?: OrganizationCursor | null; q?: string },
): Promise<{ data: OrganizationSummary[]; nextCursor: string | null }> {
  const term = params.q?.trim();
  const { cursor } = params;
  const rows = await db
    .select({
      id: organizations.id,
      name: organizations.name,
      createdAt: organizations.createdAt,
      // Correlated counts: each uses the organization index of its table, and a page is at most 200 rows.
      // (Columns spelled with their tables: drizzle writes bare column names here, and wa_sessions has an id too.)
      members: sql<number>`(select count(*)::int from ${memberships} m where m.organization_id = "organizations"."id")`,
      sessions: sql<number>`(select count(*)::int from ${waSessions} s where s.organization_id = "organizations"."id")`,
    })
    .from(organizations)
    .where(
      and(
        term ? or(eq(organizations.id, term), ilike(organizations.name, `%${escapeLike(term)}%`)) : undefined,
        cursor ? sql`(${organizations.name}, ${organizations.id}) > (${cursor.name}, ${cursor.id})` : undefined,
      ),
    )
    .orderBy(asc(organizations.name), asc(organizations.id))
    .limit(params.limit + 1);
  const page = rows.slice(0, params.limit);
  const last = page.at(-1);
  return {
    data: page.map((r) => ({ ...r, members: Number(r.members), sessions: Number(r.sessions) })),
    nextCursor: rows.length > params.limit && last ? encodeCursor([last.name, last.id]) : null,
  };
}

/** An organization's name (for messages that name it, such as an invitation by mail); null when it is gone. */
export async function organizationName(db: Executor, id: string): Promise<string | null> {
  const [row] = await db.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, id)).limit(1);
  return row?.name ?? null;
}
