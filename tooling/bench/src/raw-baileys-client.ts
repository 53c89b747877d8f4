// The floor of the messages benchmark: a plain Baileys 7 client (the simulator's test client, memory auth, no
// database, no HTTP API) paired with the simulator in its own process, so its CPU is its own. It listens on a
// loopback port for the benchmark's commands:
//   POST /send {to: string[], count, concurrency, text} → {messages: [{id, to, start, acked}]}: `count` calls of
//        `sock.sendMessage(to[i % to.length], {text})`, at most `concurrency` in flight; `start`/`acked` epoch ms
//        around each call.
//   GET /inbound → {messages: [{id, t}]}: every inbound text seen on `messages.upsert` (t = epoch ms of the event).
//   GET /reconnects → {reconnects}: how often the socket closed and was opened again.
// Run: node --import tsx src/raw-baileys-client.ts <simWsUrl> <simHttpUrl> <phoneNumber>
// It prints `raw-baileys-client ready http://127.0.0.1:P` once paired and settled.
import { createServer, type IncomingMessage } from "node:http";
import { closeCode, connectClient, muteLibsignalNoise, pairNewClient, waitForEvent } from "@wa/wa-sim/testing";

muteLibsignalNoise();
const [wsUrl = "", simHttpUrl = "", phoneNumber = ""] = process.argv.slice(2);
if (!wsUrl || !simHttpUrl || !phoneNumber) {
  console.error("usage: raw-baileys-client.ts <simWsUrl> <simHttpUrl> <phoneNumber>");
  process.exit(2);
}

const inbound: { id: string; t: number }[] = [];
let lastEventAt = Date.now();
let reconnects = 0;
type Socket = Awaited<ReturnType<typeof pairNewClient>>["sock"];

const listen = (sock: Socket) => {
  sock.ev.on("messages.upsert", ({ messages, type }) => {
    lastEventAt = Date.now();
    if (type !== "notify") return;
    for (const m of messages) if (!m.key.fromMe && m.key.id) inbound.push({ id: m.key.id, t: Date.now() });
  });
  sock.ev.on("messaging-history.set", () => {
    lastEventAt = Date.now();
  });
};

const client = await pairNewClient(wsUrl, simHttpUrl, {
  phoneNumber,
  scenario: { seed: "bench-messages", contacts: 20, groups: 2, membersPerGroup: 5 },
  timeoutMs: 120_000,
  onSocket: listen,
});

// Like any long-lived client (and the gateway), it reconnects with its creds when the socket closes for a reason
// other than a logout: under load a keep-alive can miss its answer. Sends wait for the new socket to open.
let sock = client.sock;
let open: Promise<void> = Promise.resolve();
const watchClose = (s: Socket) =>
  s.ev.on("connection.update", (update) => {
    if (update.connection !== "close" || s !== sock) return;
    const code = closeCode(update);
    console.log(`raw-baileys-client: connection closed (${code ?? "?"})${code === 401 ? "; logged out" : "; reconnecting"}`);
    if (code === 401) return;
    reconnects += 1;
    sock = connectClient(wsUrl, client.auth);
    listen(sock);
    watchClose(sock);
    open = waitForEvent(sock.ev, "connection.update", (u) => u.connection === "open", 60_000).then(() => undefined);
    // A send awaiting it gets the failure; nothing else must turn it into an unhandled rejection.
    open.catch(() => undefined);
  });
watchClose(sock);

// The post-pairing history sync arrives in the first seconds; wait until events have been quiet for 2 s.
while (Date.now() - lastEventAt < 2_000) await new Promise((r) => setTimeout(r, 250));

interface SendCommand {
  to: string[];
  count: number;
  concurrency: number;
  text: string;
}

async function readJson<T>(req: IncomingMessage): Promise<T> {
  let body = "";
  for await (const chunk of req) body += String(chunk);
  return JSON.parse(body || "{}") as T;
}

async function send(cmd: SendCommand) {
  const messages: { id: string; to: string; start: number; acked: number }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cmd.count) {
      const i = next++;
      const to = cmd.to[i % cmd.to.length] ?? "";
      const start = Date.now();
      await open;
      const sent = await sock.sendMessage(to, { text: `${cmd.text} ${i}` });
      messages.push({ id: sent?.key.id ?? "", to, start, acked: Date.now() });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, cmd.concurrency) }, worker));
  return { messages };
}

const server = createServer((req, res) => {
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const handle = async () => {
    if (req.method === "POST" && req.url === "/send") return reply(200, await send(await readJson<SendCommand>(req)));
    if (req.method === "GET" && req.url === "/inbound") return reply(200, { messages: inbound });
    if (req.method === "GET" && req.url === "/reconnects") return reply(200, { reconnects });
    return reply(404, { error: "unknown command" });
  };
  handle().catch((error: unknown) => reply(500, { error: String(error) }));
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  console.log(`raw-baileys-client ready http://127.0.0.1:${port} phone=${client.phoneNumber}`);
});
const stop = () => {
  void sock.end(undefined);
  server.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
