// Which address a request is limited under: the TCP peer unless TRUSTED_PROXIES vouches for an X-Forwarded-For entry.
import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { addressKey, clientAddress, PEER_ADDRESS_HEADER, parseTrustedProxies } from "./client-address.ts";
import { installPeerAddressStamp } from "./peer-address.ts";

const headers = (peer: string | null, forwardedFor?: string) =>
  new Headers({ ...(peer ? { [PEER_ADDRESS_HEADER]: peer } : {}), ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}) });

describe("client address", () => {
  it("[RATE-LIMIT]: without trusted proxies the peer is the client, whatever X-Forwarded-For says", () => {
    const none = parseTrustedProxies(undefined);
    expect(clientAddress(headers("10.0.0.9", "1.2.3.4"), none)).toBe("10.0.0.9");
    expect(clientAddress(headers("::ffff:10.0.0.9"), none)).toBe("10.0.0.9");
    expect(clientAddress(headers(null, "1.2.3.4"), none)).toBe("unknown");
    expect(parseTrustedProxies("")).toEqual({ kind: "none" });
    expect(parseTrustedProxies("0")).toEqual({ kind: "none" });
  });

  it("[RATE-LIMIT]: a hop count takes that many entries from the right; a CIDR list skips trusted hops from the right", () => {
    const one = parseTrustedProxies("1");
    const two = parseTrustedProxies("2");
    expect(clientAddress(headers("10.0.0.1", "6.6.6.6, 192.0.2.5"), one)).toBe("192.0.2.5");
    expect(clientAddress(headers("10.0.0.1", "6.6.6.6, 192.0.2.5, 10.0.0.2"), two)).toBe("192.0.2.5");
    // Fewer entries than hops: the leftmost one that exists.
    expect(clientAddress(headers("10.0.0.1"), one)).toBe("10.0.0.1");
    const cidrs = parseTrustedProxies("10.0.0.0/8, 2001:db8::/32");
    expect(clientAddress(headers("10.0.0.1", "6.6.6.6, 192.0.2.5, 10.1.1.1"), cidrs)).toBe("192.0.2.5");
    expect(clientAddress(headers("2001:db8::1", "[2001:db9::7]"), cidrs)).toBe("2001:db9::7");
    // A peer outside the list is the client even if it sends X-Forwarded-For.
    expect(clientAddress(headers("192.0.2.99", "6.6.6.6"), cidrs)).toBe("192.0.2.99");
  });

  it("rejects malformed TRUSTED_PROXIES values", () => {
    for (const bad of ["abc", "10.0.0.0/33", "10.0.0.0/8/1", "99", "10.0.0.1, nope"]) {
      expect(() => parseTrustedProxies(bad), bad).toThrow();
    }
  });

  it("[RATE-LIMIT]: IPv6 clients are limited by their /64", () => {
    expect(addressKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8:1:2:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("192.0.2.1")).toBe("192.0.2.1");
  });

  it("[RATE-LIMIT]: the server process stamps the TCP peer over a header the client sent", async () => {
    installPeerAddressStamp();
    const server = createServer((req: IncomingMessage, res) => res.end(String(req.headers[PEER_ADDRESS_HEADER])));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const seen = await new Promise<string>((resolve, reject) => {
        const req = httpRequest({ host: "127.0.0.1", port, headers: { [PEER_ADDRESS_HEADER]: "6.6.6.6" } }, (res) => {
          let body = "";
          res.on("data", (chunk: Buffer) => (body += chunk.toString()));
          res.on("end", () => resolve(body));
        });
        req.on("error", reject);
        req.end();
      });
      expect(seen).toBe("127.0.0.1");
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
