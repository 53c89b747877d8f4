// Measures a simulator process: QR-to-open time and simulator RSS per connected client.
// Usage: npx tsx packages/wa-sim/scripts/measure.ts [clients=200] [concurrency=20]
import type { WASocket } from "@whiskeysockets/baileys";
import { muteLibsignalNoise, pairNewClient, spawnSimulatorProcess } from "../src/test-client.ts";

muteLibsignalNoise();
const clients = Number(process.argv[2] ?? 200);
const concurrency = Number(process.argv[3] ?? 20);
const sim = await spawnSimulatorProcess();
await new Promise((r) => setTimeout(r, 500));
const before = sim.rssKb();
const heapBefore = await sim.heapUsedAfterGc();
const cpuBefore = sim.cpuMs();
const sockets: WASocket[] = [];
const times: number[] = [];
let next = 0;
const started = Date.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < clients) {
      next++;
      const c = await pairNewClient(sim.url, sim.httpUrl, { timeoutMs: 120_000 });
      sockets.push(c.sock);
      times.push(c.pairToOpenMs);
    }
  }),
);
const elapsed = Date.now() - started;
await new Promise((r) => setTimeout(r, 3000));
const after = sim.rssKb();
const heapAfter = await sim.heapUsedAfterGc();
times.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    clients,
    concurrency,
    elapsedMs: elapsed,
    qrToOpenMs: { min: times[0], median: times[times.length >> 1], p95: times[Math.floor(times.length * 0.95)] },
    simRssBeforeMb: +(before / 1024).toFixed(1),
    simRssAfterMb: +(after / 1024).toFixed(1),
    simRssPerClientKb: +((after - before) / clients).toFixed(1),
    simHeapPerClientKb: +((heapAfter - heapBefore) / 1024 / clients).toFixed(1),
    simCpuMsPerClient: Math.round((sim.cpuMs() - cpuBefore) / clients),
  }),
);
for (const s of sockets) void s.end(undefined);
await sim.stop();
process.exit(0);
