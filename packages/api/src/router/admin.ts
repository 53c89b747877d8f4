// Platform administration (super_admin only): sessions across every organization, backfill jobs, filter lists.
import type { TRPCRouterRecord } from "@trpc/server";
import { asc, gateways } from "@wa/db";
import { getSession, listOrganizations, listSessions } from "@wa/db/queries";
import { notFound } from "../errors.ts";
import {
  adminSessionListInput,
  backfillJobSchema,
  emptyInput,
  gatewayListOutput,
  organizationListOutput,
  sessionPageSchema,
  sessionRefInput,
  waSessionSchema,
} from "../schemas.ts";
import { superAdminProcedure } from "../trpc.ts";
import { clampLimit, parseCursor } from "./sessions.ts";

const tags = ["admin"];

export const adminRouter = {
  sessions: {
    list: superAdminProcedure
      .meta({ openapi: { method: "GET", path: "/admin/sessions", protect: true, tags, summary: "Sessions across every organization" } })
      .input(adminSessionListInput.optional())
      .output(sessionPageSchema)
      .query(({ ctx, input = {} }) =>
        listSessions(ctx.db, {
          limit: clampLimit(input.limit),
          cursor: parseCursor(input.cursor),
          statuses: input.status,
          organizationId: input.organizationId,
          gatewayId: input.gatewayId,
          q: input.q,
        }),
      ),

    get: superAdminProcedure
      .meta({ openapi: { method: "GET", path: "/admin/sessions/{session}", protect: true, tags, summary: "One session of any organization" } })
      .input(sessionRefInput)
      .output(waSessionSchema)
      .query(async ({ ctx, input }) => {
        const session = await getSession(ctx.db, input.session);
        if (!session) throw notFound("session");
        return session;
      }),

    startBackfill: superAdminProcedure
      .meta({
        openapi: { method: "POST", path: "/admin/sessions/{session}:backfill", protect: true, tags, summary: "Start a contacts/groups backfill (409 when one runs)" },
        successStatus: 202,
      })
      .input(sessionRefInput)
      .output(backfillJobSchema)
      .mutation(async ({ ctx, input }) => {
        const session = await getSession(ctx.db, input.session);
        if (!session) throw notFound("session");
        const job = ctx.ports.backfill.start(session);
        ctx.logger.info({ sessionId: session.id, organizationId: session.organizationId, jobId: job.id, by: ctx.principal.userId }, "backfill started");
        return job;
      }),

    backfill: superAdminProcedure
      .meta({ openapi: { method: "GET", path: "/admin/sessions/{session}/backfill", protect: true, tags, summary: "The running backfill job, else the last finished one" } })
      .input(sessionRefInput)
      .output(backfillJobSchema)
      .query(async ({ ctx, input }) => {
        const session = await getSession(ctx.db, input.session);
        if (!session) throw notFound("session");
        const job = ctx.ports.backfill.get(session.id);
        if (!job) throw notFound("backfill job");
        return job;
      }),
  },

  organizations: {
    list: superAdminProcedure
      .meta({ openapi: { method: "GET", path: "/admin/organizations", protect: true, tags, summary: "Every organization (for filters)" } })
      .input(emptyInput)
      .output(organizationListOutput)
      .query(async ({ ctx }) => ({ data: await listOrganizations(ctx.db) })),
  },

  gateways: {
    list: superAdminProcedure
      .meta({ openapi: { method: "GET", path: "/admin/gateways", protect: true, tags, summary: "Registered gateways (for filters)" } })
      .input(emptyInput)
      .output(gatewayListOutput)
      .query(async ({ ctx }) => {
        const rows = await ctx.db
          .select({ id: gateways.id, baseUrl: gateways.baseUrl, status: gateways.status, heartbeatAt: gateways.heartbeatAt })
          .from(gateways)
          .orderBy(asc(gateways.id));
        const data: { id: string; baseUrl: string | null; status: "online" | "offline"; heartbeatAt: number | null }[] =
          rows.map((r) => ({ ...r, heartbeatAt: r.heartbeatAt.getTime() }));
        // This gateway is answering, so it is online even before (or without) its heartbeat row.
        if (!data.some((g) => g.id === ctx.ports.gatewayId)) {
          data.push({ id: ctx.ports.gatewayId, baseUrl: null, status: "online", heartbeatAt: null });
        }
        return { data };
      }),
  },
} satisfies TRPCRouterRecord;
