// The event log: append (inside the caller's transaction, so the event commits with its change), read an
// organization's events after an id (replay, live tail, webhook fan-out), prune past the retention.
//
// Ordering: a consumer resumes from an id and must never skip one, even when two transactions commit out of order.
// `appendEvent` therefore takes a row lock on the organization's `event_sequences` row and keeps it until the
// caller's transaction ends; the id it hands out is above the last one committed (a ULID of now, or the last id
// incremented when the clock has not moved past it). Two event-writing transactions of one organization thus commit
// in the order of their ids: whoever reads `id > x` after a commit can never later see a smaller id appear. The
// price is that one organization's event-writing transactions are serialized from their `appendEvent` to their
// commit — so call it last in the transaction. Organizations never wait for each other.
import { and, asc, desc, eq, gt, inArray, lt, sql } from "drizzle-orm";
import { decodeTime, encodeTime } from "ulid";
import type { Executor } from "../client.ts";
import type { EventType } from "../contract.ts";
import { newId } from "../ids.ts";
import { events, type EventRow } from "../schema/index.ts";

export interface NewEvent {
  organizationId: string;
  sessionId: string | null;
  type: EventType;
  /** The event's `data` (contract shapes); JSON-serialisable. */
  data: unknown;
}

/** The all-zero ULID: `since` this means everything retained. */
export const EVENT_ID_ZERO = "00000000000000000000000000";

/**
 * Appends one event; call it with the transaction that makes the change it reports, as late as possible in it
 * (it holds the organization's event order until that transaction ends). One statement: the upsert of the
 * organization's sequence row takes (or waits for) its row lock and computes the next id from the latest committed
 * one (`wa_next_event_id`, migration 0003), and the event is inserted with it.
 */
export async function appendEvent(tx: Executor, event: NewEvent): Promise<{ id: string }> {
  const rows = await tx.execute<{ id: string }>(sql`
    with seq as (
      insert into event_sequences (organization_id, last_id) values (${event.organizationId}, ${newId()})
      on conflict (organization_id) do update set last_id = wa_next_event_id(event_sequences.last_id, excluded.last_id)
      returning last_id
    )
    insert into events (id, organization_id, session_id, type, data)
    select last_id, ${event.organizationId}, ${event.sessionId}, ${event.type}, ${JSON.stringify(event.data ?? null)}::jsonb from seq
    returning id`);
  const id = rows[0]?.id;
  if (!id) throw new Error("appendEvent inserted no row");
  return { id };
}

/** The wire shape of an event (contract "Events"). */
export interface EventEnvelope {
  id: string;
  type: EventType;
  organizationId: string;
  sessionId: string | null;
  createdAt: number;
  schema: number;
  data: unknown;
}

export const toEventEnvelope = (row: EventRow): EventEnvelope => ({
  id: row.id,
  type: row.type,
  organizationId: row.organizationId,
  sessionId: row.sessionId,
  createdAt: row.createdAt.getTime(),
  schema: row.schema,
  data: row.data,
});

export interface EventFilter {
  /** null: every organization (platform admins). */
  organizationId: string | null;
  /** Exclusive. */
  after: string;
  types?: readonly EventType[] | undefined;
  sessionId?: string | undefined;
  /** Only events with an id below this (the cross-organization stream's settled horizon). */
  before?: string | undefined;
  limit: number;
}

/** Events after an id, oldest first. */
export async function listEventsAfter(db: Executor, filter: EventFilter): Promise<EventEnvelope[]> {
  const rows = await db
    .select()
    .from(events)
    .where(
      and(
        filter.organizationId === null ? undefined : eq(events.organizationId, filter.organizationId),
        gt(events.id, filter.after),
        filter.before === undefined ? undefined : lt(events.id, filter.before),
        filter.types?.length ? inArray(events.type, [...filter.types]) : undefined,
        filter.sessionId === undefined ? undefined : eq(events.sessionId, filter.sessionId),
      ),
    )
    .orderBy(asc(events.id))
    .limit(filter.limit);
  return rows.map(toEventEnvelope);
}

/** The newest event id of an organization (or of all), EVENT_ID_ZERO when none: where a live-only stream starts. */
export async function latestEventId(db: Executor, organizationId: string | null): Promise<string> {
  const [row] = await db
    .select({ id: events.id })
    .from(events)
    .where(organizationId === null ? undefined : eq(events.organizationId, organizationId))
    .orderBy(desc(events.id))
    .limit(1);
  return row?.id ?? EVENT_ID_ZERO;
}

/** One event by id (for a delivery's payload). */
export async function getEvent(db: Executor, id: string): Promise<EventEnvelope | null> {
  const [row] = await db.select().from(events).where(eq(events.id, id)).limit(1);
  return row ? toEventEnvelope(row) : null;
}

/**
 * Deletes events older than `before` (their deliveries go with them), at most `batch` per call so a large backlog
 * never holds one long transaction; returns how many went.
 */
export async function pruneEvents(db: Executor, before: Date, batch = 5_000): Promise<number> {
  const rows = await db.execute<{ id: string }>(sql`
    delete from ${events} where id in (
      select id from ${events} where created_at < ${before.toISOString()}::timestamptz limit ${batch}
    ) returning id`);
  return rows.length;
}

/** The millisecond time an event id was made at. */
export const eventIdTime = (id: string): number => decodeTime(id);

/** The smallest event id made at this millisecond (an exclusive upper bound for "made before then"). */
export const eventIdFloorAt = (ms: number): string => `${encodeTime(Math.max(0, ms), 10)}0000000000000000`;
