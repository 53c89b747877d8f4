// WhatsApp session rows: keyset pages (newest first), lookups scoped to an organization, and updates.
import { and, desc, eq, ilike, inArray, like, or, sql, type SQL } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { newId } from "../ids.ts";
import type { SessionStatus } from "../contract.ts";
import { waSessions, type WaSessionRow } from "../schema/index.ts";

/** The contract's WASession: times as epoch-ms integers, unset fields null. */
export interface WaSession {
  id: string;
  organizationId: string;
  gatewayId: string;
  label: string | null;
  phoneNumber: string | null;
  waJid: string | null;
  waLid: string | null;
  status: SessionStatus;
  /** Why the session is in its status or is retrying, in words a person can act on; null when nothing to say. */
  statusReason: string | null;
  isAdminSession: boolean;
  autoRead: boolean;
  presenceTyping: boolean;
  ratePerMin: number;
  ratePerHour: number;
  createdByUserId: string | null;
  createdAt: number;
  updatedAt: number;
  lastConnectedAt: number | null;
}

/** Explicit selection: the columns a WASession is made of and nothing else. */
const sessionColumns = {
  id: waSessions.id,
  organizationId: waSessions.organizationId,
  gatewayId: waSessions.gatewayId,
  label: waSessions.label,
  phoneNumber: waSessions.phoneNumber,
  waJid: waSessions.waJid,
  waLid: waSessions.waLid,
  status: waSessions.status,
  statusReason: waSessions.statusReason,
  isAdminSession: waSessions.isAdminSession,
  autoRead: waSessions.autoRead,
  presenceTyping: waSessions.presenceTyping,
  ratePerMin: waSessions.ratePerMin,
  ratePerHour: waSessions.ratePerHour,
  createdByUserId: waSessions.createdByUserId,
  createdAt: waSessions.createdAt,
  updatedAt: waSessions.updatedAt,
  lastConnectedAt: waSessions.lastConnectedAt,
};
type SessionSelection = WaSessionRow;

export function toWaSession(row: SessionSelection): WaSession {
  return {
    ...row,
    createdAt: row.createdAt.getTime(),
    updatedAt: row.updatedAt.getTime(),
    lastConnectedAt: row.lastConnectedAt?.getTime() ?? null,
  };
}

export interface SessionCursor {
  createdAt: number;
  id: string;
}

export function encodeSessionCursor(cursor: SessionCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString("base64url");
}

/** 9999-12-31T23:59:59.999Z, the last instant PostgreSQL and ISO dates both write plainly. */
const LAST_CURSOR_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Null when the string is not a cursor this code issued. */
export function decodeSessionCursor(value: string): SessionCursor | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
    if (!Array.isArray(parsed) || parsed.length !== 2) return null;
    const [createdAt, id] = parsed as unknown[];
    // Years past 9999 serialize as "+275760-…", which PostgreSQL refuses: no row was created after that anyway
    if (typeof createdAt !== "number" || !Number.isSafeInteger(createdAt) || createdAt < 0 || createdAt > LAST_CURSOR_MS) {
      return null;
    }
    if (typeof id !== "string" || id.length === 0 || id.length > 64 || id.includes("\u0000")) return null;
    return { createdAt, id };
  } catch {
    return null;
  }
}

export interface ListSessionsParams {
  limit: number;
  cursor?: SessionCursor | null;
  organizationId?: string;
  statuses?: readonly SessionStatus[];
  gatewayId?: string;
  q?: string;
}

export interface SessionPage {
  data: WaSession[];
  nextCursor: string | null;
}

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

function searchCondition(q: string): SQL | undefined {
  const term = q.trim();
  if (!term) return undefined;
  const prefix = `${escapeLike(term)}%`;
  const digits = term.replace(/^\+/, "");
  return or(
    eq(waSessions.id, term),
    /^\d+$/.test(digits) ? like(waSessions.phoneNumber, `${escapeLike(digits)}%`) : undefined,
    like(waSessions.waJid, prefix),
    like(waSessions.waLid, prefix),
    ilike(waSessions.label, `%${escapeLike(term)}%`),
  );
}

/**
 * One page, newest first, keyset on (created_at, id): pages never repeat or skip a row while rows are inserted,
 * and a deep page costs what the first one does.
 */
export async function listSessions(db: Executor, params: ListSessionsParams): Promise<SessionPage> {
  const { cursor } = params;
  const conditions = [
    params.organizationId ? eq(waSessions.organizationId, params.organizationId) : undefined,
    params.gatewayId ? eq(waSessions.gatewayId, params.gatewayId) : undefined,
    params.statuses?.length ? inArray(waSessions.status, [...params.statuses]) : undefined,
    params.q ? searchCondition(params.q) : undefined,
    cursor
      ? sql`(${waSessions.createdAt}, ${waSessions.id}) < (${new Date(cursor.createdAt).toISOString()}::timestamptz, ${cursor.id})`
      : undefined,
  ];
  const rows = await db
    .select(sessionColumns)
    .from(waSessions)
    .where(and(...conditions))
    .orderBy(desc(waSessions.createdAt), desc(waSessions.id))
    .limit(params.limit + 1);
  const page = rows.slice(0, params.limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > params.limit && last
      ? encodeSessionCursor({ createdAt: last.createdAt.getTime(), id: last.id })
      : null;
  return { data: page.map(toWaSession), nextCursor };
}

/** A session by id; with organizationId, only when it belongs to that organization (else null, as unknown). */
export async function getSession(
  db: Executor,
  id: string,
  organizationId?: string,
): Promise<WaSession | null> {
  const [row] = await db
    .select(sessionColumns)
    .from(waSessions)
    .where(and(eq(waSessions.id, id), organizationId ? eq(waSessions.organizationId, organizationId) : undefined))
    .limit(1);
  return row ? toWaSession(row) : null;
}

export interface CreateSessionParams {
  organizationId: string;
  gatewayId: string;
  label?: string | null;
  autoRead?: boolean;
  presenceTyping?: boolean;
  ratePerMin?: number;
  ratePerHour?: number;
  createdByUserId?: string | null;
}

export async function createSession(db: Executor, params: CreateSessionParams): Promise<WaSession> {
  const [row] = await db
    .insert(waSessions)
    .values({ id: newId(), ...params, status: "stopped" })
    .returning(sessionColumns);
  if (!row) throw new Error("insert returned no row");
  return toWaSession(row);
}

export type SessionSettingsPatch = Partial<
  Pick<WaSessionRow, "label" | "autoRead" | "presenceTyping" | "ratePerMin" | "ratePerHour">
>;

export type SessionStatePatch = Partial<
  Pick<
    WaSessionRow,
    "status" | "statusReason" | "phoneNumber" | "waJid" | "waLid" | "isAdminSession" | "lastConnectedAt" | "gatewayId"
  >
>;

export async function updateSession(
  db: Executor,
  id: string,
  patch: SessionSettingsPatch & SessionStatePatch,
  organizationId?: string,
): Promise<WaSession | null> {
  const [row] = await db
    .update(waSessions)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(waSessions.id, id), organizationId ? eq(waSessions.organizationId, organizationId) : undefined))
    .returning(sessionColumns);
  return row ? toWaSession(row) : null;
}

/** Each patchable column: its SQL name and type (the status write below is plain SQL, built once per call). */
const STATE_COLUMNS: Record<keyof (SessionSettingsPatch & SessionStatePatch), { name: string; type: string }> = {
  status: { name: "status", type: "text" },
  statusReason: { name: "status_reason", type: "text" },
  phoneNumber: { name: "phone_number", type: "text" },
  waJid: { name: "wa_jid", type: "text" },
  waLid: { name: "wa_lid", type: "text" },
  isAdminSession: { name: "is_admin_session", type: "boolean" },
  lastConnectedAt: { name: "last_connected_at", type: "timestamptz" },
  gatewayId: { name: "gateway_id", type: "text" },
  label: { name: "label", type: "text" },
  autoRead: { name: "auto_read", type: "boolean" },
  presenceTyping: { name: "presence_typing", type: "boolean" },
  ratePerMin: { name: "rate_per_min", type: "integer" },
  ratePerHour: { name: "rate_per_hour", type: "integer" },
};

/** A WASession's columns as the status write returns them (times as text, read as drizzle reads them). */
const RETURNED_COLUMNS = sql.raw(
  [
    "id", "organization_id", "gateway_id", "label", "phone_number", "wa_jid", "wa_lid", "status", "status_reason",
    "is_admin_session", "auto_read", "presence_typing", "rate_per_min", "rate_per_hour", "created_by_user_id",
  ].join(", ") + ", created_at::text as created_at, updated_at::text as updated_at, last_connected_at::text as last_connected_at",
);

interface ReturnedSession {
  id: string;
  organization_id: string;
  gateway_id: string;
  label: string | null;
  phone_number: string | null;
  wa_jid: string | null;
  wa_lid: string | null;
  status: SessionStatus;
  status_reason: string | null;
  is_admin_session: boolean;
  auto_read: boolean;
  presence_typing: boolean;
  rate_per_min: number;
  rate_per_hour: number;
  created_by_user_id: string | null;
  created_at: string;
  updated_at: string;
  last_connected_at: string | null;
}

const epochMs = (text: string) => new Date(text).getTime();

/** Who may write the row (see leases.ts `fenceHolds`): the lease's current holder under its epoch. */
export interface StatusWriteFence {
  sessionId: string;
  gatewayId: string;
  epoch: number;
}

/**
 * The status writer's update in one statement (one round trip, no transaction to open and commit): the row locked,
 * updated and, when the status changes, its `session.status` event (`{status, previous, reason}`) appended with the
 * organization's next event id (as `appendEvent`, last: the sequence row is held only until this statement commits).
 * With a fence, nothing is written unless it names the session's latest lease epoch; the lease row is locked FOR
 * SHARE first, so a takeover (which updates it) waits for this write, and a stale holder's write never lands after
 * the new holder has read the state. Null when refused or the row is gone.
 */
export async function writeSessionState(
  db: Executor,
  id: string,
  patch: SessionSettingsPatch & SessionStatePatch,
  fence?: StatusWriteFence,
): Promise<WaSession | null> {
  const sets: SQL[] = [];
  for (const [key, value] of Object.entries(patch) as [keyof typeof STATE_COLUMNS, unknown][]) {
    if (value === undefined) continue;
    const column = STATE_COLUMNS[key];
    const param = value instanceof Date ? value.toISOString() : value;
    sets.push(sql`${sql.raw(column.name)} = ${param}::${sql.raw(column.type)}`);
  }
  sets.push(sql`updated_at = ${new Date().toISOString()}::timestamptz`);
  const fenced = fence
    ? sql`and exists (select 1 from session_leases
        where session_id = ${fence.sessionId} and gateway_id = ${fence.gatewayId} and epoch = ${fence.epoch} for share)`
    : sql``;
  // Without a status in the patch there is no status change to report.
  const statusChange = patch.status === undefined ? sql`false` : sql`saved.status is distinct from saved.previous`;
  const rows = await db.execute(sql`
    with before as (
      select id, status from wa_sessions where id = ${id} ${fenced} for update
    ), saved as (
      update wa_sessions s set ${sql.join(sets, sql`, `)} from before
      where s.id = before.id
      returning s.*, before.status as previous
    ), seq as (
      insert into event_sequences (organization_id, last_id)
      select saved.organization_id, ${newId()} from saved where ${statusChange}
      on conflict (organization_id) do update set last_id = wa_next_event_id(event_sequences.last_id, excluded.last_id)
      returning last_id
    ), event as (
      insert into events (id, organization_id, session_id, type, data)
      select seq.last_id, saved.organization_id, saved.id, 'session.status',
        jsonb_build_object('status', saved.status, 'previous', saved.previous, 'reason', saved.status_reason)
      from seq, saved
    )
    select ${RETURNED_COLUMNS} from saved`);
  const [row] = rows as unknown as ReturnedSession[];
  if (!row) return null;
  return {
    id: row.id,
    organizationId: row.organization_id,
    gatewayId: row.gateway_id,
    label: row.label,
    phoneNumber: row.phone_number,
    waJid: row.wa_jid,
    waLid: row.wa_lid,
    status: row.status,
    statusReason: row.status_reason,
    isAdminSession: row.is_admin_session,
    autoRead: row.auto_read,
    presenceTyping: row.presence_typing,
    ratePerMin: row.rate_per_min,
    ratePerHour: row.rate_per_hour,
    createdByUserId: row.created_by_user_id,
    createdAt: epochMs(row.created_at),
    updatedAt: epochMs(row.updated_at),
    lastConnectedAt: row.last_connected_at === null ? null : epochMs(row.last_connected_at),
  };
}

/**
 * The status writer's update: the row and, when the status changes, its `session.status` event
 * (`{status, previous, reason}`), in one statement (writeSessionState).
 */
export async function updateSessionState(
  db: Executor,
  id: string,
  patch: SessionSettingsPatch & SessionStatePatch,
): Promise<WaSession | null> {
  return writeSessionState(db, id, patch);
}

export async function deleteSession(db: Executor, id: string, organizationId?: string): Promise<boolean> {
  const rows = await db
    .delete(waSessions)
    .where(and(eq(waSessions.id, id), organizationId ? eq(waSessions.organizationId, organizationId) : undefined))
    .returning({ id: waSessions.id });
  return rows.length > 0;
}

/** Sessions this gateway should resume at boot: everything not deliberately stopped or ended. */
export async function listSessionsToRestore(db: Executor, gatewayId: string): Promise<WaSession[]> {
  const rows = await db
    .select(sessionColumns)
    .from(waSessions)
    .where(and(eq(waSessions.gatewayId, gatewayId), inArray(waSessions.status, ["starting", "scan_qr_code", "working"])))
    .orderBy(desc(waSessions.createdAt));
  return rows.map(toWaSession);
}

/** Why a session is in its status (failure reason, QR attempts ended), for operators. */
export async function getSessionStatusReason(db: Executor, id: string): Promise<string | null> {
  const [row] = await db
    .select({ statusReason: waSessions.statusReason })
    .from(waSessions)
    .where(eq(waSessions.id, id))
    .limit(1);
  return row?.statusReason ?? null;
}


