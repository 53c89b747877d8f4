// Server-side request forgery guard for webhook URLs: http(s) only, and every address the host resolves to must be
// a public unicast one (no loopback, private, link-local, cloud metadata, CGNAT, multicast, reserved, or IPv6 forms
// that embed an IPv4 address). Checked when a webhook is saved and again at each delivery, where the connection is
// made to the address that was checked (a DNS change in between cannot redirect it).
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address a host name resolves to. */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (host) => {
  const found = await lookup(host, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** The URL may not be called; `message` says why in words fit for a validation error. */
export class UrlRefused extends Error {
  override name = "UrlRefused";
}

/** Why an address may not be called, or null when it is public unicast. IPv4-mapped IPv6 is judged as its IPv4. */
export function forbiddenAddressReason(address: string): string | null {
  if (!ipaddr.isValid(address)) return "not an IP address";
  const parsed = ipaddr.process(address);
  // IPv4-compatible IPv6 (::a.b.c.d, deprecated) embeds an IPv4 address that ipaddr.js calls unicast: never public.
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0)) {
    return `${parsed.toString()} embeds an IPv4 address (IPv4-compatible IPv6)`;
  }
  const range = parsed.range();
  return range === "unicast" ? null : `${parsed.toString()} is a ${range} address`;
}

/** The URL's host without IPv6 brackets. */
const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, "$1");

/** The URL if it is an http(s) URL without credentials; throws UrlRefused. */
export function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UrlRefused("not a valid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UrlRefused("only http and https URLs are allowed");
  if (url.username || url.password) throw new UrlRefused("credentials in the URL are not allowed");
  return url;
}

/**
 * Parses, resolves and checks a webhook URL; resolves to the addresses it may be called at (all of them allowed).
 * Throws UrlRefused. With `allowPrivate` (WEBHOOK_ALLOW_PRIVATE=1: tests, demo) any address is allowed.
 */
export async function checkWebhookUrl(
  raw: string,
  opts: { allowPrivate: boolean; resolve?: Resolver },
): Promise<{ url: URL; addresses: ResolvedAddress[] }> {
  const url = parseWebhookUrl(raw);
  const host = hostOf(url);
  const family = isIP(host);
  let addresses: ResolvedAddress[];
  if (family !== 0) addresses = [{ address: host, family: family === 6 ? 6 : 4 }];
  else {
    try {
      addresses = await (opts.resolve ?? systemResolver)(host);
    } catch {
      throw new UrlRefused(`the host ${host} does not resolve`);
    }
    if (addresses.length === 0) throw new UrlRefused(`the host ${host} does not resolve`);
  }
  if (opts.allowPrivate) return { url, addresses };
  for (const { address } of addresses) {
    const reason = forbiddenAddressReason(address);
    if (reason) throw new UrlRefused(`the host ${host} resolves to a non-public address (${reason})`);
  }
  return { url, addresses };
}
