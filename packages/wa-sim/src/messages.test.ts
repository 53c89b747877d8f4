// Messages between the real Baileys client and simulated devices: inbound text, outbound 1:1 and group sends.
import type { WAMessage, WAMessageUpdate } from "@whiskeysockets/baileys";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "./index.ts";
import { connectClient, memoryAuth, pairNewClient, waitForEvent, type PairedClient, until } from "./test-client.ts";

let sim: Simulator;
let client: PairedClient;
const upserts: WAMessage[] = [];
const updates: WAMessageUpdate[] = [];
const receipts: { key: { id?: string | null }; receipt: { userJid?: string | null } }[] = [];
const PHONE = "6281300000001";

beforeAll(async () => {
  sim = await startSimulator();
  client = await pairNewClient(sim.url, sim.httpUrl, {
    phoneNumber: PHONE,
    scenario: { seed: "messages-test", contacts: 10, groups: 2, membersPerGroup: 5 },
    onSocket: (s) => {
      s.ev.on("messages.upsert", (u) => upserts.push(...u.messages));
      s.ev.on("messages.update", (u) => updates.push(...u));
      s.ev.on("message-receipt.update", (u) => receipts.push(...u));
    },
  });
  // Let the history sync settle so later events are not merged into its buffer.
  await until(() => !!client.auth.creds.me?.name);
});
afterAll(async () => {
  void client.sock.end(undefined);
  await sim.stop();
});

describe("messages", () => {
  it("an inbound text from a contact reaches messages.upsert", async () => {
    const alice = sim.control.account(PHONE).contactRows[0];
    const sent = await sim.control.sendMessage({ phoneNumber: PHONE, from: alice?.phoneNumber, text: "hello from alice" });
    expect(await until(() => upserts.some((m) => m.key.id === sent.id))).toBe(true);
    const m = upserts.find((x) => x.key.id === sent.id);
    expect(m?.message?.conversation).toBe("hello from alice");
    expect(m?.key.remoteJid).toBe(alice?.jid);
    expect(m?.key.fromMe).toBe(false);
    expect(m?.pushName).toBe(alice?.name);
  });

  it("a resend with the same message id is recognised by the contact and kept once", async () => {
    const carol = sim.control.account(PHONE).contactRows[2];
    const first = await client.sock.sendMessage(carol?.jid ?? "", { text: "only once" });
    const id = first?.key.id ?? "";
    const copies = () => sim.control.messages(PHONE).filter((m) => m.id === id && m.recipient === carol?.jid);
    expect(await until(() => copies().length === 1)).toBe(true);
    await client.sock.sendMessage(carol?.jid ?? "", { text: "only once" }, { messageId: id });
    // the resend is acked and decrypted (the contact's session advances) but not kept again
    await new Promise((r) => setTimeout(r, 500));
    expect(copies()).toHaveLength(1);
  });

  it("an outbound 1:1 text is decrypted by the contact and a delivery receipt comes back", async () => {
    const bob = sim.control.account(PHONE).contactRows[1];
    const sent = await client.sock.sendMessage(bob?.jid ?? "", { text: "hi bob" });
    const id = sent?.key.id ?? "";
    expect(await until(() => sim.control.messages(PHONE).some((m) => m.id === id && m.recipient === bob?.jid))).toBe(true);
    const got = sim.control.messages(PHONE).find((m) => m.id === id && m.recipient === bob?.jid);
    expect(got?.text).toBe("hi bob");
    expect(got?.from).toBe(`${PHONE}:1@s.whatsapp.net`);
    // The account's own phone decrypts its DSM copy too.
    expect(sim.control.messages(PHONE).some((m) => m.id === id && m.recipient === `${PHONE}@s.whatsapp.net` && m.text === "hi bob")).toBe(true);
    expect(await until(() => updates.some((u) => u.key.id === id && (u.update.status ?? 0) >= 3))).toBe(true);
  });

  it("a reply to an earlier inbound sender works after Baileys forces a fresh session", async () => {
    const alice = sim.control.account(PHONE).contactRows[0];
    const sent = await client.sock.sendMessage(alice?.jid ?? "", { text: "hi alice" });
    const id = sent?.key.id ?? "";
    expect(await until(() => sim.control.messages(PHONE).some((m) => m.id === id && m.recipient === alice?.jid && m.text === "hi alice"))).toBe(true);
  });

  it("an outbound group text is decrypted by every member and receipts come back", async () => {
    const detail = sim.control.account(PHONE);
    const group = detail.groupRows[0];
    const members = detail.memberships.filter((m) => m.groupJid === group?.jid && m.jid !== `${PHONE}@s.whatsapp.net`);
    const sent = await client.sock.sendMessage(group?.jid ?? "", { text: "hello group" });
    const id = sent?.key.id ?? "";
    const decryptedBy = () => new Set(sim.control.messages(PHONE).filter((m) => m.id === id && m.groupJid === group?.jid && m.text === "hello group").map((m) => m.recipient));
    expect(await until(() => decryptedBy().size === members.length)).toBe(true);
    expect([...decryptedBy()].sort()).toEqual(members.map((m) => m.jid).sort());
    expect(await until(() => receipts.some((r) => r.key.id === id))).toBe(true);
  });

  it("an inbound group text from a member reaches messages.upsert (sender key distributed first)", async () => {
    const detail = sim.control.account(PHONE);
    const group = detail.groupRows[1];
    const member = detail.memberships.find((m) => m.groupJid === group?.jid && m.jid !== `${PHONE}@s.whatsapp.net`);
    for (const text of ["first group hello", "second group hello"]) {
      const sent = await sim.control.sendMessage({ phoneNumber: PHONE, groupJid: group?.jid, from: member?.jid.split("@")[0], text });
      expect(await until(() => upserts.some((m) => m.key.id === sent.id))).toBe(true);
      const m = upserts.find((x) => x.key.id === sent.id);
      expect(m?.message?.conversation).toBe(text);
      expect(m?.key.remoteJid).toBe(group?.jid);
      expect(m?.key.participant).toBe(member?.jid);
    }
  });

  it("after the client lost its session, a retry receipt makes the sender re-encrypt and the text arrives", async () => {
    const dave = sim.control.account(PHONE).contactRows[4];
    const first = await sim.control.sendMessage({ phoneNumber: PHONE, from: dave?.phoneNumber, text: "before" });
    expect(await until(() => upserts.some((m) => m.key.id === first.id && m.message?.conversation === "before"))).toBe(true);
    await until(() => sim.control.devices(PHONE)[0]?.pendingMessages === 0);
    expect(client.auth.dropSessions(dave?.lid.split("@")[0] ?? "?") + client.auth.dropSessions(dave?.phoneNumber ?? "?")).toBeGreaterThan(0);
    const second = await sim.control.sendMessage({ phoneNumber: PHONE, from: dave?.phoneNumber, text: "after a retry" });
    expect(await until(() => upserts.some((m) => m.key.id === second.id && m.message?.conversation === "after a retry"), 15_000)).toBe(true);
  });

  it("a text sent while the client is offline is delivered at its next login", async () => {
    const stored = client.auth.snapshot();
    void client.sock.end(undefined);
    await until(() => sim.control.devices(PHONE)[0]?.connected === false);
    const carol = sim.control.account(PHONE).contactRows[3];
    const sent = await sim.control.sendMessage({ phoneNumber: PHONE, from: carol?.phoneNumber, text: "while you were away" });
    expect(sim.control.devices(PHONE)[0]?.pendingMessages).toBeGreaterThanOrEqual(1);
    const sock = connectClient(sim.url, memoryAuth(stored));
    const got = waitForEvent(sock.ev, "messages.upsert", (u) => u.messages.some((m) => m.key.id === sent.id));
    const msg = (await got).messages.find((m) => m.key.id === sent.id);
    expect(msg?.message?.conversation).toBe("while you were away");
    expect(await until(() => sim.control.devices(PHONE)[0]?.pendingMessages === 0)).toBe(true);
    void sock.end(undefined);
  });

  it("two simulated accounts' clients can message each other (relayed between companions)", async () => {
    const other = await pairNewClient(sim.url, sim.httpUrl, { phoneNumber: "6281300000002" });
    const got = waitForEvent(other.sock.ev, "messages.upsert", (u) => u.messages.some((m) => !m.key.fromMe && m.message?.extendedTextMessage?.text === "hello other account"));
    const stored = memoryAuth(client.auth.snapshot());
    const sock = connectClient(sim.url, stored);
    await waitForEvent(sock.ev, "connection.update", (u) => u.connection === "open");
    await sock.sendMessage("6281300000002@s.whatsapp.net", { text: "hello other account" });
    const m = (await got).messages.find((x) => x.message?.extendedTextMessage?.text === "hello other account");
    expect(m?.key.remoteJid).toBe(`${PHONE}@s.whatsapp.net`);
    void sock.end(undefined);
    void other.sock.end(undefined);
  });
});
