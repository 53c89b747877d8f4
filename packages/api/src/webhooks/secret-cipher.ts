// Webhook signing secrets at rest: AES-256-GCM under a key derived (HKDF-SHA256) from APP_SECRET, bound to the
// webhook's id, so a database reader cannot sign (or forge) deliveries without APP_SECRET. Its own salt and info
// keep these keys apart from the auth-state ones derived from the same secret.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import { webhookDelivery } from "@wa/db/contract";

const VERSION = "w1";
const SALT = "wa-gateway webhook-secret";

interface Key {
  id: string;
  key: Buffer;
}

function deriveKey(secret: string): Key {
  const key = Buffer.from(hkdfSync("sha256", secret, SALT, "aes-256-gcm key", 32));
  const idMaterial = Buffer.from(hkdfSync("sha256", secret, SALT, "key id", 32));
  return { id: createHash("sha256").update(idMaterial).digest("hex").slice(0, 16), key };
}

const aadOf = (webhookId: string) => Buffer.from(`wa-webhook:${webhookId}:secret`);

/** A fresh signing secret in the Standard Webhooks form: `whsec_` + base64 of 24 random bytes. */
export function generateWebhookSecret(): string {
  return `${webhookDelivery.secretPrefix}${randomBytes(24).toString("base64")}`;
}

export class WebhookSecretCipher {
  private readonly current: Key;
  private readonly keys = new Map<string, Key>();

  /** `previous`: APP_SECRET_PREVIOUS, so secrets sealed before an APP_SECRET change still open. */
  constructor(secrets: { current: string; previous?: string | undefined }) {
    this.current = deriveKey(secrets.current);
    this.keys.set(this.current.id, this.current);
    if (secrets.previous) {
      const previous = deriveKey(secrets.previous);
      if (!this.keys.has(previous.id)) this.keys.set(previous.id, previous);
    }
  }

  seal(webhookId: string, secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.current.key, iv);
    cipher.setAAD(aadOf(webhookId));
    const data = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
    return [VERSION, this.current.id, iv.toString("base64url"), data.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(".");
  }

  /** The secret; throws when the value was sealed under another APP_SECRET, altered, or moved to another webhook. */
  open(webhookId: string, sealed: string): string {
    const [version, keyId, iv, data, tag] = sealed.split(".");
    if (version !== VERSION || !keyId || !iv || !data || !tag) throw new Error("webhook secret is not in a known sealed format");
    const key = this.keys.get(keyId);
    if (!key) throw new Error("webhook secret was sealed under an APP_SECRET this gateway does not have");
    const decipher = createDecipheriv("aes-256-gcm", key.key, Buffer.from(iv, "base64url"));
    decipher.setAAD(aadOf(webhookId));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    try {
      return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
    } catch {
      throw new Error("webhook secret failed its integrity check (altered or moved between webhooks)");
    }
  }
}
