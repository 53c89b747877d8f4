// The HTTP client forwarded calls use to reach the holder: node:http(s) over keep-alive agents, one pool per
// holder kept open between calls, and the answer handed on as the Node stream it arrives as (no web-stream copy).
// fetch() costs several event-loop turns more per call, which a page read forwarded on a busy machine pays twice.
import http, { type IncomingMessage } from "node:http";
import https from "node:https";

const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

export interface HolderRequest {
  method: string;
  headers: Record<string, string>;
  /** JSON text, or "" for none. */
  body: string;
  signal: AbortSignal;
}

/** Sends the request; resolves with the answer's head (its body still streaming), rejects when it could not be sent. */
export function requestHolder(url: string, init: HolderRequest): Promise<IncomingMessage> {
  const target = new URL(url);
  const client = target.protocol === "https:" ? https : http;
  const agent = target.protocol === "https:" ? agents["https:"] : agents["http:"];
  const headers = init.body ? { ...init.headers, "content-length": String(Buffer.byteLength(init.body)) } : init.headers;
  return new Promise((resolve, reject) => {
    const request = client.request(target, { method: init.method, headers, agent, signal: init.signal }, resolve);
    request.once("error", reject);
    request.end(init.body || undefined);
  });
}

/** The connection itself was refused: the call never reached the holder, so sending it elsewhere is safe. */
export function connectionRefused(error: unknown): boolean {
  const failure = error as { code?: unknown; errors?: { code?: unknown }[] } | null;
  if (!failure) return false;
  return failure.code === "ECONNREFUSED" || (Array.isArray(failure.errors) && failure.errors.length > 0 && failure.errors.every((e) => e.code === "ECONNREFUSED"));
}
