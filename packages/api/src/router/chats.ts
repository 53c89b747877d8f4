// A session's chats: the list (most recent first, unread counts), a chat's messages, marking a chat read and
// showing chat presence (typing, recording, paused).
import type { TRPCRouterRecord } from "@trpc/server";
import { getChat, listChats, listMessages } from "@wa/db/queries";
import { notFound } from "../errors.ts";
import {
  chatListInput,
  chatMessagesInput,
  chatPageSchema,
  chatPresenceInput,
  chatPresenceOutput,
  chatReadOutput,
  chatRefInput,
  messagePageSchema,
} from "../schemas/messages.ts";
import { orgProcedure } from "../trpc.ts";
import { clampLimit, requireSession } from "./helpers.ts";
import { messagingOf, parseKeyCursor } from "./messaging-helpers.ts";

const tags = ["chats"];
const NOT_FOUND = "not_found: unknown session, or another organization's";

export const chatsRouter = {
  list: orgProcedure("read")
    .meta({ openapi: { method: "GET", path: "/sessions/{session}/chats", protect: true, tags, summary: "The session's chats, most recent first", errorResponses: { 404: NOT_FOUND } } })
    .input(chatListInput)
    .output(chatPageSchema)
    .query(async ({ ctx, input }) => {
      await requireSession(ctx.db, input.session, ctx.organizationId);
      return listChats(ctx.db, { sessionId: input.session, limit: clampLimit(input.limit), cursor: parseKeyCursor(input.cursor) });
    }),

  messages: orgProcedure("read")
    .meta({ openapi: { method: "GET", path: "/sessions/{session}/chats/{chat}/messages", protect: true, tags, summary: "A chat's messages, newest first", errorResponses: { 404: NOT_FOUND } } })
    .input(chatMessagesInput)
    .output(messagePageSchema)
    .query(async ({ ctx, input }) => {
      await requireSession(ctx.db, input.session, ctx.organizationId);
      return listMessages(ctx.db, {
        sessionId: input.session,
        chatJid: input.chat,
        limit: clampLimit(input.limit),
        cursor: parseKeyCursor(input.cursor),
      });
    }),

  read: orgProcedure("send")
    .meta({ openapi: { method: "POST", path: "/sessions/{session}/chats/{chat}/read", protect: true, tags, summary: "Mark a chat read (read receipts for its unread messages)", errorResponses: { 404: "not_found: unknown session or chat, or another organization's", 409: "conflict: the session is not working" } } })
    .input(chatRefInput)
    .output(chatReadOutput)
    .mutation(async ({ ctx, input }) => {
      await requireSession(ctx.db, input.session, ctx.organizationId);
      if (!(await getChat(ctx.db, input.session, input.chat))) throw notFound("chat");
      const marked = await messagingOf(ctx.ports).markChatRead(input.session, input.chat);
      const chat = await getChat(ctx.db, input.session, input.chat);
      if (!chat) throw notFound("chat");
      return { chat, marked };
    }),

  presence: orgProcedure("send")
    .meta({ openapi: { method: "PUT", path: "/sessions/{session}/chats/{chat}/presence", protect: true, tags, summary: "Show chat presence: composing, recording or paused", errorResponses: { 404: NOT_FOUND, 409: "conflict: the session is not working" } } })
    .input(chatPresenceInput)
    .output(chatPresenceOutput)
    .mutation(async ({ ctx, input }) => {
      await requireSession(ctx.db, input.session, ctx.organizationId);
      await messagingOf(ctx.ports).setChatPresence(input.session, input.chat, input.state);
      return { chat: input.chat, state: input.state };
    }),
} satisfies TRPCRouterRecord;
