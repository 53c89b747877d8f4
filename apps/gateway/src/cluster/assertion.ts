// Forwarded calls between gateways carry an assertion signed with CLUSTER_SECRET, bound to the sender, the target,
// the method, the path (with its query), a hash of the body, the caller's credential and Idempotency-Key headers,
// the caller's address and the time, with a one-time nonce: a forwarded call cannot be forged, redirected, altered
// (credentials or Idempotency-Key swapped included) or replayed by anyone without the secret, and the holder can
// trust the client address it names for its audit log.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const FORWARD_HEADER = "x-wa-forwarded";
/** An assertion older (or further in the future) than this is refused; nonces are remembered this long. */
export const ASSERTION_TTL_MS = 30_000;

/** The request headers a forward is bound to: who calls, and which idempotent call it is. */
export const BOUND_HEADERS = ["authorization", "x-api-key", "idempotency-key"] as const;
export type BoundHeaders = Partial<Record<(typeof BOUND_HEADERS)[number], string | string[] | undefined>>;

export interface ForwardedCall {
  method: string;
  /** Path and query, exactly as sent. */
  url: string;
  /** The body as sent (JSON text), or "" for none. */
  body: string;
  /** The request's headers (only BOUND_HEADERS count); absent means none of them. */
  headers?: BoundHeaders;
}

const hash = (text: string) => createHash("sha256").update(text).digest("base64url");
const headerValue = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(", ") : (value ?? null));
const headersHash = (headers: BoundHeaders = {}) => hash(JSON.stringify(BOUND_HEADERS.map((name) => headerValue(headers[name]))));

function mac(secret: string, parts: readonly string[]): Buffer {
  return createHmac("sha256", secret).update(parts.join("\n")).digest();
}

const signedParts = (head: readonly string[], call: ForwardedCall) => [
  ...head,
  call.method.toUpperCase(),
  call.url,
  hash(call.body),
  headersHash(call.headers),
];

/**
 * `v2;from;to;time;nonce;clientIp;signature` (gateway ids never hold `;`; the address is percent-encoded).
 * `clientIp` is the address of whoever called the forwarding gateway ("" when unknown).
 */
export function signForward(
  secret: string,
  call: ForwardedCall,
  from: string,
  to: string,
  now = Date.now(),
  clientIp = "",
): string {
  const nonce = randomBytes(16).toString("base64url");
  const head = ["v2", from, to, String(now), nonce, encodeURIComponent(clientIp)];
  return [...head, mac(secret, signedParts(head, call)).toString("base64url")].join(";");
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

export type ForwardVerdict = { ok: true; from: string; clientIp: string | null } | { ok: false; reason: string };

export function verifyForward(
  header: string,
  opts: { secret: string; self: string; call: ForwardedCall; replay: ReplayGuard; now?: number },
): ForwardVerdict {
  const now = opts.now ?? Date.now();
  const fields = header.split(";");
  const [version, from, to, time, nonce, clientIp, signature, ...rest] = fields;
  if (version !== "v2" || !from || !to || !time || !nonce || clientIp === undefined || !signature || rest.length > 0) {
    return { ok: false, reason: "malformed assertion" };
  }
  if (to !== opts.self) return { ok: false, reason: "assertion for another gateway" };
  const at = Number(time);
  if (!Number.isSafeInteger(at) || Math.abs(now - at) > ASSERTION_TTL_MS) return { ok: false, reason: "assertion expired" };
  const expected = mac(opts.secret, signedParts([version, from, to, time, nonce, clientIp], opts.call));
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "bad signature" };
  // Only a valid assertion spends its nonce: garbage cannot fill the guard.
  if (!opts.replay.firstUse(nonce, now)) return { ok: false, reason: "assertion replayed" };
  let ip: string | null = null;
  try {
    ip = decodeURIComponent(clientIp) || null;
  } catch {
    return { ok: false, reason: "malformed assertion" };
  }
  return { ok: true, from, clientIp: ip };
}
