// The one tRPC init file: context type, initialization with the contract error formatter, procedure builders.
import { initTRPC } from "@trpc/server";
import { roleCapabilities } from "@wa/db/contract";
import type { OpenApiMeta } from "trpc-to-openapi";
import type { Capability } from "./schemas.ts";
import type { Context, Principal } from "./context.ts";
import { DomainError, fail, toContractError, toTRPCError } from "./errors.ts";
import { assertStorableInput } from "./input-guard.ts";
import { callLogFields } from "./logger.ts";

/*
 * 1. CONTEXT
 * Built per request by `createContextFactory` (headers / connectionParams) or, in tests, `createInnerContext`.
 */
export type { Context } from "./context.ts";

/**
 * How a REST request maps onto a procedure beyond path and body: input fields taken from the query string of a
 * body route (`?async=true`), input fields taken from headers (`Idempotency-Key`), and a success status that
 * depends on the answer (200 sync, 202 queued).
 */
export interface RestMapping {
  query?: readonly string[];
  /** header name (lower case) → input field */
  headers?: Readonly<Record<string, string>>;
  /** The success status for this output; the meta's `successStatus` (or 200) when it returns undefined. */
  statusOf?: (output: unknown) => number | undefined;
  /** Further success statuses the route may answer, for the OpenAPI document. */
  alsoSucceedsWith?: readonly number[];
}

/** Procedure meta: the REST route (trpc-to-openapi) plus the success status the REST layer answers with. */
export type Meta = OpenApiMeta<{ successStatus?: 201 | 202 | 204; rest?: RestMapping }>;

/*
 * 2. INITIALIZATION
 * Errors reach tRPC clients with the contract's code in `error.data.code` (tRPC's own code moves to
 * `data.trpcCode`), the contract status in `data.httpStatus`, field messages in `data.details`. No stack, ever.
 */
const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    isDev: false,
    // SSE subscriptions: pings keep proxies from closing idle streams; clients reconnect when pings stop.
    sse: { ping: { enabled: true, intervalMs: 15_000 }, client: { reconnectAfterInactivityMs: 35_000 } },
    errorFormatter({ shape, error }) {
      const contract = toContractError(error);
      const { stack: _stack, code: trpcCode, ...data } = shape.data as typeof shape.data & { stack?: unknown };
      return {
        ...shape,
        message: contract.message,
        data: {
          ...data,
          code: contract.code,
          trpcCode,
          httpStatus: contract.status,
          ...(contract.details ? { details: contract.details } : {}),
        },
      };
    },
  });

export const createCallerFactory = t.createCallerFactory;
export const createTRPCRouter = t.router;

/*
 * 3. PROCEDURES
 */

/** DomainErrors thrown by queries or ports keep their contract code instead of becoming a 500. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.code === "INTERNAL_SERVER_ERROR" && result.error.cause instanceof DomainError) {
    throw toTRPCError(result.error.cause);
  }
  return result;
});

/** Every string of the raw input storable (no NUL, no lone surrogate) and the input shallow: both transports. */
const storableInput = t.middleware(async ({ getRawInput, next }) => {
  try {
    assertStorableInput(await getRawInput());
  } catch (error) {
    if (error instanceof DomainError) throw toTRPCError(error);
    throw error;
  }
  return next();
});

export const publicProcedure = t.procedure.use(domainErrors).use(storableInput);

/**
 * Any verified caller; 401 without credentials, the credential's own error (401/503) when refused. From here on
 * `ctx.logger` is bound to the caller (and the session the input names), so procedures never repeat those fields.
 */
export const authedProcedure = publicProcedure.use(async ({ ctx, next, getRawInput }) => {
  if (ctx.authError) throw toTRPCError(ctx.authError);
  if (!ctx.principal) throw fail("unauthorized", "authentication required");
  // An unreadable body is the input parser's to report; the log binding just goes without a session id.
  const rawInput = await getRawInput().catch(() => undefined);
  const logger = ctx.logger.child(callLogFields(ctx.principal, rawInput));
  return next({ ctx: { ...ctx, principal: ctx.principal, logger } });
});

/** What the principal may do in its organization: the org role's capabilities, or exactly the key's permissions. */
export function capabilitiesOf(principal: Principal): Capability[] {
  if (principal.kind === "api_key") return [...principal.permissions];
  return principal.orgRole && principal.organizationId ? [...roleCapabilities[principal.orgRole]] : [];
}

/** The caller's organization scope, requiring one capability (403 `forbidden` without it). */
export const orgProcedure = (capability: Capability) =>
  authedProcedure.use(({ ctx, next }) => {
    const organizationId = ctx.principal.organizationId;
    if (!organizationId) throw fail("forbidden", "no organization selected");
    if (!capabilitiesOf(ctx.principal).includes(capability)) {
      throw fail("forbidden", `this caller lacks the ${capability} permission`);
    }
    return next({ ctx: { ...ctx, organizationId } });
  });

/** How a script gets a login JWT (the REST document repeats it on every route that refuses api-keys). */
export const LOGIN_JWT_HOWTO =
  "A script gets a login JWT from the web app: `POST /api/auth/sign-in` `{email, password}` (keep the session " +
  "cookie it sets), then `GET /api/auth/token` with that cookie → `{ token, expiresAt }`, valid 5 minutes; send " +
  "`Authorization: Bearer <token>` and fetch a new token when it expires.";

/** Documentation of the routes of `superAdminProcedure` and `orgAdminLoginProcedure`. */
export const SUPER_ADMIN_ONLY = `Platform administrators only: a login JWT with \`role: super_admin\`. Api-keys are refused (403) whatever their permissions. ${LOGIN_JWT_HOWTO}`;
export const ORG_ADMIN_LOGIN_ONLY = `An organization owner or admin, signed in: a login JWT. Api-keys and members are refused (403). ${LOGIN_JWT_HOWTO}`;

/** Organization administration by a person: an owner/admin login JWT; members and every api-key get 403. */
export const orgAdminLoginProcedure = authedProcedure.use(({ ctx, next }) => {
  const p = ctx.principal;
  if (p.kind !== "user" || !p.organizationId || (p.orgRole !== "owner" && p.orgRole !== "admin")) {
    throw fail("forbidden", "only an organization owner or admin, signed in, may do this");
  }
  return next({ ctx: { ...ctx, principal: p, organizationId: p.organizationId } });
});

/** Platform administration: a login JWT with `role: super_admin`, checked before anything is looked up. */
export const superAdminProcedure = authedProcedure.use(({ ctx, next }) => {
  const p = ctx.principal;
  if (p.kind !== "user" || p.platformRole !== "super_admin") {
    throw fail("forbidden", "platform administrators only");
  }
  return next({ ctx: { ...ctx, principal: p } });
});
