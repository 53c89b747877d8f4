// The big scenario: 10 000 contacts in chunked history syncs and 1 000 groups × 50 members in one participating answer.
import type { Contact } from "@whiskeysockets/baileys";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "./index.ts";
import { pairNewClient, type PairedClient } from "./test-client.ts";

let sim: Simulator;
let client: PairedClient;
const named = new Map<string, Contact>();
const PHONE = "6281600000001";

beforeAll(async () => {
  sim = await startSimulator();
  client = await pairNewClient(sim.url, sim.httpUrl, {
    phoneNumber: PHONE,
    scenario: { seed: "large", contacts: 10_000, groups: 1_000, membersPerGroup: 50 },
    onSocket: (s) =>
      s.ev.on("messaging-history.set", (h) => {
        for (const c of h.contacts) if (c.name) named.set(c.id, c);
      }),
  });
}, 120_000);
afterAll(async () => {
  void client.sock.end(undefined);
  await sim.stop();
});

describe("large scenario", () => {
  it("syncs 10 000 contacts over several history chunks", { timeout: 60_000 }, async () => {
    const deadline = Date.now() + 50_000;
    while (named.size < 10_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(named.size).toBe(10_000);
  });

  it("serves 1 000 groups with 50 members each", { timeout: 60_000 }, async () => {
    const groups = Object.values(await client.sock.groupFetchAllParticipating());
    expect(groups).toHaveLength(1_000);
    expect(groups.reduce((n, g) => n + g.participants.length, 0)).toBe(50_000);
    expect(sim.control.accounts()[0]).toMatchObject({ contacts: 10_000, groups: 1_000, groupMembers: 50_000 });
  });
});
