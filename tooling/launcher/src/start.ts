// `npm start` / `npm run demo`: the whole product on one machine. Embedded PGlite unless DATABASE_URL is set,
// migrations, first-run seed, then the gateway and the web console; `--demo` adds the WhatsApp simulator and
// a few sessions paired through the public API.
import { parseArgs } from "node:util";
import path from "node:path";
import { createDbClient, runMigrations, seed, type SeedResult } from "@wa/db";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "@wa/db/embedded";
import { dataDir, repoRoot } from "./paths.ts";
import { startChild, stopChildren, waitForHttp, type Child } from "./processes.ts";
import { randomSecret, readOrCreateSecret } from "./secrets.ts";

const { values: flags } = parseArgs({ options: { demo: { type: "boolean", default: false } } });

const env = process.env;
const gatewayPort = Number(env.GATEWAY_PORT ?? 8080);
const webPort = Number(env.WEB_PORT ?? 3000);
const webUrl = env.WEB_URL ?? `http://localhost:${webPort}`;
const gatewayUrl = env.GATEWAY_URL ?? `http://localhost:${gatewayPort}`;
const simPort = Number(env.WA_SIM_PORT ?? 7900);

const children: Child[] = [];
let embedded: EmbeddedDatabase | undefined;
let stopSimulator: (() => Promise<void>) | undefined;
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log("\nstopping…");
    await stopChildren(children);
    await stopSimulator?.();
    await embedded?.stop();
  }
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

async function main() {
  const embeddedDefault = !env.DATABASE_URL;
  const appSecret = env.APP_SECRET ?? readOrCreateSecret(dataDir, "app-secret", randomSecret(48));

  let databaseUrl = env.DATABASE_URL ?? "";
  if (embeddedDefault) {
    embedded = await startEmbeddedDatabase({ dataDir: path.join(dataDir, "pg"), port: Number(env.PGLITE_PORT ?? 0) });
    databaseUrl = embedded.url;
    console.log(`database: embedded PGlite (data in .data/pg) at ${databaseUrl}`);
  } else {
    console.log("database: DATABASE_URL");
  }
  await runMigrations(databaseUrl);

  // On the embedded default the generated passwords are kept in .data so every start can print them.
  const superAdminEmail = env.SEED_SUPER_ADMIN_EMAIL ?? "admin@example.com";
  const superAdminPassword =
    env.SEED_SUPER_ADMIN_PASSWORD ||
    (embeddedDefault ? readOrCreateSecret(dataDir, "super-admin-password", randomSecret(12)) : undefined);
  const demoPassword =
    env.SEED_DEMO_PASSWORD || (embeddedDefault ? readOrCreateSecret(dataDir, "demo-password", randomSecret(12)) : undefined);
  const client = createDbClient(databaseUrl, { max: 2, applicationName: "wa-launcher" });
  let seeded: SeedResult;
  try {
    seeded = await seed(client.db, { superAdminEmail, superAdminPassword, demoPassword });
  } finally {
    await client.close();
  }

  let simulator: { wsUrl: string; httpUrl: string } | undefined;
  if (flags.demo) {
    const { startSimulator } = await import("@wa/wa-sim");
    const sim = await startSimulator({ port: simPort });
    stopSimulator = sim.stop;
    simulator = { wsUrl: sim.url, httpUrl: sim.httpUrl };
    console.log(`simulator: ${sim.url} (control API ${sim.httpUrl}/sim/)`);
  }

  const childEnv: NodeJS.ProcessEnv = {
    ...env,
    DATABASE_URL: databaseUrl,
    APP_SECRET: appSecret,
    GATEWAY_PORT: String(gatewayPort),
    WEB_PORT: String(webPort),
    WEB_URL: webUrl,
    GATEWAY_URL: gatewayUrl,
    AUTH_JWKS_URL: env.AUTH_JWKS_URL ?? `${webUrl}/api/auth/jwks`,
    // A loopback WA_WS_URL is how the gateway knows it talks to the simulator (and offers simulateScan).
    ...(simulator ? { WA_WS_URL: simulator.wsUrl } : {}),
  };

  console.log("building the web console (cached after the first run)…");
  const build = startChild("build", "npx", ["turbo", "run", "build", "--filter=@wa/web", "--only", "--output-logs=errors-only"], childEnv, repoRoot);
  if ((await build.exited) !== 0) throw new Error("the web console failed to build (see [build] lines above)");

  const gateway = startChild("gateway", "npm", ["run", "start", "-w", "@wa/gateway"], childEnv, repoRoot);
  const web = startChild("web", "npm", ["run", "start", "-w", "@wa/web"], childEnv, repoRoot);
  children.push(gateway, web);
  for (const child of children) {
    void child.exited.then((code) => {
      if (!stopping) {
        console.error(`${child.name} exited with code ${code}; stopping everything`);
        void shutdown(1);
      }
    });
  }
  await Promise.all([
    waitForHttp(`http://127.0.0.1:${gatewayPort}/readyz`, gateway, 120_000),
    waitForHttp(`http://127.0.0.1:${webPort}/api/auth/jwks`, web, 120_000),
  ]);

  let demoLines: string[] = [];
  if (flags.demo && simulator) {
    const { pairDemoSessions } = await import("./demo.ts");
    demoLines = await pairDemoSessions({
      webUrl: `http://127.0.0.1:${webPort}`,
      gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
      simulatorUrl: simulator.httpUrl,
      demoPassword: demoPassword ?? "",
    });
  }

  const passwordFor = (email: string, known: string | undefined) =>
    known ??
    seeded.generatedPasswords.find((p) => p.email === email)?.password ??
    "(set on first run; see SEED_* in the README)";
  console.log(
    [
      "",
      "WhatsApp gateway is up",
      `  console   ${webUrl}`,
      `  gateway   ${gatewayUrl}  (tRPC /trpc, REST /api/v1, OpenAPI ${gatewayUrl}/api/v1/openapi.json)`,
      "",
      "Sign in to the console as",
      `  super admin  ${superAdminEmail} / ${passwordFor(superAdminEmail, superAdminPassword)}`,
      `  demo people  owner@acme.test, member@acme.test, owner@globex.test, member@globex.test / ${passwordFor("demo people (*.test)", demoPassword)}`,
      ...demoLines,
      "",
      "Ctrl-C stops everything.",
    ].join("\n"),
  );
}

main().catch(async (error: unknown) => {
  console.error(`start failed: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
});
