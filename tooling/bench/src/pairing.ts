// Sessions paired through the public API, as a person would: create (start), read the QR, hand it to the simulated
// phone (`POST /sim/scan`), wait for `working`. Also small REST helpers for the gateway under benchmark.
import { sleep } from "./processes.ts";

export interface Scenario {
  seed?: string;
  contacts?: number;
  groups?: number;
  membersPerGroup?: number;
}

export interface SessionView {
  id: string;
  status: string;
  phoneNumber: string | null;
}

/**
 * How long a 503 is asked again, as a client would: the gateway refuses REST calls while its database probe (a
 * `select 1` through the same pool) waits more than 5 s, which a pairing burst on 2 busy shared cores can cause.
 */
const UNAVAILABLE_RETRY_MS = 120_000;

export async function api<T>(
  gatewayUrl: string,
  token: string,
  route: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const giveUpAt = Date.now() + UNAVAILABLE_RETRY_MS;
  for (;;) {
    const res = await fetch(`${gatewayUrl}/api/v1${route}`, {
      method: init.method ?? "GET",
      headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await res.text();
    // 503 is the gateway saying "not now" (its database call failed before anything was written): try again after
    // its Retry-After, or a second.
    if (res.status === 503 && Date.now() < giveUpAt) {
      unavailableRetries += 1;
      await sleep(1_000 * Math.min(5, Math.max(1, Number(res.headers.get("retry-after") ?? 1))));
      continue;
    }
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }
}

let unavailableRetries = 0;
/** 503 answers retried so far in this process (reported beside the figures they slowed down). */
export const retriedUnavailable = () => unavailableRetries;

export async function apiOk<T>(gatewayUrl: string, token: string, route: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const { status, body } = await api<T>(gatewayUrl, token, route, init);
  if (status >= 300) throw new Error(`${init.method ?? "GET"} ${route}: HTTP ${status} ${JSON.stringify(body)}`);
  return body;
}

export interface PairOptions {
  gatewayUrl: string;
  simHttpUrl: string;
  token: () => Promise<string>;
  label: string;
  scenario?: Scenario;
  phoneNumber?: string;
  timeoutMs?: number;
}

/** Creates a started session and pairs it with a simulated phone; resolves with the working session. */
export async function createAndPair(opts: PairOptions): Promise<SessionView> {
  const created = await apiOk<SessionView>(opts.gatewayUrl, await opts.token(), "/sessions", {
    method: "POST",
    body: { label: opts.label, start: true },
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  // The QR last handed to the phone: a session still showing one after it (the scan came too late for a loaded
  // gateway, or the pairing failed and it started over) gets its new QR scanned.
  let scanned: string | null = null;
  let scannedAt = 0;
  let delay = 100;
  let last = "";
  while (Date.now() < deadline) {
    const token = await opts.token();
    const current = await apiOk<SessionView & { statusReason?: string | null }>(opts.gatewayUrl, token, `/sessions/${created.id}`);
    last = `${current.status}${current.statusReason ? ` (${current.statusReason})` : ""}${scanned ? ", scanned" : ", never scanned"}`;
    if (current.status === "working") return current;
    if (current.status === "failed" || current.status === "logged_out") {
      throw new Error(`session ${created.id} ended ${current.status} while pairing`);
    }
    if (current.status === "scan_qr_code" && Date.now() - scannedAt > 15_000) {
      const qr = await api<{ qr: string }>(opts.gatewayUrl, token, `/sessions/${created.id}/qr`);
      if (qr.status === 200 && qr.body.qr !== scanned) {
        const res = await fetch(`${opts.simHttpUrl}/sim/scan`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            qr: qr.body.qr,
            ...(opts.phoneNumber ? { phoneNumber: opts.phoneNumber } : {}),
            ...(opts.scenario ? { scenario: opts.scenario } : {}),
          }),
        });
        if (!res.ok && !scanned) throw new Error(`/sim/scan for ${created.id}: HTTP ${res.status} ${await res.text()}`);
        scanned = qr.body.qr;
        scannedAt = Date.now();
        delay = 100;
      }
    }
    await sleep(delay);
    delay = Math.min(delay * 1.5, 500);
  }
  throw new Error(`session ${opts.label} did not reach working within ${opts.timeoutMs ?? 120_000} ms (last seen: ${last})`);
}

/** Runs `fn` over `items` with at most `concurrency` at once; results keep the items' order. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
