// Pairing-code login (Baileys' requestPairingCode): the phone's side of the link_code_companion_reg exchange.
import { randomBytes } from "node:crypto";
import {
  aesDecryptCTR,
  aesDecryptGCM,
  aesEncryptCTR,
  Curve,
  derivePairingCodeKey,
  getBinaryNodeChild,
  getBinaryNodeChildBuffer,
  hkdf,
  type BinaryNode,
} from "@whiskeysockets/baileys";
import type { KeyPair } from "./noise.ts";

/** What a registering client sent with `stage=companion_hello`. */
export interface CompanionHello {
  phoneNumber: string;
  /** salt (32) ‖ iv (16) ‖ AES-CTR(companion ephemeral public key) under PBKDF2(code, salt). */
  wrappedEphemeral: Buffer;
  noiseKey: Buffer;
  platformId: string;
  ref: string;
}

const childBuffer = (node: BinaryNode | undefined, tag: string): Buffer | undefined => {
  const b = getBinaryNodeChildBuffer(node, tag);
  return b ? Buffer.from(b) : undefined;
};

/** Reads a `link_code_companion_reg stage=companion_hello` iq; null when it is something else. */
export function parseCompanionHello(iq: BinaryNode): CompanionHello | null {
  const reg = getBinaryNodeChild(iq, "link_code_companion_reg");
  if (!reg || reg.attrs.stage !== "companion_hello") return null;
  const phoneNumber = (reg.attrs.jid ?? "").split("@")[0]?.split(":")[0] ?? "";
  const wrappedEphemeral = childBuffer(reg, "link_code_pairing_wrapped_companion_ephemeral_pub");
  const noiseKey = childBuffer(reg, "companion_server_auth_key_pub");
  const platform = getBinaryNodeChild(reg, "companion_platform_id")?.content;
  if (!phoneNumber || !wrappedEphemeral || wrappedEphemeral.length !== 80 || !noiseKey) return null;
  const platformId = platform instanceof Uint8Array ? Buffer.from(platform).toString() : typeof platform === "string" ? platform : "1";
  return { phoneNumber, wrappedEphemeral, noiseKey, platformId, ref: randomBytes(16).toString("hex") };
}

/** Reads a `stage=companion_finish` iq: the wrapped key bundle and the companion's identity key. */
export function parseCompanionFinish(iq: BinaryNode): { wrappedBundle: Buffer; identityKey: Buffer } | null {
  const reg = getBinaryNodeChild(iq, "link_code_companion_reg");
  if (!reg || reg.attrs.stage !== "companion_finish") return null;
  const wrappedBundle = childBuffer(reg, "link_code_pairing_wrapped_key_bundle");
  const identityKey = childBuffer(reg, "companion_identity_public");
  return wrappedBundle && identityKey ? { wrappedBundle, identityKey } : null;
}

/** The phone after the user typed the code: unwraps the companion's ephemeral key and wraps its own for the client. */
export async function primaryHello(hello: CompanionHello, code: string, accountKey: KeyPair): Promise<{ primaryEphemeral: KeyPair; companionEphemeral: Buffer; notification: BinaryNode }> {
  const w = hello.wrappedEphemeral;
  const companionEphemeral = aesDecryptCTR(w.subarray(48, 80), await derivePairingCodeKey(code, w.subarray(0, 32)), w.subarray(32, 48));
  const k = Curve.generateKeyPair();
  const primaryEphemeral = { public: Buffer.from(k.public), private: Buffer.from(k.private) };
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const wrapped = Buffer.concat([salt, iv, aesEncryptCTR(primaryEphemeral.public, await derivePairingCodeKey(code, salt), iv)]);
  const notification: BinaryNode = {
    tag: "notification",
    attrs: { from: "s.whatsapp.net", type: "link_code_companion_reg", id: randomBytes(8).toString("hex"), t: Math.floor(Date.now() / 1000).toString() },
    content: [
      {
        tag: "link_code_companion_reg",
        attrs: {},
        content: [
          { tag: "link_code_pairing_ref", attrs: {}, content: Buffer.from(hello.ref) },
          { tag: "primary_identity_pub", attrs: {}, content: accountKey.public },
          { tag: "link_code_pairing_wrapped_primary_ephemeral_pub", attrs: {}, content: wrapped },
        ],
      },
    ],
  };
  return { primaryEphemeral, companionEphemeral: Buffer.from(companionEphemeral), notification };
}

/**
 * Opens the companion's key bundle and derives the ADV secret both sides now share. Throws when the bundle does not
 * decrypt, which is what a code that differs from the one the client shows leads to.
 */
export function openKeyBundle(
  finish: { wrappedBundle: Buffer; identityKey: Buffer },
  primaryEphemeral: KeyPair,
  companionEphemeral: Buffer,
  accountKey: KeyPair,
): { identityKey: Buffer; advSecret: Buffer } {
  const companionShared = Buffer.from(Curve.sharedKey(primaryEphemeral.private, companionEphemeral));
  const b = finish.wrappedBundle;
  const key = hkdf(companionShared, 32, { salt: b.subarray(0, 32), info: "link_code_pairing_key_bundle_encryption_key" });
  const payload = aesDecryptGCM(b.subarray(44), key, b.subarray(32, 44), Buffer.alloc(0));
  const identityKey = payload.subarray(0, 32);
  const primaryIdentity = payload.subarray(32, 64);
  const random = payload.subarray(64, 96);
  if (!primaryIdentity.equals(accountKey.public) || !identityKey.equals(finish.identityKey)) throw new Error("key bundle names other keys");
  const identityShared = Buffer.from(Curve.sharedKey(accountKey.private, identityKey));
  const advSecret = Buffer.from(hkdf(Buffer.concat([companionShared, identityShared, random]), 32, { info: "adv_secret" }));
  return { identityKey: Buffer.from(identityKey), advSecret };
}
