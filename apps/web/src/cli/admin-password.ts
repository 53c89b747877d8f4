// `npm run admin:password -- <email>`: sets a new generated password for an account and prints it once, on
// DATABASE_URL or on the embedded database of ./.data (whether `npm start` is running or not). The account's
// signed-in web sessions end; the password is also kept in the data folder (0600) beside the other generated ones.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { and, eq, isNull } from "drizzle-orm";
import { createDbClient } from "@wa/db/client";
import { keepPassword, openCommandDatabase } from "@wa/db/embedded";
import { hashPassword } from "@wa/db/passwords";
import { normalizeEmail } from "@wa/db/queries";
import { users, webSessions } from "@wa/db/schema";

const { positionals } = parseArgs({ allowPositionals: true, options: {} });
const email = positionals[0];
if (!email || positionals.length > 1) {
  console.error("usage: npm run admin:password -- <email>");
  process.exit(2);
}

const database = await openCommandDatabase({
  databaseUrl: process.env.DATABASE_URL,
  dataDir: process.env.DATA_DIR,
  cwd: process.env.INIT_CWD,
});
const client = createDbClient(database.url, { max: 1, applicationName: "wa-admin-password" });
try {
  const password = randomBytes(12).toString("base64url");
  const passwordHash = await hashPassword(password);
  const changed = await client.db.transaction(async (tx) => {
    const [user] = await tx
      .update(users)
      .set({ passwordHash, updatedAt: new Date() })
      .where(eq(users.email, normalizeEmail(email)))
      .returning({ id: users.id, email: users.email });
    if (!user) return null;
    // Whoever signed in with the old password is signed out.
    await tx
      .update(webSessions)
      .set({ revokedAt: new Date() })
      .where(and(eq(webSessions.userId, user.id), isNull(webSessions.revokedAt)));
    return user;
  });
  if (!changed) {
    console.error(`admin:password: no account with email ${email} in ${database.where}`);
    process.exitCode = 1;
  } else {
    keepPassword(database.dataDir, changed.email, password);
    console.log(`new password for ${changed.email}: ${password}`);
    console.log(`(set in ${database.where}; kept in ${database.dataDir}/generated-passwords.json, readable only by you)`);
  }
} finally {
  await client.close();
  await database.close();
}
