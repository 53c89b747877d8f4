// Forwarded calls between gateways carry an assertion signed with CLUSTER_SECRET, bound to the sender, the target,
// the method, the path (with its query), a hash of the body and the time, with a one-time nonce: a forwarded call
// cannot be forged, redirected, altered or replayed by anyone without the secret.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const FORWARD_HEADER = "x-wa-forwarded";
/** An assertion older (or further in the future) than this is refused; nonces are remembered this long. */
export const ASSERTION_TTL_MS = 30_000;

export interface ForwardedCall {
  method: string;
  /** Path and query, exactly as sent. */
  url: string;
  /** The body as sent (JSON text), or "" for none. */
  body: string;
}

const bodyHash = (body: string) => createHash("sha256").update(body).digest("base64url");

function mac(secret: string, parts: readonly string[]): Buffer {
  return createHmac("sha256", secret).update(parts.join("\n")).digest();
}

/** `v1;from;to;time;nonce;signature` (gateway ids never hold `;`). */
export function signForward(secret: string, call: ForwardedCall, from: string, to: string, now = Date.now()): string {
  const nonce = randomBytes(16).toString("base64url");
  const parts = ["v1", from, to, String(now), nonce, call.method.toUpperCase(), call.url, bodyHash(call.body)];
  return ["v1", from, to, String(now), nonce, mac(secret, parts).toString("base64url")].join(";");
}

/** Nonces seen within the assertion lifetime (per process: an assertion names its target gateway). */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  /** True the first time a nonce is offered; false on any replay. */
  firstUse(nonce: string, now = Date.now()): boolean {
    if (this.seen.size > 10_000) for (const [n, until] of this.seen) if (until < now) this.seen.delete(n);
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, now + 2 * ASSERTION_TTL_MS);
    return true;
  }
}

export type ForwardVerdict = { ok: true; from: string } | { ok: false; reason: string };

export function verifyForward(
  header: string,
  opts: { secret: string; self: string; call: ForwardedCall; replay: ReplayGuard; now?: number },
): ForwardVerdict {
  const now = opts.now ?? Date.now();
  const [version, from, to, time, nonce, signature, ...rest] = header.split(";");
  if (version !== "v1" || !from || !to || !time || !nonce || !signature || rest.length > 0) return { ok: false, reason: "malformed assertion" };
  if (to !== opts.self) return { ok: false, reason: "assertion for another gateway" };
  const at = Number(time);
  if (!Number.isSafeInteger(at) || Math.abs(now - at) > ASSERTION_TTL_MS) return { ok: false, reason: "assertion expired" };
  const expected = mac(opts.secret, ["v1", from, to, time, nonce, opts.call.method.toUpperCase(), opts.call.url, bodyHash(opts.call.body)]);
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "bad signature" };
  // Only a valid assertion spends its nonce: garbage cannot fill the guard.
  if (!opts.replay.firstUse(nonce, now)) return { ok: false, reason: "assertion replayed" };
  return { ok: true, from };
}
