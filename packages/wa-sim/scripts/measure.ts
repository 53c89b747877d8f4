// Measures the simulator in its own process: pairing-to-open time and RSS per connected client.
// Usage: npx tsx packages/wa-sim/scripts/measure.ts [clients=200] [concurrency=20]
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { WASocket } from "@whiskeysockets/baileys";
import { fileURLToPath } from "node:url";
import { muteLibsignalNoise, pairNewClient } from "../src/test-client.ts";

muteLibsignalNoise();
const clients = Number(process.argv[2] ?? 200);
const concurrency = Number(process.argv[3] ?? 20);
const port = 7950 + Math.floor(Math.random() * 40);
const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const child = spawn(process.execPath, ["--import", "tsx", cli, "--port", String(port)], {
  env: { ...process.env, WA_SIM_LOG_LEVEL: "warn" },
  stdio: ["ignore", "inherit", "inherit"],
});
const rssKb = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0);
const cpuMs = (): number => {
  const f = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
};
const url = `ws://127.0.0.1:${port}/ws/chat`;
const httpUrl = `http://127.0.0.1:${port}`;
for (let i = 0; i < 100; i++) {
  try {
    if ((await fetch(`${httpUrl}/sim/health`)).ok) break;
  } catch {
    await new Promise((r) => setTimeout(r, 100));
  }
}
await new Promise((r) => setTimeout(r, 500));
const before = rssKb();
const cpuBefore = cpuMs();
const sockets: WASocket[] = [];
const times: number[] = [];
let next = 0;
const started = Date.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < clients) {
      next++;
      const c = await pairNewClient(url, httpUrl, { timeoutMs: 120_000 });
      sockets.push(c.sock);
      times.push(c.pairToOpenMs);
    }
  }),
);
const elapsed = Date.now() - started;
await new Promise((r) => setTimeout(r, 3000));
const after = rssKb();
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
    simCpuMs: Math.round(cpuMs() - cpuBefore),
  }),
);
for (const s of sockets) s.end(undefined);
child.kill("SIGTERM");
process.exit(0);
