// Api-keys: minting (`wa_` + base64url of 32 random bytes), hashing, and authenticating a presented key.
import { createHash, randomBytes } from "node:crypto";
import type { Database } from "@wa/db";
import { findApiKeyByHash, getApiKeyValidity, touchApiKey } from "@wa/db/queries";
import type { ApiKeyPermission } from "@wa/db";
import { DomainError } from "../errors.ts";
import type { Logger } from "../logger.ts";

export const API_KEY_PREFIX = "wa_";
/** 32 bytes in base64url without padding. */
const API_KEY_PATTERN = /^wa_[A-Za-z0-9_-]{43}$/;
/** Characters kept in the clear so people can tell keys apart (`wa_` + 6). */
const VISIBLE_PREFIX_LENGTH = 9;

export const isApiKeyToken = (token: string): boolean => token.startsWith(API_KEY_PREFIX);

export const hashApiKey = (raw: string): string => createHash("sha256").update(raw, "utf8").digest("hex");

export function generateApiKey(): { raw: string; prefix: string; hash: string } {
  const raw = `${API_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  return { raw, prefix: raw.slice(0, VISIBLE_PREFIX_LENGTH), hash: hashApiKey(raw) };
}

export interface ApiKeyPrincipal {
  keyId: string;
  organizationId: string;
  permissions: ApiKeyPermission[];
  /** Epoch ms when the key stops working (null: never); open streams end then. */
  expiresAt?: number | null;
}

export interface ApiKeyAuthenticator {
  /** The key's principal, or throws DomainError `unauthorized` (unknown, revoked, expired or malformed). */
  authenticate(raw: string): Promise<ApiKeyPrincipal>;
}

export interface ApiKeyAuthenticatorOptions {
  db: Database;
  logger: Logger;
  /** Minimum time between two last-used writes for one key; default one minute. */
  touchIntervalMs?: number;
  now?: () => number;
}

export function createApiKeyAuthenticator(options: ApiKeyAuthenticatorOptions): ApiKeyAuthenticator {
  const touchIntervalMs = options.touchIntervalMs ?? 60_000;
  const now = options.now ?? Date.now;
  // Last time this process recorded use of each key: a busy key costs one write a minute, not one per request.
  const touched = new Map<string, number>();

  const touch = (keyId: string, at: number, lastUsedAt: number | null) => {
    const last = Math.max(touched.get(keyId) ?? 0, lastUsedAt ?? 0);
    if (at - last < touchIntervalMs) return;
    touched.set(keyId, at);
    if (touched.size > 10_000) touched.clear();
    // In the background: the request does not wait for (or fail on) bookkeeping.
    touchApiKey(options.db, keyId, new Date(at), touchIntervalMs).catch((error: unknown) => {
      // drizzle wraps the driver's error; its cause says what went wrong, without the query text.
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      options.logger.warn({ keyId, err: cause instanceof Error ? cause.message : String(cause) }, "api-key last-used update failed");
    });
  };

  return {
    async authenticate(raw) {
      if (!API_KEY_PATTERN.test(raw)) throw new DomainError("unauthorized", "invalid api key");
      const key = await findApiKeyByHash(options.db, hashApiKey(raw));
      const at = now();
      if (!key || key.revokedAt !== null || (key.expiresAt !== null && key.expiresAt <= at)) {
        throw new DomainError("unauthorized", "invalid api key");
      }
      touch(key.id, at, key.lastUsedAt);
      return { keyId: key.id, organizationId: key.organizationId, permissions: key.permissions, expiresAt: key.expiresAt };
    },
  };
}

/**
 * Re-checks a key that already authenticated (an open stream): why it stopped being usable, or null while it
 * still is, with its expiry so the caller can stop exactly then. A deleted key counts as revoked.
 */
export async function recheckApiKey(
  db: Database,
  keyId: string,
  at: number,
): Promise<{ lapsed: "revoked" | "expired" | null; expiresAt: number | null }> {
  const key = await getApiKeyValidity(db, keyId);
  if (!key || key.revokedAt !== null) return { lapsed: "revoked", expiresAt: key?.expiresAt ?? null };
  if (key.expiresAt !== null && key.expiresAt <= at) return { lapsed: "expired", expiresAt: key.expiresAt };
  return { lapsed: null, expiresAt: key.expiresAt };
}
