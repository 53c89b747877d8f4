// What a session's device knows: contacts (names, LID↔phone-number), groups and their members. Batched,
// idempotent upserts: each call is one statement over a JSON array, so a batch costs one round trip.
import { createHash } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { contacts, groupMembers, groups } from "../schema/index.ts";

export interface ContactUpsert {
  /** Canonical id: the phone-number JID when known, else the LID. */
  jid: string;
  phoneJid?: string | null;
  lidJid?: string | null;
  name?: string | null;
  notify?: string | null;
  verifiedName?: string | null;
}

export interface GroupUpsert {
  jid: string;
  subject?: string | null;
  description?: string | null;
  ownerJid?: string | null;
  /** Epoch ms. */
  creation?: number | null;
  size?: number | null;
  announce?: boolean | null;
  restrict?: boolean | null;
}

export type GroupMemberRole = "member" | "admin" | "superadmin";

export interface GroupMemberUpsert {
  groupJid: string;
  memberJid: string;
  phoneJid?: string | null;
  lidJid?: string | null;
  role: GroupMemberRole;
}

const pick = <T>(a: T | null | undefined, b: T | null | undefined): T | null => (b ?? a ?? null);

/** One row per key: Postgres refuses an upsert that touches the same row twice in one statement. */
function dedupe<T>(rows: readonly T[], key: (r: T) => string, merge: (a: T, b: T) => T): T[] {
  const byKey = new Map<string, T>();
  for (const row of rows) {
    const k = key(row);
    const prev = byKey.get(k);
    byKey.set(k, prev ? merge(prev, row) : row);
  }
  return [...byKey.values()];
}

/** Upserts contacts; a field that is null/absent in the batch keeps its stored value. Returns rows written. */
export async function upsertContacts(db: Executor, sessionId: string, rows: readonly ContactUpsert[]): Promise<number> {
  const unique = dedupe(
    rows,
    (r) => r.jid,
    (a, b) => ({
      jid: a.jid,
      phoneJid: pick(a.phoneJid, b.phoneJid),
      lidJid: pick(a.lidJid, b.lidJid),
      name: pick(a.name, b.name),
      notify: pick(a.notify, b.notify),
      verifiedName: pick(a.verifiedName, b.verifiedName),
    }),
  );
  if (unique.length === 0) return 0;
  const payload = JSON.stringify(
    unique.map((r) => ({
      jid: r.jid,
      phone_jid: r.phoneJid ?? null,
      lid_jid: r.lidJid ?? null,
      name: r.name ?? null,
      notify: r.notify ?? null,
      verified_name: r.verifiedName ?? null,
    })),
  );
  // Rows equal to the stored ones are left out before the upsert: `on conflict … where` would skip their update but
  // still lock (and so dirty) each stored row, and a resync sends every contact again. Same in the two upserts below.
  await db.execute(sql`
    insert into contacts as c (session_id, jid, phone_jid, lid_jid, name, notify, verified_name, created_at, updated_at)
    select ${sessionId}, r.jid, r.phone_jid, r.lid_jid, r.name, r.notify, r.verified_name, now(), now()
    from jsonb_to_recordset(${payload}::jsonb)
      as r(jid text, phone_jid text, lid_jid text, name text, notify text, verified_name text)
    where not exists (
      select 1 from contacts s where s.session_id = ${sessionId} and s.jid = r.jid
        and (s.phone_jid, s.lid_jid, s.name, s.notify, s.verified_name) is not distinct from
          (coalesce(r.phone_jid, s.phone_jid), coalesce(r.lid_jid, s.lid_jid), coalesce(r.name, s.name),
           coalesce(r.notify, s.notify), coalesce(r.verified_name, s.verified_name)))
    on conflict (session_id, jid) do update set
      phone_jid = coalesce(excluded.phone_jid, c.phone_jid),
      lid_jid = coalesce(excluded.lid_jid, c.lid_jid),
      name = coalesce(excluded.name, c.name),
      notify = coalesce(excluded.notify, c.notify),
      verified_name = coalesce(excluded.verified_name, c.verified_name),
      updated_at = now()
    where (c.phone_jid, c.lid_jid, c.name, c.notify, c.verified_name) is distinct from
      (coalesce(excluded.phone_jid, c.phone_jid), coalesce(excluded.lid_jid, c.lid_jid), coalesce(excluded.name, c.name),
       coalesce(excluded.notify, c.notify), coalesce(excluded.verified_name, c.verified_name))`);
  return unique.length;
}

/**
 * Records LID↔phone-number mappings on contacts the session already has (by either form). Mappings also exist
 * for people who are not contacts (group members), so this never creates a contact.
 */
export async function applyContactLidMappings(
  db: Executor,
  sessionId: string,
  mappings: readonly { phoneJid: string; lidJid: string }[],
): Promise<void> {
  if (mappings.length === 0) return;
  const payload = JSON.stringify(mappings.map((m) => ({ pn: m.phoneJid, lid: m.lidJid })));
  // Matched by primary key on either form (two index probes per mapping, not a scan per mapping).
  await db.execute(sql`
    update contacts c set phone_jid = x.pn, lid_jid = x.lid, updated_at = now()
    from (
      select m.pn, m.lid, k.jid
      from jsonb_to_recordset(${payload}::jsonb) as m(pn text, lid text)
      cross join lateral (values (m.pn), (m.lid)) as k(jid)
    ) x
    where c.session_id = ${sessionId} and c.jid = x.jid
      and (c.phone_jid, c.lid_jid) is distinct from (x.pn, x.lid)`);
}

/** One row per group JID; a later row's present fields win, absent ones keep the earlier row's. */
const dedupeGroups = (rows: readonly GroupUpsert[]): GroupUpsert[] =>
  dedupe(
    rows,
      (r) => r.jid,
      (a, b) => ({
        jid: a.jid,
        subject: pick(a.subject, b.subject),
        description: pick(a.description, b.description),
        ownerJid: pick(a.ownerJid, b.ownerJid),
        creation: pick(a.creation, b.creation),
        size: pick(a.size, b.size),
        announce: pick(a.announce, b.announce),
        restrict: pick(a.restrict, b.restrict),
      }),
    );

/** A group's columns as the JSON statements read them (absent fields as null). */
const groupColumns = (r: GroupUpsert) => ({
  jid: r.jid,
  subject: r.subject ?? null,
  description: r.description ?? null,
  owner_jid: r.ownerJid ?? null,
  creation: r.creation ?? null,
  size: r.size ?? null,
  announce: r.announce ?? null,
  restrict: r.restrict ?? null,
});

/** The stored row of the group `gs.jid` (joined laterally as `cur`). */
const storedGroup = (sessionId: string) => sql`select * from groups g0 where g0.session_id = ${sessionId} and g0.jid = gs.jid limit 1`;

/** A fetched group `gs` is new, or sets a field to another value than its stored row `cur` (absent fields keep it). */
const groupFieldsDiffer = sql`(cur.jid is null
  or (cur.subject, cur.description, cur.owner_jid, cur.creation, cur.size, cur.announce, cur.restrict)
    is distinct from (coalesce(gs.subject, cur.subject), coalesce(gs.description, cur.description),
      coalesce(gs.owner_jid, cur.owner_jid),
      coalesce(case when gs.creation is null then null else to_timestamp(gs.creation / 1000.0) end, cur.creation),
      coalesce(gs.size, cur.size), coalesce(gs.announce, cur.announce), coalesce(gs.restrict, cur.restrict)))`;

/** Upserts groups; absent fields keep their stored values. Returns rows written. */
export async function upsertGroups(db: Executor, sessionId: string, rows: readonly GroupUpsert[]): Promise<number> {
  const unique = dedupeGroups(rows);
  if (unique.length === 0) return 0;
  const payload = JSON.stringify(unique.map(groupColumns));
  await db.execute(sql`
    insert into groups as g (session_id, jid, subject, description, owner_jid, creation, size, announce, restrict,
      created_at, updated_at)
    select ${sessionId}, r.jid, r.subject, r.description, r.owner_jid,
      case when r.creation is null then null else to_timestamp(r.creation / 1000.0) end,
      r.size, r.announce, r.restrict, now(), now()
    from jsonb_to_recordset(${payload}::jsonb) as r(jid text, subject text, description text, owner_jid text,
      creation bigint, size int, announce boolean, restrict boolean)
    where not exists (
      select 1 from groups s where s.session_id = ${sessionId} and s.jid = r.jid
        and (s.subject, s.description, s.owner_jid, s.creation, s.size, s.announce, s.restrict) is not distinct from
          (coalesce(r.subject, s.subject), coalesce(r.description, s.description), coalesce(r.owner_jid, s.owner_jid),
           coalesce(case when r.creation is null then null else to_timestamp(r.creation / 1000.0) end, s.creation),
           coalesce(r.size, s.size), coalesce(r.announce, s.announce), coalesce(r.restrict, s.restrict)))
    on conflict (session_id, jid) do update set
      subject = coalesce(excluded.subject, g.subject),
      description = coalesce(excluded.description, g.description),
      owner_jid = coalesce(excluded.owner_jid, g.owner_jid),
      creation = coalesce(excluded.creation, g.creation),
      size = coalesce(excluded.size, g.size),
      announce = coalesce(excluded.announce, g.announce),
      restrict = coalesce(excluded.restrict, g.restrict),
      updated_at = now()
    where (g.subject, g.description, g.owner_jid, g.creation, g.size, g.announce, g.restrict) is distinct from
      (coalesce(excluded.subject, g.subject), coalesce(excluded.description, g.description),
       coalesce(excluded.owner_jid, g.owner_jid), coalesce(excluded.creation, g.creation),
       coalesce(excluded.size, g.size), coalesce(excluded.announce, g.announce), coalesce(excluded.restrict, g.restrict))`);
  return unique.length;
}

/** Makes sure group rows exist (member rows reference them) without touching known ones. */
export async function ensureGroups(db: Executor, sessionId: string, groupJids: readonly string[]): Promise<void> {
  if (groupJids.length === 0) return;
  await db.execute(sql`
    insert into groups (session_id, jid, created_at, updated_at)
    select ${sessionId}, j, now(), now() from jsonb_array_elements_text(${JSON.stringify([...new Set(groupJids)])}::jsonb) as j
    on conflict (session_id, jid) do nothing`);
}

/** Upserts memberships (the groups must exist). Returns rows written. */
export async function upsertGroupMembers(
  db: Executor,
  sessionId: string,
  rows: readonly GroupMemberUpsert[],
): Promise<number> {
  const unique = dedupe(
    rows,
    (r) => `${r.groupJid}\u0000${r.memberJid}`,
    (a, b) => ({ ...a, ...b, phoneJid: pick(a.phoneJid, b.phoneJid), lidJid: pick(a.lidJid, b.lidJid) }),
  );
  if (unique.length === 0) return 0;
  const payload = JSON.stringify(
    unique.map((r) => ({ g: r.groupJid, m: r.memberJid, pn: r.phoneJid ?? null, lid: r.lidJid ?? null, role: r.role })),
  );
  await db.execute(sql`
    insert into group_members as gm (session_id, group_jid, member_jid, phone_jid, lid_jid, role, created_at, updated_at)
    select ${sessionId}, r.g, r.m, r.pn, r.lid, r.role, now(), now()
    from jsonb_to_recordset(${payload}::jsonb) as r(g text, m text, pn text, lid text, role text)
    where not exists (
      select 1 from group_members s where s.session_id = ${sessionId} and s.group_jid = r.g and s.member_jid = r.m
        and (s.phone_jid, s.lid_jid, s.role) is not distinct from (coalesce(r.pn, s.phone_jid), coalesce(r.lid, s.lid_jid), r.role))
    on conflict (session_id, group_jid, member_jid) do update set
      phone_jid = coalesce(excluded.phone_jid, gm.phone_jid),
      lid_jid = coalesce(excluded.lid_jid, gm.lid_jid),
      role = excluded.role,
      updated_at = now()
    where (gm.phone_jid, gm.lid_jid, gm.role) is distinct from
      (coalesce(excluded.phone_jid, gm.phone_jid), coalesce(excluded.lid_jid, gm.lid_jid), excluded.role)`);
  return unique.length;
}

/** Sets the role of existing memberships (promote/demote). */
export async function setGroupMemberRoles(
  db: Executor,
  sessionId: string,
  groupJid: string,
  memberJids: readonly string[],
  role: GroupMemberRole,
): Promise<void> {
  if (memberJids.length === 0) return;
  await db.execute(sql`
    update group_members set role = ${role}, updated_at = now()
    where session_id = ${sessionId} and group_jid = ${groupJid}
      and member_jid in (select jsonb_array_elements_text(${JSON.stringify(memberJids)}::jsonb))`);
}

export async function removeGroupMembers(
  db: Executor,
  sessionId: string,
  groupJid: string,
  memberJids: readonly string[],
): Promise<void> {
  if (memberJids.length === 0) return;
  await db.execute(sql`
    delete from group_members
    where session_id = ${sessionId} and group_jid = ${groupJid}
      and member_jid in (select jsonb_array_elements_text(${JSON.stringify(memberJids)}::jsonb))`);
}

/** Deletes memberships of the given groups that are not in `keep` (people who left since the last sync). */
export async function pruneGroupMembers(
  db: Executor,
  sessionId: string,
  groupJids: readonly string[],
  keep: readonly { groupJid: string; memberJid: string }[],
): Promise<void> {
  if (groupJids.length === 0) return;
  await db.execute(sql`
    delete from group_members gm
    where gm.session_id = ${sessionId}
      and gm.group_jid in (select jsonb_array_elements_text(${JSON.stringify(groupJids)}::jsonb))
      and not exists (
        select 1 from jsonb_to_recordset(${JSON.stringify(keep.map((k) => ({ g: k.groupJid, m: k.memberJid })))}::jsonb)
          as k(g text, m text)
        where k.g = gm.group_jid and k.m = gm.member_jid)`);
}

/** Deletes the session's groups (and, by cascade, memberships) that are not in `keepJids`: groups it left. */
export async function pruneGroups(db: Executor, sessionId: string, keepJids: readonly string[]): Promise<void> {
  await db.execute(sql`
    delete from groups g
    where g.session_id = ${sessionId}
      and g.jid not in (select jsonb_array_elements_text(${JSON.stringify(keepJids)}::jsonb))`);
}

export interface GroupSyncResult {
  /** Group rows inserted or changed. */
  groupsWritten: number;
  /** Membership rows inserted or changed. */
  membersWritten: number;
  /** Memberships of these groups that were not in the batch (people who left), deleted. */
  membersRemoved: number;
}

/**
 * Makes the stored state of `groups` equal to the batch — group fields, every membership, nothing else — in ONE
 * statement (one round trip, atomic without a transaction). Only what differs is written: rows equal to the stored
 * ones are filtered out before the upsert (no row lock, no dead tuple), and the stale-member delete is an anti-join
 * against the batch. Stored rows are reached by primary-key probes per batch row (lateral joins that `limit`/`offset`
 * keeps from being flattened): the batch's size is unknown to the planner, which would otherwise hash-join against
 * every membership of the session. `members` must all belong to `groups`.
 * Absent (null) fields keep their stored values, as in the upserts above.
 */
export async function syncGroups(
  db: Executor,
  sessionId: string,
  groupRows: readonly GroupUpsert[],
  members: readonly GroupMemberUpsert[],
): Promise<GroupSyncResult> {
  const none = { groupsWritten: 0, membersWritten: 0, membersRemoved: 0 };
  const batchGroups = dedupeGroups(groupRows);
  if (batchGroups.length === 0) return none;
  const batchMembers = dedupe(
    members,
    (r) => `${r.groupJid}\u0000${r.memberJid}`,
    (a, b) => ({ ...a, ...b, phoneJid: pick(a.phoneJid, b.phoneJid), lidJid: pick(a.lidJid, b.lidJid) }),
  );
  // A resync mostly finds nothing changed: one read of the stored groups' digests, and only the groups that
  // differ are sent to the writing statement (none: no write at all).
  const changed = await changedGroups(db, sessionId, batchGroups, batchMembers);
  if (changed.size === 0) return none;
  const uniqueGroups = batchGroups.filter((g) => changed.has(g.jid));
  const uniqueMembers = batchMembers.filter((m) => changed.has(m.groupJid));
  const groupsJson = JSON.stringify(uniqueGroups.map(groupColumns));
  const membersJson = JSON.stringify(
    uniqueMembers.map((r) => ({ g: r.groupJid, m: r.memberJid, pn: r.phoneJid ?? null, lid: r.lidJid ?? null, role: r.role })),
  );
  // The member insert and the group insert are one statement: the foreign key is checked at its end, when the
  // batch's groups exist. The CTEs share one snapshot, so the delete never sees (or removes) rows inserted here.
  const rows = await db.execute<{ groups_written: number; members_written: number; members_removed: number }>(sql`
    with gs as materialized (
      select * from jsonb_to_recordset(${groupsJson}::jsonb) as r(jid text, subject text, description text,
        owner_jid text, creation bigint, size int, announce boolean, restrict boolean)
    ),
    ms as materialized (
      select * from jsonb_to_recordset(${membersJson}::jsonb) as r(g text, m text, pn text, lid text, role text)
    ),
    g_changed as (
      select gs.jid, gs.subject, gs.description, gs.owner_jid,
        case when gs.creation is null then null else to_timestamp(gs.creation / 1000.0) end as creation,
        gs.size, gs.announce, gs.restrict
      from gs left join lateral (${storedGroup(sessionId)}) cur on true
      where ${groupFieldsDiffer}
    ),
    g_written as (
      insert into groups as g (session_id, jid, subject, description, owner_jid, creation, size, announce, restrict,
        created_at, updated_at)
      select ${sessionId}, jid, subject, description, owner_jid, creation, size, announce, restrict, now(), now()
      from g_changed
      on conflict (session_id, jid) do update set
        subject = coalesce(excluded.subject, g.subject),
        description = coalesce(excluded.description, g.description),
        owner_jid = coalesce(excluded.owner_jid, g.owner_jid),
        creation = coalesce(excluded.creation, g.creation),
        size = coalesce(excluded.size, g.size),
        announce = coalesce(excluded.announce, g.announce),
        restrict = coalesce(excluded.restrict, g.restrict),
        updated_at = now()
      returning 1
    ),
    m_changed as (
      select ms.g, ms.m, ms.pn, ms.lid, ms.role
      from ms left join lateral (
        select * from group_members m0
        where m0.session_id = ${sessionId} and m0.group_jid = ms.g and m0.member_jid = ms.m limit 1
      ) cur on true
      where cur.member_jid is null
        or (cur.phone_jid, cur.lid_jid, cur.role)
          is distinct from (coalesce(ms.pn, cur.phone_jid), coalesce(ms.lid, cur.lid_jid), ms.role)
    ),
    m_written as (
      insert into group_members as gm (session_id, group_jid, member_jid, phone_jid, lid_jid, role, created_at,
        updated_at)
      select ${sessionId}, g, m, pn, lid, role, now(), now() from m_changed
      on conflict (session_id, group_jid, member_jid) do update set
        phone_jid = coalesce(excluded.phone_jid, gm.phone_jid),
        lid_jid = coalesce(excluded.lid_jid, gm.lid_jid),
        role = excluded.role,
        updated_at = now()
      returning 1
    ),
    m_removed as (
      delete from group_members gm
      using (
        select cur.group_jid, cur.member_jid
        from gs cross join lateral (
          select m0.group_jid, m0.member_jid from group_members m0
          where m0.session_id = ${sessionId} and m0.group_jid = gs.jid offset 0
        ) cur
        where not exists (select 1 from ms where ms.g = cur.group_jid and ms.m = cur.member_jid)
      ) stale
      where gm.session_id = ${sessionId} and gm.group_jid = stale.group_jid and gm.member_jid = stale.member_jid
      returning 1
    )
    select (select count(*) from g_written)::int as groups_written,
      (select count(*) from m_written)::int as members_written,
      (select count(*) from m_removed)::int as members_removed`);
  const row = rows[0];
  return {
    groupsWritten: row?.groups_written ?? 0,
    membersWritten: row?.members_written ?? 0,
    membersRemoved: row?.members_removed ?? 0,
  };
}

/**
 * A group's membership as one string, built the same way here and in SQL (`MEMBER_DIGEST`): each field
 * length-prefixed (null as `~`), members ordered by JID, so two equal digests mean equal member lists. A value whose
 * length or order the two sides count differently (non-ASCII) only makes the digests differ: the group is then
 * synced in full, never skipped wrongly.
 */
function memberDigest(members: readonly GroupMemberUpsert[]): string {
  const field = (v: string | null | undefined) => (v === null || v === undefined ? "~" : `${v.length}:${v}`);
  const rows = members
    .map((m) => ({ key: m.memberJid, text: `${field(m.memberJid)}${field(m.phoneJid)}${field(m.lidJid)}${field(m.role)}` }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return createHash("md5").update(rows.map((r) => r.text).join("|"), "utf8").digest("hex");
}

const sqlField = (column: string) => `coalesce(length(${column})::text || ':' || ${column}, '~')`;
const MEMBER_DIGEST = sql.raw(
  `md5(coalesce(string_agg(${["m0.member_jid", "m0.phone_jid", "m0.lid_jid", "m0.role"].map(sqlField).join(" || ")}, '|' order by m0.member_jid collate "C"), ''))`,
);

/**
 * The JIDs of the batch's groups whose stored state differs from the batch: a field the batch sets to another value,
 * or a member list (with phone numbers, LIDs, roles) not exactly equal to the batch's. One read-only statement; the
 * members travel as one digest per group.
 */
async function changedGroups(
  db: Executor,
  sessionId: string,
  batch: readonly GroupUpsert[],
  members: readonly GroupMemberUpsert[],
): Promise<Set<string>> {
  const byGroup = new Map<string, GroupMemberUpsert[]>(batch.map((g) => [g.jid, []]));
  for (const m of members) byGroup.get(m.groupJid)?.push(m);
  const payload = JSON.stringify(
    batch.map((r) => ({ ...groupColumns(r), digest: memberDigest(byGroup.get(r.jid) ?? []) })),
  );
  const rows = await db.execute<{ jid: string }>(sql`
    select gs.jid
    from jsonb_to_recordset(${payload}::jsonb) as gs(jid text, subject text, description text, owner_jid text,
      creation bigint, size int, announce boolean, restrict boolean, digest text)
    left join lateral (${storedGroup(sessionId)}) cur on true
    where ${groupFieldsDiffer}
      or gs.digest is distinct from (
        select ${MEMBER_DIGEST} from group_members m0 where m0.session_id = ${sessionId} and m0.group_jid = gs.jid)`);
  return new Set(rows.map((r) => r.jid));
}

/**
 * One keyset page of the session's contacts (by jid), counted in the database: how many rows it holds and its last
 * jid, for counting them page by page without reading them (the primary key's index serves it).
 */
export async function countContactsPage(
  db: Executor,
  sessionId: string,
  afterJid: string | null,
  limit: number,
): Promise<{ count: number; lastJid: string | null }> {
  const rows = await db.execute<{ count: number; last_jid: string | null }>(sql`
    select count(*)::int as count, max(p.jid) as last_jid
    from (
      select c.jid from contacts c
      where c.session_id = ${sessionId} ${afterJid === null ? sql`` : sql`and c.jid > ${afterJid}`}
      order by c.jid limit ${limit}
    ) p`);
  const row = rows[0];
  return { count: row?.count ?? 0, lastJid: row?.last_jid ?? null };
}

/** How many contacts the session has stored: one count in the database, no rows read into the caller. */
export async function countContacts(db: Executor, sessionId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(contacts).where(eq(contacts.sessionId, sessionId));
  return row?.n ?? 0;
}

export async function countDirectory(
  db: Executor,
  sessionId: string,
): Promise<{ contacts: number; groups: number; groupMembers: number }> {
  const c = await countContacts(db, sessionId);
  const [g] = await db.select({ n: sql<number>`count(*)::int` }).from(groups).where(eq(groups.sessionId, sessionId));
  const [m] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(groupMembers)
    .where(eq(groupMembers.sessionId, sessionId));
  return { contacts: c, groups: g?.n ?? 0, groupMembers: m?.n ?? 0 };
}
