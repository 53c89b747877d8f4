// `npm run db:seed [-- --sessions N --orgs M]`: idempotent seed of DATABASE_URL, or of the embedded database of
// ./.data (whether `npm start` is running or not).
import { parseArgs } from "node:util";
import { createDbClient } from "../client.ts";
import { keepPassword, openCommandDatabase } from "../embedded.ts";
import { runMigrations } from "../migrate.ts";
import { countRows, seed } from "../seed.ts";
const { values } = parseArgs({
  options: { sessions: { type: "string" }, orgs: { type: "string" }, gateways: { type: "string" } },
});
const toCount = (name: string, value: string | undefined) => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`db:seed: --${name} must be a whole number, got "${value}"`);
    process.exit(1);
  }
  return n;
};

const database = await openCommandDatabase({
  databaseUrl: process.env.DATABASE_URL,
  dataDir: process.env.DATA_DIR,
  cwd: process.env.INIT_CWD,
});
await runMigrations(database.url);
const client = createDbClient(database.url, { max: 2, applicationName: "wa-seed" });
const started = Date.now();
try {
  const result = await seed(client.db, {
    superAdminEmail: process.env.SEED_SUPER_ADMIN_EMAIL ?? "admin@example.com",
    superAdminPassword: process.env.SEED_SUPER_ADMIN_PASSWORD || undefined,
    demoPassword: process.env.SEED_DEMO_PASSWORD || undefined,
    sessions: toCount("sessions", values.sessions),
    orgs: toCount("orgs", values.orgs),
    gatewayIds: values.gateways?.split(",").filter(Boolean),
  });
  for (const { email, password } of result.generatedPasswords) {
    keepPassword(database.dataDir, email, password);
    console.log(`generated password for ${email}: ${password}  (kept in ${database.dataDir}/generated-passwords.json)`);
  }
  const counts = await countRows(client.db);
  console.log(
    `seeded in ${Date.now() - started} ms: ${result.createdUsers} new people, ${result.syntheticSessions} new synthetic sessions; ` +
      `now ${counts.users} users, ${counts.organizations} organizations, ${counts.sessions} sessions`,
  );
} finally {
  await client.close();
  await database.close();
}
