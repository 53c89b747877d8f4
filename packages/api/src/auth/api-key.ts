// Api-keys: minting (`wa_` + base64url of 32 random bytes), hashing, and authenticating a presented key
// (remembered in memory, see api-key-cache.ts; last use written at most once a minute per key).
import { hash as digest, randomBytes } from "node:crypto";
import type { Database } from "@wa/db";
import { findApiKeyByHash, getApiKeyValidity, touchApiKey } from "@wa/db/queries";
import type { ApiKeyPermission } from "@wa/db";
import { DomainError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { ApiKeyCache, type ApiKeyCacheOptions, type CachedApiKey } from "./api-key-cache.ts";
import { followApiKeyChanges, type ApiKeyChangesFollower, type NotificationClient } from "./api-key-changes.ts";

export const API_KEY_PREFIX = "wa_";
/** 32 bytes in base64url without padding. */
const API_KEY_PATTERN = /^wa_[A-Za-z0-9_-]{43}$/;
/** Characters kept in the clear so people can tell keys apart (`wa_` + 6). */
const VISIBLE_PREFIX_LENGTH = 9;

export const isApiKeyToken = (token: string): boolean => token.startsWith(API_KEY_PREFIX);

/**
 * SHA-256 of the key, hex. The one-shot `crypto.hash` (Node >= 20.12): every api-key request pays this, and a
 * `createHash` object (native handle, update, digest) costs about three times as much CPU for the same digest.
 */
export const hashApiKey = (raw: string): string => digest("sha256", raw, "hex");

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
  /**
   * Follow revocations made by every process (LISTEN/NOTIFY through `sql`, the same database's client); until
   * then cached keys live one second.
   */
  followChanges(sql: NotificationClient): Promise<void>;
  /** Whether revocations from every process currently reach this authenticator (its probe came back). */
  readonly following: boolean;
  /** Stops following; the authenticator keeps working with one-second entries. */
  close(): Promise<void>;
}

export interface ApiKeyAuthenticatorOptions {
  db: Database;
  logger: Logger;
  /** Minimum time between two last-used writes for one key; default one minute. */
  touchIntervalMs?: number;
  now?: () => number;
  cache?: ApiKeyCacheOptions;
  /** How often the listener proves it still receives notifications; default 10 s. */
  probeIntervalMs?: number;
}

/** Every cache of this process, by database: a revocation made here is forgotten by all of them before it answers. */
const cachesByDatabase = new WeakMap<Database, Set<ApiKeyCache>>();

/** Call after revoking a key: this process's caches forget it at once (other processes hear the NOTIFY). */
export function forgetApiKey(db: Database, keyId: string): void {
  for (const cache of cachesByDatabase.get(db) ?? []) cache.forgetKey(keyId);
}

const refuse = () => new DomainError("unauthorized", "invalid api key");

export function createApiKeyAuthenticator(options: ApiKeyAuthenticatorOptions): ApiKeyAuthenticator {
  const touchIntervalMs = options.touchIntervalMs ?? 60_000;
  const now = options.now ?? Date.now;
  const { db, logger } = options;
  const cache = new ApiKeyCache(options.cache);
  const registered = cachesByDatabase.get(db) ?? new Set<ApiKeyCache>();
  cachesByDatabase.set(db, registered);
  registered.add(cache);
  let follower: ApiKeyChangesFollower | null = null;
  // Concurrent first requests with one key share one lookup (dropped on any invalidation, like the cache).
  const lookups = new Map<string, { epoch: number; result: Promise<CachedApiKey | null> }>();
  // Last time this process recorded use of each key: a busy key costs one write a minute, not one per request.
  const touched = new Map<string, number>();

  const touch = (keyId: string, at: number, lastUsedAt: number | null) => {
    const last = Math.max(touched.get(keyId) ?? 0, lastUsedAt ?? 0);
    if (at - last < touchIntervalMs) return;
    touched.set(keyId, at);
    if (touched.size > 10_000) touched.clear();
    // In the background: the request does not wait for (or fail on) bookkeeping.
    touchApiKey(db, keyId, new Date(at), touchIntervalMs).catch((error: unknown) => {
      // drizzle wraps the driver's error; its cause says what went wrong, without the query text.
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      logger.warn({ keyId, err: cause instanceof Error ? cause.message : String(cause) }, "api-key last-used update failed");
    });
  };

  const lookUp = (hash: string): Promise<CachedApiKey | null> => {
    const epoch = cache.epoch;
    const shared = lookups.get(hash);
    if (shared && shared.epoch === epoch) return shared.result;
    const result = findApiKeyByHash(db, hash).then((row) => {
      // Revoked keys stay revoked: remembered as refused, like unknown ones.
      const key: CachedApiKey | null =
        row && row.revokedAt === null
          ? { id: row.id, organizationId: row.organizationId, permissions: row.permissions, expiresAt: row.expiresAt, lastUsedAt: row.lastUsedAt }
          : null;
      cache.store(hash, key, now(), epoch);
      return key;
    });
    lookups.set(hash, { epoch, result });
    const done = () => {
      if (lookups.get(hash)?.result === result) lookups.delete(hash);
    };
    result.then(done, done);
    return result;
  };

  return {
    async authenticate(raw) {
      if (!API_KEY_PATTERN.test(raw)) throw refuse();
      const hash = hashApiKey(raw);
      const cached = cache.get(hash, now());
      const key = cached === undefined ? await lookUp(hash) : cached;
      const at = now();
      // Expiry is checked on every request against the remembered time: no database needed.
      if (!key || (key.expiresAt !== null && key.expiresAt <= at)) throw refuse();
      touch(key.id, at, key.lastUsedAt);
      return { keyId: key.id, organizationId: key.organizationId, permissions: [...key.permissions], expiresAt: key.expiresAt };
    },
    get following() {
      return cache.isFollowed;
    },
    async followChanges(sql) {
      if (follower) return;
      follower = await followApiKeyChanges(sql, cache, logger, options.probeIntervalMs);
    },
    async close() {
      registered.delete(cache);
      const current = follower;
      follower = null;
      await current?.stop();
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
