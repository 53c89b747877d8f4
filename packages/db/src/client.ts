// The one way to a database: postgres.js with DATABASE_URL, wrapped by drizzle with snake_case column names.
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema/index.ts";

export type Schema = typeof schema;
export type Database = PostgresJsDatabase<Schema>;
/** A database or a transaction: query functions accept either. */
export type Executor = Pick<Database, "select" | "insert" | "update" | "delete" | "execute" | "transaction">;

export interface DbClient {
  db: Database;
  sql: postgres.Sql;
  /** The URL it connects to (present when made by createDbClient), for a dedicated companion connection. */
  url?: string;
  close: () => Promise<void>;
}

export interface DbClientOptions {
  /** Pool size; default 10. */
  max?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
  /** Give up opening a connection after this many seconds (default 5; postgres.js' own is 30). */
  connectTimeoutSeconds?: number;
  /**
   * Called whenever one of the pool's connections closes (the server went away or ended it, a failed connection
   * attempt, its lifetime ran out, or `close()`).
   */
  onConnectionClosed?: () => void;
}

export function createDbClient(url: string, options: DbClientOptions = {}): DbClient {
  // `max` and `connect_timeout` in the URL's query (libpq style) replace the defaults below, not a caller's explicit
  // choice: a loaded host can be given a longer connect timeout or a smaller pool without a code change.
  const query = new URL(url).searchParams;
  const fromUrl = (name: string) => (query.has(name) ? Number(query.get(name)) : undefined);
  const sql = postgres(url, {
    max: options.max ?? fromUrl("max") ?? 10,
    onnotice: () => {},
    // An unreachable server must fail a call quickly (503), not hold it for postgres.js' default 30 s.
    connect_timeout: options.connectTimeoutSeconds ?? fromUrl("connect_timeout") ?? 5,
    connection: { application_name: options.applicationName ?? "wa" },
    ...(options.onConnectionClosed ? { onclose: options.onConnectionClosed } : {}),
  });
  const db = drizzle(sql, { schema, casing: "snake_case" });
  return { db, sql, url, close: () => sql.end({ timeout: 5 }) };
}
