// A fresh PostgreSQL database per benchmark run, migrated, dropped at the end (also when the benchmark fails).
import postgres from "postgres";
import { createDbClient, runMigrations, type DbClient } from "@wa/db";
import { onCleanup } from "./processes.ts";

export interface BenchDatabase extends DbClient {
  url: string;
  version: string;
  drop: () => Promise<void>;
}

export async function createBenchDatabase(label: string): Promise<BenchDatabase> {
  const serverUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  let version: string;
  try {
    const [row] = await admin<{ v: string }[]>`select current_setting('server_version') as v`;
    version = `PostgreSQL ${row?.v ?? "?"}`;
  } catch (error) {
    await admin.end();
    throw new Error(
      `benchmarks need a real PostgreSQL at ${serverUrl.replace(/\/\/[^@]*@/, "//")} (set BENCH_DATABASE_URL): ${String(error)}`,
    );
  }
  const name = `wa_bench_${label}_${Date.now().toString(36)}`;
  await admin.unsafe(`create database "${name}"`);
  let client: DbClient | null = null;
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await client?.close();
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  };
  // Registered before anything else of the benchmark, so it runs last: after the servers using the database stopped.
  onCleanup(drop);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  client = createDbClient(url.toString(), { max: 8, applicationName: "wa-bench" });
  return { ...client, url: url.toString(), version, drop };
}
