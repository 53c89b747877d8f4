// The memory floor of the sessions-per-gateway benchmark: plain Baileys 7 sockets (the simulator's test client,
// in-memory auth, no database, no HTTP API) in one process of their own, so its RSS per socket is the floor the
// gateway's is compared with. It listens on a loopback port for the benchmark's commands:
//   POST /pair {upTo}   → pairs new accounts (QR → /sim/scan → open) until it holds `upTo` open sockets.
//   POST /resume {upTo} → opens sockets from the creds saved by an earlier process (`--resume FILE`) until `upTo`
//                         are open: the floor after a restart (no pairing ever happened in this process).
//   POST /save          → writes every socket's creds and keys to FILE (the process that paired them).
// Run: node --import tsx src/raw-baileys-fleet.ts <simWsUrl> <simHttpUrl> <phonePrefix> <FILE> [--resume]
// It prints `raw-baileys-fleet ready http://127.0.0.1:P` once it listens.
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import { connectClient, memoryAuth, muteLibsignalNoise, pairNewClient, waitForEvent, type MemoryAuth } from "@wa/wa-sim/testing";

muteLibsignalNoise();
const [wsUrl = "", simHttpUrl = "", prefix = "", file = "", mode = ""] = process.argv.slice(2);
if (!wsUrl || !simHttpUrl || !prefix || !file) {
  console.error("usage: raw-baileys-fleet.ts <simWsUrl> <simHttpUrl> <phonePrefix> <FILE> [--resume]");
  process.exit(2);
}
/** Pairings or reconnections in flight at once (as the gateway's benchmark pairs its sessions). */
const CONCURRENCY = 16;
const SCENARIO = { seed: "bench-per-gateway", contacts: 5, groups: 1, membersPerGroup: 3 };

type Socket = ReturnType<typeof connectClient>;
const fleet: { sock: Socket; auth: MemoryAuth }[] = [];
const saved: string[] = mode === "--resume" ? (JSON.parse(readFileSync(file, "utf8")) as string[]) : [];

async function grow(upTo: number, open: (i: number) => Promise<{ sock: Socket; auth: MemoryAuth }>): Promise<void> {
  let next = fleet.length;
  const worker = async () => {
    while (next < upTo) {
      const i = next++;
      fleet.push(await open(i));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, upTo - fleet.length) }, worker));
}

const pair = (i: number) =>
  pairNewClient(wsUrl, simHttpUrl, { phoneNumber: `${prefix}${String(i).padStart(7, "0")}`, scenario: SCENARIO, timeoutMs: 180_000 });

async function resume(i: number) {
  const snapshot = saved[i];
  if (!snapshot) throw new Error(`no saved creds for socket ${i}`);
  const auth = memoryAuth(snapshot);
  const sock = connectClient(wsUrl, auth);
  await waitForEvent(sock.ev, "connection.update", (u) => u.connection === "open", 180_000);
  return { sock, auth };
}

async function readJson<T>(req: IncomingMessage): Promise<T> {
  let body = "";
  for await (const chunk of req) body += String(chunk);
  return JSON.parse(body || "{}") as T;
}

const server = createServer((req, res) => {
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const handle = async () => {
    if (req.method === "POST" && req.url === "/pair") {
      await grow((await readJson<{ upTo: number }>(req)).upTo, pair);
      return reply(200, { open: fleet.length });
    }
    if (req.method === "POST" && req.url === "/resume") {
      await grow((await readJson<{ upTo: number }>(req)).upTo, resume);
      return reply(200, { open: fleet.length });
    }
    if (req.method === "POST" && req.url === "/save") {
      writeFileSync(file, JSON.stringify(fleet.map((f) => f.auth.snapshot())));
      return reply(200, { saved: fleet.length });
    }
    return reply(404, { error: "unknown command" });
  };
  handle().catch((error: unknown) => reply(500, { error: String(error) }));
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  console.log(`raw-baileys-fleet ready http://127.0.0.1:${port}`);
});
const stop = () => {
  for (const f of fleet) void f.sock.end(undefined);
  server.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
