// Platform administration (super_admin only): sessions across every organization, backfill jobs, filter lists.
import type { TRPCRouterRecord } from "@trpc/server";
import type { z } from "zod";
import { listGateways, listOrganizations, listSessions, setGatewayStatus } from "@wa/db/queries";
import { notFound } from "../errors.ts";
import {
  adminSessionListInput,
  backfillJobSchema,
  emptyInput,
  gatewayListOutput,
  gatewayRefInput,
  gatewaySchema,
  organizationListOutput,
  sessionPageSchema,
  sessionRefInput,
  waSessionSchema,
} from "../schemas.ts";
import { SUPER_ADMIN_ONLY, superAdminProcedure } from "../trpc.ts";
import { requireSession, sessionPageParams } from "./helpers.ts";

const tags = ["admin"];

export const adminRouter = {
  sessions: {
    list: superAdminProcedure
      .meta({ openapi: { method: "GET", path: "/admin/sessions", protect: true, tags, summary: "Sessions across every organization", description: SUPER_ADMIN_ONLY } })
      .input(adminSessionListInput.optional())
      .output(sessionPageSchema)
      .query(({ ctx, input = {} }) =>
        listSessions(ctx.db, { ...sessionPageParams(input), organizationId: input.organizationId, gatewayId: input.gatewayId }),
      ),

    get: superAdminProcedure
      .meta({ openapi: { method: "GET", path: "/admin/sessions/{session}", protect: true, tags, summary: "One session of any organization", description: SUPER_ADMIN_ONLY, errorResponses: { 404: "not_found: unknown session" } } })
      .input(sessionRefInput)
      .output(waSessionSchema)
      .query(({ ctx, input }) => requireSession(ctx.db, input.session)),

    startBackfill: superAdminProcedure
      .meta({
        openapi: {
          method: "POST",
          path: "/admin/sessions/{session}:backfill",
          protect: true,
          tags,
          summary: "Start a contacts/groups backfill (409 when one runs)",
          description: `${SUPER_ADMIN_ONLY} Jobs live in this gateway's memory: a restart forgets them (the job is then 404) and ends a running one.`,
          errorResponses: { 404: "not_found: unknown session", 409: "conflict: a backfill is already running for this session" },
        },
        successStatus: 202,
      })
      .input(sessionRefInput)
      .output(backfillJobSchema)
      .mutation(async ({ ctx, input }) => {
        const session = await requireSession(ctx.db, input.session);
        const job = await ctx.ports.backfill.start(session.id);
        // The session's organization: the caller (bound to the logger) is a platform admin from another one.
        ctx.logger.info({ organizationId: session.organizationId, jobId: job.id }, "backfill started");
        return job;
      }),

    backfill: superAdminProcedure
      .meta({ openapi: {
          method: "GET",
          path: "/admin/sessions/{session}/backfill",
          protect: true,
          tags,
          summary: "The running backfill job, else the last finished one",
          description: `${SUPER_ADMIN_ONLY} Jobs live in this gateway's memory: a restart forgets them (the job is then 404) and ends a running one.`,
          errorResponses: { 404: "not_found: unknown session, or no job since this gateway started" },
        } })
      .input(sessionRefInput)
      .output(backfillJobSchema)
      .query(async ({ ctx, input }) => {
        const session = await requireSession(ctx.db, input.session);
        const job = await ctx.ports.backfill.get(session.id);
        if (!job) throw notFound("backfill job");
        return job;
      }),
  },

  organizations: {
    list: superAdminProcedure
      .meta({ openapi: { method: "GET", path: "/admin/organizations", protect: true, tags, summary: "Every organization (for filters)", description: SUPER_ADMIN_ONLY } })
      .input(emptyInput)
      .output(organizationListOutput)
      .query(async ({ ctx }) => ({ data: await listOrganizations(ctx.db) })),
  },

  gateways: {
    list: superAdminProcedure
      .meta({ openapi: { method: "GET", path: "/admin/gateways", protect: true, tags, summary: "Registered gateways (for filters)", description: SUPER_ADMIN_ONLY } })
      .input(emptyInput)
      .output(gatewayListOutput)
      .query(async ({ ctx }) => {
        const data: z.output<typeof gatewayListOutput>["data"] = await listGateways(ctx.db);
        // This gateway is answering, so it is online even before (or without) its heartbeat row.
        if (!data.some((g) => g.id === ctx.ports.gatewayId)) {
          data.push({ id: ctx.ports.gatewayId, baseUrl: null, status: "online", heartbeatAt: null, sessions: 0 });
        }
        return { data };
      }),

    drain: superAdminProcedure
      .meta({
        openapi: {
          method: "POST",
          path: "/admin/gateways/{gateway}:drain",
          protect: true,
          tags,
          summary: "Drain a gateway: it takes no new sessions and hands its sessions to the others",
          description: `${SUPER_ADMIN_ONLY} The gateway stays draining until it restarts; each session is closed there before another gateway opens it.`,
          errorResponses: { 404: "not_found: unknown gateway" },
        },
      })
      .input(gatewayRefInput)
      .output(gatewaySchema)
      .mutation(async ({ ctx, input }) => {
        if (!(await setGatewayStatus(ctx.db, input.gateway, "draining"))) throw notFound("gateway");
        const row = (await listGateways(ctx.db)).find((g) => g.id === input.gateway);
        if (!row) throw notFound("gateway");
        ctx.logger.info({ gatewayId: input.gateway }, "gateway draining");
        return row;
      }),
  },
} satisfies TRPCRouterRecord;
