// This process's memory of verified api-keys, by SHA-256 hash, so a request with a known key costs no database
// round trip. Correctness rests on invalidation (api-key-changes.ts): while revocations from every process are
// followed, an entry may live a minute (a safety net); while they are not (no listener yet, listener reconnecting,
// or a server that cannot deliver notifications, such as the embedded PGlite), at most one second.
import type { ApiKeyPermission } from "@wa/db";

export interface CachedApiKey {
  id: string;
  organizationId: string;
  permissions: ApiKeyPermission[];
  expiresAt: number | null;
  lastUsedAt: number | null;
}

export interface ApiKeyCacheOptions {
  /** Verified keys kept (the longest stored leave first: entries live a minute at most anyway); default 5000. */
  maxEntries?: number;
  /** Entry lifetime while revocations are followed; default 60 s. */
  followedMaxAgeMs?: number;
  /** Entry lifetime while they are not; default 1 s. */
  unfollowedMaxAgeMs?: number;
}

interface Entry {
  /** null: refused (unknown or revoked). Neither ever becomes valid again: a revoked key stays revoked, and a new
   * key has a new random hash, so remembering a refusal briefly is safe. */
  key: CachedApiKey | null;
  storedAt: number;
}

/** Refusals kept at most this long, and in their own smaller map so floods of bad keys cannot push out good ones. */
const REFUSED_MAX_AGE_MS = 5_000;
const REFUSED_MAX_ENTRIES = 1_000;

export class ApiKeyCache {
  private readonly verified = new Map<string, Entry>();
  private readonly refused = new Map<string, Entry>();
  private readonly hashById = new Map<string, string>();
  private readonly maxEntries: number;
  private readonly followedMaxAgeMs: number;
  private readonly unfollowedMaxAgeMs: number;
  /** Whether a listener currently delivers every revocation to this process. */
  private followed = false;
  /**
   * Bumped by every invalidation: a lookup that started before one may have read the row before the revocation
   * committed, so its answer is not stored (see `store`).
   */
  private generation = 0;

  constructor(options: ApiKeyCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 5_000;
    this.followedMaxAgeMs = options.followedMaxAgeMs ?? 60_000;
    this.unfollowedMaxAgeMs = options.unfollowedMaxAgeMs ?? 1_000;
  }

  get epoch(): number {
    return this.generation;
  }

  get isFollowed(): boolean {
    return this.followed;
  }

  /** The remembered answer for a hash: a key, null (refused), or undefined (ask the database). */
  get(hash: string, at: number): CachedApiKey | null | undefined {
    const maxAge = this.followed ? this.followedMaxAgeMs : this.unfollowedMaxAgeMs;
    const hit = this.verified.get(hash);
    if (hit) {
      if (at - hit.storedAt >= maxAge || at < hit.storedAt) {
        this.drop(hash);
        return undefined;
      }
      return hit.key;
    }
    const refusal = this.refused.get(hash);
    if (refusal) {
      if (at - refusal.storedAt >= Math.min(maxAge, REFUSED_MAX_AGE_MS) || at < refusal.storedAt) {
        this.refused.delete(hash);
        return undefined;
      }
      return null;
    }
    return undefined;
  }

  /** Remembers a database answer, unless an invalidation happened since the lookup began (`epochAtLookup`). */
  store(hash: string, key: CachedApiKey | null, at: number, epochAtLookup: number): void {
    if (epochAtLookup !== this.generation) return;
    if (key === null) {
      this.refused.set(hash, { key: null, storedAt: at });
      if (this.refused.size > REFUSED_MAX_ENTRIES) this.evictOldest(this.refused);
      return;
    }
    this.drop(hash);
    this.verified.set(hash, { key, storedAt: at });
    this.hashById.set(key.id, hash);
    if (this.verified.size > this.maxEntries) this.evictOldest(this.verified);
  }

  /** A key changed (revoked, deleted): forget it now. */
  forgetKey(keyId: string): void {
    this.generation++;
    const hash = this.hashById.get(keyId);
    if (hash !== undefined) this.drop(hash);
  }

  /** Forget everything: a notification may have been missed. */
  flush(): void {
    this.generation++;
    this.verified.clear();
    this.refused.clear();
    this.hashById.clear();
  }

  /** Whether revocations from every process reach this cache; switching either way starts from empty. */
  setFollowed(followed: boolean): void {
    if (this.followed === followed) return;
    this.flush();
    this.followed = followed;
  }

  get size(): number {
    return this.verified.size;
  }

  private drop(hash: string): void {
    const entry = this.verified.get(hash);
    if (entry?.key) this.hashById.delete(entry.key.id);
    this.verified.delete(hash);
  }

  /** Maps iterate in insertion order; `store` re-inserts, so the first entry is the one stored longest ago. */
  private evictOldest(map: Map<string, Entry>): void {
    const oldest = map.keys().next();
    if (oldest.done) return;
    if (map === this.verified) this.drop(oldest.value);
    else map.delete(oldest.value);
  }
}
