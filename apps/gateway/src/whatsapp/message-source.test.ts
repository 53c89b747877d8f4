// The socket's message source marks each text it sends as stored ahead (its outbox row exists), so the echo Baileys
// emits as `messages.upsert` is not stored a second time; a send that fails unmarks it.
import { EventEmitter } from "node:events";
import type { BinaryNode, WASocket } from "@whiskeysockets/baileys";
import { describe, expect, it } from "vitest";
import type { MessageSink, ReceiptUpdate, ReceivedMessage } from "../messaging/types.ts";
import { attachMessageEvents } from "./inbound.ts";
import { socketMessageSource, storedAheadBySocket } from "./message-source.ts";

function fakeSocket(
  sendMessage: (jid: string, content: unknown, opts: { messageId: string }) => Promise<unknown>,
) {
  const ws = new EventEmitter();
  const ev = new EventEmitter();
  const sock = { ws, ev, user: { id: "6280000000001@s.whatsapp.net" }, sendMessage } as unknown as WASocket;
  return { sock, ws, ev };
}

const text = (waMessageId: string) => ({
  chatJid: "6280000000002@s.whatsapp.net",
  text: "hi",
  waMessageId,
  mentions: [],
  quoted: null,
});

describe("socketMessageSource", () => {
  it("a sent text's echo upsert is skipped; a failed send leaves nothing marked", async () => {
    const stored: ReceivedMessage[] = [];
    const receipts: ReceiptUpdate[] = [];
    const sink = {
      received: (_s: string, messages: readonly ReceivedMessage[]) => stored.push(...messages),
      receipts: (_s: string, updates: readonly ReceiptUpdate[]) => receipts.push(...updates),
    } as unknown as MessageSink;
    const { sock, ws, ev } = fakeSocket(async (jid, _content, { messageId }) => {
      if (messageId === "FAILS") throw new Error("boom");
      // As Baileys does with emitOwnEvents: the message comes back as an upsert, then the server acks it.
      ev.emit("messages.upsert", {
        type: "append",
        messages: [
          {
            key: { remoteJid: jid, fromMe: true, id: messageId },
            message: { conversation: "hi" },
            messageTimestamp: 1,
          },
        ],
      });
      setImmediate(() =>
        ws.emit("CB:ack,class:message", { tag: "ack", attrs: { id: messageId, t: "2" } } as BinaryNode),
      );
      return {};
    });
    const storedAhead = new Set<string>();
    storedAheadBySocket.set(sock, storedAhead);
    attachMessageEvents(ev as never, "s1", sink, storedAhead);
    const source = socketMessageSource(sock, new AbortController().signal);

    await expect(source.sendText(text("SENT1"))).resolves.toEqual({ timestamp: 2000 });
    expect(stored).toEqual([]);
    expect(storedAhead.size).toBe(0);

    await expect(source.sendText(text("FAILS"))).rejects.toThrow(/boom/);
    expect(storedAhead.size).toBe(0);

    // A message the account sent from another device is still stored.
    ev.emit("messages.upsert", {
      type: "notify",
      messages: [
        {
          key: { remoteJid: "6280000000002@s.whatsapp.net", fromMe: true, id: "PHONE1" },
          message: { conversation: "from the phone" },
          messageTimestamp: 3,
        },
      ],
    });
    expect(stored.map((m) => m.waMessageId)).toEqual(["PHONE1"]);
  });
});
