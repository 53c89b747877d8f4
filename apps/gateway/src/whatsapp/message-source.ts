// The sending side of a live Baileys socket as messaging sees it (messaging/types.ts): texts sent with the id we
// chose and awaited until WhatsApp's server acknowledges them, chat presence, read receipts.
import type { ChatPresenceState } from "@wa/db/contract";
import { generateMessageIDV2, proto, type BinaryNode, type WAMessage, type WASocket } from "@whiskeysockets/baileys";
import { SendFailure, type MessageSource, type OutgoingText, type ReadKey } from "../messaging/types.ts";

/** How long a send waits for the server's ack before its outcome counts as unknown. */
const ACK_TIMEOUT_MS = 20_000;

interface AckWaiter {
  resolve: (timestamp: number) => void;
  reject: (error: SendFailure) => void;
}

/** The server's `<ack class="message" id=…>` for each send, matched by id (Baileys itself only reports bad acks). */
class AckWatch {
  private readonly waiters = new Map<string, AckWaiter>();
  constructor(sock: WASocket, signal: AbortSignal) {
    const onAck = (node: BinaryNode) => {
      const id = node.attrs.id;
      const waiter = id ? this.waiters.get(id) : undefined;
      if (!id || !waiter) return;
      this.waiters.delete(id);
      if (node.attrs.error) waiter.reject(new SendFailure("refused", `WhatsApp refused the message (error ${node.attrs.error})`));
      else waiter.resolve(node.attrs.t ? Number(node.attrs.t) * 1000 : Date.now());
    };
    sock.ws.on("CB:ack,class:message", onAck);
    signal.addEventListener(
      "abort",
      () => {
        sock.ws.off("CB:ack,class:message", onAck);
        for (const waiter of this.waiters.values()) {
          waiter.reject(new SendFailure("unknown", "the connection closed before WhatsApp acknowledged the message"));
        }
        this.waiters.clear();
      },
      { once: true },
    );
  }

  wait(id: string): { done: Promise<number>; cancel: () => void } {
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<number>((resolve, reject) => {
      this.waiters.set(id, { resolve, reject });
      timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new SendFailure("unknown", `WhatsApp did not acknowledge the message within ${ACK_TIMEOUT_MS / 1000} s`));
      }, ACK_TIMEOUT_MS);
    }).finally(() => clearTimeout(timer));
    // The ack can come (a refusal too) while sendMessage is still being awaited, before anyone awaits `done`: an
    // unhandled rejection then, which would end the process. The sender still sees it when it awaits `done`.
    done.catch(() => undefined);
    return { done, cancel: () => this.waiters.delete(id) };
  }
}

const acks = new WeakMap<WASocket, AckWatch>();

/**
 * Per socket, the ids of messages already stored that its `messages.upsert` will repeat (inbound.ts skips those).
 * A send adds its id: its row was written before it went out, and Baileys echoes our own sends as upserts — storing
 * the echo would cost a transaction per message only to find the duplicate.
 */
export const storedAheadBySocket = new WeakMap<WASocket, Set<string>>();

export function socketMessageSource(sock: WASocket, signal: AbortSignal): MessageSource {
  let watch = acks.get(sock);
  if (!watch) {
    watch = new AckWatch(sock, signal);
    acks.set(sock, watch);
  }
  const ackWatch = watch;
  return {
    newMessageId: () => generateMessageIDV2(sock.user?.id),

    async sendText(m: OutgoingText) {
      if (signal.aborted) throw new SendFailure("not-sent", "the connection closed before the message was sent");
      const quoted: WAMessage | undefined = m.quoted
        ? {
            key: {
              remoteJid: m.chatJid,
              fromMe: m.quoted.fromMe,
              id: m.quoted.waMessageId,
              ...(m.quoted.senderJid && m.chatJid.endsWith("@g.us") ? { participant: m.quoted.senderJid } : {}),
            },
            message: { conversation: m.quoted.body ?? "" },
          }
        : undefined;
      const ack = ackWatch.wait(m.waMessageId);
      const storedAhead = storedAheadBySocket.get(sock);
      storedAhead?.add(m.waMessageId);
      try {
        await sock.sendMessage(
          m.chatJid,
          { text: m.text, ...(m.mentions.length ? { mentions: m.mentions } : {}) },
          { messageId: m.waMessageId, ...(quoted ? { quoted } : {}) },
        );
      } catch (err) {
        ack.cancel();
        storedAhead?.delete(m.waMessageId);
        const reason = err instanceof Error ? err.message : String(err);
        // Nothing was written to the socket when it is already closed; otherwise the outcome is unknown.
        const closed = signal.aborted || /closed|not open|Connection Closed/i.test(reason);
        throw new SendFailure(closed ? "not-sent" : "refused", `sending failed: ${reason}`);
      }
      return { timestamp: await ack.done };
    },

    async sendPresence(chatJid: string, state: ChatPresenceState) {
      await sock.sendPresenceUpdate(state, chatJid);
    },

    async sendReadReceipts(keys: readonly ReadKey[]) {
      if (keys.length === 0) return;
      await sock.readMessages(
        keys.map((k) => ({ remoteJid: k.chatJid, id: k.waMessageId, fromMe: false, ...(k.participant ? { participant: k.participant } : {}) })),
      );
    },
  };
}

/** Baileys' numeric receipt status as ours. */
export function receiptStatus(status: number | null | undefined): "sent" | "delivered" | "read" | "played" | "failed" | null {
  switch (status) {
    case proto.WebMessageInfo.Status.SERVER_ACK:
      return "sent";
    case proto.WebMessageInfo.Status.DELIVERY_ACK:
      return "delivered";
    case proto.WebMessageInfo.Status.READ:
      return "read";
    case proto.WebMessageInfo.Status.PLAYED:
      return "played";
    case proto.WebMessageInfo.Status.ERROR:
      return "failed";
    default:
      return null;
  }
}
