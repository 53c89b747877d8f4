// The web app's one database client, kept on globalThis so dev hot reloads do not open a new pool each time.
import { createDbClient, type DbClient } from "@wa/db/client";
import { env } from "../env.ts";

const holder = globalThis as typeof globalThis & { __waWebDb?: DbClient };

export function dbClient(): DbClient {
  holder.__waWebDb ??= createDbClient(env().DATABASE_URL, { max: 10, applicationName: "wa-web" });
  return holder.__waWebDb;
}

export const db = () => dbClient().db;
