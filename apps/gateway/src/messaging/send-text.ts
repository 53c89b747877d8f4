// One outbound text through a live connection, as both the sync path and the queue send it: "typing…" first when
// the session wants it, then the text with its stored WhatsApp id, then the presence back to paused.
import type { Database } from "@wa/db";
import { getMessage, type WaMessage } from "@wa/db/queries";
import type pino from "pino";
import { typingDurationMs } from "./typing.ts";
import { SendFailure, type MessageSource } from "./types.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function sendStoredText(
  deps: { db: Database; logger: pino.Logger },
  source: MessageSource,
  message: WaMessage,
  opts: { presenceTyping: boolean },
): Promise<{ timestamp: number }> {
  const typing = opts.presenceTyping && message.body !== null;
  let quoted: WaMessage | null;
  try {
    quoted = message.quotedMessageId ? await getMessage(deps.db, message.sessionId, message.quotedMessageId) : null;
    if (typing) {
      await source.sendPresence(message.chatJid, "composing");
      await sleep(typingDurationMs(message.body ?? ""));
    }
  } catch (err) {
    // Nothing has left yet (a dropped socket while "typing…", the database away): the message goes back in the queue.
    throw new SendFailure("not-sent", `not sent yet: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return await source.sendText({
      chatJid: message.chatJid,
      text: message.body ?? "",
      waMessageId: message.waMessageId ?? source.newMessageId(),
      mentions: message.mentions,
      quoted: quoted
        ? { waMessageId: quoted.waMessageId ?? "", fromMe: quoted.fromMe, senderJid: quoted.senderJid, body: quoted.body }
        : message.quotedMessageId
          ? { waMessageId: message.quotedMessageId, fromMe: false, senderJid: null, body: null }
          : null,
    });
  } finally {
    if (typing) {
      await source.sendPresence(message.chatJid, "paused").catch((err: unknown) =>
        deps.logger.debug({ err: err instanceof Error ? err.message : String(err) }, "presence paused not sent"),
      );
    }
  }
}
