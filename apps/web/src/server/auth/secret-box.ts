// AES-256-GCM encryption of small secrets (private JWKs) at rest, keyed by HKDF-SHA256 of APP_SECRET.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const VERSION = "v1";

export class SecretBox {
  private readonly key: Buffer;

  constructor(appSecret: string, purpose: string) {
    this.key = Buffer.from(hkdfSync("sha256", appSecret, "wa-web", `secret-box:${purpose}`, 32));
  }

  /** `aad` binds the ciphertext to its row (e.g. the kid), so ciphertexts cannot be swapped between rows. */
  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(aad));
    const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv.toString("base64url"), data.toString("base64url"), tag.toString("base64url")].join(".");
  }

  open(sealed: string, aad: string): string {
    const [version, iv, data, tag] = sealed.split(".");
    if (version !== VERSION || !iv || !data || !tag) throw new Error("unrecognized sealed value");
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
  }
}
