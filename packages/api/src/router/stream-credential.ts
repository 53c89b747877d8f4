// Open streams obey the credential they were opened with: re-checked on an interval and at its expiry, the stream
// ends with a final `ended` event once the api-key is revoked or expired, the login token expires, its web session
// signed out, the person left the organization, or (the platform stream) is no longer a super admin. The QR
// permission follows the person's current role.
import { safeError, type Database } from "@wa/db";
import type { Capability } from "@wa/db/contract";
import { getMembership, getUserProfile, isWebSessionActive } from "@wa/db/queries";
import { z } from "zod";
import { recheckApiKey } from "../auth/api-key.ts";
import type { Principal } from "../context.ts";
import type { Logger } from "../logger.ts";
import { capabilitiesOf } from "../trpc.ts";

export const streamEndReasons = ["credential revoked", "credential expired", "token expired", "access revoked"] as const;
export type StreamEndReason = (typeof streamEndReasons)[number];

/** The last message of a stream its credential no longer allows; the server closes the stream after it. */
export const streamEndedEventSchema = z
  .object({ type: z.literal("ended"), reason: z.enum(streamEndReasons), at: z.number().int() })
  .meta({ id: "StreamEnded" });
export type StreamEndedEvent = z.infer<typeof streamEndedEventSchema>;

/** How often an open stream re-checks its credential (the contract promises at least every 30 s). */
const DEFAULT_RECHECK_MS = 30_000;
let recheckEveryMs = DEFAULT_RECHECK_MS;

/** For tests: a shorter re-check interval; returns the function that restores the default. */
export function setStreamRecheckInterval(ms: number): () => void {
  recheckEveryMs = ms;
  return () => {
    recheckEveryMs = DEFAULT_RECHECK_MS;
  };
}

/** setTimeout's largest delay; a later expiry is armed by a later re-check. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface StreamGuard {
  /** Resolves with why the stream must end, or null once the signal aborts first. */
  ended: Promise<StreamEndReason | null>;
  /** Whether the caller may receive pairing QRs (`manage`), as of the last check. */
  mayReadQr(): boolean;
}

interface Recheck {
  lapsed: StreamEndReason | null;
  expiresAt: number | null;
  capabilities: readonly string[] | null;
}

async function recheck(
  db: Database,
  principal: Principal,
  organizationId: string | null,
  at: number,
  required: Capability,
): Promise<Recheck> {
  if (principal.kind === "api_key") {
    const key = await recheckApiKey(db, principal.keyId, at);
    const lapsed = key.lapsed === "revoked" ? "credential revoked" : key.lapsed === "expired" ? "credential expired" : null;
    return { lapsed, expiresAt: key.expiresAt, capabilities: null };
  }
  const expiresAt = principal.expiresAt ?? null;
  if (expiresAt !== null && expiresAt <= at) return { lapsed: "token expired", expiresAt, capabilities: null };
  // Signed out (or the web session revoked): the tokens it minted stop holding streams open.
  if (principal.webSessionId && !(await isWebSessionActive(db, principal.webSessionId, new Date(at)))) {
    return { lapsed: "credential revoked", expiresAt, capabilities: null };
  }
  // The token's roles stay as minted for its few minutes; the stream follows them as they are now.
  if (organizationId === null) {
    const profile = await getUserProfile(db, principal.userId);
    return { lapsed: profile?.platformRole === "super_admin" ? null : "access revoked", expiresAt, capabilities: null };
  }
  const membership = await getMembership(db, principal.userId, organizationId);
  if (!membership) return { lapsed: "access revoked", expiresAt, capabilities: null };
  const now = capabilitiesOf({ ...principal, orgRole: membership.role });
  const granted = capabilitiesOf(principal).filter((c) => now.includes(c));
  return { lapsed: granted.includes(required) ? null : "access revoked", expiresAt, capabilities: granted };
}

export function guardStream(options: {
  db: Database;
  logger: Logger;
  principal: Principal;
  /** The organization streamed; null for the platform stream (every organization: super admins only). */
  organizationId: string | null;
  signal: AbortSignal;
  now?: () => number;
  /** The capability the stream needs (`events` unless said): losing it ends the stream. */
  requires?: Capability;
}): StreamGuard {
  const { db, logger, principal, organizationId, signal } = options;
  const required = options.requires ?? "events";
  const now = options.now ?? Date.now;
  let capabilities: readonly string[] = capabilitiesOf(principal);
  let periodic: NodeJS.Timeout | undefined;
  let atExpiry: NodeJS.Timeout | undefined;
  let armedFor: number | null = null;

  const ended = new Promise<StreamEndReason | null>((resolve) => {
    let settled = false;
    const finish = (reason: StreamEndReason | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(periodic);
      clearTimeout(atExpiry);
      signal.removeEventListener("abort", onAbort);
      resolve(reason);
    };
    const onAbort = () => finish(null);

    const arm = (expiresAt: number | null, reason: StreamEndReason) => {
      if (expiresAt === null || expiresAt === armedFor) return;
      const delay = expiresAt - now();
      if (delay > MAX_TIMER_MS) return;
      clearTimeout(atExpiry);
      armedFor = expiresAt;
      atExpiry = setTimeout(() => finish(reason), Math.max(0, delay));
    };

    const check = async () => {
      try {
        const result = await recheck(db, principal, organizationId, now(), required);
        if (result.lapsed) return finish(result.lapsed);
        if (result.capabilities) capabilities = result.capabilities;
        arm(result.expiresAt, principal.kind === "api_key" ? "credential expired" : "token expired");
      } catch (error) {
        // The database is unreachable: a revocation cannot be written either, so the stream goes on until the
        // next check (and its expiry timer, which needs no database, still ends it on time).
        logger.warn({ organizationId, err: safeError(error) }, "stream credential re-check failed");
      }
      if (!settled) periodic = setTimeout(() => void check(), recheckEveryMs);
    };

    if (signal.aborted) return finish(null);
    signal.addEventListener("abort", onAbort, { once: true });
    arm(principal.expiresAt ?? null, principal.kind === "api_key" ? "credential expired" : "token expired");
    periodic = setTimeout(() => void check(), recheckEveryMs);
  });

  return { ended, mayReadQr: () => capabilities.includes("manage") };
}
