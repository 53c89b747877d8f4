// Which address a request came from, for rate limiting: the TCP peer, or (behind trusted proxies) the
// X-Forwarded-For entry those proxies vouch for. A client can put anything in X-Forwarded-For, so it is only
// read as far as TRUSTED_PROXIES says.
import { BlockList, isIP } from "node:net";

/**
 * The TCP peer of the request, stamped by the server process (see peer-address.ts) over anything the client sent:
 * Next.js route handlers see headers only, and Next fills X-Forwarded-For from the socket only when the client
 * sent none.
 */
export const PEER_ADDRESS_HEADER = "x-wa-peer-address";

export type TrustedProxies =
  | { kind: "none" }
  /** This many proxies, each appending to X-Forwarded-For, stand between the client and this server. */
  | { kind: "hops"; count: number }
  /** Proxies at these addresses (IPs or CIDRs) are trusted; the first address from the right outside them is the client. */
  | { kind: "cidrs"; list: BlockList; entries: string[] };

export const NO_TRUSTED_PROXIES: TrustedProxies = { kind: "none" };

/** Parses TRUSTED_PROXIES: unset/empty/0 → none, a number → hop count, else a comma-separated list of IPs/CIDRs. */
export function parseTrustedProxies(value: string | undefined): TrustedProxies {
  const text = value?.trim() ?? "";
  if (text === "" || text === "0") return NO_TRUSTED_PROXIES;
  if (/^\d+$/.test(text)) {
    const count = Number(text);
    if (count > 10) throw new Error("a hop count above 10 is not plausible");
    return { kind: "hops", count };
  }
  const list = new BlockList();
  const entries = text.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
  for (const entry of entries) {
    const [address = "", prefix, ...rest] = entry.split("/");
    const family = isIP(address);
    if (family === 0 || rest.length > 0) throw new Error(`"${entry}" is not an IP address or CIDR`);
    const type = family === 4 ? "ipv4" : "ipv6";
    if (prefix === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const bits = Number(prefix);
    if (!/^\d+$/.test(prefix) || bits > (family === 4 ? 32 : 128)) throw new Error(`"${entry}" has an invalid prefix length`);
    list.addSubnet(address, bits, type);
  }
  return { kind: "cidrs", list, entries };
}

/** `::ffff:1.2.3.4` → `1.2.3.4`; brackets and an IPv4 port dropped; anything unparsable → null. */
function normalize(raw: string): string | null {
  let address = raw.trim();
  if (address.startsWith("[")) address = address.slice(1, address.indexOf("]"));
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(":"));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) address = mapped[1];
  return isIP(address) === 0 ? null : address.toLowerCase();
}

const isTrusted = (list: BlockList, address: string) => list.check(address, isIP(address) === 4 ? "ipv4" : "ipv6");

/** The client's address as this deployment can vouch for it; "unknown" when the peer was not stamped. */
export function clientAddress(headers: Headers, trusted: TrustedProxies): string {
  const peer = normalize(headers.get(PEER_ADDRESS_HEADER) ?? "");
  if (!peer) return "unknown";
  if (trusted.kind === "none") return peer;
  const forwarded = (headers.get("x-forwarded-for") ?? "").split(",");
  // Nearest first: the peer, then each proxy's entry from the right.
  const chain = [peer, ...forwarded.reverse().map(normalize)];
  if (trusted.kind === "hops") {
    // A malformed or missing entry within the trusted hops ends the walk at the last address we could read.
    let client = peer;
    for (let i = 1; i <= trusted.count; i++) {
      const next = chain[i];
      if (!next) break;
      client = next;
    }
    return client;
  }
  let client = peer;
  for (let i = 0; i < chain.length; i++) {
    const hop = chain[i];
    if (!hop) break;
    client = hop;
    if (!isTrusted(trusted.list, hop)) break;
  }
  return client;
}

/** The key an address is limited under: IPv6 by its /64, which one subscriber usually holds whole. */
export function addressKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = "", tail = ""] = address.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = address.includes("::") ? (tail === "" ? [] : tail.split(":")) : [];
  const groups = address.includes("::") ? [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}
