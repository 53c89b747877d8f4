// Each injected fault makes the real Baileys client report the matching DisconnectReason.
import { DisconnectReason, type WASocket } from "@whiskeysockets/baileys";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type FaultRequest, type Simulator } from "./index.ts";
import { closeCode, connectClient, pairNewClient, waitForEvent, type MemoryAuth } from "./test-client.ts";

let sim: Simulator;
let auth: MemoryAuth;
let sock: WASocket | null = null;
const PHONE = "6281400000001";
const KEEP_ALIVE = 1_000;

beforeAll(async () => {
  sim = await startSimulator();
  const client = await pairNewClient(sim.url, sim.httpUrl, { phoneNumber: PHONE, extra: { keepAliveIntervalMs: KEEP_ALIVE } });
  auth = client.auth;
  void client.sock.end(undefined);
  await new Promise((r) => setTimeout(r, 100));
});
afterAll(async () => {
  void sock?.end(undefined);
  await sim.stop();
});

/** Connects with the stored creds, waits for open, injects the fault and returns the reported status code. */
async function faultCode(fault: Omit<FaultRequest, "phoneNumber">, timeoutMs = 15_000): Promise<number | undefined> {
  sock = connectClient(sim.url, auth, { keepAliveIntervalMs: KEEP_ALIVE });
  await waitForEvent(sock.ev, "connection.update", (u) => u.connection === "open");
  const closed = waitForEvent(sock.ev, "connection.update", (u) => u.connection === "close", timeoutMs);
  const res = await fetch(`${sim.httpUrl}/sim/accounts/${PHONE}/faults`, { method: "POST", body: JSON.stringify(fault) });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { affected: number }).affected).toBe(1);
  return closeCode(await closed);
}

describe("faults", () => {
  it.each([
    [515, DisconnectReason.restartRequired],
    [440, DisconnectReason.connectionReplaced],
    [500, DisconnectReason.badSession],
    [405, 405],
  ])("stream error %i is reported as %i", async (code, expected) => {
    expect(await faultCode({ kind: "stream-error", code })).toBe(expected);
  });

  it("a dropped socket is reported as connectionClosed", async () => {
    expect(await faultCode({ kind: "drop" })).toBe(DisconnectReason.connectionClosed);
  });

  it("a stalled server is detected by the keep-alive as connectionLost", async () => {
    const started = Date.now();
    expect(await faultCode({ kind: "stall" }, 20_000)).toBe(DisconnectReason.connectionLost);
    expect(Date.now() - started).toBeGreaterThanOrEqual(KEEP_ALIVE);
  });

  it("a second socket with the same creds replaces the first (440), counted on the account", async () => {
    const replaced = async () => ((await (await fetch(`${sim.httpUrl}/sim/accounts/${PHONE}`)).json()) as { replaced: number }).replaced;
    const before = await replaced(); // injected 440 faults above are not counted
    expect(before).toBe(0);
    sock = connectClient(sim.url, auth);
    const first = sock;
    await waitForEvent(first.ev, "connection.update", (u) => u.connection === "open");
    const closed = waitForEvent(first.ev, "connection.update", (u) => u.connection === "close");
    const second = connectClient(sim.url, auth);
    await waitForEvent(second.ev, "connection.update", (u) => u.connection === "open");
    expect(closeCode(await closed)).toBe(DisconnectReason.connectionReplaced);
    expect(await replaced()).toBe(1);
    void second.end(undefined);
  });

  it("stream error 401 is reported as loggedOut", async () => {
    expect(await faultCode({ kind: "stream-error", code: 401 })).toBe(DisconnectReason.loggedOut);
  });

  it("logout removes the device: loggedOut now, and the old creds are refused with 401", async () => {
    expect(await faultCode({ kind: "logout" })).toBe(DisconnectReason.loggedOut);
    expect(sim.control.devices(PHONE)).toHaveLength(0);
    sock = connectClient(sim.url, auth);
    const closed = await waitForEvent(sock.ev, "connection.update", (u) => u.connection === "close");
    expect(closeCode(closed)).toBe(DisconnectReason.loggedOut);
  });

  it("rejects unknown fault kinds and codes with a validation_error", async () => {
    const bad = await fetch(`${sim.httpUrl}/sim/accounts/${PHONE}/faults`, { method: "POST", body: JSON.stringify({ kind: "stream-error", code: 999 }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("validation_error");
    const missing = await fetch(`${sim.httpUrl}/sim/accounts/999/faults`, { method: "POST", body: JSON.stringify({ kind: "drop" }) });
    expect(missing.status).toBe(404);
  });
});
