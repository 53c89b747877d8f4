// `npm run db:migrate`: apply the committed migrations to DATABASE_URL.
import { runMigrations } from "../migrate.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("db:migrate: DATABASE_URL is not set (npm start sets it for the embedded database)");
  process.exit(1);
}
await runMigrations(url);
console.log("migrations applied");
