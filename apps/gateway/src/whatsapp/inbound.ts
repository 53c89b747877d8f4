// Messages and receipts from a Baileys socket, converted to messaging's types (messaging/types.ts) and handed to
// its sink: inbound texts (and the type and caption of anything else), copies of what the account sent from other
// devices, and receipts that move outbound messages along.
import type { BaileysEventMap, WAMessage, proto } from "@whiskeysockets/baileys";
import { cleanMessage, getContentType, normalizeMessageContent } from "@whiskeysockets/baileys";
import type { MessageSink, ReceiptUpdate, ReceivedMessage } from "../messaging/types.ts";
import { isGroupJid, isLidJid, isPhoneJid, normalizeUserJid } from "./jids.ts";
import { receiptStatus } from "./message-source.ts";

type Ev = {
  on<K extends keyof BaileysEventMap>(event: K, listener: (arg: BaileysEventMap[K]) => void): void;
  off<K extends keyof BaileysEventMap>(event: K, listener: (arg: BaileysEventMap[K]) => void): void;
};

/** Our message type for each Baileys content key; keys not listed (protocol, key distribution…) are not messages. */
const TYPES: Record<string, string> = {
  conversation: "text",
  extendedTextMessage: "text",
  imageMessage: "image",
  videoMessage: "video",
  ptvMessage: "video",
  audioMessage: "audio",
  documentMessage: "document",
  documentWithCaptionMessage: "document",
  stickerMessage: "sticker",
  locationMessage: "location",
  liveLocationMessage: "location",
  contactMessage: "contact",
  contactsArrayMessage: "contact",
  pollCreationMessage: "poll",
  pollCreationMessageV2: "poll",
  pollCreationMessageV3: "poll",
  reactionMessage: "reaction",
};
const MEDIA = new Set(["image", "video", "audio", "document", "sticker"]);

const timestampMs = (t: WAMessage["messageTimestamp"]): number => {
  const seconds = typeof t === "number" ? t : t ? Number(t.toString()) : 0;
  return seconds > 0 ? seconds * 1000 : Date.now();
};

/** The phone-number form of a person when Baileys gave one (primary or alternate), else the LID. */
function personJid(primary: string | null | undefined, alt: string | null | undefined): { jid: string | null; lid: string | null } {
  const a = normalizeUserJid(primary);
  const b = normalizeUserJid(alt);
  const pn = isPhoneJid(a) ? a : isPhoneJid(b) ? b : null;
  const lid = isLidJid(a) ? a : isLidJid(b) ? b : null;
  return { jid: pn ?? lid, lid };
}

export function toReceivedMessage(m: WAMessage): ReceivedMessage | null {
  const key = m.key;
  if (!key.id || !key.remoteJid || !m.message) return null;
  if (key.remoteJid === "status@broadcast" || key.remoteJid.endsWith("@newsletter") || key.remoteJid.endsWith("@broadcast")) return null;
  const content = normalizeMessageContent(m.message);
  const contentType = content ? getContentType(content) : undefined;
  const type = contentType ? TYPES[contentType] : undefined;
  if (!content || !contentType || !type) return null;
  const group = isGroupJid(key.remoteJid);
  const chat = group ? { jid: key.remoteJid, lid: null } : personJid(key.remoteJid, key.remoteJidAlt);
  if (!chat.jid) return null;
  const sender = group ? personJid(key.participant, key.participantAlt) : key.fromMe ? { jid: null, lid: null } : chat;
  const inner = content[contentType as keyof proto.IMessage] as
    | { text?: string | null; caption?: string | null; contextInfo?: proto.IContextInfo | null; message?: proto.IMessage | null }
    | string
    | null
    | undefined;
  let body: string | null = null;
  let context: proto.IContextInfo | null | undefined;
  if (typeof inner === "string") body = inner;
  else if (inner) {
    body = inner.text ?? inner.caption ?? null;
    context = inner.contextInfo;
    if (contentType === "documentWithCaptionMessage") body = inner.message?.documentMessage?.caption ?? null;
    if (contentType === "reactionMessage") body = (inner as proto.Message.IReactionMessage).text ?? null;
  }
  return {
    waMessageId: key.id,
    chatJid: chat.jid,
    chatType: group ? "group" : "dm",
    fromMe: Boolean(key.fromMe),
    type,
    body,
    quotedMessageId: context?.stanzaId ?? null,
    mentions: context?.mentionedJid ?? [],
    senderJid: sender.jid,
    senderLid: sender.lid,
    senderName: key.fromMe ? null : (m.pushName ?? null),
    hasMedia: MEDIA.has(type),
    timestamp: timestampMs(m.messageTimestamp),
    participant: group ? (key.participant ?? null) : null,
  };
}

function foldedReceipts(m: WAMessage): ReceiptUpdate[] {
  if (!m.key.fromMe || !m.key.id) return [];
  const out: ReceiptUpdate[] = [];
  const status = receiptStatus(m.status);
  if (status === "delivered" || status === "read" || status === "played") out.push({ waMessageId: m.key.id, status });
  for (const r of m.userReceipt ?? []) {
    const s = r.playedTimestamp ? "played" : r.readTimestamp ? "read" : r.receiptTimestamp ? "delivered" : null;
    if (s) out.push({ waMessageId: m.key.id, status: s });
  }
  return out;
}

/**
 * The socket's `beforeMessageReceipt` (our Baileys patch): stores a message before WhatsApp is told it arrived, so a
 * crash between the receipt and the store cannot lose it (WhatsApp never sends an acknowledged message again). The
 * upsert that follows skips it (`storedAhead`, the ids stored here and not yet upserted on this socket; the database
 * would deduplicate it anyway, at a transaction per message). A copy is cleaned as Baileys cleans the message it
 * emits (normalized JIDs), so both paths see the same message.
 */
export function storeBeforeReceipt(
  sessionId: string,
  sink: MessageSink,
  self: () => { id?: string | null; lid?: string | null } | undefined,
  storedAhead: Set<string>,
): (message: WAMessage) => Promise<void> {
  return async (message) => {
    const me = self();
    if (!me?.id) return;
    const copy: WAMessage = { ...message, key: { ...message.key } };
    cleanMessage(copy, me.id, me.lid ?? ""); // "" matches no JID, as an absent LID does
    const received = toReceivedMessage(copy);
    if (!received) return;
    await sink.storeNow(sessionId, [received]);
    storedAhead.add(received.waMessageId);
  };
}

/** Listens to the socket's message events for one session; returns the function that stops listening. */
export function attachMessageEvents(ev: Ev, sessionId: string, sink: MessageSink, storedAhead = new Set<string>()): () => void {
  const onUpsert = ({ messages }: BaileysEventMap["messages.upsert"]) => {
    const received = messages
      .map(toReceivedMessage)
      .filter((m): m is ReceivedMessage => m !== null && !storedAhead.delete(m.waMessageId));
    if (received.length) sink.received(sessionId, received);
    // Baileys' event buffer folds receipts that arrive in the same window as the upsert of our own message into
    // it (its `status`, its `userReceipt`) instead of emitting them: take them from there.
    const folded = messages.flatMap(foldedReceipts);
    if (folded.length) sink.receipts(sessionId, folded);
  };
  const onUpdate = (updates: BaileysEventMap["messages.update"]) => {
    const out: ReceiptUpdate[] = [];
    for (const { key, update } of updates) {
      const status = receiptStatus(update.status);
      if (!key.fromMe || !key.id || !status) continue;
      const code = update.messageStubParameters?.[0];
      out.push({ waMessageId: key.id, status, ...(status === "failed" ? { error: `WhatsApp could not deliver the message${code ? ` (error ${code})` : ""}` } : {}) });
    }
    if (out.length) sink.receipts(sessionId, out);
  };
  const onGroupReceipt = (updates: BaileysEventMap["message-receipt.update"]) => {
    const out: ReceiptUpdate[] = [];
    for (const { key, receipt } of updates) {
      if (!key.fromMe || !key.id) continue;
      const status = receipt.playedTimestamp ? "played" : receipt.readTimestamp ? "read" : receipt.receiptTimestamp ? "delivered" : null;
      if (status) out.push({ waMessageId: key.id, status });
    }
    if (out.length) sink.receipts(sessionId, out);
  };
  ev.on("messages.upsert", onUpsert);
  ev.on("messages.update", onUpdate);
  ev.on("message-receipt.update", onGroupReceipt);
  return () => {
    ev.off("messages.upsert", onUpsert);
    ev.off("messages.update", onUpdate);
    ev.off("message-receipt.update", onGroupReceipt);
  };
}
