// `npm run admin:grant -- <email> [--revoke]`: grants (or revokes) the platform super_admin role, on DATABASE_URL
// or on the embedded database of ./.data (whether `npm start` is running or not).
import os from "node:os";
import { parseArgs } from "node:util";
import { createDbClient } from "@wa/db/client";
import { openCommandDatabase } from "@wa/db/embedded";
import { grantSuperAdmin } from "./grant-super-admin.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { revoke: { type: "boolean", default: false } },
});
const email = positionals[0];
if (!email || positionals.length > 1) {
  console.error("usage: npm run admin:grant -- <email> [--revoke]");
  process.exit(2);
}
const database = await openCommandDatabase({
  databaseUrl: process.env.DATABASE_URL,
  dataDir: process.env.DATA_DIR,
  cwd: process.env.INIT_CWD,
});
const client = createDbClient(database.url, { max: 1, applicationName: "wa-admin-grant" });
try {
  const operator = `${os.userInfo().username}@${os.hostname()}`;
  const user = await grantSuperAdmin(client.db, { email, revoke: values.revoke ?? false, operator });
  if (!user) {
    console.error(`admin:grant: no account with email ${email}`);
    process.exitCode = 1;
  } else {
    console.log(
      values.revoke
        ? `${user.email} is no longer a super admin (takes effect on the next token, within 5 minutes)`
        : `${user.email} is now a super admin (takes effect on the next token)`,
    );
  }
} finally {
  await client.close();
  await database.close();
}
