// A gateway's event side in its own process, for the SIGKILL test: the webhook dispatcher runs while events are
// written one transaction at a time; prints `{"committed": id}` after each commit. Env: DATABASE_URL,
// ORGANIZATION_ID, GATEWAY_ID, APP_SECRET, COUNT.
import { createWebhookPort } from "@wa/api";
import { createDbClient } from "@wa/db";
import { appendEvent } from "@wa/db/queries";
import pino from "pino";
import { WebhookDispatcher } from "../src/events/dispatcher.ts";

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

const client = createDbClient(env("DATABASE_URL"), { max: 3 });
const port = createWebhookPort({ appSecret: env("APP_SECRET"), allowPrivate: true });
const dispatcher = new WebhookDispatcher({
  db: client.db,
  logger: pino({ level: "silent" }),
  gatewayId: env("GATEWAY_ID"),
  cipher: port.cipher,
  options: { pollMs: 20, allowPrivate: true },
});
await dispatcher.start();
process.stdout.write(`${JSON.stringify({ started: true })}\n`);
const organizationId = env("ORGANIZATION_ID");
for (let i = 0; i < Number(env("COUNT")); i++) {
  const { id } = await client.db.transaction((tx) =>
    appendEvent(tx, { organizationId, sessionId: null, type: "message.received", data: { i } }),
  );
  process.stdout.write(`${JSON.stringify({ committed: id })}\n`);
  await new Promise((r) => setTimeout(r, 10));
}
process.stdout.write(`${JSON.stringify({ done: true })}\n`);
