// The caller's address for the audit log and logs: the TCP peer, or, for a call another gateway forwarded, the
// address its signed assertion names (forwarding.ts records it once the assertion is verified).
import type { FastifyRequest } from "fastify";

const vouched = new WeakMap<FastifyRequest, string>();

/** Called only after a forward's assertion was verified. */
export function recordForwardedClientIp(request: FastifyRequest, ip: string): void {
  vouched.set(request, ip);
}

export function clientIpOf(request: FastifyRequest): string {
  return vouched.get(request) ?? request.ip;
}
