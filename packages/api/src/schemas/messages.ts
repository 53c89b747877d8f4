// Messages and chats (contract "Messages"): WAMessage, Chat, SendResult, and the inputs of the messaging routes.
import {
  chatPresenceStates,
  chatTypes,
  limits,
  messageDirections,
  messageLimits,
  messageStatuses,
  messageTypes,
  sendableMessageTypes,
} from "@wa/db/contract";
import { z } from "zod";

const epochMs = z.number().int().nonnegative();
const sessionIdSchema = z.string().min(1).max(limits.idLength);
const limitSchema = z
  .number()
  .int()
  .min(limits.page.min)
  .optional()
  .meta({ description: `${limits.page.min}–${limits.page.max}, default ${limits.page.default}; larger values are clamped` });
const cursorSchema = z.string().max(limits.cursorLength).optional().meta({ description: "opaque; from a previous page's nextCursor" });

export const messageStatusSchema = z.enum(messageStatuses);
export const messageDirectionSchema = z.enum(messageDirections);

export const waMessageSchema = z
  .object({
    id: z.string(),
    sessionId: z.string(),
    organizationId: z.string(),
    waMessageId: z.string().nullable(),
    chatJid: z.string(),
    fromMe: z.boolean(),
    direction: messageDirectionSchema,
    type: z.string().meta({ description: messageTypes.join(" · ") }),
    body: z.string().nullable(),
    quotedMessageId: z.string().nullable(),
    mentions: z.array(z.string()),
    senderJid: z.string().nullable(),
    senderLid: z.string().nullable(),
    senderName: z.string().nullable(),
    hasMedia: z.boolean(),
    edited: z.boolean(),
    deleted: z.boolean(),
    status: messageStatusSchema.nullable(),
    error: z.string().nullable(),
    timestamp: epochMs,
    createdAt: epochMs,
    updatedAt: epochMs,
  })
  .meta({ id: "WAMessage" });
export type WaMessageOutput = z.infer<typeof waMessageSchema>;

export const messagePageSchema = z
  .object({ data: z.array(waMessageSchema), nextCursor: z.string().nullable() })
  .meta({ id: "MessagePage" });

export const chatSchema = z
  .object({
    jid: z.string(),
    sessionId: z.string(),
    type: z.enum(chatTypes),
    name: z.string().nullable(),
    unreadCount: z.number().int().nonnegative(),
    archived: z.boolean(),
    pinned: z.boolean(),
    mutedUntil: epochMs.nullable(),
    lastMessageAt: epochMs.nullable(),
  })
  .meta({ id: "Chat" });

export const chatPageSchema = z.object({ data: z.array(chatSchema), nextCursor: z.string().nullable() }).meta({ id: "ChatPage" });

/** A person (`…@s.whatsapp.net`, `…@lid`) or a group (`…@g.us`). */
export const jidPattern = /^(\d{5,20}(:\d{1,3})?@s\.whatsapp\.net|\d{1,24}@lid|\d{5,20}(-\d{5,20})?@g\.us)$/;
export const toRule = "a JID (…@s.whatsapp.net, …@lid, …@g.us) or a phone number: digits only, E.164 without +";
export const recipientSchema = z
  .string()
  .max(messageLimits.jidLength)
  .refine((v) => jidPattern.test(v) || /^\+?\d{6,15}$/.test(v), toRule)
  .meta({ description: toRule });
export const jidSchema = z.string().max(messageLimits.jidLength).regex(jidPattern, "a JID (…@s.whatsapp.net, …@lid or …@g.us)");

const sendCommon = {
  session: sessionIdSchema,
  async: z.boolean().optional().meta({ description: "query parameter `?async=true`: queue it (202) instead of waiting for WhatsApp (200)" }),
  idempotencyKey: z
    .string()
    .min(1)
    .max(messageLimits.idempotencyKeyLength)
    .optional()
    .meta({ description: "the `Idempotency-Key` header: the same key within 24 h answers the first result and sends nothing" }),
};

/** The fields of a text send (besides `sendCommon`): with `type: "text"` nothing else is accepted. */
export const textSendFields = {
  type: z.literal("text"),
  to: recipientSchema,
  text: z.string().min(1).max(messageLimits.textLength),
  replyTo: z.string().min(1).max(128).optional().meta({ description: "WhatsApp id of the message this one replies to (in the same chat)" }),
  mentions: z.array(jidSchema).max(messageLimits.mentions).optional().meta({ description: "JIDs @-mentioned" }),
};
export const textSendInput = z.strictObject({ ...sendCommon, ...textSendFields });

/**
 * A send. Loose on purpose: the types not built yet (location, contact, poll, media) carry fields of their own and
 * answer 501 `not_implemented`, not 400; a `text` send is then checked strictly against `textSendInput`.
 */
export const messageSendInput = z.looseObject({
  ...sendCommon,
  type: z.enum(messageTypes).meta({ description: `\`text\`; ${messageTypes.filter((t) => !(sendableMessageTypes as readonly string[]).includes(t)).join(", ")} answer 501 until built` }),
  to: recipientSchema.optional().meta({ description: "required for text: " + toRule }),
  text: textSendFields.text.optional().meta({ description: "required for text" }),
  replyTo: textSendFields.replyTo,
  mentions: textSendFields.mentions,
});
export type MessageSendInput = z.infer<typeof messageSendInput>;

export const sendResultSchema = z
  .object({
    mode: z.enum(["sync", "async"]),
    outboxId: z.string(),
    waMessageId: z.string().nullable().meta({ description: "chosen before sending" }),
    status: messageStatusSchema.meta({ description: "sync: sent; async: pending" }),
    timestamp: epochMs.nullable().meta({ description: "when WhatsApp acknowledged it (sync); null while queued" }),
    replayed: z.boolean(),
    message: waMessageSchema,
  })
  .meta({ id: "SendResult" });
export type SendResult = z.infer<typeof sendResultSchema>;

export const messageListInput = z.strictObject({
  session: sessionIdSchema,
  limit: limitSchema,
  cursor: cursorSchema,
  chat: jidSchema.optional(),
  direction: messageDirectionSchema.optional(),
});

export const messageRefInput = z.strictObject({
  session: sessionIdSchema,
  message: z.string().min(1).max(128).meta({ description: "our id or the WhatsApp id" }),
});

export const chatListInput = z.strictObject({ session: sessionIdSchema, limit: limitSchema, cursor: cursorSchema });
export const chatMessagesInput = z.strictObject({ session: sessionIdSchema, chat: jidSchema, limit: limitSchema, cursor: cursorSchema });
export const chatRefInput = z.strictObject({ session: sessionIdSchema, chat: jidSchema });
export const chatReadOutput = z.object({ chat: chatSchema, marked: z.number().int().nonnegative() }).meta({ id: "ChatRead" });
export const chatPresenceStateSchema = z.enum(chatPresenceStates);
export const chatPresenceInput = z.strictObject({ session: sessionIdSchema, chat: jidSchema, state: chatPresenceStateSchema });
export const chatPresenceOutput = z.object({ chat: z.string(), state: chatPresenceStateSchema }).meta({ id: "ChatPresence" });

export const messageEventsInput = z
  .strictObject({
    session: sessionIdSchema.optional(),
    /** Resume after this event (tRPC's SSE link sends the last tracked id on reconnect). */
    lastEventId: z.string().max(256).nullish(),
  })
  .optional();
export const messageEventSchema = z
  .object({ type: z.literal("message"), message: waMessageSchema })
  .meta({ id: "MessageEvent" });

export const messageCountsInput = z.strictObject({
  sessions: z.array(sessionIdSchema).min(1).max(limits.page.max).meta({ description: "session ids (repeatable)" }),
});
export const messageCountsOutput = z
  .object({
    data: z.array(
      z.object({
        sessionId: z.string(),
        inbound: z.number().int().nonnegative(),
        outbound: z.number().int().nonnegative(),
        failed: z.number().int().nonnegative(),
        lastMessageAt: epochMs.nullable(),
      }),
    ),
  })
  .meta({ id: "MessageCounts" });
