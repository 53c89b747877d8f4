// A gateway engine in its own process, for the SIGKILL test: prints one JSON line per session event and one per
// database transaction it opens (so the parent can kill it mid-write). Env: DATABASE_URL, WA_WS_URL,
// SIM_ROOT_KEY (base64), SESSION_ID, ORGANIZATION_ID, GATEWAY_ID, START (1 = start the session after boot).
import { createDbClient } from "@wa/db";
import pino from "pino";
import { createGatewayEngine } from "../src/engine.ts";
import { TEST_APP_SECRET } from "./harness.ts";

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const out = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

const client = createDbClient(env("DATABASE_URL"), { max: 1 });
const transaction = client.db.transaction.bind(client.db);
client.db.transaction = ((...args: Parameters<typeof transaction>) => {
  out({ tx: true });
  return transaction(...args);
}) as typeof client.db.transaction;

const engine = await createGatewayEngine({
  db: client,
  logger: pino({ level: process.env.CHILD_LOG_LEVEL ?? "silent" }, pino.destination(2)),
  config: {
    gatewayId: env("GATEWAY_ID"),
    appSecret: TEST_APP_SECRET,
    gatewayUrl: "http://127.0.0.1:1",
    waWsUrl: env("WA_WS_URL"),
    trustRootPublicKey: env("SIM_ROOT_KEY"),
    restoreJitterMs: 10,
  },
});
const abort = new AbortController();
void (async () => {
  for await (const ev of engine.events.subscribe({ organizationId: env("ORGANIZATION_ID") }, abort.signal)) {
    out({ status: ev.status, sessionId: ev.sessionId, qr: ev.qr?.qr ?? null });
  }
})();
await engine.boot();
if (process.env.START === "1") await engine.sessions.start(env("SESSION_ID"));
out({ booted: true });

process.on("SIGTERM", () => {
  void engine
    .shutdown()
    .then(() => client.close())
    .then(() => process.exit(0));
});
