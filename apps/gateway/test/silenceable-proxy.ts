// A TCP proxy in front of the database that a test can silence: the database host "stops answering" (packets go
// nowhere: no refusal, no reply) for the processes behind the proxy, while the shared PostgreSQL server and the
// test's own direct connection are never disturbed.
import { connect, createServer, type Server, type Socket } from "node:net";

export interface SilenceableProxy {
  port: number;
  /** `databaseUrl` with its host and port replaced by the proxy's. */
  urlFor(databaseUrl: string): string;
  /** From now on nothing gets through, in either direction; open connections stay open but carry nothing. */
  silence(): void;
  /** The host answers again: the silenced connections are dropped (clients see them close) and new ones forwarded. */
  restore(): void;
  close(): Promise<void>;
}

export async function startSilenceableProxy(target: { host: string; port: number }): Promise<SilenceableProxy> {
  let silent = false;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const server: Server = createServer((client) => {
    track(client);
    if (silent) return; // accepted, never read from, never answered
    const upstream = connect(target.port, target.host);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("proxy has no port");
  const port = address.port;
  return {
    port,
    urlFor(databaseUrl) {
      const url = new URL(databaseUrl);
      url.host = `127.0.0.1:${port}`;
      return url.toString();
    },
    silence() {
      silent = true;
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
    restore() {
      silent = false;
      for (const socket of sockets) socket.destroy();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
