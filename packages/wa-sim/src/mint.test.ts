// Minted companions: a real Baileys client logs in with the minted auth state, no QR, no pre-key upload, and messages
// flow both ways as after a real pairing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BufferJSON, type WAMessage, type WASocket } from "@whiskeysockets/baileys";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintCompanions, startSimulator, type MintedCompanion, type Simulator } from "./index.ts";
import { calculateSignature, verifySignature } from "libsignal/src/curve.js";
import { fastKeyPair, fastSign, fastVerify } from "./fast-curve.ts";
import { MINTED_PRE_KEYS } from "./mint.ts";
import { connectClient, memoryAuth, waitForEvent, type MemoryAuth, until } from "./test-client.ts";

let sim: Simulator;
const sockets: WASocket[] = [];

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  for (const s of sockets) void s.end(undefined);
  await sim.stop();
});

describe("the fast curve minting runs on", () => {
  it("makes the key pairs and the very signatures libsignal makes", () => {
    for (let i = 0; i < 5; i++) {
      const pair = fastKeyPair();
      const message = Buffer.from(`message ${i}`);
      const signature = fastSign(pair.private, message);
      expect(signature.equals(Buffer.from(calculateSignature(pair.private, message)))).toBe(true);
      // libsignal accepts it against the public half: the pair belongs together.
      expect(verifySignature(Buffer.concat([Buffer.from([5]), pair.public]), message, signature)).toBe(true);
      expect(fastVerify(pair.public, message, signature)).toBe(true);
      expect(fastVerify(pair.public, Buffer.from("another message"), signature)).toBe(false);
    }
  });
});

describe("minted companions", () => {
  let minted: MintedCompanion[];

  it("mints over HTTP: one linked device per account, its pre-keys on the server", async () => {
    minted = await mintCompanions(sim.httpUrl, {
      count: 2,
      phonePrefix: "62814",
      scenario: { seed: "mint-test", contacts: 3, groups: 0 },
    });
    expect(minted.map((m) => m.phoneNumber)).toEqual(["628140000000", "628140000001"]);
    for (const m of minted) {
      expect(m.creds.me?.id).toBe(`${m.phoneNumber}:${m.deviceId}@s.whatsapp.net`);
      expect(m.creds.registrationId).toBeGreaterThan(0);
      expect(m.keys.filter(([k]) => k.startsWith("pre-key:"))).toHaveLength(MINTED_PRE_KEYS);
      const [device] = sim.control.devices(m.phoneNumber);
      expect(device?.preKeysOnServer).toBe(MINTED_PRE_KEYS);
    }
  });

  it("each logs in with its minted state (no QR, no pre-key upload), receives a contact's text and sends one the contact decrypts", async () => {
    for (const m of minted) {
      const auth: MemoryAuth = memoryAuth(
        JSON.stringify({ creds: m.creds, keys: m.keys }, BufferJSON.replacer),
      );
      const sock = connectClient(sim.url, auth);
      sockets.push(sock);
      const upserts: WAMessage[] = [];
      sock.ev.on("messages.upsert", (u) => upserts.push(...u.messages));
      let sawQr = false;
      sock.ev.on("connection.update", (u) => {
        if (u.qr) sawQr = true;
      });
      await waitForEvent(sock.ev, "connection.update", (u) => u.connection === "open");
      expect(sawQr).toBe(false);
      expect(sim.control.accounts().find((a) => a.phoneNumber === m.phoneNumber)?.connected).toBe(1);

      const contact = sim.control.account(m.phoneNumber).contactRows[0];
      const inbound = await sim.control.sendMessage({
        phoneNumber: m.phoneNumber,
        from: contact?.phoneNumber,
        text: `hello ${m.phoneNumber}`,
      });
      expect(await until(() => upserts.some((u) => u.key.id === inbound.id))).toBe(true);
      expect(upserts.find((u) => u.key.id === inbound.id)?.message?.conversation).toBe(
        `hello ${m.phoneNumber}`,
      );

      const sent = await sock.sendMessage(contact?.jid ?? "", { text: `reply from ${m.phoneNumber}` });
      const id = sent?.key.id ?? "";
      expect(
        await until(() =>
          sim.control.messages(m.phoneNumber).some((x) => x.id === id && x.recipient === contact?.jid),
        ),
      ).toBe(true);
      expect(sim.control.messages(m.phoneNumber).find((x) => x.id === id)?.text).toBe(
        `reply from ${m.phoneNumber}`,
      );
      // Baileys found its pre-keys on the server and kept them: nothing generated, nothing uploaded.
      expect(auth.preKeyWrites()).toBe(0);
      expect(sim.control.devices(m.phoneNumber)[0]?.preKeysOnServer).toBeGreaterThanOrEqual(
        MINTED_PRE_KEYS - 1,
      );
    }
  });

  it("refuses a count out of range", async () => {
    const res = await fetch(`${sim.httpUrl}/sim/companions:mint`, {
      method: "POST",
      body: JSON.stringify({ count: 0 }),
    });
    expect(res.status).toBe(400);
  });

  it("costs a few milliseconds of CPU per companion", () => {
    const t0 = process.cpuUsage();
    sim.control.mintCompanions({ count: 50, phonePrefix: "62813" });
    const { user, system } = process.cpuUsage(t0);
    const msEach = (user + system) / 1000 / 50;
    console.log(`mint: ${msEach.toFixed(2)} ms CPU per companion`);
    // Generous against a busy shared machine; a real pairing costs the client about 400 ms.
    expect(msEach).toBeLessThan(50);
  });

  it("keeps minted companions in the state directory across a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wa-sim-mint-"));
    try {
      const first = await startSimulator({ stateDir: join(dir, "sim") });
      const [m] = first.control.mintCompanions({ count: 1, phoneNumbers: ["6281200000077"] });
      await first.stop();
      const second = await startSimulator({ stateDir: join(dir, "sim") });
      const [device] = second.control.devices("6281200000077");
      expect(device?.deviceId).toBe(m?.deviceId);
      expect(device?.preKeysOnServer).toBe(MINTED_PRE_KEYS);
      await second.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
