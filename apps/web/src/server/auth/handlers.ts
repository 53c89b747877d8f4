// The identity provider's route handlers (sign-up, sign-in, sign-out, token, JWKS) over injected dependencies,
// so tests call them with a test database and plain Requests.
import { SignJWT } from "jose";
import { unstorableText, unstorableTextRule } from "@wa/db/contract";
import { z } from "zod";
import type { Executor } from "@wa/db/client";
import { dummyPasswordHash, hashPassword, verifyPassword } from "@wa/db/passwords";
import {
  addMembership,
  createOrganization,
  createUser,
  findUserByEmail,
  findUserCredentials,
  getLastOrganization,
  isWellFormedInvitationToken,
  listMemberships,
  setLastOrganization,
  normalizeEmail,
  type MembershipView,
  createWebSession,
  findActiveWebSession,
  revokeWebSession,
  setWebSessionOrganization,
  touchMembershipActivity,
  touchWebSession,
  type ActiveWebSession,
} from "@wa/db/queries";
import type { Logger } from "pino";
import { addressKey, clientAddress, NO_TRUSTED_PROXIES, type TrustedProxies } from "./client-address.ts";
import {
  SESSION_COOKIE,
  SESSION_TTL_MS,
  clearedSessionCookie,
  deviceCookie,
  hasDeviceCookie,
  hashSessionToken,
  isWellFormedToken,
  newSessionToken,
  readCookie,
  sessionCookie,
} from "./cookies.ts";
import { readJsonBody } from "./body.ts";
import { AuthError, errorResponse, noStore, validationError } from "./errors.ts";
import { JWT_ALG, TOKEN_TTL_SECONDS, type KeyStore } from "./keys.ts";
import type { SignInLimiter } from "./rate-limit.ts";
import { Refusal } from "./refusals.ts";
import { joinByInvitation } from "../invitations.ts";

export const JWT_AUDIENCE = "wa-gateway";

export interface AuthDeps {
  db: Executor;
  webUrl: string;
  keys: KeyStore;
  limiter: SignInLimiter;
  /** APP_SECRET: signs the device cookie that lets an account's owner through its lockout. */
  secret: string;
  /** Which X-Forwarded-For entry is the client (TRUSTED_PROXIES); none by default. */
  trustedProxies?: TrustedProxies;
  log: Pick<Logger, "info" | "warn" | "error">;
  now?: () => number;
}

/** Text that PostgreSQL can store (no NUL, no lone surrogate): the gateway's input guard, for these forms. */
const text = () => z.string().refine((value) => !unstorableText.test(value), unstorableTextRule);
const email = text().pipe(z.string().trim().max(254)).pipe(z.email({ message: "must be an email address" }));
const password = z.string().max(256, "must be at most 256 characters");

const invitationToken = z.string().refine(isWellFormedInvitationToken, "must be an invitation link's token");
const signUpSchema = z
  .strictObject({
    email,
    password: password.min(8, "must be at least 8 characters"),
    name: text().pipe(z.string().trim().min(1, "is required").max(100)),
    /** Required unless joining by `invitation`: the person's own new organization. */
    organizationName: text().pipe(z.string().trim().min(1, "is required").max(100)).optional(),
    /** Added: the token of an invitation link; the account joins that organization instead of founding one. */
    invitation: invitationToken.optional(),
  })
  .refine((v) => v.organizationName !== undefined || v.invitation !== undefined, {
    path: ["organizationName"],
    message: "is required",
  });
const acceptSchema = z.strictObject({ token: invitationToken });
const signInSchema = z.strictObject({ email, password: password.min(1, "is required") });
const tokenQuerySchema = z.strictObject({
  org: z
    .string()
    .regex(/^[0-9A-Za-z]{1,64}$/, "must be an organization id")
    .optional(),
});

/**
 * Mints the 5-minute login JWT for a person in one of their organizations. `sid` names the web session it was
 * minted for: the gateway ends streams opened with it once that session signs out (plain calls are not checked,
 * so a token stays usable for the rest of its 5 minutes after sign-out).
 */
export async function signLoginToken(
  keys: KeyStore,
  webUrl: string,
  user: { id: string; email: string; name: string; platformRole: string | null },
  membership: Pick<MembershipView, "organizationId" | "role">,
  webSessionId: string,
  nowMs: number,
): Promise<{ token: string; expiresAt: number }> {
  const key = await keys.current();
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + TOKEN_TTL_SECONDS;
  const claims: Record<string, string> = {
    org: membership.organizationId,
    orgRole: membership.role,
    email: user.email,
    name: user.name,
    sid: webSessionId,
  };
  if (user.platformRole === "super_admin") claims.role = "super_admin";
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: JWT_ALG, kid: key.kid, typ: "JWT" })
    .setIssuer(webUrl)
    .setAudience(JWT_AUDIENCE)
    .setSubject(user.id)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key.privateKey);
  return { token, expiresAt: exp * 1000 };
}

/** Wraps a handler: contract-shaped errors, internal errors masked and logged. */
function handle(deps: AuthDeps, name: string, fn: (request: Request) => Promise<Response>) {
  return async (request: Request): Promise<Response> => {
    try {
      return await fn(request);
    } catch (error) {
      if (error instanceof AuthError) return errorResponse(error);
      if (error instanceof Refusal) return error.toResponse();
      deps.log.error({ err: error, route: name }, "auth handler failed");
      return errorResponse(new AuthError("internal", "internal error"));
    }
  };
}

interface Viewer {
  session: ActiveWebSession;
  tokenHash: string;
}

async function viewerOf(deps: AuthDeps, request: Request, now: number): Promise<Viewer | null> {
  const token = readCookie(request.headers.get("cookie"), SESSION_COOKIE);
  if (!token || !isWellFormedToken(token)) return null;
  const tokenHash = hashSessionToken(token);
  const session = await findActiveWebSession(deps.db, tokenHash, new Date(now));
  return session ? { session, tokenHash } : null;
}

async function startWebSession(deps: AuthDeps, request: Request, userId: string, organizationId: string | null, now: number) {
  const token = newSessionToken();
  await createWebSession(deps.db, {
    userId,
    tokenHash: hashSessionToken(token),
    activeOrganizationId: organizationId,
    userAgent: request.headers.get("user-agent")?.slice(0, 512) ?? null,
    expiresAt: new Date(now + SESSION_TTL_MS),
  });
  return sessionCookie(token, deps.webUrl, Math.floor(SESSION_TTL_MS / 1000));
}

const isUniqueViolation = (error: unknown): boolean => {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  return e?.code === "23505" || e?.cause?.code === "23505";
};

export function createAuthHandlers(deps: AuthDeps) {
  const now = deps.now ?? Date.now;
  const trustedProxies = deps.trustedProxies ?? NO_TRUSTED_PROXIES;
  let warnedUntrustedForwarding = false;
  const limitKeyOf = (request: Request) => {
    // Behind a proxy without TRUSTED_PROXIES every client shares the proxy's address: say so once.
    if (trustedProxies.kind === "none" && !warnedUntrustedForwarding && request.headers.has("x-forwarded-for")) {
      warnedUntrustedForwarding = true;
      deps.log.warn(
        { event: "untrusted_forwarded_for" },
        "X-Forwarded-For ignored: TRUSTED_PROXIES is unset, so sign-in limits use the TCP peer (set it when a proxy is in front)",
      );
    }
    return addressKey(clientAddress(request.headers, trustedProxies));
  };

  const signUp = handle(deps, "sign-up", async (request) => {
    const input = await readJsonBody(request, signUpSchema);
    // Every sign-up counts against the address: each costs a scrypt hash and could probe for registered emails.
    const at = now();
    const address = limitKeyOf(request);
    const wait = deps.limiter.address.retryAfterMs(address, at);
    if (wait > 0) {
      deps.log.warn({ event: "sign_up_rate_limited" }, "sign-up rate limited");
      throw new AuthError("rate_limited", "too many sign-up attempts; try again later", undefined, {
        "retry-after": String(Math.ceil(wait / 1000)),
      });
    }
    deps.limiter.address.recordFailure(address, at);
    // Hashed before the lookup, so "email taken" takes as long as a sign-up does.
    const passwordHash = await hashPassword(input.password);
    if (await findUserByEmail(deps.db, input.email)) throw new AuthError("conflict", "an account with this email already exists");
    let created;
    try {
      created = await deps.db.transaction(async (tx) => {
        const user = await createUser(tx, { email: input.email, name: input.name, passwordHash });
        if (input.invitation) {
          // Joining by a link: the account and the membership commit together, or neither (a bad link signs no one up).
          const joined = await joinByInvitation(tx, { token: input.invitation, user, ip: clientAddress(request.headers, trustedProxies) });
          return { user, organization: { id: joined.organizationId, name: joined.organizationName } };
        }
        const organization = await createOrganization(tx, { name: input.organizationName ?? "" });
        await addMembership(tx, { userId: user.id, organizationId: organization.id, role: "owner" });
        return { user, organization };
      });
    } catch (error) {
      // Two sign-ups with one email at once: the unique index decides.
      if (isUniqueViolation(error)) throw new AuthError("conflict", "an account with this email already exists");
      throw error;
    }
    const cookie = await startWebSession(deps, request, created.user.id, created.organization.id, now());
    deps.log.info({ userId: created.user.id, organizationId: created.organization.id }, "signed up");
    return Response.json(
      { user: created.user, organization: created.organization },
      { status: 201, headers: { ...noStore, "set-cookie": cookie } },
    );
  });

  const signIn = handle(deps, "sign-in", async (request) => {
    const input = await readJsonBody(request, signInSchema);
    const at = now();
    const accountKey = normalizeEmail(input.email);
    const address = limitKeyOf(request);
    // Two limits. Per address: 30 failures in 15 min, whatever the accounts (the address is the TCP peer unless
    // TRUSTED_PROXIES vouches for an X-Forwarded-For entry, so rotating that header gains nothing). Per account:
    // after 5 failures in 15 min the account is locked for attempts from contexts it has never signed in from,
    // but its owner still gets in with the right password from an address the account signed in from before or
    // from a browser holding its device cookie. Guessing is throttled; the owner is not locked out by strangers.
    // Keyed by the email as typed (normalized), not the user id: the answer is the same whether it exists or not.
    const accountWait = deps.limiter.account.retryAfterMs(accountKey, at);
    const recognized =
      accountWait > 0 &&
      (deps.limiter.known.has(accountKey, address) || hasDeviceCookie(request.headers.get("cookie"), deps.secret, accountKey));
    const wait = Math.max(deps.limiter.address.retryAfterMs(address, at), recognized ? 0 : accountWait);
    if (wait > 0) {
      deps.log.warn({ event: "sign_in_rate_limited" }, "sign-in rate limited");
      throw new AuthError("rate_limited", "too many failed sign-in attempts; try again later", undefined, {
        "retry-after": String(Math.ceil(wait / 1000)),
      });
    }
    const user = await findUserCredentials(deps.db, input.email);
    // Unknown email: verify against a dummy hash so both answers take the same time.
    const ok = await verifyPassword(input.password, user?.passwordHash ?? (await dummyPasswordHash()));
    if (!user || !ok) {
      deps.limiter.account.recordFailure(accountKey, at);
      deps.limiter.address.recordFailure(address, at);
      deps.log.info({ event: "sign_in_failed" }, "sign-in failed");
      throw new AuthError("unauthorized", "email or password is incorrect");
    }
    // The failure count is kept: a success during an attack must not hand the attacker a fresh allowance.
    deps.limiter.known.remember(accountKey, address);
    // The organization the person last chose, else their first.
    const memberships = await listMemberships(deps.db, user.id);
    const last = await getLastOrganization(deps.db, user.id);
    const cookie = await startWebSession(deps, request, user.id, last ?? memberships[0]?.organizationId ?? null, at);
    deps.log.info({ userId: user.id }, "signed in");
    const { passwordHash: _hash, ...profile } = user;
    const headers = new Headers(noStore);
    headers.append("set-cookie", cookie);
    headers.append("set-cookie", deviceCookie(deps.secret, accountKey, deps.webUrl));
    return Response.json({ user: profile }, { status: 200, headers });
  });

  const signOut = handle(deps, "sign-out", async (request) => {
    const token = readCookie(request.headers.get("cookie"), SESSION_COOKIE);
    if (token && isWellFormedToken(token)) {
      const revoked = await revokeWebSession(deps.db, hashSessionToken(token), new Date(now()));
      if (revoked) deps.log.info({ event: "signed_out" }, "signed out");
    }
    return new Response(null, { status: 204, headers: { ...noStore, "set-cookie": clearedSessionCookie(deps.webUrl) } });
  });

  const token = handle(deps, "token", async (request) => {
    const url = new URL(request.url);
    const query = tokenQuerySchema.safeParse(Object.fromEntries(url.searchParams));
    if (!query.success) throw validationError(query.error.issues);
    const at = now();
    const viewer = await viewerOf(deps, request, at);
    if (!viewer) throw new AuthError("unauthorized", "not signed in");
    const { session } = viewer;
    const memberships = await listMemberships(deps.db, session.userId);
    let active: MembershipView | undefined;
    if (query.data.org) {
      active = memberships.find((m) => m.organizationId === query.data.org);
      if (!active) throw new AuthError("forbidden", "you are not a member of that organization");
    } else {
      active = memberships.find((m) => m.organizationId === session.activeOrganizationId) ?? memberships[0];
      if (!active) throw new AuthError("forbidden", "you are not a member of any organization");
    }
    if (active.organizationId !== session.activeOrganizationId) {
      await setWebSessionOrganization(deps.db, session.id, active.organizationId);
    }
    // A switch by the person is remembered for their next sign-in.
    if (query.data.org) await setLastOrganization(deps.db, session.userId, active.organizationId);
    if (at - session.lastSeenAt.getTime() > 5 * 60_000) await touchWebSession(deps.db, session.id, new Date(at));
    // The console asks for a token while it is open: the person is active in this organization (members lists show it
    // per organization, never activity in another).
    await touchMembershipActivity(deps.db, session.userId, active.organizationId, new Date(at));

    const minted = await signLoginToken(deps.keys, deps.webUrl, session.user, active, session.id, at);
    return Response.json(minted, { headers: noStore });
  });

  const jwks = handle(deps, "jwks", async () => {
    const document = await deps.keys.jwks();
    // Short cache: verifiers refetch on an unknown kid anyway, and rotation publishes the next key at once.
    return Response.json(document, { headers: { "cache-control": "public, max-age=60" } });
  });

  /** POST /api/auth/invitations/accept {token}: the signed-in person joins; their web session switches to it. */
  const acceptInvitation = handle(deps, "accept-invitation", async (request) => {
    const input = await readJsonBody(request, acceptSchema);
    const viewer = await viewerOf(deps, request, now());
    if (!viewer) throw new AuthError("unauthorized", "not signed in");
    const { session } = viewer;
    const joined = await deps.db.transaction(async (tx) => {
      const result = await joinByInvitation(tx, {
        token: input.token,
        user: session.user,
        ip: clientAddress(request.headers, trustedProxies),
      });
      await setWebSessionOrganization(tx, session.id, result.organizationId);
      return result;
    });
    deps.log.info({ userId: session.userId, organizationId: joined.organizationId }, "joined by invitation");
    return Response.json(
      { organization: { id: joined.organizationId, name: joined.organizationName }, role: joined.role },
      { headers: noStore },
    );
  });

  return { signUp, signIn, signOut, token, jwks, acceptInvitation };
}

export type AuthHandlers = ReturnType<typeof createAuthHandlers>;
