// The embedded default database: PGlite served over the Postgres wire protocol, so every client uses postgres.js.
import { mkdirSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketHandler } from "@electric-sql/pglite-socket";
import { GroupingQueryQueue } from "./embedded-queue.ts";

export interface EmbeddedDatabase {
  url: string;
  stop: () => Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  /** Directory for the data files; omit for an in-memory database (tests). */
  dataDir?: string;
  /** 0 picks a free port. */
  port?: number;
}

type QueueOption = ConstructorParameters<typeof PGLiteSocketHandler>[0]["queryQueue"];

/**
 * pglite-socket's handler does the wire framing (startup, SSL refusal, cancel, message boundaries); our queue
 * decides what runs when (see embedded-queue.ts), so concurrent connections from several processes are safe.
 */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions = {}): Promise<EmbeddedDatabase> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const pglite = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  // The queue implements the handler's queue interface; the class type only differs in private members.
  const queue = new GroupingQueryQueue(pglite) as unknown as QueueOption;
  const handlers = new Set<PGLiteSocketHandler>();
  const server: Server = createServer((socket: Socket) => {
    const handler = new PGLiteSocketHandler({ queryQueue: queue, closeOnDetach: true });
    handlers.add(handler);
    socket.on("close", () => handlers.delete(handler));
    void handler.attach(socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  // Named prepared statements would pile up in the single shared backend; unnamed ones cost nothing here.
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable&prepare=false`;
  return {
    url,
    stop: async () => {
      await Promise.all([...handlers].map((h) => h.detach(true)));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pglite.close();
    },
  };
}
