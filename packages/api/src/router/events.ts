// The event stream: an organization's events (`events` capability) or every organization's (super admins), first
// those after `since` (replay), then live ones, each tracked by its event id so a reconnect resumes exactly after
// the last one received. Live events come from the database (polled by id), so events written by any gateway reach
// every stream. The REST route GET /api/v1/events (SSE) serves this same procedure.
import { tracked, type TRPCRouterRecord } from "@trpc/server";
import type { Database } from "@wa/db";
import type { EventType } from "@wa/db/contract";
import { EVENT_ID_ZERO, eventIdFloorAt, latestEventId, listEventsAfter, type EventEnvelope } from "@wa/db/queries";
import type { Principal } from "../context.ts";
import { fail } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { eventSchema, eventStreamInput, type EventStreamInput } from "../schemas.ts";
import { orgProcedure, superAdminProcedure } from "../trpc.ts";
import { guardStream, streamEndedEventSchema, type StreamEndReason } from "./stream-credential.ts";
import { requireSession } from "./helpers.ts";

/** How often a stream looks for new events. */
let pollEveryMs = 250;
/** Rows read per query (a long replay goes in pages). */
const PAGE = 500;
/**
 * The cross-organization stream only shows events older than this: ids are ordered by commit within an
 * organization (appendEvent's lock), not across them, so an event-writing transaction of another organization that
 * is still open could commit an id just below one already shown. It must commit within this window.
 */
const CROSS_ORG_SETTLE_MS = 2_000;

/** For tests and benchmarks: a different poll interval; returns the function that restores it. */
export function setEventPollInterval(ms: number): () => void {
  const previous = pollEveryMs;
  pollEveryMs = ms;
  return () => {
    pollEveryMs = previous;
  };
}

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** Where a stream starts: after the reconnecting client's last id, else after `since`, else after the newest. */
async function startAfter(db: Database, organizationId: string | null, input: EventStreamInput): Promise<string> {
  const last = input?.lastEventId?.toUpperCase();
  if (last && ULID.test(last)) return last;
  if (last) throw fail("validation_error", "Last-Event-ID must be an event id", { errors: [{ path: "lastEventId", message: "not an event id" }] });
  const since = input?.since?.toUpperCase();
  if (since === "0") return EVENT_ID_ZERO;
  if (since) return since;
  return latestEventId(db, organizationId);
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/** Events after `after`, oldest first, forever (until the signal aborts): replay, then polling for new ones. */
export async function* tailEvents(
  db: Database,
  filter: { organizationId: string | null; after: string; types?: readonly EventType[] | undefined; sessionId?: string | undefined },
  signal: AbortSignal,
): AsyncGenerator<EventEnvelope> {
  let after = filter.after;
  while (!signal.aborted) {
    const before = filter.organizationId === null ? eventIdFloorAt(Date.now() - CROSS_ORG_SETTLE_MS) : undefined;
    const page = await listEventsAfter(db, { ...filter, after, before, limit: PAGE });
    for (const event of page) {
      if (signal.aborted) return;
      yield event;
      after = event.id;
    }
    if (page.length < PAGE) await sleep(pollEveryMs, signal);
  }
}

async function* streamOf(
  ctx: { db: Database; logger: Logger; principal: Principal },
  organizationId: string | null,
  after: string,
  input: EventStreamInput,
  signal: AbortSignal | undefined,
) {
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  let endedBy: StreamEndReason | null = null;
  // The platform stream (organizationId null) ends once the person is no longer a super admin, like a revoked key's.
  const ended = guardStream({ ...ctx, organizationId, signal: abort.signal }).ended;
  void ended.then((reason) => {
    endedBy = reason;
    if (reason) abort.abort();
  });
  try {
    const events = tailEvents(ctx.db, { organizationId, after, types: input?.types, sessionId: input?.sessionId }, abort.signal);
    for await (const event of events) {
      // The query promises this scope; checking again keeps a faulty query from leaking another org's events.
      if (organizationId !== null && event.organizationId !== organizationId) continue;
      yield tracked(event.id, eventSchema.parse(organizationId === null ? withoutMessageText(event) : event));
    }
    const reason: StreamEndReason | null = endedBy;
    if (reason) {
      ctx.logger.info({ organizationId, reason }, "event stream ended by its credential");
      yield streamEndedEventSchema.parse({ type: "ended", reason, at: Date.now() });
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    abort.abort();
  }
}

/** Platform admin routes never return message bodies (contract): the cross-organization stream drops the text. */
function withoutMessageText(event: EventEnvelope): EventEnvelope {
  if (event.type !== "message.received" || typeof event.data !== "object" || event.data === null) return event;
  return { ...event, data: { ...(event.data as Record<string, unknown>), body: null } };
}

export const eventsRouter = {
  /**
   * The organization's events (the console's live panels): replay after `since` / the last tracked id, then live.
   * The last message is `{type: "ended", reason}` when the caller's credential stops allowing the stream.
   */
  stream: orgProcedure("events")
    .input(eventStreamInput)
    .subscription(async ({ ctx, input, signal }) => {
      // An unknown or foreign session is a plain 404 before the stream opens.
      if (input?.sessionId) await requireSession(ctx.db, input.sessionId, ctx.organizationId);
      // Where it starts is settled (and a bad Last-Event-ID refused) before the stream opens.
      const after = await startAfter(ctx.db, ctx.organizationId, input);
      return streamOf(ctx, ctx.organizationId, after, input, signal);
    }),

  /** Every organization's events, for platform admins. */
  adminStream: superAdminProcedure
    .input(eventStreamInput)
    .subscription(async ({ ctx, input, signal }) => streamOf(ctx, null, await startAfter(ctx.db, null, input), input, signal)),
} satisfies TRPCRouterRecord;
