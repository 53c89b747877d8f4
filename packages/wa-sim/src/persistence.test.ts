// State directory: a simulator restarted on the same directory accepts a companion's stored creds (no new QR).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WAMessage } from "@whiskeysockets/baileys";
import { afterAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "./index.ts";
import { connectClient, memoryAuth, pairNewClient, waitForEvent, until } from "./test-client.ts";

const PHONE = "6281400000001";
const dir = mkdtempSync(join(tmpdir(), "wa-sim-state-"));
const stateDir = join(dir, "sim");
const sims: Simulator[] = [];

const start = async () => {
  const sim = await startSimulator({ stateDir });
  sims.push(sim);
  return sim;
};

afterAll(async () => {
  for (const s of sims) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("state directory", () => {
  it("a restarted simulator accepts the stored creds: open without a QR, same number, same accounts, messages both ways", async () => {
    const first = await start();
    const upserts: WAMessage[] = [];
    const client = await pairNewClient(first.url, first.httpUrl, {
      phoneNumber: PHONE,
      scenario: { seed: "persist-test", contacts: 5, groups: 1, membersPerGroup: 4 },
      onSocket: (s) => s.ev.on("messages.upsert", (u) => upserts.push(...u.messages)),
    });
    await until(() => !!client.auth.creds.me?.name);
    const alice = first.control.account(PHONE).contactRows[0];
    // Sessions on both sides before the restart: one message each way.
    const inbound = await first.control.sendMessage({ phoneNumber: PHONE, from: alice?.phoneNumber, text: "before restart" });
    expect(await until(() => upserts.some((m) => m.key.id === inbound.id))).toBe(true);
    const out = await client.sock.sendMessage(alice?.jid ?? "", { text: "reply before restart" });
    expect(await until(() => first.control.messages(PHONE).some((m) => m.id === out?.key.id && m.recipient === alice?.jid))).toBe(true);
    // Sender keys on both sides too: one group text each way.
    const detail = first.control.account(PHONE);
    const group = detail.groupRows[0];
    const member = detail.memberships.find((m) => m.groupJid === group?.jid && m.jid !== `${PHONE}@s.whatsapp.net`);
    const memberPn = member?.jid.split("@")[0];
    const gIn = await first.control.sendMessage({ phoneNumber: PHONE, groupJid: group?.jid, from: memberPn, text: "group before" });
    expect(await until(() => upserts.some((m) => m.key.id === gIn.id))).toBe(true);
    const gOut = await client.sock.sendMessage(group?.jid ?? "", { text: "group reply before" });
    expect(await until(() => first.control.messages(PHONE).some((m) => m.id === gOut?.key.id && m.recipient === member?.jid))).toBe(true);
    await until(() => first.control.devices(PHONE)[0]?.pendingMessages === 0);
    const accountsBefore = first.control.accounts().map((a) => ({ phoneNumber: a.phoneNumber, lid: a.lid, pushName: a.pushName, devices: a.devices }));
    const rootBefore = Buffer.from(first.rootPublicKey).toString("base64");
    const stored = client.auth.snapshot();
    void client.sock.end(undefined);
    await first.stop();

    // Private on disk: the directory 0700, every file 0600.
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    const files = readdirSync(stateDir);
    expect(files).toEqual(["state.json"]);
    for (const f of files) expect(statSync(join(stateDir, f)).mode & 0o777).toBe(0o600);

    const second = await start();
    expect(Buffer.from(second.rootPublicKey).toString("base64")).toBe(rootBefore);
    const listed = (await (await fetch(`${second.httpUrl}/sim/accounts`)).json()) as { data: { phoneNumber: string; lid: string; pushName: string; devices: number }[] };
    expect(listed.data.map((a) => ({ phoneNumber: a.phoneNumber, lid: a.lid, pushName: a.pushName, devices: a.devices }))).toEqual(accountsBefore);

    const restored = memoryAuth(stored);
    const sock = connectClient(second.url, restored);
    let sawQr = false;
    const after: WAMessage[] = [];
    sock.ev.on("connection.update", (u) => {
      if (u.qr) sawQr = true;
    });
    sock.ev.on("messages.upsert", (u) => after.push(...u.messages));
    await waitForEvent(sock.ev, "connection.update", (u) => u.connection === "open");
    expect(sawQr).toBe(false);
    expect(sock.user?.id).toBe(`${PHONE}:1@s.whatsapp.net`);
    expect(restored.preKeyWrites()).toBe(0);
    expect(second.control.devices(PHONE)[0]?.connected).toBe(true);

    // The contact's Signal session survived: the next inbound and outbound texts decrypt on both sides.
    const inbound2 = await second.control.sendMessage({ phoneNumber: PHONE, from: alice?.phoneNumber, text: "after restart" });
    expect(await until(() => after.some((m) => m.key.id === inbound2.id && m.message?.conversation === "after restart"))).toBe(true);
    const out2 = await sock.sendMessage(alice?.jid ?? "", { text: "reply after restart" });
    expect(await until(() => second.control.messages(PHONE).some((m) => m.id === out2?.key.id && m.recipient === alice?.jid && m.text === "reply after restart"))).toBe(true);
    const gIn2 = await second.control.sendMessage({ phoneNumber: PHONE, groupJid: group?.jid, from: memberPn, text: "group after" });
    expect(await until(() => after.some((m) => m.key.id === gIn2.id && m.message?.conversation === "group after"))).toBe(true);
    const gOut2 = await sock.sendMessage(group?.jid ?? "", { text: "group reply after" });
    expect(await until(() => second.control.messages(PHONE).some((m) => m.id === gOut2?.key.id && m.recipient === member?.jid && m.text === "group reply after"))).toBe(true);
    void sock.end(undefined);
  });

  it("without a state directory nothing carries over: the stored creds are refused", async () => {
    const a = await startSimulator();
    sims.push(a);
    const client = await pairNewClient(a.url, a.httpUrl);
    const stored = client.auth.snapshot();
    void client.sock.end(undefined);
    await a.stop();
    const b = await startSimulator();
    sims.push(b);
    const sock = connectClient(b.url, memoryAuth(stored));
    const closed = await waitForEvent(sock.ev, "connection.update", (u) => u.connection === "close");
    expect((closed.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode).toBe(401);
    expect(b.control.accounts()).toEqual([]);
  });
});

describe("state directory ownership", () => {
  it("refuses a second simulator on a directory in use, takes over a stale lock, refuses a corrupt state file", async () => {
    const owned = join(dir, "owned");
    const a = await startSimulator({ stateDir: owned });
    sims.push(a);
    await expect(startSimulator({ stateDir: owned })).rejects.toThrow(/in use/);
    await a.stop();
    const b = await startSimulator({ stateDir: owned });
    await b.stop();

    // A lock left by a process that no longer exists.
    const stale = join(dir, "stale");
    mkdirSync(stale, { recursive: true });
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString();
    writeFileSync(join(stale, "lock"), dead);
    const c = await startSimulator({ stateDir: stale });
    await c.stop();

    const corrupt = join(dir, "corrupt");
    mkdirSync(corrupt, { recursive: true });
    writeFileSync(join(corrupt, "state.json"), "{not json");
    await expect(startSimulator({ stateDir: corrupt })).rejects.toThrow(/state\.json is not valid JSON/);
    // The failed start released the directory.
    rmSync(join(corrupt, "state.json"));
    const d = await startSimulator({ stateDir: corrupt });
    await d.stop();
  });
});
