// The database a one-off command (db:migrate, db:seed, admin:grant, admin:password) works on: DATABASE_URL when
// set, else the embedded database of the checkout's data folder — through the running `npm start` when one holds
// the folder, else opened by the command itself (holding the folder's lock meanwhile).
import { fileURLToPath } from "node:url";
import path from "node:path";
import { openFolderDatabase } from "./embedded.ts";

/** `<repository>/.data`, where `npm start` keeps its data. */
export const defaultDataDir = fileURLToPath(new URL("../../../.data", import.meta.url));

export interface CommandDatabase {
  url: string;
  /** Where it is, in words, for the command's output. */
  where: string;
  /** The data folder: the embedded database's, and where generated passwords are kept in either mode. */
  dataDir: string;
  close: () => Promise<void>;
}

export interface CommandEnv {
  databaseUrl?: string;
  /** DATA_DIR, relative to `cwd` (where the command was typed: npm's INIT_CWD). */
  dataDir?: string;
  cwd?: string;
}

export async function openCommandDatabase(env: CommandEnv): Promise<CommandDatabase> {
  const dataDir = env.dataDir ? path.resolve(env.cwd ?? process.cwd(), env.dataDir) : defaultDataDir;
  if (env.databaseUrl) return { url: env.databaseUrl, where: "DATABASE_URL", dataDir, close: async () => {} };
  const opened = await openFolderDatabase(dataDir);
  const shown = path.relative(process.cwd(), dataDir) || ".";
  return {
    url: opened.url,
    where: opened.mode === "running" ? `the embedded database of ${shown} (through the running npm start)` : `the embedded database of ${shown}`,
    dataDir,
    close: opened.close,
  };
}
