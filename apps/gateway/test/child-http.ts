// A gateway HTTP server in its own process (fake engine ports), for the cross-process api-key revocation test.
// Prints `{"base": url, "following": bool}` once listening (following: its api-key cache hears revocations by
// NOTIFY; waited for up to FOLLOW_WAIT_MS). Env: DATABASE_URL, WEB_URL, JWKS_URL, GATEWAY_ID, FOLLOW_WAIT_MS.
import { createFakePorts } from "@wa/api/testing";
import { createDbClient } from "@wa/db";
import { createLogger } from "../src/http/logger.ts";
import { createServer } from "../src/http/server.ts";

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

const gatewayId = env("GATEWAY_ID");
const client = createDbClient(env("DATABASE_URL"), { max: 2, applicationName: `wa-gateway:${gatewayId}` });
const server = await createServer({
  db: client,
  ports: createFakePorts({ db: client.db, gatewayId }),
  env: { port: 0, webUrl: env("WEB_URL"), jwksUrl: env("JWKS_URL") },
  logger: createLogger({ level: "silent" }),
});
const base = await server.start();
const deadline = Date.now() + Number(process.env.FOLLOW_WAIT_MS ?? "0");
while (!server.apiKeys.following && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
process.stdout.write(`${JSON.stringify({ base, following: server.apiKeys.following })}\n`);

process.on("SIGTERM", () => {
  void server
    .stop()
    .then(() => client.close())
    .then(() => process.exit(0));
});
