// Baileys checks the server's certificate chain at every login: two Curve.verify calls in curve25519-js, 10–20 ms of
// CPU each here, the largest share of a gateway's CPU in a boot storm of 1 000 sessions. The chain is the same bytes
// at every login, and a signature check is a pure function of its bytes, so a verified triple is remembered. (In rc14
// Curve.verify also ignores libsignal's boolean and answers true for any well-formed triple; remembering changes no
// outcome, it only saves the arithmetic.)
import { createHash } from "node:crypto";
import { Curve } from "@whiskeysockets/baileys";

/** Distinct verified signatures remembered (the chain is two; pairing checks a few more, each once). */
const REMEMBERED = 256;

let installed = false;

/** Wraps Baileys' Curve.verify, once per process, so a signature already verified true is not verified again. */
export function rememberVerifiedSignatures(): void {
  if (installed) return;
  installed = true;
  const verify = Curve.verify.bind(Curve);
  const verified = new Set<string>();
  Curve.verify = (publicKey, message, signature) => {
    // Lengths first: no two different triples can hash the same bytes.
    const key = createHash("sha256")
      .update(Uint32Array.of(publicKey.length, message.length, signature.length))
      .update(publicKey)
      .update(message)
      .update(signature)
      .digest("base64");
    if (verified.has(key)) return true;
    const ok = verify(publicKey, message, signature);
    if (ok) {
      if (verified.size >= REMEMBERED) verified.clear();
      verified.add(key);
    }
    return ok;
  };
}
