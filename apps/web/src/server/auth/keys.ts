// Ed25519 signing keys: created on first use, rotated by age, private half stored encrypted, public halves in the JWKS.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import type { Logger } from "pino";
import type { Executor } from "@wa/db/client";
import type { SigningKey } from "@wa/db/schema";
import { ensureCurrentSigningKey, listPublishedSigningKeys } from "@wa/db/queries";
import { SecretBox } from "./secret-box.ts";

export const JWT_ALG = "EdDSA";
export const TOKEN_TTL_SECONDS = 300;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface KeyStoreOptions {
  /** A key older than this is replaced by a new one; default 30 days. */
  rotateAfterMs?: number;
  /** How long this process reuses the current key before looking again; default 60 s. */
  cacheMs?: number;
  now?: () => number;
}

export interface CurrentKey {
  kid: string;
  privateKey: CryptoKey | Uint8Array;
}

export interface PublicJwk extends JWK {
  kid: string;
  alg: string;
  use: "sig";
}

export class KeyStore {
  private readonly box: SecretBox;
  private readonly rotateAfterMs: number;
  private readonly cacheMs: number;
  private readonly now: () => number;
  private cached: { key: CurrentKey; createdAt: number; loadedAt: number } | undefined;
  private loading: Promise<CurrentKey> | undefined;

  constructor(
    private readonly db: Executor,
    appSecret: string,
    options: KeyStoreOptions = {},
    private readonly log: Pick<Logger, "warn"> = { warn: () => {} },
  ) {
    this.box = new SecretBox(appSecret, "signing-keys");
    this.rotateAfterMs = options.rotateAfterMs ?? 30 * DAY_MS;
    this.cacheMs = options.cacheMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The key to sign with now. */
  async current(): Promise<CurrentKey> {
    const now = this.now();
    const cached = this.cached;
    if (cached && now - cached.loadedAt < this.cacheMs && now - cached.createdAt < this.rotateAfterMs) return cached.key;
    // One load at a time per process; the database lock covers other processes.
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<CurrentKey> {
    const now = this.now();
    // A rotated-out key must stay published until every token it signed (and any process still caching it) expired.
    const previousExpiresAt = new Date(now + (TOKEN_TTL_SECONDS + 2 * 60) * 1000 + this.cacheMs);
    const row = await ensureCurrentSigningKey(this.db, {
      needsNew: (current) => !current || now - current.createdAt.getTime() >= this.rotateAfterMs,
      make: () => this.makeKey(),
      previousExpiresAt,
      now: new Date(now),
    });
    let current = row;
    let privateKey = await this.privateKeyOf(current).catch(() => null);
    if (!privateKey) {
      // Sealed under another APP_SECRET (it was changed): this key cannot sign here. Rotate to a new one; the old
      // public key stays published until its tokens expired, so nothing verifiable breaks.
      this.log.warn({ kid: current.kid }, "signing key cannot be decrypted with APP_SECRET; rotating to a new key");
      const unreadable = current.kid;
      current = await ensureCurrentSigningKey(this.db, {
        needsNew: (c) => !c || c.kid === unreadable,
        make: () => this.makeKey(),
        previousExpiresAt,
        now: new Date(now),
      });
      privateKey = await this.privateKeyOf(current);
    }
    const key = { kid: current.kid, privateKey };
    this.cached = { key, createdAt: current.createdAt.getTime(), loadedAt: now };
    return key;
  }

  private async makeKey() {
    const { publicKey, privateKey } = await generateKeyPair(JWT_ALG, { crv: "Ed25519", extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const privateJwk = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    return {
      kid,
      alg: JWT_ALG,
      publicJwk: { ...publicJwk } as Record<string, unknown>,
      privateJwkEncrypted: this.box.seal(JSON.stringify(privateJwk), kid),
    };
  }

  private async privateKeyOf(row: SigningKey) {
    const jwk = JSON.parse(this.box.open(row.privateJwkEncrypted, row.kid)) as JWK;
    return importJWK(jwk, row.alg);
  }

  /** The JWKS document: current and still-valid previous public keys. */
  async jwks(): Promise<{ keys: PublicJwk[] }> {
    // Make sure a key exists (and is rotated when due) before publishing.
    await this.current();
    const rows = await listPublishedSigningKeys(this.db, new Date(this.now()));
    return {
      keys: rows.map((row) => {
        const { kty, crv, x } = row.publicJwk as { kty?: string; crv?: string; x?: string };
        return { kty, crv, x, kid: row.kid, alg: row.alg, use: "sig" as const };
      }),
    };
  }
}
