// A local webhook receiver for the events benchmark: verifies every delivery with the off-the-shelf Standard
// Webhooks library (as a customer's receiver would), records when each one arrived, and can be told to fail.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { onCleanup } from "./processes.ts";

/** How an endpoint answers: 204 at once, 500 at once, or never (the gateway's own timeout ends the attempt). */
export type EndpointMode = "ok" | "fail" | "hang";

export interface Arrival {
  /** The `webhook-id` header: the event id. */
  eventId: string;
  /** performance.now() of this process when the body had been read. */
  at: number;
}

export interface Endpoint {
  /** Path on the receiver, e.g. `/hooks/3`. */
  path: string;
  url: string;
  mode: EndpointMode;
  /** Set once the webhook is created (the secret is shown once, by the create call). */
  secret: string | null;
  /** Verified deliveries answered 2xx, in arrival order (duplicates included). */
  arrivals: Arrival[];
  /** Requests answered with a failure on purpose (mode `fail`) or left hanging. */
  refused: number;
  /** Requests whose signature did not verify. */
  badSignatures: number;
  /** Resolves when `arrivals` reaches a count. */
  waitFor: (count: number, timeoutMs: number) => Promise<void>;
}

export interface Receiver {
  url: string;
  endpoint: (name: string) => Endpoint;
  /** The raw floor: the same server answering 204 without verifying (for a bare POST loop). */
  floorUrl: string;
  floorRequests: () => number;
  close: () => Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const endpoints = new Map<string, Endpoint & { waiters: { count: number; resolve: () => void }[]; verifier: Webhook | null }>();
  const hanging = new Set<ServerResponse>();
  let floorRequests = 0;

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const at = performance.now();
    const url = req.url ?? "/";
    if (url === "/floor") {
      floorRequests += 1;
      res.writeHead(204).end();
      return;
    }
    const endpoint = endpoints.get(url);
    if (!endpoint || req.method !== "POST") {
      res.writeHead(404).end();
      return;
    }
    if (endpoint.mode === "hang") {
      endpoint.refused += 1;
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
      return;
    }
    if (endpoint.mode === "fail") {
      endpoint.refused += 1;
      res.writeHead(500).end();
      return;
    }
    if (endpoint.secret && !endpoint.verifier) endpoint.verifier = new Webhook(endpoint.secret);
    try {
      if (!endpoint.verifier) throw new Error("no secret yet");
      endpoint.verifier.verify(body, {
        "webhook-id": String(req.headers["webhook-id"] ?? ""),
        "webhook-timestamp": String(req.headers["webhook-timestamp"] ?? ""),
        "webhook-signature": String(req.headers["webhook-signature"] ?? ""),
      });
    } catch {
      endpoint.badSignatures += 1;
      res.writeHead(400).end();
      return;
    }
    endpoint.arrivals.push({ eventId: String(req.headers["webhook-id"]), at });
    res.writeHead(204).end();
    const count = endpoint.arrivals.length;
    endpoint.waiters = endpoint.waiters.filter((w) => {
      if (count < w.count) return true;
      w.resolve();
      return false;
    });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handle(req, res, Buffer.concat(chunks)));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  onCleanup(close);

  return {
    url,
    floorUrl: `${url}/floor`,
    floorRequests: () => floorRequests,
    endpoint: (name) => {
      const path = `/hooks/${name}`;
      const existing = endpoints.get(path);
      if (existing) return existing;
      const endpoint: Endpoint & { waiters: { count: number; resolve: () => void }[]; verifier: Webhook | null } = {
        path,
        url: `${url}${path}`,
        mode: "ok",
        secret: null,
        arrivals: [],
        refused: 0,
        badSignatures: 0,
        waiters: [],
        verifier: null,
        waitFor: (count, timeoutMs) =>
          new Promise<void>((resolve, reject) => {
            if (endpoint.arrivals.length >= count) return resolve();
            const timer = setTimeout(
              () => reject(new Error(`${path}: ${endpoint.arrivals.length} of ${count} deliveries after ${timeoutMs} ms`)),
              timeoutMs,
            );
            endpoint.waiters.push({
              count,
              resolve: () => {
                clearTimeout(timer);
                resolve();
              },
            });
          }),
      };
      endpoints.set(path, endpoint);
      return endpoint;
    },
    close,
  };
}
