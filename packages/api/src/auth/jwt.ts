// Verifies the web app's login JWTs against its JWKS (EdDSA only), keeping the last good key set for outages.
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwksCache,
  jwtVerify,
  type ExportedJWKSCache,
  type JWSHeaderParameters,
  type FlattenedJWSInput,
  type JSONWebKeySet,
} from "jose";
import { orgRoles, platformRoles, type OrgRole, type PlatformRole } from "@wa/db/contract";
import { z } from "zod";
import { DomainError } from "../errors.ts";

export interface JwtVerifierOptions {
  jwksUrl: string;
  issuer: string;
  audience?: string;
  /** Tokens issued longer ago than this are refused even when not expired; default 10 min. */
  maxTokenAgeSeconds?: number;
  /** Allowed clock skew for exp/nbf/iat; default 30 s. */
  clockToleranceSeconds?: number;
  /** Minimum time between two JWKS fetches triggered by unknown kids; default 30 s. */
  cooldownMs?: number;
  /** After this the key set is refetched; on failure the last good set keeps verifying. Default 10 min. */
  cacheMaxAgeMs?: number;
  /** JWKS fetch timeout; default 3 s. */
  timeoutMs?: number;
}

/** Who a login JWT says the caller is; everything comes from its verified claims. */
export interface LoginClaims {
  userId: string;
  organizationId: string | null;
  orgRole: OrgRole | null;
  platformRole: PlatformRole | null;
  email: string | null;
  name: string | null;
  /** The token's `exp` in epoch ms: open streams end then. Absent for principals not built from a token. */
  expiresAt?: number;
  /** The web session (`sid`) the token was minted for: open streams end when it signs out. */
  webSessionId?: string;
}

export interface JwtVerifier {
  /** LoginClaims, or throws DomainError `unauthorized` (bad token) / `gateway_unavailable` (no usable key). */
  verify(token: string): Promise<LoginClaims>;
}

export const JWT_AUDIENCE = "wa-gateway";

const claimsSchema = z.object({
  sub: z.string().trim().min(1),
  org: z.string().min(1).optional(),
  orgRole: z.enum(orgRoles).optional(),
  role: z.string().optional(),
  email: z.string().optional(),
  name: z.string().optional(),
  sid: z.string().min(1).optional(),
});

/** A platform role the token names; any other `role` claim grants nothing (and is not an error). */
const platformRoleSchema = z.enum(platformRoles);

/** With no key set at all, how long a failed JWKS fetch is trusted before trying again. */
const COLD_RETRY_MS = 2_000;

const VERIFIED_CACHE_SIZE = 10_000;

const unauthorized = (message = "invalid token") => new DomainError("unauthorized", message);

/** Thrown from inside the key lookup so the outer code can tell "no keys reachable" from a bad token. */
class KeysUnavailable extends Error {
  override name = "KeysUnavailable";
}

export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const cooldownMs = options.cooldownMs ?? 30_000;
  // jose writes each successful fetch here; it is the last good key set used when the JWKS is unreachable.
  const cache: ExportedJWKSCache | Record<string, never> = {};
  const remote = createRemoteJWKSet(new URL(options.jwksUrl), {
    cooldownDuration: cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
    timeoutDuration: options.timeoutMs ?? 3_000,
    [jwksCache]: cache,
  });
  let lastGoodJwks: JSONWebKeySet | undefined;
  let lastGood: ReturnType<typeof createLocalJWKSet> | undefined;
  let lastFailureAt = Number.NEGATIVE_INFINITY;

  const fromLastGood = () => {
    const jwks = "jwks" in cache ? cache.jwks : undefined;
    if (jwks && jwks !== lastGoodJwks) {
      lastGoodJwks = jwks;
      lastGood = createLocalJWKSet(jwks);
    }
    return lastGood;
  };

  // Only the configured JWKS is consulted: the token's jku/x5u/jwk headers are never read.
  const getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    const known = fromLastGood();
    // Right after a failed fetch, do not hammer a JWKS that is down: serve from the last good set, or
    // (with none) answer "unavailable" at once instead of making every request wait for a timeout.
    const sinceFailure = Date.now() - lastFailureAt;
    if (known && sinceFailure < cooldownMs) return known(header, token);
    if (!known && sinceFailure < Math.min(cooldownMs, COLD_RETRY_MS)) throw new KeysUnavailable("jwks recently unreachable");
    try {
      return await remote(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      lastFailureAt = Date.now();
      const fallback = fromLastGood();
      if (fallback) return fallback(header, token);
      throw new KeysUnavailable(error instanceof Error ? error.message : "jwks fetch failed");
    }
  };

  // Verified tokens, so a console making many calls with one token pays for the Ed25519 check once. Only
  // successes are kept, and exp / max age are checked again on every hit; a key dropped from the JWKS stops
  // verifying new tokens at once, while tokens it already verified live out their (5-minute) lifetime.
  const maxAgeSeconds = options.maxTokenAgeSeconds ?? 600;
  const toleranceSeconds = options.clockToleranceSeconds ?? 30;
  const verified = new Map<string, { claims: LoginClaims; validUntilMs: number }>();

  return {
    async verify(token) {
      const hit = verified.get(token);
      if (hit) {
        if (Date.now() < hit.validUntilMs) return hit.claims;
        verified.delete(token);
      }
      let payload;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          algorithms: ["EdDSA"],
          issuer: options.issuer,
          audience: options.audience ?? JWT_AUDIENCE,
          requiredClaims: ["exp", "iat", "sub"],
          maxTokenAge: maxAgeSeconds,
          clockTolerance: toleranceSeconds,
        }));
      } catch (error) {
        if (error instanceof KeysUnavailable) throw new DomainError("gateway_unavailable", "signing keys unavailable");
        if (error instanceof errors.JWTExpired) throw unauthorized("token expired");
        throw unauthorized();
      }
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success) throw unauthorized();
      const c = claims.data;
      const result: LoginClaims = {
        userId: c.sub,
        organizationId: c.org ?? null,
        orgRole: c.org ? (c.orgRole ?? null) : null,
        platformRole: platformRoleSchema.safeParse(c.role).data ?? null,
        email: c.email ?? null,
        name: c.name ?? null,
        ...(c.sid ? { webSessionId: c.sid } : {}),
      };
      const exp = typeof payload.exp === "number" ? payload.exp : 0;
      const iat = typeof payload.iat === "number" ? payload.iat : 0;
      result.expiresAt = exp * 1000;
      const validUntilMs = (Math.min(exp, iat + maxAgeSeconds) + toleranceSeconds) * 1000;
      if (verified.size >= VERIFIED_CACHE_SIZE) {
        const oldest = verified.keys().next();
        if (!oldest.done) verified.delete(oldest.value);
      }
      verified.set(token, { claims: result, validUntilMs });
      return result;
    },
  };
}
