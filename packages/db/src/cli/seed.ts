// `npm run db:seed [-- --sessions N --orgs M]`: idempotent seed of DATABASE_URL.
import { parseArgs } from "node:util";
import { createDbClient } from "../client.ts";
import { runMigrations } from "../migrate.ts";
import { countRows, seed } from "../seed.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("db:seed: DATABASE_URL is not set (npm start sets it for the embedded database)");
  process.exit(1);
}
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

await runMigrations(url);
const client = createDbClient(url, { max: 2, applicationName: "wa-seed" });
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
    console.log(`generated password for ${email}: ${password}  (shown once)`);
  }
  const counts = await countRows(client.db);
  console.log(
    `seeded in ${Date.now() - started} ms: ${result.createdUsers} new people, ${result.syntheticSessions} new synthetic sessions; ` +
      `now ${counts.users} users, ${counts.organizations} organizations, ${counts.sessions} sessions`,
  );
} finally {
  await client.close();
}
