// A session's messages: send (sync, queued, idempotent, rate limited), the cross-chat list, one message, the live
// feed of new and changed messages, and per-session counts for platform admins (never bodies).
import { createHash } from "node:crypto";
import { tracked, type TRPCRouterRecord } from "@trpc/server";
import type { Database } from "@wa/db";
import { countMessagesBySession, decodeKeyCursor, encodeKeyCursor, getMessage, latestMessageChange, listMessages, listMessagesChangedSince, type KeyCursor } from "@wa/db/queries";
import { fail, fieldErrors, notFound } from "../errors.ts";
import {
  messageCountsInput,
  messageCountsOutput,
  messageEventSchema,
  messageEventsInput,
  messageListInput,
  messagePageSchema,
  messageRefInput,
  messageSendInput,
  sendResultSchema,
  textSendInput,
  waMessageSchema,
} from "../schemas/messages.ts";
import { orgProcedure, SUPER_ADMIN_ONLY, superAdminProcedure } from "../trpc.ts";
import type { Principal } from "../context.ts";
import type { Logger } from "../logger.ts";
import { clampLimit, requireSession } from "./helpers.ts";
import { guardStream, streamEndedEventSchema, type StreamEndReason } from "./stream-credential.ts";
import { messagingOf, parseKeyCursor, recipientJid } from "./messaging-helpers.ts";

const tags = ["messages"];
const NOT_FOUND = "not_found: unknown session, or another organization's";

/** How often the live feed looks for changes, and how far back it looks again (commits land out of order). */
const FEED_POLL_MS = 250;
const FEED_LOOKBACK_MS = 2_000;
const FEED_BATCH = 200;

const sha256 = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("hex");

export const messagesRouter = {
  send: orgProcedure("send")
    .meta({
      openapi: {
        method: "POST",
        path: "/sessions/{session}/messages",
        protect: true,
        tags,
        summary: "Send a message (text); `?async=true` queues it; header `Idempotency-Key` makes it safe to repeat",
        description:
          "Sync (default): 200 once WhatsApp acknowledged it. `async=true`: 202 at once, sent in order as the session's " +
          "limits and connection allow. Over `ratePerMin`/`ratePerHour` a sync send answers 429 with `details.retryAfterMs` " +
          "and `Retry-After`; an async one queues. The same `Idempotency-Key` within 24 h answers the first result " +
          "(`replayed: true`) and sends nothing; with another body, 409. Types other than `text` answer 501.",
        errorResponses: {
          404: NOT_FOUND,
          409: "conflict: the session is not working (sync), or the Idempotency-Key was used for another request",
          429: "rate_limited: over the session's ratePerMin or ratePerHour (sync only); details.retryAfterMs, header Retry-After",
          501: "not_implemented: a message type not built yet",
        },
      },
      rest: {
        query: ["async"],
        headers: { "idempotency-key": "idempotencyKey" },
        statusOf: (output) => ((output as { mode?: string } | undefined)?.mode === "async" ? 202 : 200),
        alsoSucceedsWith: [202],
      },
    })
    .input(messageSendInput)
    .output(sendResultSchema)
    .mutation(async ({ ctx, input }) => {
      await requireSession(ctx.db, input.session, ctx.organizationId);
      if (input.type !== "text") throw fail("not_implemented", `sending ${input.type} messages is not built yet`);
      const parsed = textSendInput.safeParse(input);
      if (!parsed.success) throw fail("validation_error", "invalid input", { errors: fieldErrors(parsed.error.issues) });
      const text = parsed.data;
      const chatJid = recipientJid(text.to);
      const request = {
        organizationId: ctx.organizationId,
        sessionId: input.session,
        chatJid,
        text: text.text,
        replyTo: text.replyTo ?? null,
        mentions: text.mentions ?? [],
        async: input.async ?? false,
        idempotencyKey: input.idempotencyKey ?? null,
      };
      const { organizationId: _org, idempotencyKey: _key, ...fingerprint } = request;
      const outcome = await messagingOf(ctx.ports).send({ ...request, requestHash: sha256(fingerprint) });
      ctx.logger.info({ mode: outcome.result.mode, replayed: outcome.result.replayed, messageId: outcome.result.message.id }, "message send");
      return outcome.result;
    }),

  list: orgProcedure("read")
    .meta({ openapi: { method: "GET", path: "/sessions/{session}/messages", protect: true, tags, summary: "The session's messages across chats, newest first", errorResponses: { 404: NOT_FOUND } } })
    .input(messageListInput)
    .output(messagePageSchema)
    .query(async ({ ctx, input }) => {
      await requireSession(ctx.db, input.session, ctx.organizationId);
      return listMessages(ctx.db, {
        sessionId: input.session,
        limit: clampLimit(input.limit),
        cursor: parseKeyCursor(input.cursor),
        ...(input.chat ? { chatJid: input.chat } : {}),
        ...(input.direction ? { direction: input.direction } : {}),
      });
    }),

  get: orgProcedure("read")
    .meta({ openapi: { method: "GET", path: "/sessions/{session}/messages/{message}", protect: true, tags, summary: "One message, by our id or the WhatsApp id", errorResponses: { 404: "not_found: unknown session or message, or another organization's" } } })
    .input(messageRefInput)
    .output(waMessageSchema)
    .query(async ({ ctx, input }) => {
      await requireSession(ctx.db, input.session, ctx.organizationId);
      const message = await getMessage(ctx.db, input.session, input.message);
      if (!message) throw notFound("message");
      return message;
    }),

  /**
   * New and changed messages of the organization (or one session), live; SSE over tRPC. Each event's id resumes
   * the feed after it (`lastEventId`); without one the feed starts at the present.
   */
  events: orgProcedure("read")
    .input(messageEventsInput)
    .subscription(async ({ ctx, input, signal }) => {
      const sessionId = input?.session;
      // Checked, and the starting point taken, when the stream opens (not at its first read).
      if (sessionId) await requireSession(ctx.db, sessionId, ctx.organizationId);
      const filter = { organizationId: ctx.organizationId, sessionId };
      const start = (input?.lastEventId ? decodeKeyCursor(input.lastEventId) : null) ?? (await latestMessageChange(ctx.db, filter));
      return guardedFeed(ctx, filter, start, signal);
    }),

  /** Per-session message counts for platform admins: numbers only, never a body or a JID. */
  counts: superAdminProcedure
    .meta({ openapi: { method: "GET", path: "/admin/messages/counts", protect: true, tags: ["admin"], summary: "Message counts per session (no message content)", description: SUPER_ADMIN_ONLY } })
    .input(messageCountsInput)
    .output(messageCountsOutput)
    .query(async ({ ctx, input }) => {
      const counts = await countMessagesBySession(ctx.db, [...new Set(input.sessions)]);
      const bySession = new Map(counts.map((c) => [c.sessionId, c]));
      return {
        data: [...new Set(input.sessions)].map(
          (sessionId) => bySession.get(sessionId) ?? { sessionId, inbound: 0, outbound: 0, failed: 0, lastMessageAt: null },
        ),
      };
    }),
} satisfies TRPCRouterRecord;

/**
 * The feed for as long as the caller's credential holds: it carries message text, so a revoked or expired key, an
 * expired token, a sign-out or a removal ends it (re-checked like the event streams) with an `ended` event.
 */
async function* guardedFeed(
  ctx: { db: Database; logger: Logger; principal: Principal },
  filter: { organizationId: string; sessionId: string | undefined },
  start: KeyCursor | null,
  signal: AbortSignal | undefined,
) {
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  let endedBy: StreamEndReason | null = null;
  const guard = guardStream({ ...ctx, organizationId: filter.organizationId, signal: abort.signal, requires: "read" });
  void guard.ended.then((reason) => {
    endedBy = reason;
    if (reason) abort.abort();
  });
  try {
    yield* messageFeed(ctx.db, filter, start, abort.signal);
    const reason: StreamEndReason | null = endedBy;
    if (reason) {
      ctx.logger.info({ organizationId: filter.organizationId, reason }, "message feed ended by its credential");
      const at = Date.now();
      yield tracked(`ended:${at}`, streamEndedEventSchema.parse({ type: "ended", reason, at }));
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    abort.abort();
  }
}

/**
 * The changes after `start`, oldest first, polled; each event's id is its (updatedAt, id) cursor. Transactions
 * commit out of order, so every poll looks back a little and skips what it already handed out.
 */
async function* messageFeed(
  db: Database,
  filter: { organizationId: string; sessionId: string | undefined },
  start: KeyCursor | null,
  signal: AbortSignal | undefined,
) {
  let cursor = start;
  const afterStart = (m: { updatedAt: number; id: string }) =>
    !start || m.updatedAt > start.at || (m.updatedAt === start.at && m.id > start.key);
  // Changes already handed out, by message id → updatedAt, for the look-back window.
  const seen = new Map<string, number>();
  while (!signal?.aborted) {
    const since: KeyCursor | null = cursor ? { at: Math.max(0, cursor.at - FEED_LOOKBACK_MS), key: "" } : null;
    const rows = await listMessagesChangedSince(db, filter, since, FEED_BATCH);
    for (const message of rows) {
      if (seen.get(message.id) === message.updatedAt || !afterStart(message)) continue;
      seen.set(message.id, message.updatedAt);
      if (!cursor || message.updatedAt > cursor.at || (message.updatedAt === cursor.at && message.id > cursor.key)) {
        cursor = { at: message.updatedAt, key: message.id };
      }
      yield tracked(encodeKeyCursor({ at: message.updatedAt, key: message.id }), messageEventSchema.parse({ type: "message", message }));
    }
    const horizon = (cursor?.at ?? 0) - FEED_LOOKBACK_MS;
    for (const [id, at] of seen) if (at < horizon) seen.delete(id);
    if (rows.length === FEED_BATCH) continue;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, FEED_POLL_MS);
      signal?.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
    });
  }
}
