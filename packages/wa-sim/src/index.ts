// Public entry point of @wa/wa-sim: start a simulator in-process, and helpers for tests of other packages.
import { BufferJSON, WA_CERT_DETAILS } from "@whiskeysockets/baileys";
import { createControlHandler, SimControl, type MintedCompanion, type ScanResult } from "./control.ts";
import type { ScenarioOptions } from "./scenario.ts";
import { SimServer, type SimServerOptions } from "./server.ts";

export type { SimServerOptions } from "./server.ts";
export type { ScenarioOptions } from "./scenario.ts";
export type { AccountDetail, AccountSummary, DeviceInfo, FaultKind, FaultRequest, MintedCompanion, ScanResult } from "./control.ts";
export type { PresenceRecord, ReceiptRecord, ReceivedMessage } from "./world.ts";
export { SimControl, SimError, STREAM_ERROR_CODES } from "./control.ts";
export { muteLibsignalNoise } from "./quiet.ts";
export { createSimLogger, type LogFormat } from "./log.ts";

export interface Simulator {
  /** WebSocket URL for Baileys' `waWebSocketUrl`, e.g. ws://127.0.0.1:7900/ws/chat. */
  url: string;
  /** Base URL of the control API, e.g. http://127.0.0.1:7900 (routes under /sim/). */
  httpUrl: string;
  port: number;
  /** Public key of the certificate chain's root; install it with `installSimulatorTrustRoot`. */
  rootPublicKey: Uint8Array;
  control: SimControl;
  /** Number of open companion sockets. */
  connectionCount(): number;
  stop(): Promise<void>;
}

/** Starts a simulator on loopback (port 0 picks a free port). */
export async function startSimulator(options: SimServerOptions = {}): Promise<Simulator> {
  const server = new SimServer(options);
  const control = new SimControl(server);
  server.setControlHandler(createControlHandler(control, server));
  let port: number;
  try {
    port = await server.listen();
  } catch (err) {
    // Frees the state directory's lock for the next attempt.
    await server.close().catch(() => undefined);
    throw err;
  }
  const host = server.options.host;
  return {
    url: `ws://${host}:${port}/ws/chat`,
    httpUrl: `http://${host}:${port}`,
    port,
    rootPublicKey: new Uint8Array(server.identity.root.public),
    control,
    connectionCount: () => server.connections.size,
    stop: () => server.close(),
  };
}

/**
 * Makes Baileys in this process trust the simulator's certificate root. Baileys rc14 does not check the chain's
 * signatures (Finding 1), but a later version may; this edits the exported WA_CERT_DETAILS of this process only.
 */
export function installSimulatorTrustRoot(rootPublicKey: Uint8Array): () => void {
  const details = WA_CERT_DETAILS as { PUBLIC_KEY: Buffer };
  const previous = details.PUBLIC_KEY;
  details.PUBLIC_KEY = Buffer.from(rootPublicKey);
  return () => {
    details.PUBLIC_KEY = previous;
  };
}

/** Fetches the root key of a simulator running in another process (GET /sim/root-key). */
export async function fetchRootPublicKey(httpUrl: string): Promise<Uint8Array> {
  const res = await fetch(new URL("/sim/root-key", httpUrl));
  const body = (await res.json()) as { rootPublicKey?: string };
  if (!res.ok || !body.rootPublicKey) throw new Error(`simulator root key unavailable (${res.status})`);
  return new Uint8Array(Buffer.from(body.rootPublicKey, "base64"));
}

function isClosedIdleSocket(error: unknown): boolean {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return error instanceof TypeError && cause?.code === "UND_ERR_SOCKET";
}

/** Has the simulated phone scan a QR that Baileys showed (POST /sim/scan). */
export async function scanQr(
  httpUrl: string,
  qr: string,
  opts: { phoneNumber?: string; scenario?: ScenarioOptions } = {},
): Promise<ScanResult> {
  const post = () =>
    fetch(new URL("/sim/scan", httpUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ qr, ...opts }),
    });
  let res: Response;
  try {
    res = await post();
  } catch (error) {
    // A kept-alive socket the simulator closed as idle just as this request reused it ("other side closed"):
    // the request never reached the server, so sending it again on a fresh socket is safe.
    if (!isClosedIdleSocket(error)) throw error;
    res = await post();
  }
  const body = (await res.json()) as ScanResult & { error?: { code: string; message: string } };
  if (!res.ok) throw new Error(`scan failed: ${body.error?.code ?? res.status}: ${body.error?.message ?? ""}`);
  return body;
}

/**
 * Has a simulator (in another process) mint linked companions (POST /sim/companions:mint) and revives their auth
 * states' Buffers: each `{ creds, keys }` is what a Baileys client holds after pairing and its first login.
 */
export async function mintCompanions(
  httpUrl: string,
  opts: { count?: number; phoneNumbers?: string[]; phonePrefix?: string; firstIndex?: number; scenario?: ScenarioOptions },
): Promise<MintedCompanion[]> {
  const res = await fetch(new URL("/sim/companions:mint", httpUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(opts),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`mint failed: HTTP ${res.status} ${text.slice(0, 300)}`);
  return (JSON.parse(text, BufferJSON.reviver) as { data: MintedCompanion[] }).data;
}

/** JSON of an auth-state value with Buffers as Baileys' BufferJSON writes them (what a Baileys auth store keeps). */
export const toBufferJson = (value: unknown): string => JSON.stringify(value, BufferJSON.replacer);
