// `npm run db:migrate`: apply the committed migrations to DATABASE_URL, or to the embedded database of ./.data.
import { openCommandDatabase } from "../embedded.ts";
import { runMigrations } from "../migrate.ts";

const database = await openCommandDatabase({
  databaseUrl: process.env.DATABASE_URL,
  dataDir: process.env.DATA_DIR,
  cwd: process.env.INIT_CWD,
});
try {
  await runMigrations(database.url);
  console.log(`migrations applied to ${database.where}`);
} finally {
  await database.close();
}
