// Contacts and groups reach the real Baileys client: history sync, push name, groupFetchAllParticipating.
import type { Contact } from "@whiskeysockets/baileys";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "./index.ts";
import { pairNewClient, type PairedClient } from "./test-client.ts";

let sim: Simulator;
let client: PairedClient;
const contacts: Contact[] = [];
const scenario = { seed: "sync-test", contacts: 2_500, groups: 12, membersPerGroup: 9, pushName: "Sync Tester" };

beforeAll(async () => {
  sim = await startSimulator({ historyChunkSize: 1_000 });
  client = await pairNewClient(sim.url, sim.httpUrl, {
    phoneNumber: "6281200000001",
    scenario,
    onSocket: (s) => s.ev.on("messaging-history.set", (h) => contacts.push(...h.contacts)),
  });
});
afterAll(async () => {
  void client.sock.end(undefined);
  await sim.stop();
});

describe("history sync and groups", () => {
  it("delivers the scenario's contacts with names and LIDs through messaging-history.set", async () => {
    const expected = sim.control.account("6281200000001").contactRows;
    expect(expected).toHaveLength(2_500);
    const deadline = Date.now() + 20_000;
    const named = () => new Map(contacts.filter((c) => c.name).map((c) => [c.id, c]));
    while (named().size < expected.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const got = named();
    expect(got.size).toBe(expected.length);
    for (const row of expected) {
      const c = got.get(row.jid);
      expect(c?.name).toBe(row.name);
      expect(c?.lid).toBe(row.lid);
    }
  });

  it("sets creds.me.name from the phone's self message (push name)", async () => {
    const deadline = Date.now() + 10_000;
    while (!client.auth.creds.me?.name && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(client.auth.creds.me?.name).toBe("Sync Tester");
  });

  it("groupFetchAllParticipating returns exactly the scenario's groups, members and admins", async () => {
    const detail = sim.control.account("6281200000001");
    const groups = await client.sock.groupFetchAllParticipating();
    expect(Object.keys(groups).sort()).toEqual(detail.groupRows.map((g) => g.jid).sort());
    let members = 0;
    for (const row of detail.groupRows) {
      const g = groups[row.jid];
      expect(g?.subject).toBe(row.subject);
      expect(g?.desc).toBe(row.description);
      expect(g?.owner).toBe(row.creator);
      const expectedMembers = detail.memberships.filter((m) => m.groupJid === row.jid);
      expect(g?.participants.map((p) => p.id).sort()).toEqual(expectedMembers.map((m) => m.jid).sort());
      for (const m of expectedMembers) {
        const p = g?.participants.find((x) => x.id === m.jid);
        expect(p?.admin ?? "member").toBe(m.role);
        expect(p?.lid).toBe(m.lid);
      }
      members += g?.participants.length ?? 0;
    }
    expect(members).toBe(detail.counts.groupMembers);
    expect(detail.counts).toEqual({ contacts: 2_500, groups: 12, groupMembers: 12 * 9 });
  });

  it("groupMetadata answers a single group query", async () => {
    const row = sim.control.account("6281200000001").groupRows[0];
    const meta = await client.sock.groupMetadata(row?.jid ?? "");
    expect(meta.subject).toBe(row?.subject);
    expect(meta.participants).toHaveLength(9);
  });
});
