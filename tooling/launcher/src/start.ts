// `npm start` / `npm run demo`: the whole product on one machine. The data folder is locked first (one owner),
// then the embedded PGlite (unless DATABASE_URL is set), migrations, first-run seed, and the stack (gateway, web
// console; `--demo` adds the WhatsApp simulator and a few sessions paired through the public API).
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import path from "node:path";
import { createDbClient, runMigrations, seed } from "@wa/db";
import {
  acquireFolderLock,
  FolderBusyError,
  keepPassword,
  keptPasswords,
  makePrivate,
  randomSecret,
  readOrCreateSecretFile,
  startEmbeddedDatabase,
  type EmbeddedDatabase,
  type FolderLock,
} from "@wa/db/embedded";
import { checkDatabaseUrl, DatabaseUrlError } from "./database-check.ts";
import { readLauncherEnv, type LauncherEnv } from "./env.ts";
import { repoRoot } from "./paths.ts";
import { startChild } from "./processes.ts";
import { PortInUseError, requireFreePort, startStack, type Stack } from "./stack.ts";

const { values: flags } = parseArgs({
  options: { demo: { type: "boolean", default: false }, gateways: { type: "string", default: "1" } },
});
/** `--gateways N`: N gateway processes over one database (several gateways, see the contract). */
const gatewayCount = Math.max(1, Math.min(16, Number.parseInt(flags.gateways, 10) || 1));
const DEMO_PEOPLE = "demo people (*.test)";

// Files this process creates (secrets, database files) are its user's only.
process.umask(0o077);
// A closed terminal must not crash the shutdown with EPIPE.
process.stdout.on("error", () => {});
process.stderr.on("error", () => {});

let lock: FolderLock | undefined;
let embedded: EmbeddedDatabase | undefined;
let stack: Stack | undefined;
let stopping = false;

async function shutdown(code: number, why?: string): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (why) console.log(`\n${why}: stopping…`);
    await stack?.stop();
    await embedded?.stop().catch((error: unknown) => console.error(`database stop failed: ${String(error)}`));
    lock?.release();
  }
  process.exit(code);
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void shutdown(0, signal));
// npm does not pass every signal on, and a parent killed outright passes none: when this process is handed to
// another parent, whoever started it is gone, so everything stops.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void shutdown(0, `parent process ${parentPid} ended`);
}, 500).unref();

async function main(env: LauncherEnv) {
  const folder = flags.demo ? path.join(env.dataDir, "demo") : env.dataDir;
  const shownFolder = path.relative(process.cwd(), folder) || ".";
  lock = acquireFolderLock(folder);
  makePrivate(folder);
  // Before anything slow: a taken port is said at once, with the variable that moves it.
  await requireFreePort(env.gatewayPort, "GATEWAY_PORT");
  await requireFreePort(env.webPort, "WEB_PORT");
  if (flags.demo) await requireFreePort(env.simPort, "WA_SIM_PORT");

  const appSecret = env.appSecret ?? readOrCreateSecretFile(folder, "app-secret", randomSecret(48));

  let databaseUrl: string;
  if (env.databaseUrl) {
    await checkDatabaseUrl(env.databaseUrl);
    databaseUrl = env.databaseUrl;
    console.log("database: DATABASE_URL");
  } else {
    embedded = await startEmbeddedDatabase({ dataDir: folder, lock, port: env.pglitePort });
    databaseUrl = embedded.url;
    console.log(`database: embedded PGlite (data in ${shownFolder}/pg, port ${embedded.port}, password in ${shownFolder}/pg-password)`);
  }
  await runMigrations(databaseUrl);
  const passwords = await seedAccounts(env, folder, databaseUrl);

  console.log("building the web console (cached after the first run)…");
  const build = startChild("build", "npx", ["turbo", "run", "build", "--filter=@wa/web", "--only", "--output-logs=errors-only"], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: databaseUrl, APP_SECRET: appSecret },
  });
  if ((await build.exited) !== 0) throw new Error("the web console failed to build (see [build] lines above)");

  stack = await startStack({
    databaseUrl,
    appSecret,
    gatewayPort: env.gatewayPort,
    webPort: env.webPort,
    webUrl: env.webUrl ?? `http://localhost:${env.webPort}`,
    gatewayUrl: env.gatewayUrl ?? `http://localhost:${env.gatewayPort}`,
    simulator: flags.demo ? { port: env.simPort, stateDir: path.join(folder, "sim"), logLevel: "info" } : false,
    output: "prefix",
    gateways: gatewayCount,
  });
  lock.update({
    gateway: env.gatewayPort,
    web: env.webPort,
    ...(stack.simulator ? { simulator: stack.simulator.port } : {}),
  });
  for (const child of stack.children) {
    void child.exited.then((code) => {
      if (!stopping) void shutdown(1, `${child.name} exited with code ${code}`);
    });
  }

  let demoLines: string[] = [];
  if (flags.demo && stack.simulator) {
    const { pairDemoSessions } = await import("./demo.ts");
    demoLines = await pairDemoSessions({
      webUrl: stack.local.webUrl,
      gatewayUrl: stack.local.gatewayUrl,
      simulatorUrl: stack.simulator.httpUrl,
      demoPassword: passwords.demo.value ?? "",
    });
  }

  const shown = ({ value, source }: ShownPassword) =>
    source === "operator" ? "(the password you set in SEED_*)" : (value ?? "(set when the account was created; npm run admin:password -- <email> sets a new one)");
  console.log(
    [
      "",
      `WhatsApp gateway is up${flags.demo ? " (demo: data in " + shownFolder + ")" : ""}`,
      `  console   ${stack.webUrl}`,
      `  gateway   ${stack.gatewayUrl}  (tRPC /trpc, REST /api/v1, OpenAPI ${stack.gatewayUrl}/api/v1/openapi.json)`,
      ...stack.extraGateways.map((g) => `  gateway   ${g.url}  (${g.id}, pid ${g.child.pid}; the console talks to gw-local-1, which forwards)`),
      "",
      "Sign in to the console as",
      `  super admin  ${env.superAdminEmail} / ${shown(passwords.superAdmin)}`,
      `  demo people  owner@acme.test, member@acme.test, owner@globex.test, member@globex.test / ${shown(passwords.demo)}`,
      ...(passwords.demo.source === "generated" || passwords.superAdmin.source === "generated"
        ? [`  (generated passwords are kept in ${shownFolder}/generated-passwords.json, readable only by you)`]
        : []),
      ...demoLines,
      "",
      `Ctrl-C (or kill ${process.pid}) stops everything.`,
    ].join("\n"),
  );
}

interface ShownPassword {
  value: string | undefined;
  /** "operator": from SEED_* (never printed); "generated": generated here, now or on an earlier start. */
  source: "operator" | "generated" | "unknown";
}

/**
 * Seeds the accounts. Passwords generated here are kept in the folder (0600) in both database modes, so every
 * start can show them; passwords the operator supplied through SEED_* are used but never printed.
 */
async function seedAccounts(env: LauncherEnv, folder: string, databaseUrl: string) {
  const kept = keptPasswords(folder);
  // Earlier versions kept one file per password; their values are still the accounts' passwords.
  const legacy = (name: string) => {
    const file = path.join(folder, name);
    return existsSync(file) ? readFileSync(file, "utf8").trim() || undefined : undefined;
  };
  const keptSuperAdmin = kept[env.superAdminEmail.toLowerCase()] ?? legacy("super-admin-password");
  const keptDemo = kept[DEMO_PEOPLE] ?? legacy("demo-password");
  const client = createDbClient(databaseUrl, { max: 2, applicationName: "wa-launcher" });
  try {
    const result = await seed(client.db, {
      superAdminEmail: env.superAdminEmail,
      superAdminPassword: env.superAdminPassword ?? keptSuperAdmin,
      demoPassword: env.demoPassword ?? keptDemo,
    });
    for (const { email, password } of result.generatedPasswords) keepPassword(folder, email, password);
    const generated = (account: string) => result.generatedPasswords.find((p) => p.email === account)?.password;
    const pick = (operator: string | undefined, keptValue: string | undefined, account: string): ShownPassword =>
      operator
        ? { value: operator, source: "operator" }
        : keptValue || generated(account)
          ? { value: keptValue ?? generated(account), source: "generated" }
          : { value: undefined, source: "unknown" };
    return {
      superAdmin: pick(env.superAdminPassword, keptSuperAdmin, env.superAdminEmail.toLowerCase()),
      demo: pick(env.demoPassword, keptDemo, DEMO_PEOPLE),
    };
  } finally {
    await client.close();
  }
}

function startFailure(error: unknown): string {
  if (error instanceof FolderBusyError) {
    return `${error.message}. Stop it first (kill ${error.holder.pid}), or give this one its own DATA_DIR.`;
  }
  if (error instanceof DatabaseUrlError || error instanceof PortInUseError) return error.message;
  return `start failed: ${error instanceof Error ? error.message : String(error)}`;
}

let env: LauncherEnv;
try {
  env = readLauncherEnv();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}
main(env).catch(async (error: unknown) => {
  console.error(startFailure(error));
  await shutdown(1);
});
