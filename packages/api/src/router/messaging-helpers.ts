// What the messages and chats routers share: their cursors, the recipient rule, and the gateway's messaging port.
import { decodeKeyCursor } from "@wa/db/queries";
import { fail } from "../errors.ts";
import type { GatewayPorts, MessagingService } from "../ports.ts";
import { jidPattern, toRule } from "../schemas/messages.ts";

/** A keyset cursor of a messages or chats page, or a 400 naming the field. */
export function parseKeyCursor(cursor: string | undefined) {
  if (cursor === undefined || cursor === "") return null;
  const decoded = decodeKeyCursor(cursor);
  if (!decoded) throw fail("validation_error", "invalid cursor", { errors: [{ path: "cursor", message: "invalid cursor" }] });
  return decoded;
}

/** The chat JID a `to` names: a JID as given (device part dropped), digits as a phone-number JID. */
export function recipientJid(to: string): string {
  const digits = /^\+?(\d{6,15})$/.exec(to)?.[1];
  if (digits) return `${digits}@s.whatsapp.net`;
  if (!jidPattern.test(to)) throw fail("validation_error", "invalid input", { errors: [{ path: "to", message: toRule }] });
  return to.replace(/:\d{1,3}@s\.whatsapp\.net$/, "@s.whatsapp.net");
}

/** The gateway's messaging; where this process holds no WhatsApp connections, no session is working here (409). */
export function messagingOf(ports: GatewayPorts): MessagingService {
  if (!ports.messaging) throw fail("conflict", "session is not working (this gateway holds no WhatsApp connections)");
  return ports.messaging;
}
