// Platform administration (super_admin only): sessions across every organization, backfill jobs, filter lists.
import type { TRPCRouterRecord } from "@trpc/server";
import type { z } from "zod";
import {
  decodeAuditCursor,
  decodeOrganizationCursor,
  listAudit,
  listGateways,
  listOrganizationSummaries,
  listOrganizations,
  listSessions,
  setGatewayStatus,
} from "@wa/db/queries";
import { audit } from "../audit.ts";
import { notFound } from "../errors.ts";
import {
  adminAuditListInput,
  adminSessionListInput,
  auditPageSchema,
  organizationPageInput,
  organizationPageSchema,
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
import { toAuditEntryOutput } from "./audit.ts";
import { clampLimit, requireSession, sessionPageParams } from "./helpers.ts";
import { decodePageCursor } from "./page-cursor.ts";

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
        // Recorded in the session's organization once the job runs (jobs live in the gateway, not in a row here).
        await ctx.db.transaction((tx) =>
          audit(tx, ctx, {
            organizationId: session.organizationId,
            action: "backfill.started",
            targetType: "session",
            targetId: session.id,
            details: { jobId: job.id },
          }),
        );
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

  audit: {
    list: superAdminProcedure
      .meta({ openapi: { method: "GET", path: "/admin/audit", protect: true, tags, summary: "The audit log of every organization, newest first", description: SUPER_ADMIN_ONLY } })
      .input(adminAuditListInput.optional())
      .output(auditPageSchema)
      .query(async ({ ctx, input = {} }) => {
        const page = await listAudit(ctx.db, {
          organizationId: input.organizationId,
          limit: clampLimit(input.limit),
          cursor: decodePageCursor(input.cursor, decodeAuditCursor),
          action: input.action,
        });
        return { data: page.data.map(toAuditEntryOutput), nextCursor: page.nextCursor };
      }),
  },

  organizations: {
    summaries: superAdminProcedure
      .meta({
        openapi: {
          method: "GET",
          path: "/admin/organizations/summaries",
          protect: true,
          tags,
          summary: "Organizations by name with member and session counts, paged and searchable",
          description: SUPER_ADMIN_ONLY,
        },
      })
      .input(organizationPageInput.optional())
      .output(organizationPageSchema)
      .query(async ({ ctx, input = {} }) => {
        const page = await listOrganizationSummaries(ctx.db, {
          limit: clampLimit(input.limit),
          cursor: decodePageCursor(input.cursor, decodeOrganizationCursor),
          q: input.q,
        });
        return { data: page.data.map((o) => ({ ...o, createdAt: o.createdAt.getTime() })), nextCursor: page.nextCursor };
      }),

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
