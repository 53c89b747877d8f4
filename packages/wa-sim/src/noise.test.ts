// The certificate chain verifies against the simulator's root (and not against another key); the trust-root swap.
import { proto, WA_CERT_DETAILS } from "@whiskeysockets/baileys";
import { verifySignature } from "libsignal/src/curve.js";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { installSimulatorTrustRoot, startSimulator } from "./index.ts";
import { createServerIdentity, newKeyPair } from "./noise.ts";

const prefixed = (k: Uint8Array) => Buffer.concat([Buffer.from([5]), k]);

describe("certificate chain", () => {
  it("is signed root → intermediate (issuer serial 0) → leaf for the noise static key", () => {
    const id = createServerIdentity();
    const chain = proto.CertChain.decode(id.certChain);
    const inter = proto.CertChain.NoiseCertificate.Details.decode(chain.intermediate?.details ?? new Uint8Array());
    const leaf = proto.CertChain.NoiseCertificate.Details.decode(chain.leaf?.details ?? new Uint8Array());
    expect(inter.issuerSerial).toBe(0);
    expect(leaf.issuerSerial).toBe(inter.serial);
    expect(Buffer.from(leaf.key ?? [])).toEqual(id.noiseStatic.public);
    expect(verifySignature(prefixed(id.root.public), chain.intermediate?.details ?? new Uint8Array(), chain.intermediate?.signature ?? new Uint8Array())).toBe(true);
    expect(verifySignature(prefixed(inter.key ?? new Uint8Array()), chain.leaf?.details ?? new Uint8Array(), chain.leaf?.signature ?? new Uint8Array())).toBe(true);
    expect(verifySignature(prefixed(newKeyPair().public), chain.intermediate?.details ?? new Uint8Array(), chain.intermediate?.signature ?? new Uint8Array())).toBe(false);
  });

  it("installSimulatorTrustRoot swaps Baileys' WA_CERT_DETAILS.PUBLIC_KEY and restores it", () => {
    const original = Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY);
    const root = createServerIdentity().root.public;
    const restore = installSimulatorTrustRoot(root);
    expect(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY)).toEqual(root);
    restore();
    expect(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY)).toEqual(original);
  });
});

describe("handshake", () => {
  it("drops a client that sends a bad intro or a broken hello", async () => {
    const sim = await startSimulator();
    try {
      for (const bytes of [Buffer.from("GET / HTTP/1.1"), Buffer.concat([Buffer.from([87, 65, 6, 3]), Buffer.from([0, 0, 3, 1, 2, 3])])]) {
        const ws = new WebSocket(sim.url);
        await new Promise((r) => ws.once("open", r));
        const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
        ws.send(bytes);
        expect(await closed).toBeGreaterThan(0);
      }
      expect(sim.connectionCount()).toBe(0);
    } finally {
      await sim.stop();
    }
  });
});

