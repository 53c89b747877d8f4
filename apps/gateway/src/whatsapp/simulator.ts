// Everything that wires the gateway to the loopback WhatsApp simulator (test/demo only), in one place: its
// certificate root (given, or asked of the simulator), swapped into Baileys' WA_CERT_DETAILS in this process, and
// the simulated phone that scans a session's QR.
import { WA_CERT_DETAILS } from "@whiskeysockets/baileys";

export interface SimulatorLink {
  /** The simulator's control API base URL. */
  httpUrl?: string;
  /** Its certificate root (32-byte Curve25519 public key, raw or base64/hex); fetched from `httpUrl` when unset. */
  rootPublicKey?: Uint8Array | string;
}

function decodeKey(value: Uint8Array | string): Buffer<ArrayBuffer> {
  if (typeof value !== "string") return Buffer.from(Array.from(value));
  if (/^[0-9a-f]{64}$/i.test(value)) return Buffer.from(value, "hex");
  return Buffer.from(value, "base64");
}

const base = (httpUrl: string) => httpUrl.replace(/\/$/, "");

/** The simulator's certificate root, as it publishes it. */
export async function fetchSimulatorRootKey(httpUrl: string): Promise<string> {
  const res = await fetch(`${base(httpUrl)}/sim/root-key`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`simulator root key: HTTP ${res.status}`);
  const body = (await res.json()) as { rootPublicKey?: unknown };
  if (typeof body.rootPublicKey !== "string") throw new Error("simulator root key: unexpected answer");
  return body.rootPublicKey;
}

/** Trust the simulator's certificate root, so the handshake holds even if Baileys verifies certificate chains. */
export async function trustSimulator(link: SimulatorLink): Promise<void> {
  const raw = link.rootPublicKey ?? (link.httpUrl ? await fetchSimulatorRootKey(link.httpUrl) : undefined);
  if (raw === undefined) return;
  const key = decodeKey(raw);
  if (key.length !== 32) throw new Error("the simulator's root key must be a 32-byte public key");
  WA_CERT_DETAILS.PUBLIC_KEY = key;
}

export class SimulatedScanRefused extends Error {
  constructor(readonly status: number, detail: string) {
    super(`the simulated phone refused the QR (${status}): ${detail.slice(0, 200)}`);
  }
}

/** A simulated phone scans `qr`, as a person would; resolves with the phone number it linked. */
export async function simulateScan(httpUrl: string, qr: string): Promise<{ phoneNumber: string }> {
  const res = await fetch(`${base(httpUrl)}/sim/scan`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ qr }),
  });
  if (!res.ok) throw new SimulatedScanRefused(res.status, await res.text());
  const body = (await res.json()) as { phoneNumber?: unknown };
  if (typeof body.phoneNumber !== "string") throw new Error("simulator answered without a phoneNumber");
  return { phoneNumber: body.phoneNumber };
}
