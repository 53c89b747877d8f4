// Curve25519 key pairs and signatures exactly as libsignal makes them (curve25519-js's deterministic XEd25519
// variant: Ed25519 over the clamped Montgomery scalar, the public key's sign bit in the signature's last byte), but
// faster: key pairs from Node's X25519 without libsignal's DER round trip, signatures with @noble/curves' precomputed
// base-point tables (about 1 ms where curve25519-js takes 5–20 ms). Baileys' own pairing code runs on them while
// companions are minted (withFastCurve), so it builds what Baileys would, byte for byte.
import { createHash, generateKeyPairSync } from "node:crypto";
import { ed25519, edwardsToMontgomeryPub } from "@noble/curves/ed25519";
import { Curve } from "@whiskeysockets/baileys";
import type { KeyPair } from "./noise.ts";

const L = ed25519.Point.CURVE().n;
const Fp = ed25519.Point.Fp;

const fromLE = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).reverse().toString("hex") || "0"}`);
const toLE32 = (n: bigint): Buffer => Buffer.from(n.toString(16).padStart(64, "0"), "hex").reverse();
const sha512 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash("sha512");
  for (const p of parts) h.update(p);
  return h.digest();
};

/** The private scalar as curve25519 uses it (clamped). */
function clamped(priv: Uint8Array): Buffer {
  const k = Buffer.from(priv.subarray(0, 32));
  k[0] = (k[0] ?? 0) & 248;
  k[31] = ((k[31] ?? 0) & 127) | 64;
  return k;
}

/**
 * A Curve25519 key pair (32-byte halves, as Baileys' Curve.generateKeyPair returns them): Node's X25519 in DER, whose
 * key is its last 32 bytes. DER, not JWK: exporting KeyObjects as JWK by the thousand stalls Node 20 in native code.
 */
export function fastKeyPair(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("x25519", {
    publicKeyEncoding: { format: "der", type: "spki" },
    privateKeyEncoding: { format: "der", type: "pkcs8" },
  });
  return { private: Buffer.from(privateKey.subarray(-32)), public: Buffer.from(publicKey.subarray(-32)) };
}

/** Edwards public keys of the private keys that signed within one withFastCurve (an identity key signs twice). */
const edwardsPublics = new Map<string, Uint8Array>();
/** Signatures made within one withFastCurve: `verify` of one of them needs no curve arithmetic. */
const signedHere = new Set<string>();
const signedKey = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) =>
  createHash("sha256")
    .update(publicKey.length === 33 ? publicKey.subarray(1) : publicKey)
    .update(message)
    .update(signature)
    .digest("base64");

/** curve25519-js `sign(privKey, message)` without its optional randomness: the same 64 bytes. */
export function fastSign(privateKey: Uint8Array, message: Uint8Array): Buffer {
  const k = clamped(privateKey);
  const scalar = fromLE(k);
  const id = k.toString("base64");
  let edPublic = edwardsPublics.get(id);
  if (!edPublic) {
    edPublic = ed25519.Point.BASE.multiply(scalar % L).toBytes();
    if (memoising) edwardsPublics.set(id, edPublic);
  }
  const r = fromLE(sha512(k, message)) % L;
  const R = ed25519.Point.BASE.multiply(r === 0n ? L : r).toBytes();
  const h = fromLE(sha512(R, edPublic, message)) % L;
  const signature = Buffer.concat([R, toLE32((r + h * scalar) % L)]);
  signature[63] = (signature[63] ?? 0) | ((edPublic[31] ?? 0) & 128);
  if (memoising) signedHere.add(signedKey(edwardsToMontgomeryPub(edPublic), message, signature));
  return signature;
}

/** curve25519-js `verify`: the Montgomery key turned Edwards with the sign bit the signature carries. */
export function fastVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  if (signedHere.has(signedKey(publicKey, message, signature))) return true;
  const u = fromLE(publicKey.length === 33 ? publicKey.subarray(1) : publicKey);
  const edPublic = toLE32(Fp.div(Fp.sub(u, 1n), Fp.add(u, 1n)));
  edPublic[31] = (edPublic[31] ?? 0) | ((signature[63] ?? 0) & 128);
  const sig = Buffer.from(signature);
  sig[63] = (sig[63] ?? 0) & 127;
  try {
    return ed25519.verify(sig, message, edPublic, { zip215: false });
  } catch {
    return false;
  }
}

let memoising = false;

/**
 * Runs `work` (synchronous: nothing else sees the swap) with Baileys' Curve key generation and signatures on the fast
 * implementation, remembering what it signed so that verifying those signatures again costs nothing.
 */
export function withFastCurve<T>(work: () => T): T {
  if (memoising) return work();
  const saved = { generateKeyPair: Curve.generateKeyPair, sign: Curve.sign, verify: Curve.verify };
  Curve.generateKeyPair = fastKeyPair;
  Curve.sign = fastSign;
  Curve.verify = fastVerify;
  memoising = true;
  try {
    return work();
  } finally {
    Object.assign(Curve, saved);
    memoising = false;
    edwardsPublics.clear();
    signedHere.clear();
  }
}
