// One webhook POST: the URL checked again against the SSRF guard at send time, the connection made to the very
// address that was checked (a DNS answer that changed since cannot redirect it), no redirects followed, a hard
// timeout, the receiver's body read and discarded (bounded).
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { checkWebhookUrl, UrlRefused, type Resolver } from "@wa/api";

export interface SendOutcome {
  ok: boolean;
  statusCode: number | null;
  /** Why it failed, in words for the delivery log (never the receiver's body). */
  error: string | null;
}

export interface SendRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  allowPrivate: boolean;
  resolve?: Resolver | undefined;
}

/** Enough of the answer to free the socket; the body itself is ignored. */
const MAX_BODY_BYTES = 64 * 1024;

export async function postWebhook(request: SendRequest): Promise<SendOutcome> {
  let checked;
  try {
    checked = await checkWebhookUrl(request.url, {
      allowPrivate: request.allowPrivate,
      ...(request.resolve ? { resolve: request.resolve } : {}),
    });
  } catch (error) {
    if (error instanceof UrlRefused) return { ok: false, statusCode: null, error: `refused: ${error.message}` };
    throw error;
  }
  const { url, addresses } = checked;
  const target = addresses[0];
  if (!target) return { ok: false, statusCode: null, error: "refused: the host does not resolve" };
  // Pin the connection to the checked address; the Host header and TLS name stay the URL's.
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
  const client = url.protocol === "https:" ? https : http;
  return new Promise<SendOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: SendOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = client.request(
      url,
      {
        method: "POST",
        lookup,
        headers: { ...request.headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(request.body)) },
        agent: false,
      },
      (res) => {
        const statusCode = res.statusCode ?? 0;
        let read = 0;
        res.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_BODY_BYTES) res.destroy();
        });
        const done = () => {
          if (statusCode >= 200 && statusCode < 300) return finish({ ok: true, statusCode, error: null });
          const redirect = statusCode >= 300 && statusCode < 400 ? " (redirects are not followed)" : "";
          finish({ ok: false, statusCode, error: `receiver answered ${statusCode}${redirect}` });
        };
        res.on("end", done);
        res.on("close", done);
        res.on("error", done);
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish({ ok: false, statusCode: null, error: `no answer within ${Math.round(request.timeoutMs / 1000)} s` });
    }, request.timeoutMs);
    req.on("error", (error) => finish({ ok: false, statusCode: null, error: `request failed: ${error.message}` }));
    req.end(request.body);
  });
}
