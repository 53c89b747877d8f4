// The REST control API: accounts, devices, messages, slowdown and the contract's error shape.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type AccountDetail, type AccountSummary, type Simulator } from "./index.ts";
import { pairNewClient, type PairedClient } from "./test-client.ts";

let sim: Simulator;
let client: PairedClient;
const PHONE = "6281700000001";

const api = async <T>(path: string, init?: RequestInit): Promise<{ status: number; body: T }> => {
  const res = await fetch(`${sim.httpUrl}${path}`, init);
  return { status: res.status, body: (await res.json()) as T };
};

beforeAll(async () => {
  sim = await startSimulator({ slowUnitMs: 100 });
  client = await pairNewClient(sim.url, sim.httpUrl, { phoneNumber: PHONE, scenario: { seed: "control", contacts: 7, groups: 4, membersPerGroup: 3 } });
});
afterAll(async () => {
  void client.sock.end(undefined);
  await sim.stop();
});

describe("control API", () => {
  it("GET /sim/accounts lists accounts with counts", async () => {
    const { status, body } = await api<{ data: AccountSummary[] }>("/sim/accounts");
    expect(status).toBe(200);
    expect(body.data).toEqual([
      expect.objectContaining({ phoneNumber: PHONE, jid: `${PHONE}@s.whatsapp.net`, contacts: 7, groups: 4, groupMembers: 12, devices: 1, connected: 1 }),
    ]);
  });

  it("GET /sim/accounts/{phoneNumber} returns contacts, groups and memberships with counts", async () => {
    const { status, body } = await api<AccountDetail>(`/sim/accounts/${PHONE}`);
    expect(status).toBe(200);
    expect(body.contactRows).toHaveLength(7);
    expect(body.groupRows).toHaveLength(4);
    expect(body.memberships).toHaveLength(12);
    expect(body.counts).toEqual({ contacts: 7, groups: 4, groupMembers: 12 });
    expect(body.memberships.filter((m) => m.jid === `${PHONE}@s.whatsapp.net`)).toHaveLength(4);
    const missing = await api<{ error: { code: string; message: string } }>("/sim/accounts/123456789");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("not_found");
  });

  it("POST /sim/accounts/{phoneNumber}/messages sends an inbound text; GET …/messages lists what devices received", async () => {
    const received = new Promise<string | null | undefined>((resolve) =>
      client.sock.ev.on("messages.upsert", (u) => {
        const m = u.messages.find((x) => !x.key.fromMe && x.message?.conversation);
        if (m) resolve(m.message?.conversation);
      }),
    );
    const sent = await api<{ id: string; devices: number }>(`/sim/accounts/${PHONE}/messages`, { method: "POST", body: JSON.stringify({ text: "ping over REST" }) });
    expect(sent.status).toBe(200);
    expect(sent.body.devices).toBe(1);
    expect(await received).toBe("ping over REST");
    const bob = sim.control.account(PHONE).contactRows[2];
    const out = await client.sock.sendMessage(bob?.jid ?? "", { text: "pong" });
    const deadline = Date.now() + 5_000;
    let list: { id: string; text: string | null }[] = [];
    while (Date.now() < deadline && !list.some((m) => m.id === out?.key.id)) {
      list = (await api<{ data: { id: string; text: string | null }[] }>(`/sim/accounts/${PHONE}/messages`)).body.data;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(list.find((m) => m.id === out?.key.id)?.text).toBe("pong");
  });

  it("POST …/slowdown delays group queries by (factor − 1) × slowUnitMs", async () => {
    const t0 = Date.now();
    await client.sock.groupFetchAllParticipating();
    const fast = Date.now() - t0;
    const slow = await api<{ factor: number }>(`/sim/accounts/${PHONE}/slowdown`, { method: "POST", body: JSON.stringify({ factor: 6 }) });
    expect(slow.status).toBe(200);
    const t1 = Date.now();
    await client.sock.groupFetchAllParticipating();
    expect(Date.now() - t1).toBeGreaterThanOrEqual(500);
    expect(Date.now() - t1).toBeGreaterThan(fast);
    sim.control.slowDown(PHONE, 1);
    const bad = await api<{ error: { code: string } }>(`/sim/accounts/${PHONE}/slowdown`, { method: "POST", body: JSON.stringify({ factor: 0 }) });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("validation_error");
  });

  it("GET …/devices shows the linked companion and its server-side prekeys", async () => {
    const { body } = await api<{ data: { deviceId: number; connected: boolean; preKeysOnServer: number }[] }>(`/sim/accounts/${PHONE}/devices`);
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({ deviceId: 1, connected: true });
    expect(body.data[0]?.preKeysOnServer).toBeGreaterThan(700);
  });

  it("answers unknown routes, bad JSON and bad fields in the error shape", async () => {
    const nf = await api<{ error: { code: string } }>("/sim/nope");
    expect(nf.status).toBe(404);
    expect(nf.body.error.code).toBe("not_found");
    const badJson = await api<{ error: { code: string } }>("/sim/scan", { method: "POST", body: "{" });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.code).toBe("validation_error");
    const badText = await api<{ error: { code: string } }>(`/sim/accounts/${PHONE}/messages`, { method: "POST", body: JSON.stringify({ text: 5 }) });
    expect(badText.status).toBe(400);
    const root = await api<{ rootPublicKey: string }>("/sim/root-key");
    expect(Buffer.from(root.body.rootPublicKey, "base64")).toEqual(Buffer.from(sim.rootPublicKey));
  });

  it("records when a device's socket closed (lastDisconnectedAt), as the simulator saw it", async () => {
    const phone = "6281700000002";
    const other = await pairNewClient(sim.url, sim.httpUrl, { phoneNumber: phone, scenario: { seed: "control-2", contacts: 1, groups: 0 } });
    const account = async () => (await api<AccountSummary>(`/sim/accounts/${phone}`)).body;
    const polled = async (cond: (a: AccountSummary) => boolean, what: string) => {
      const deadline = Date.now() + 10_000;
      for (let a = await account(); ; a = await account()) {
        if (cond(a)) return a;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await polled((a) => a.connected === 1, "the device to connect");
    const before = Date.now();
    void other.sock.end(undefined);
    const closed = await polled((a) => a.connected === 0 && (a.lastDisconnectedAt ?? 0) >= before, "the socket's close to be recorded");
    expect(closed.lastDisconnectedAt).toBeLessThanOrEqual(Date.now());
  });
});
