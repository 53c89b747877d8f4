// `npm run admin:grant -- <email> [--revoke]`: grants (or revokes) the platform super_admin role.
import { parseArgs } from "node:util";
import { createDbClient } from "@wa/db/client";
import { findUserByEmail, setPlatformRole } from "@wa/db/queries";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { revoke: { type: "boolean", default: false } },
});
const email = positionals[0];
if (!email || positionals.length > 1) {
  console.error("usage: npm run admin:grant -- <email> [--revoke]");
  process.exit(2);
}
const url = process.env.DATABASE_URL;
if (!url) {
  console.error("admin:grant: DATABASE_URL is not set");
  process.exit(2);
}

const client = createDbClient(url, { max: 1, applicationName: "wa-admin-grant" });
try {
  const user = await findUserByEmail(client.db, email);
  if (!user) {
    console.error(`admin:grant: no account with email ${email}`);
    process.exitCode = 1;
  } else {
    await setPlatformRole(client.db, email, values.revoke ? null : "super_admin");
    console.log(
      values.revoke
        ? `${user.email} is no longer a super admin (takes effect on the next token, within 5 minutes)`
        : `${user.email} is now a super admin (takes effect on the next token)`,
    );
  }
} finally {
  await client.close();
}
