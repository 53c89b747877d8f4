// Receipts and chat presence from the real Baileys client, read receipts from simulated contacts, relayed receipts.
import type { MessageUserReceiptUpdate, WAMessageUpdate } from "@whiskeysockets/baileys";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type PresenceRecord, type ReceiptRecord, type Simulator } from "./index.ts";
import { pairNewClient, type PairedClient, until } from "./test-client.ts";

let sim: Simulator;
let client: PairedClient;
const updates: WAMessageUpdate[] = [];
const userReceipts: MessageUserReceiptUpdate[] = [];
const PHONE = "6281500000001";
const OTHER = "6281500000002";

async function api<T>(path: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(`${sim.httpUrl}${path}`, init);
  return { status: res.status, body: (await res.json()) as T };
}

const receipts = async () => (await api<{ data: ReceiptRecord[] }>(`/sim/accounts/${PHONE}/receipts`)).body.data;
const presences = async () => (await api<{ data: PresenceRecord[] }>(`/sim/accounts/${PHONE}/presences`)).body.data;

beforeAll(async () => {
  sim = await startSimulator();
  client = await pairNewClient(sim.url, sim.httpUrl, {
    phoneNumber: PHONE,
    scenario: { seed: "receipts-test", contacts: 6, groups: 1, membersPerGroup: 4 },
    onSocket: (s) => {
      s.ev.on("messages.update", (u) => updates.push(...u));
      s.ev.on("message-receipt.update", (u) => userReceipts.push(...u));
    },
  });
  await until(() => !!client.auth.creds.me?.name);
});
afterAll(async () => {
  void client.sock.end(undefined);
  await sim.stop();
});

describe("receipts and presence", () => {
  it("records the read receipt the device sends for an inbound message (GET …/receipts)", async () => {
    const alice = sim.control.account(PHONE).contactRows[0];
    const got = new Promise<{ remoteJid?: string | null; id?: string | null }>((resolve) => {
      client.sock.ev.on("messages.upsert", (u) => {
        const m = u.messages.find((x) => x.message?.conversation === "please read");
        if (m) resolve(m.key);
      });
    });
    const sent = await sim.control.sendMessage({ phoneNumber: PHONE, from: alice?.phoneNumber, text: "please read" });
    const key = await got;
    expect(await until(() => sim.control.receipts(PHONE).some((r) => r.messageId === sent.id))).toBe(true);
    expect((await receipts()).some((r) => r.messageId === sent.id && r.type === "read")).toBe(false);
    await client.sock.readMessages([{ remoteJid: key.remoteJid, id: key.id, fromMe: false }]);
    expect(await until(() => sim.control.receipts(PHONE).some((r) => r.messageId === sent.id && r.type === "read"))).toBe(true);
    const read = (await receipts()).find((r) => r.messageId === sent.id && r.type === "read");
    expect(read).toMatchObject({ messageId: sent.id, chat: alice?.jid, type: "read", from: `${PHONE}:1@s.whatsapp.net` });
    expect(typeof read?.t).toBe("number");
  });

  it("records composing then paused in order (GET …/presences)", async () => {
    const bob = sim.control.account(PHONE).contactRows[1];
    await client.sock.sendPresenceUpdate("composing", bob?.jid);
    await client.sock.sendPresenceUpdate("paused", bob?.jid);
    expect(await until(() => sim.control.presences(PHONE).filter((p) => p.chat === bob?.jid).length >= 2)).toBe(true);
    const states = (await presences()).filter((p) => p.chat === bob?.jid).map((p) => p.state);
    expect(states).toEqual(["composing", "paused"]);
  });

  it("a contact reads a 1:1 message: delivered, then read on the device (POST …/messages/{id}/read)", async () => {
    const carol = sim.control.account(PHONE).contactRows[2];
    const sent = await client.sock.sendMessage(carol?.jid ?? "", { text: "read me, carol" });
    const id = sent?.key.id ?? "";
    expect(await until(() => updates.some((u) => u.key.id === id && u.update.status === 3))).toBe(true);
    expect(updates.some((u) => u.key.id === id && u.update.status === 4)).toBe(false);
    const res = await api<{ id: string; readBy: string[]; devices: number }>(`/sim/accounts/${PHONE}/messages/${id}/read`, { method: "POST", body: "{}" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id, readBy: [carol?.jid], devices: 1 });
    expect(await until(() => updates.some((u) => u.key.id === id && u.update.status === 4))).toBe(true);
  });

  it("a group member reads a group message: message-receipt.update with a read time for that member", async () => {
    const detail = sim.control.account(PHONE);
    const group = detail.groupRows[0];
    const member = detail.memberships.find((m) => m.groupJid === group?.jid && m.jid !== `${PHONE}@s.whatsapp.net`);
    const sent = await client.sock.sendMessage(group?.jid ?? "", { text: "group read test" });
    const id = sent?.key.id ?? "";
    // Group sends are answered: every member decrypts it and it is listed with its groupJid.
    expect(await until(() => sim.control.messages(PHONE).some((m) => m.id === id && m.groupJid === group?.jid && m.recipient === member?.jid))).toBe(true);
    // A person reads what was delivered to them: the member's delivery receipt reaches the device first.
    expect(await until(() => userReceipts.some((r) => r.key.id === id && r.receipt.userJid === member?.jid && !!r.receipt.receiptTimestamp))).toBe(true);
    const res = await api<{ readBy: string[] }>(`/sim/accounts/${PHONE}/messages/${id}/read`, { method: "POST", body: JSON.stringify({ by: member?.jid.split("@")[0] }) });
    expect(res.body.readBy).toEqual([member?.jid]);
    expect(await until(() => userReceipts.some((r) => r.key.id === id && r.receipt.userJid === member?.jid && !!r.receipt.readTimestamp))).toBe(true);
  });

  it("the read route answers 404 for an unknown message; the logs 404 for an unknown account", async () => {
    const unknown = await api<{ error: { code: string } }>(`/sim/accounts/${PHONE}/messages/NOPE/read`, { method: "POST" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("not_found");
    const missing = await api<{ error: { code: string } }>(`/sim/accounts/6289999999999/receipts`);
    expect(missing.status).toBe(404);
  });

  it("GET /sim/accounts/{phone} includes connected and devices", async () => {
    const { body } = await api<{ connected: number; devices: number }>(`/sim/accounts/${PHONE}`);
    expect(body).toMatchObject({ connected: 1, devices: 1 });
  });

  it("receipts of another account's device are passed back to the sender of a relayed message", async () => {
    const other = await pairNewClient(sim.url, sim.httpUrl, { phoneNumber: OTHER });
    await until(() => !!other.auth.creds.me?.name);
    const got = new Promise<{ remoteJid?: string | null; id?: string | null }>((resolve) => {
      other.sock.ev.on("messages.upsert", (u) => {
        const m = u.messages.find((x) => !x.key.fromMe && x.message?.extendedTextMessage?.text === "relay me");
        if (m) resolve(m.key);
      });
    });
    const sent = await client.sock.sendMessage(`${OTHER}@s.whatsapp.net`, { text: "relay me" });
    const id = sent?.key.id ?? "";
    const key = await got;
    expect(await until(() => updates.some((u) => u.key.id === id && u.update.status === 3))).toBe(true);
    await other.sock.readMessages([{ remoteJid: key.remoteJid, id: key.id, fromMe: false }]);
    expect(await until(() => updates.some((u) => u.key.id === id && u.update.status === 4))).toBe(true);
    expect(sim.control.receipts(OTHER).some((r) => r.messageId === id && r.type === "read" && r.chat === `${PHONE}@s.whatsapp.net`)).toBe(true);
    void other.sock.end(undefined);
    expect(await until(() => sim.control.accounts().find((a) => a.phoneNumber === OTHER)?.connected === 0)).toBe(true);
    const offline = await api<{ error: { code: string } }>(`/sim/accounts/${OTHER}/messages/${id}/read`, { method: "POST" });
    expect(offline.status).toBe(409);
  });
});
