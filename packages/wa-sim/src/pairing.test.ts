// Pairing and login with the real Baileys client: QR, scan, 515 restart, open, stored-creds reconnect, QR expiry.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "./index.ts";
import { closeCode, connectClient, memoryAuth, pairNewClient, waitForEvent } from "./test-client.ts";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ qrRefs: 3, qrRefreshMs: 600, qrGraceMs: 300 });
});
afterAll(async () => {
  await sim.stop();
});

describe("pairing", () => {
  it("pairs by QR: creds.update with me, stream error 515, reconnect, open", async () => {
    const client = await pairNewClient(sim.url, sim.httpUrl, { phoneNumber: "6281100000001" });
    expect(client.registration.sawMe).toBe(true);
    expect(client.registration.closeCode).toBe(515);
    expect(client.auth.creds.me?.id).toBe("6281100000001:1@s.whatsapp.net");
    expect(client.auth.creds.me?.lid).toMatch(/^\d+:1@lid$/);
    expect(client.sock.user?.id).toBe("6281100000001:1@s.whatsapp.net");
    const accounts = sim.control.accounts();
    expect(accounts.find((a) => a.phoneNumber === "6281100000001")?.connected).toBe(1);
    void client.sock.end(undefined);
  });

  it("reconnects with stored creds without a QR and without re-uploading prekeys", async () => {
    const client = await pairNewClient(sim.url, sim.httpUrl);
    const uploads = client.auth.preKeyWrites();
    expect(uploads).toBeGreaterThan(800);
    const stored = client.auth.snapshot();
    void client.sock.end(undefined);
    await new Promise((r) => setTimeout(r, 200));

    const restored = memoryAuth(stored);
    const sock = connectClient(sim.url, restored);
    let sawQr = false;
    sock.ev.on("connection.update", (u) => {
      if (u.qr) sawQr = true;
    });
    await waitForEvent(sock.ev, "connection.update", (u) => u.connection === "open");
    await new Promise((r) => setTimeout(r, 300));
    expect(sawQr).toBe(false);
    expect(restored.preKeyWrites()).toBe(0);
    const device = sim.control.devices(client.phoneNumber)[0];
    expect(device?.connected).toBe(true);
    expect(device?.preKeysOnServer).toBeGreaterThan(5);
    void sock.end(undefined);
  });

  it("refreshes the QR and ends the registration when it is never scanned", async () => {
    const auth = memoryAuth();
    const sock = connectClient(sim.url, auth, { qrTimeout: 600 });
    const qrs: string[] = [];
    sock.ev.on("connection.update", (u) => {
      if (u.qr) qrs.push(u.qr);
    });
    const closed = await waitForEvent(sock.ev, "connection.update", (u) => u.connection === "close", 10_000);
    expect(new Set(qrs).size).toBe(3);
    expect(closeCode(closed)).toBe(408);
    expect(auth.creds.me).toBeUndefined();
  });

  it("a client logout removes the device so its creds are refused afterwards", async () => {
    const client = await pairNewClient(sim.url, sim.httpUrl);
    const closed = waitForEvent(client.sock.ev, "connection.update", (u) => u.connection === "close");
    await client.sock.logout();
    expect(closeCode(await closed)).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(sim.control.devices(client.phoneNumber)).toHaveLength(0);
    const again = connectClient(sim.url, client.auth);
    const refused = await waitForEvent(again.ev, "connection.update", (u) => u.connection === "close");
    expect(closeCode(refused)).toBe(401);

    // Scanning again with the same phone links a new device to the same account.
    const relinked = await pairNewClient(sim.url, sim.httpUrl, { phoneNumber: client.phoneNumber });
    expect(relinked.auth.creds.me?.id).toBe(`${client.phoneNumber}:2@s.whatsapp.net`);
    expect(sim.control.devices(client.phoneNumber).map((d) => d.deviceId)).toEqual([2]);
    void relinked.sock.end(undefined);
  });

  it("refuses a scan of an unknown or malformed QR", async () => {
    const bad = await fetch(`${sim.httpUrl}/sim/scan`, { method: "POST", body: JSON.stringify({ qr: "nonsense" }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("validation_error");
    const k = Buffer.alloc(32, 1).toString("base64");
    const stale = await fetch(`${sim.httpUrl}/sim/scan`, {
      method: "POST",
      body: JSON.stringify({ qr: `https://wa.me/settings/linked_devices#2@gone,${k},${k},${k},1` }),
    });
    expect(stale.status).toBe(404);
    expect(((await stale.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });
});
