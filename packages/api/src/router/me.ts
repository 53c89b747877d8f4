// Who the caller is, and what this gateway offers (public).
import type { TRPCRouterRecord } from "@trpc/server";
import { emptyInput, meOutput, systemInfoOutput } from "../schemas.ts";
import { authedProcedure, capabilitiesOf, publicProcedure } from "../trpc.ts";

export const meProcedure = authedProcedure
  .meta({ openapi: { method: "GET", path: "/me", protect: true, tags: ["me"], summary: "Who the caller is" } })
  .input(emptyInput)
  .output(meOutput)
  .query(({ ctx }) => {
    const p = ctx.principal;
    const permissions = capabilitiesOf(p);
    if (p.kind === "api_key") {
      return {
        kind: "api_key" as const,
        userId: null,
        apiKeyId: p.keyId,
        organizationId: p.organizationId,
        role: null,
        permissions,
        platformRole: null,
        email: null,
        name: null,
      };
    }
    return {
      kind: "user" as const,
      userId: p.userId,
      apiKeyId: null,
      organizationId: p.organizationId,
      role: p.orgRole,
      permissions,
      platformRole: p.platformRole,
      email: p.email,
      name: p.name,
    };
  });

export const systemRouter = {
  info: publicProcedure
    .meta({ openapi: { method: "GET", path: "/system/info", protect: false, tags: ["system"], summary: "This gateway's id and features" } })
    .input(emptyInput)
    .output(systemInfoOutput)
    .query(({ ctx }) => ({ gatewayId: ctx.ports.gatewayId, simulator: typeof ctx.ports.sessions.simulateScan === "function" })),
} satisfies TRPCRouterRecord;
