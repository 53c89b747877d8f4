// Auth state sealed at rest: AES-256-GCM under a key derived (HKDF-SHA256) from APP_SECRET. Each row stores the
// id of its key, so APP_SECRET can rotate: the previous secret (APP_SECRET_PREVIOUS) still opens old rows, and the
// gateway seals them again under the current key at start.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";

const VERSION = "v1";
const SALT = "wa-gateway auth-state";

/** Sealed text and the id of the key that sealed it; `sealKeyId` null is plain JSON written before encryption. */
export interface SealedValue {
  value: string;
  sealKeyId: string | null;
}

/** The value cannot be opened with the configured secrets: the caller must fail, never start over. */
export class AuthStateSealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuthStateSealError";
  }
}

interface Key {
  id: string;
  key: Buffer;
}

function deriveKey(secret: string): Key {
  const key = Buffer.from(hkdfSync("sha256", secret, SALT, "aes-256-gcm key", 32));
  // The id is a hash of a separately derived value: it names the key without revealing anything about it.
  const idMaterial = Buffer.from(hkdfSync("sha256", secret, SALT, "key id", 32));
  return { id: `k1-${createHash("sha256").update(idMaterial).digest("hex").slice(0, 16)}`, key };
}

export interface AuthCipherSecrets {
  /** APP_SECRET: seals every write. */
  current: string;
  /** APP_SECRET_PREVIOUS: only opens rows sealed before a rotation. */
  previous?: string | undefined;
}

export class AuthCipher {
  private readonly current: Key;
  private readonly keys: Map<string, Key>;

  constructor(secrets: AuthCipherSecrets) {
    this.current = deriveKey(secrets.current);
    this.keys = new Map([[this.current.id, this.current]]);
    if (secrets.previous) {
      const previous = deriveKey(secrets.previous);
      if (!this.keys.has(previous.id)) this.keys.set(previous.id, previous);
    }
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  /** Key ids this cipher opens other than the current one (rows sealed under them are sealed again at start). */
  get previousKeyIds(): string[] {
    return [...this.keys.keys()].filter((id) => id !== this.current.id);
  }

  /** `aad` binds the ciphertext to its row (session, type, id), so rows cannot be swapped or moved. */
  seal(plaintext: string, aad: string): SealedValue {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.current.key, iv);
    cipher.setAAD(Buffer.from(aad));
    const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    const value = [VERSION, iv.toString("base64url"), data.toString("base64url"), tag.toString("base64url")].join(".");
    return { value, sealKeyId: this.current.id };
  }

  /** The plaintext; legacy plain rows (`sealKeyId` null) pass through. Throws AuthStateSealError otherwise. */
  open(sealed: SealedValue, aad: string): string {
    if (sealed.sealKeyId === null) return sealed.value;
    const key = this.keys.get(sealed.sealKeyId);
    if (!key) {
      throw new AuthStateSealError(
        `wrong APP_SECRET: this auth state was sealed with key ${sealed.sealKeyId}, which neither APP_SECRET nor ` +
          "APP_SECRET_PREVIOUS derives; start the gateway with the APP_SECRET it was written with (the stored credentials are untouched)",
      );
    }
    const [version, iv, data, tag] = sealed.value.split(".");
    if (version !== VERSION || !iv || !data || !tag) throw new AuthStateSealError("auth state value is not in a known sealed format");
    try {
      const decipher = createDecipheriv("aes-256-gcm", key.key, Buffer.from(iv, "base64url"));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
    } catch {
      throw new AuthStateSealError(
        `auth state sealed with key ${sealed.sealKeyId} failed its integrity check (altered or moved between rows)`,
      );
    }
  }
}

export const credsAad = (sessionId: string) => `wa-auth:${sessionId}:creds`;
export const keyAad = (sessionId: string, type: string, keyId: string) => `wa-auth:${sessionId}:key:${type}:${keyId}`;

/**
 * LID↔phone-number mappings stay plain: they hold what `contacts` already stores in the clear, and the backfill
 * reads them straight from the database. Every other key (pre-keys, sessions, sender keys, app-state keys) and the
 * creds are sealed.
 */
export const PLAIN_KEY_TYPES: readonly string[] = ["lid-mapping"];

const ciphers = new Map<string, AuthCipher>();

/** One cipher per pair of secrets (key derivation is done once per process, not per session). */
export function authCipherFor(secrets: AuthCipherSecrets): AuthCipher {
  const id = JSON.stringify([secrets.current, secrets.previous ?? null]);
  let cipher = ciphers.get(id);
  if (!cipher) {
    cipher = new AuthCipher(secrets);
    ciphers.set(id, cipher);
  }
  return cipher;
}
