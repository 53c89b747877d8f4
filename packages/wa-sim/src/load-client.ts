// Child-process load generator: pairs N Baileys clients with a simulator, reports once all are open, holds them.
// Run: node --import tsx src/load-client.ts <wsUrl> <count> <concurrency> <phonePrefix>
import type { WASocket } from "@whiskeysockets/baileys";
import { muteLibsignalNoise, pairNewClient } from "./test-client.ts";

muteLibsignalNoise();
const [url = "", countArg = "0", concurrencyArg = "10", prefix = "62819"] = process.argv.slice(2);
const count = Number(countArg);
const httpUrl = url.replace(/^ws/, "http").replace(/\/ws\/chat$/, "");
const sockets: WASocket[] = [];
const times: number[] = [];
let next = 0;
await Promise.all(
  Array.from({ length: Number(concurrencyArg) }, async () => {
    while (next < count) {
      const i = next++;
      const c = await pairNewClient(url, httpUrl, {
        phoneNumber: `${prefix}${String(i).padStart(8, "0")}`,
        scenario: { seed: "scale-test", contacts: 5, groups: 1, membersPerGroup: 4 },
        timeoutMs: 90_000,
      });
      sockets.push(c.sock);
      times.push(c.pairToOpenMs);
    }
  }),
);
process.stdout.write(`${JSON.stringify({ open: sockets.length, times })}\n`);
// Hold the sockets until the parent says stop (closes stdin or sends SIGTERM).
const stop = () => {
  for (const s of sockets) void s.end(undefined);
  process.exit(0);
};
process.stdin.on("end", stop);
process.stdin.resume();
process.on("SIGTERM", stop);
