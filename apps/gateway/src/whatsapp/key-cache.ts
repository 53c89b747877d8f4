// The cache in front of a session's Signal key store (Baileys' makeCacheableSignalKeyStore), in place of the one it
// makes by default: that one keeps everything written for 5 minutes, and a pairing writes the 812 one-time pre-keys
// the device uploads, so every freshly paired session held them in memory long after the pairing was over (a
// restarted gateway never loads them). Pre-keys are written once and read at most once (when a contact's first
// message consumes one), so they are not cached here; everything else is, for the same 5 minutes.
import type { CacheStore } from "@whiskeysockets/baileys";

/** Key types (Baileys' `type.id` cache keys) written to the store but never kept in memory. */
const UNCACHED_PREFIXES = ["pre-key."];

export const KEY_CACHE_TTL_MS = 5 * 60_000;

export class SignalKeyCache implements CacheStore {
  private readonly entries = new Map<string, { value: unknown; expiresAt: number }>();
  private nextSweep: number;

  constructor(
    private readonly ttlMs = KEY_CACHE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.nextSweep = now() + ttlMs;
  }

  get size(): number {
    return this.entries.size;
  }

  get<T>(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value as T;
  }

  set<T>(key: string, value: T): void {
    if (UNCACHED_PREFIXES.some((p) => key.startsWith(p))) {
      // A newer write must not leave an older cached value behind.
      this.entries.delete(key);
      return;
    }
    const now = this.now();
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
    this.sweep(now);
  }

  del(key: string): void {
    this.entries.delete(key);
  }

  flushAll(): void {
    this.entries.clear();
  }

  /** Expired entries go on a later write (no timer per session); entries never read again are not kept forever. */
  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + this.ttlMs;
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
