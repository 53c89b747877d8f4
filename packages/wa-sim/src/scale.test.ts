// Many companions at once: 200 real Baileys clients pair through one simulator process and stay open together.
import type { WASocket } from "@whiskeysockets/baileys";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountSummary } from "./index.ts";
import { pairNewClient, spawnSimulatorProcess, type SimulatorProcess } from "./test-client.ts";

const CLIENTS = 200;
const CONCURRENCY = 20;
let sim: SimulatorProcess;
const sockets: WASocket[] = [];

beforeAll(async () => {
  // The simulator runs in its own process so the 200 Baileys clients in this one get a core to themselves.
  sim = await spawnSimulatorProcess();
});
afterAll(async () => {
  for (const s of sockets) s.end(undefined);
  await sim.stop();
});

describe("scale", () => {
  it(`${CLIENTS} concurrent clients pair and open`, { timeout: 150_000 }, async () => {
    const rssBefore = sim.rssKb();
    const started = Date.now();
    const times: number[] = [];
    let next = 0;
    const worker = async () => {
      while (next < CLIENTS) {
        const i = next++;
        const c = await pairNewClient(sim.url, sim.httpUrl, {
          phoneNumber: `62815${String(i).padStart(8, "0")}`,
          scenario: { seed: "scale-test", contacts: 5, groups: 1, membersPerGroup: 4 },
          timeoutMs: 60_000,
        });
        sockets.push(c.sock);
        times.push(c.pairToOpenMs);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsed = Date.now() - started;
    const res = await fetch(`${sim.httpUrl}/sim/accounts`);
    const accounts = ((await res.json()) as { data: AccountSummary[] }).data;
    expect(accounts).toHaveLength(CLIENTS);
    expect(accounts.filter((a) => a.connected === 1)).toHaveLength(CLIENTS);
    times.sort((a, b) => a - b);
    const perClientKb = Math.round((sim.rssKb() - rssBefore) / CLIENTS);
    console.log(
      `${CLIENTS} clients paired and open in ${elapsed} ms; QR→open median ${times[times.length >> 1]} ms, p95 ${times[Math.floor(times.length * 0.95)]} ms; simulator RSS +${perClientKb} KiB per client`,
    );
  });
});
