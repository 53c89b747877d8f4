// WhatsApp session rows: keyset pages (newest first), lookups scoped to an organization, and updates.
import { and, desc, eq, ilike, inArray, like, or, sql, type SQL } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { newId } from "../ids.ts";
import type { SessionStatus } from "../contract.ts";
import { waSessions, type WaSessionRow } from "../schema/index.ts";
import { appendEvent } from "./events.ts";

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

/**
 * The status writer's update: the row and, when the status changes, its `session.status` event
 * (`{status, previous, reason}`), in one transaction.
 */
export async function updateSessionState(db: Executor, id: string, patch: SessionStatePatch): Promise<WaSession | null> {
  if (patch.status === undefined) return updateSession(db, id, patch);
  return db.transaction(async (tx) => {
    const [before] = await tx.select({ status: waSessions.status }).from(waSessions).where(eq(waSessions.id, id)).for("update");
    if (!before) return null;
    const saved = await updateSession(tx, id, patch);
    if (saved && saved.status !== before.status) {
      await appendEvent(tx, {
        organizationId: saved.organizationId,
        sessionId: id,
        type: "session.status",
        data: { status: saved.status, previous: before.status, reason: saved.statusReason },
      });
    }
    return saved;
  });
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


