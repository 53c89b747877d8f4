// The inbound hand-off: a message stored before its receipt (storeBeforeReceipt) is not handed on again by the
// upsert that follows on the same socket; every other upserted message is.
import type { BaileysEventMap, WAMessage } from "@whiskeysockets/baileys";
import { describe, expect, it } from "vitest";
import type { MessageSink, ReceivedMessage } from "../messaging/types.ts";
import { attachMessageEvents, storeBeforeReceipt } from "./inbound.ts";

const text = (id: string): WAMessage => ({
  key: { remoteJid: "6281100000001@s.whatsapp.net", fromMe: false, id },
  message: { conversation: `text ${id}` },
  messageTimestamp: 1_800_000_000,
});

function recordingSink() {
  const stored: string[] = [];
  const received: string[] = [];
  const sink: MessageSink = {
    received: (_, messages: readonly ReceivedMessage[]) => void received.push(...messages.map((m) => m.waMessageId)),
    storeNow: async (_, messages: readonly ReceivedMessage[]) => void stored.push(...messages.map((m) => m.waMessageId)),
    receipts: () => {},
    opened: () => {},
  };
  return { sink, stored, received };
}

describe("inbound hand-off", () => {
  it("an upsert skips what was stored before its receipt, once, and hands on the rest", async () => {
    const handlers = new Map<string, (arg: unknown) => void>();
    const ev = { on: (name: string, fn: (arg: unknown) => void) => handlers.set(name, fn), off: () => {} };
    const { sink, stored, received } = recordingSink();
    const storedAhead = new Set<string>();
    attachMessageEvents(ev as unknown as Parameters<typeof attachMessageEvents>[0], "s1", sink, storedAhead);
    await storeBeforeReceipt("s1", sink, () => ({ id: "6281199999999@s.whatsapp.net" }), storedAhead)(text("A"));
    expect(stored).toEqual(["A"]);

    const upsert = (messages: WAMessage[]) => handlers.get("messages.upsert")?.({ messages, type: "notify" } satisfies BaileysEventMap["messages.upsert"]);
    upsert([text("A"), text("B")]);
    expect(received).toEqual(["B"]);
    expect(storedAhead.size).toBe(0);
    upsert([text("A")]); // a later copy (a redelivery) goes the usual way: the database deduplicates it
    expect(received).toEqual(["B", "A"]);
  });
});
