// The caller organization's WhatsApp sessions: list, CRUD, connection control, pairing, live events.
import { tracked, type TRPCRouterRecord } from "@trpc/server";
import type { Database } from "@wa/db";
import { rateLimitsOrdered } from "@wa/db/contract";
import type { AuditAction } from "@wa/db/contract";
import { createSession, deleteSession, getSession, listSessions, updateSession } from "@wa/db/queries";
import { audit } from "../audit.ts";
import { fail, notFound } from "../errors.ts";
import type { GatewayPorts } from "../ports.ts";
import {
  noContent,
  pairingCodeInput,
  pairingCodeOutput,
  rateLimitsIssue,
  sessionCreateInput,
  sessionEventSchema,
  sessionEventsInput,
  sessionListInput,
  sessionPageSchema,
  sessionQrSchema,
  sessionRefInput,
  sessionUpdateInput,
  simulateScanOutput,
  waSessionSchema,
} from "../schemas.ts";
import type { Principal } from "../context.ts";
import type { Logger } from "../logger.ts";
import { orgProcedure } from "../trpc.ts";
import { guardStream, streamEndedEventSchema, type StreamEndReason } from "./stream-credential.ts";
import { requireSession, sessionPageParams } from "./helpers.ts";

const tags = ["sessions"];

async function* streamEvents(
  ctx: { ports: GatewayPorts; db: Database; logger: Logger; principal: Principal },
  filter: { organizationId: string; sessionId: string | undefined },
  signal: AbortSignal | undefined,
) {
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  const guard = guardStream({ ...ctx, organizationId: filter.organizationId, signal: abort.signal });
  let endedBy: StreamEndReason | null = null;
  void guard.ended.then((reason) => {
    endedBy = reason;
    if (reason) abort.abort();
  });
  try {
    const events = ctx.ports.events.subscribe(
      { organizationId: filter.organizationId, ...(filter.sessionId ? { sessionId: filter.sessionId } : {}) },
      abort.signal,
    );
    for await (const event of events) {
      if (abort.signal.aborted) break;
      // The port promises this filter; checking again keeps a faulty port from leaking another org's data.
      if (event.organizationId !== filter.organizationId) continue;
      if (filter.sessionId && event.sessionId !== filter.sessionId) continue;
      // The QR carries the device's pairing secret: only callers who may fetch it (GET …/qr, `manage`) receive it.
      const visible = guard.mayReadQr() ? event : { ...event, qr: null };
      yield tracked(`${event.at}:${event.sessionId}`, sessionEventSchema.parse(visible));
    }
    const reason: StreamEndReason | null = endedBy;
    if (reason) {
      ctx.logger.info({ organizationId: filter.organizationId, reason }, "session event stream ended by its credential");
      const at = Date.now();
      yield tracked(`ended:${at}`, streamEndedEventSchema.parse({ type: "ended", reason, at }));
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    abort.abort();
  }
}

type Control = "start" | "stop" | "restart" | "logout";

/**
 * What each control records. These changes are made by the gateway's status writer behind the port (its own
 * transaction, possibly on another gateway); the entry is written once the port confirms the change, so a refused
 * or failed call records nothing.
 */
const controlAudit: Record<Control, AuditAction> = {
  start: "session.started",
  stop: "session.stopped",
  restart: "session.restarted",
  logout: "session.logged_out",
};

/** The settings a PATCH may change, compared before and after to record only what changed. */
const settingFields = ["label", "autoRead", "presenceTyping", "ratePerMin", "ratePerHour"] as const;

const control = (action: Control, summary: string) =>
  orgProcedure("manage")
    .meta({
      openapi: {
        method: "POST",
        path: `/sessions/{session}:${action}`,
        protect: true,
        tags,
        summary,
        errorResponses: { 404: "not_found: unknown session, or another organization's", 409: "conflict: not possible in the session's current state" },
      },
    })
    .input(sessionRefInput)
    .output(waSessionSchema)
    .mutation(async ({ ctx, input }) => {
      const before = await requireSession(ctx.db, input.session, ctx.organizationId);
      await ctx.ports.sessions[action](input.session);
      // Re-read: the port returns once the new status is persisted.
      const after = await requireSession(ctx.db, input.session, ctx.organizationId);
      await ctx.db.transaction((tx) =>
        audit(tx, ctx, {
          organizationId: ctx.organizationId,
          action: controlAudit[action],
          targetType: "session",
          targetId: after.id,
          details: { previousStatus: before.status, status: after.status, phoneNumber: before.phoneNumber },
        }),
      );
      return after;
    });

export const sessionsRouter = {
  list: orgProcedure("read")
    .meta({ openapi: { method: "GET", path: "/sessions", protect: true, tags, summary: "List the organization's sessions" } })
    .input(sessionListInput.optional())
    .output(sessionPageSchema)
    .query(({ ctx, input = {} }) =>
      listSessions(ctx.db, { ...sessionPageParams(input), organizationId: ctx.organizationId }),
    ),

  create: orgProcedure("manage")
    .meta({
      openapi: { method: "POST", path: "/sessions", protect: true, tags, summary: "Create a session" },
      successStatus: 201,
    })
    .input(sessionCreateInput)
    .output(waSessionSchema)
    .mutation(async ({ ctx, input }) => {
      const { start, ...settings } = input;
      const session = await ctx.db.transaction(async (tx) => {
        const created = await createSession(tx, {
          ...settings,
          organizationId: ctx.organizationId,
          gatewayId: (await ctx.ports.placeNewSession?.(tx)) ?? ctx.ports.gatewayId,
          createdByUserId: ctx.principal.kind === "user" ? ctx.principal.userId : null,
        });
        await audit(tx, ctx, {
          organizationId: ctx.organizationId,
          action: "session.created",
          targetType: "session",
          targetId: created.id,
          details: { ...Object.fromEntries(settingFields.map((f) => [f, created[f]])), start: !!start },
        });
        return created;
      });
      ctx.logger.info({ sessionId: session.id, start: !!start }, "session created");
      if (!start) return session;
      await ctx.ports.sessions.start(session.id);
      return requireSession(ctx.db, session.id, ctx.organizationId);
    }),

  get: orgProcedure("read")
    .meta({ openapi: { method: "GET", path: "/sessions/{session}", protect: true, tags, summary: "Get a session", errorResponses: { 404: "not_found: unknown session, or another organization's" } } })
    .input(sessionRefInput)
    .output(waSessionSchema)
    .query(({ ctx, input }) => requireSession(ctx.db, input.session, ctx.organizationId)),

  update: orgProcedure("manage")
    .meta({ openapi: { method: "PATCH", path: "/sessions/{session}", protect: true, tags, summary: "Change a session's settings", errorResponses: { 404: "not_found: unknown session, or another organization's" } } })
    .input(sessionUpdateInput)
    .output(waSessionSchema)
    .mutation(async ({ ctx, input }) => {
      const { session: id, ...patch } = input;
      // One limit alone is checked against the other's stored value (both together: the schema did).
      if ((patch.ratePerMin === undefined) !== (patch.ratePerHour === undefined)) {
        const current = await requireSession(ctx.db, id, ctx.organizationId);
        const next = { ratePerMin: patch.ratePerMin ?? current.ratePerMin, ratePerHour: patch.ratePerHour ?? current.ratePerHour };
        if (!rateLimitsOrdered(next)) {
          throw fail("validation_error", rateLimitsIssue.message, { errors: [{ ...rateLimitsIssue }] });
        }
      }
      return ctx.db.transaction(async (tx) => {
        const current = await getSession(tx, id, ctx.organizationId);
        const updated = current ? await updateSession(tx, id, patch, ctx.organizationId) : null;
        if (!current || !updated) throw notFound("session");
        // Only the fields whose value changed, each as {from, to}.
        const changed = Object.fromEntries(
          settingFields.filter((f) => current[f] !== updated[f]).map((f) => [f, { from: current[f], to: updated[f] }]),
        );
        await audit(tx, ctx, {
          organizationId: ctx.organizationId,
          action: "session.settings_changed",
          targetType: "session",
          targetId: id,
          details: { changed },
        });
        return updated;
      });
    }),

  delete: orgProcedure("manage")
    .meta({
      openapi: {
        method: "DELETE",
        path: "/sessions/{session}",
        protect: true,
        tags,
        summary: "Delete a session (logs out first if paired)",
        errorResponses: { 404: "not_found: unknown session, or another organization's" },
      },
      successStatus: 204,
    })
    .input(sessionRefInput)
    .output(noContent)
    .mutation(async ({ ctx, input }) => {
      const session = await requireSession(ctx.db, input.session, ctx.organizationId);
      await ctx.ports.sessions.remove(input.session);
      // The row and its entry together; a delete that finds no row (deleted meanwhile) records nothing.
      await ctx.db.transaction(async (tx) => {
        if (!(await deleteSession(tx, input.session, ctx.organizationId))) return;
        await audit(tx, ctx, {
          organizationId: ctx.organizationId,
          action: "session.deleted",
          targetType: "session",
          targetId: session.id,
          details: { label: session.label, phoneNumber: session.phoneNumber, status: session.status },
        });
      });
      ctx.logger.info({}, "session deleted");
    }),

  start: control("start", "Start (connect) a session"),
  stop: control("stop", "Stop a session, keeping its pairing"),
  restart: control("restart", "Restart a session's connection"),
  logout: control("logout", "Unlink the device and wipe the session's auth state"),

  qr: orgProcedure("manage")
    .meta({ openapi: { method: "GET", path: "/sessions/{session}/qr",
        protect: true,
        tags,
        summary: "The current pairing QR (409 when not waiting for a scan)",
        errorResponses: { 404: "not_found: unknown session, or another organization's", 409: "conflict: the session is not waiting for a scan" },
      } })
    .input(sessionRefInput)
    .output(sessionQrSchema)
    .query(async ({ ctx, input }) => {
      await requireSession(ctx.db, input.session, ctx.organizationId);
      return ctx.ports.sessions.getQr(input.session);
    }),

  pairingCode: orgProcedure("manage")
    .meta({ openapi: { method: "POST", path: "/sessions/{session}/pairing-code",
        protect: true,
        tags,
        summary: "Link by a code typed on the phone",
        errorResponses: { 404: "not_found: unknown session, or another organization's", 409: "conflict: the session is not waiting to be linked" },
      } })
    .input(pairingCodeInput)
    .output(pairingCodeOutput)
    .mutation(async ({ ctx, input }) => {
      await requireSession(ctx.db, input.session, ctx.organizationId);
      const result = await ctx.ports.sessions.requestPairingCode(input.session, input.phoneNumber);
      // The code itself links a device: never recorded.
      await ctx.db.transaction((tx) =>
        audit(tx, ctx, {
          organizationId: ctx.organizationId,
          action: "session.pairing_code_requested",
          targetType: "session",
          targetId: input.session,
          details: { phoneNumber: input.phoneNumber },
        }),
      );
      return result;
    }),

  simulateScan: orgProcedure("manage")
    .meta({ openapi: { method: "POST", path: "/sessions/{session}/simulate-scan",
        protect: true,
        tags,
        summary: "Pair with the simulated phone (simulator mode only)",
        errorResponses: { 404: "not_found: unknown session, or no simulator configured", 409: "conflict: the session is not waiting for a scan" },
      } })
    .input(sessionRefInput)
    .output(simulateScanOutput)
    .mutation(async ({ ctx, input }) => {
      await requireSession(ctx.db, input.session, ctx.organizationId);
      const simulateScan = ctx.ports.sessions.simulateScan;
      if (!simulateScan) throw fail("not_found", "simulator not configured");
      const result = await simulateScan(input.session);
      await ctx.db.transaction((tx) =>
        audit(tx, ctx, {
          organizationId: ctx.organizationId,
          action: "session.simulated_scan",
          targetType: "session",
          targetId: input.session,
          details: { phoneNumber: result.phoneNumber },
        }),
      );
      return result;
    }),

  /**
   * Live status/QR changes of the organization's sessions (or one session); SSE over tRPC. The last message is
   * `{type: "ended", reason}` when the caller's credential stops allowing the stream.
   */
  events: orgProcedure("events")
    .input(sessionEventsInput)
    .subscription(async ({ ctx, input, signal }) => {
      const sessionId = input?.session;
      // Checked before the stream opens, so an unknown or foreign session is a plain 404.
      if (sessionId) await requireSession(ctx.db, sessionId, ctx.organizationId);
      return streamEvents(ctx, { organizationId: ctx.organizationId, sessionId }, signal);
    }),
} satisfies TRPCRouterRecord;
