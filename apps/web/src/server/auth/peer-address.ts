// Stamps every incoming request with its TCP peer address (PEER_ADDRESS_HEADER), replacing any value the client
// sent. Next.js gives route handlers no socket, so this runs in the server process through Node's
// `http.server.request.start` diagnostics channel, which fires before the server's "request" handler.
import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { PEER_ADDRESS_HEADER } from "./client-address.ts";

const holder = globalThis as typeof globalThis & { __waPeerStamp?: true };

export function stampPeerAddress(request: IncomingMessage, socket: Socket): void {
  const peer = socket.remoteAddress;
  if (peer) request.headers[PEER_ADDRESS_HEADER] = peer;
  else delete request.headers[PEER_ADDRESS_HEADER];
}

/** Installs the stamp once per process (instrumentation's register may run more than once in dev). */
export function installPeerAddressStamp(): void {
  if (holder.__waPeerStamp) return;
  holder.__waPeerStamp = true;
  subscribe("http.server.request.start", (message) => {
    const { request, socket } = message as { request: IncomingMessage; socket: Socket };
    stampPeerAddress(request, socket);
  });
}
