// The embedded default database: PGlite served over the Postgres wire protocol, so every client uses postgres.js.
//
// With a data folder, the folder is locked first (one owner, see embedded-lock.ts), made private, and the server
// asks for the password kept in the folder; then PGlite opens `folder/pg`.
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { PGLiteSocketHandler } from "@electric-sql/pglite-socket";
import {
  DATABASE_PASSWORD_FILE,
  embeddedDatabaseUrl,
  makePrivate,
  randomSecret,
  readOrCreateSecretFile,
} from "./embedded-folder.ts";
import { acquireFolderLock, readFolderLock, type FolderLock } from "./embedded-lock.ts";
import { GroupingQueryQueue } from "./embedded-queue.ts";

export { acquireFolderLock, readFolderLock, FolderBusyError, type FolderLock, type LockInfo } from "./embedded-lock.ts";
export { keepPassword, keptPasswords, makePrivate, randomSecret, readOrCreateSecretFile } from "./embedded-folder.ts";

export interface EmbeddedDatabase {
  url: string;
  port: number;
  /** The folder's lock (null for an in-memory database). */
  lock: FolderLock | null;
  stop: () => Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  /** The private data folder (database files in `pg/`, password, lock); omit for an in-memory database (tests). */
  dataDir?: string;
  /** The folder's lock when the caller took it already; otherwise it is taken here (and released on stop). */
  lock?: FolderLock;
  /** 0 picks a free port. */
  port?: number;
}

type QueueOption = ConstructorParameters<typeof PGLiteSocketHandler>[0]["queryQueue"];

/**
 * pglite-socket's handler does the wire framing (startup, SSL refusal, cancel, message boundaries); our queue
 * decides what runs when (see embedded-queue.ts), so concurrent connections from several processes are safe.
 */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions = {}): Promise<EmbeddedDatabase> {
  const folder = options.dataDir;
  let lock: FolderLock | null = null;
  let ownsLock = false;
  let password = randomSecret(24)();
  if (folder) {
    lock = options.lock ?? acquireFolderLock(folder);
    ownsLock = !options.lock;
    // Files this process creates from now on are its owner's only (PGlite's own need makePrivate, see there).
    process.umask(0o077);
    makePrivate(folder);
    password = readOrCreateSecretFile(folder, DATABASE_PASSWORD_FILE, randomSecret(24));
  }
  let pglite: PGlite;
  try {
    // pg_trgm: the session search's substring index (migrations run `create extension pg_trgm` on both servers).
    const extensions = { pg_trgm };
    pglite = await PGlite.create(folder ? { dataDir: path.join(folder, "pg"), extensions } : { extensions });
  } catch (error) {
    if (ownsLock) lock?.release();
    throw new Error(`the embedded database in ${folder ?? "memory"} could not be opened: ${errorText(error)}`);
  }
  // The queue implements the handler's queue interface; the class type only differs in private members.
  const queue = new GroupingQueryQueue(pglite, password) as unknown as QueueOption;
  const handlers = new Set<PGLiteSocketHandler>();
  const server: Server = createServer((socket: Socket) => {
    const handler = new PGLiteSocketHandler({ queryQueue: queue, closeOnDetach: true });
    handlers.add(handler);
    socket.on("close", () => handlers.delete(handler));
    void handler.attach(socket).catch(() => socket.destroy());
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
    });
  } catch (error) {
    await pglite.close();
    if (ownsLock) lock?.release();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  lock?.update({ database: port });
  return {
    url: embeddedDatabaseUrl(port, password),
    port,
    lock,
    stop: async () => {
      await Promise.all([...handlers].map((h) => h.detach(true)));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pglite.close();
      if (folder) makePrivate(folder);
      if (ownsLock) lock?.release();
    },
  };
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export interface FolderDatabase {
  url: string;
  /** "running": reached through the `npm start` that holds the folder; "opened": opened here. */
  mode: "running" | "opened";
  close: () => Promise<void>;
}

/**
 * The embedded database of `folder` for a one-off command: through the running owner's port when the folder
 * is held (the password is in the folder), else opened here (taking the lock for the command's duration).
 */
export async function openFolderDatabase(folder: string): Promise<FolderDatabase> {
  const holder = readFolderLock(folder);
  const port = holder?.ports.database;
  if (holder && port !== undefined) {
    const password = readOrCreateSecretFile(folder, DATABASE_PASSWORD_FILE, () => {
      throw new Error(`${folder} is held by pid ${holder.pid} but has no ${DATABASE_PASSWORD_FILE}`);
    });
    return { url: embeddedDatabaseUrl(port, password), mode: "running", close: async () => {} };
  }
  const embedded = await startEmbeddedDatabase({ dataDir: folder });
  return { url: embedded.url, mode: "opened", close: embedded.stop };
}

export { defaultDataDir, openCommandDatabase, type CommandDatabase } from "./embedded-command.ts";
