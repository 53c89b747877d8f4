// Many companions at once: 200 real Baileys clients pair through one simulator process and stay open together.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { WASocket } from "@whiskeysockets/baileys";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountSummary } from "./index.ts";
import { pairNewClient, spawnSimulatorProcess, type SimulatorProcess } from "./test-client.ts";

const CLIENTS = 200;
const IN_CHILD = 100; // paired by a second client process, so both cores work on Baileys clients
const CONCURRENCY = 10;
let sim: SimulatorProcess;
let child: ChildProcessWithoutNullStreams | null = null;
const sockets: WASocket[] = [];

beforeAll(async () => {
  // The simulator runs in its own process, like a separate server; the clients are split over two processes.
  sim = await spawnSimulatorProcess();
});
afterAll(async () => {
  for (const s of sockets) void s.end(undefined);
  child?.stdin.end();
  await sim.stop();
});

function childClients(count: number): Promise<number[]> {
  const script = fileURLToPath(new URL("./load-client.ts", import.meta.url));
  const proc = spawn(process.execPath, ["--import", "tsx", script, sim.url, String(count), String(CONCURRENCY), "62818"], { stdio: "pipe" });
  child = proc;
  return new Promise((resolve, reject) => {
    let buf = "";
    proc.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      const line = buf.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve((JSON.parse(line) as { times: number[] }).times);
    });
    proc.stderr.on("data", (d: Buffer) => process.stderr.write(d));
    proc.once("exit", (code) => reject(new Error(`client process exited (${code})`)));
  });
}

describe("scale", () => {
  it(`${CLIENTS} concurrent clients pair and open`, { timeout: 150_000 }, async () => {
    const rssBefore = sim.rssKb();
    const heapBefore = await sim.heapUsedAfterGc();
    const started = Date.now();
    const remote = childClients(IN_CHILD);
    const local: number[] = [];
    let next = 0;
    const worker = async () => {
      while (next < CLIENTS - IN_CHILD) {
        const i = next++;
        const c = await pairNewClient(sim.url, sim.httpUrl, {
          phoneNumber: `62815${String(i).padStart(8, "0")}`,
          scenario: { seed: "scale-test", contacts: 5, groups: 1, membersPerGroup: 4 },
          timeoutMs: 90_000,
        });
        sockets.push(c.sock);
        local.push(c.pairToOpenMs);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const times = [...local, ...(await remote)].sort((a, b) => a - b);
    const elapsed = Date.now() - started;
    expect(times).toHaveLength(CLIENTS);
    const res = await fetch(`${sim.httpUrl}/sim/accounts`);
    const accounts = ((await res.json()) as { data: AccountSummary[] }).data;
    expect(accounts).toHaveLength(CLIENTS);
    expect(accounts.filter((a) => a.connected === 1)).toHaveLength(CLIENTS);
    const perClientKb = Math.round((sim.rssKb() - rssBefore) / CLIENTS);
    const heapPerClientKb = ((await sim.heapUsedAfterGc()) - heapBefore) / 1024 / CLIENTS;
    console.log(
      `${CLIENTS} clients paired and open in ${elapsed} ms; QR→open median ${times[times.length >> 1]} ms, p95 ${times[Math.floor(times.length * 0.95)]} ms; simulator RSS +${perClientKb} KiB, live heap +${heapPerClientKb.toFixed(0)} KiB per client`,
    );
  });
});
