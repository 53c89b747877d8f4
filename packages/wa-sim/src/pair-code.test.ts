// Pairing-code login with the real Baileys client: requestPairingCode, the code typed on the simulated phone, open.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "./index.ts";
import { closeCode, connectClient, memoryAuth, waitForEvent } from "./test-client.ts";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.stop();
});

const pairCode = (body: unknown) => fetch(`${sim.httpUrl}/sim/pair-code`, { method: "POST", body: JSON.stringify(body) });

describe("pairing code", () => {
  it("links by code: wrong code refused, right code → 515 → open with the number, stored creds log in again", async () => {
    const PHONE = "6281600000001";
    const auth = memoryAuth();
    const sock = connectClient(sim.url, auth);
    await waitForEvent(sock.ev, "connection.update", (u) => !!u.qr);
    const code = await sock.requestPairingCode(PHONE);
    expect(code).toMatch(/^[A-Z0-9]{8}$/);

    const wrong = await pairCode({ code: code === "AAAAAAAA" ? "BBBBBBBB" : "AAAAAAAA", phoneNumber: PHONE });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe("validation_error");
    expect(sim.control.accounts().some((a) => a.phoneNumber === PHONE)).toBe(false);

    const closed = waitForEvent(sock.ev, "connection.update", (u) => u.connection === "close");
    const ok = await pairCode({ code: `${code.slice(0, 4)}-${code.slice(4)}`, phoneNumber: PHONE });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ phoneNumber: PHONE, deviceId: 1 });
    expect(closeCode(await closed)).toBe(515);
    expect(auth.creds.me?.id).toBe(`${PHONE}:1@s.whatsapp.net`);

    const again = connectClient(sim.url, auth);
    await waitForEvent(again.ev, "connection.update", (u) => u.connection === "open");
    expect(again.user?.id).toBe(`${PHONE}:1@s.whatsapp.net`);
    expect(sim.control.devices(PHONE)[0]?.connected).toBe(true);
    void again.end(undefined);
  });

  it("answers 404 when no client waits for a code for that number, 400 for a malformed code", async () => {
    const none = await pairCode({ code: "ABCDEFGH", phoneNumber: "6281600000099" });
    expect(none.status).toBe(404);
    const bad = await pairCode({ code: "abc", phoneNumber: "6281600000099" });
    expect(bad.status).toBe(400);
  });
});
