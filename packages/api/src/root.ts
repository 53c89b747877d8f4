// The app router: one sub-router per domain, and the caller factory tests use.
import { adminRouter } from "./router/admin.ts";
import { apiKeysRouter } from "./router/api-keys.ts";
import { chatsRouter } from "./router/chats.ts";
import { messagesRouter } from "./router/messages.ts";
import { auditRouter } from "./router/audit.ts";
import { invitationsRouter } from "./router/invitations.ts";
import { membersRouter } from "./router/members.ts";
import { meProcedure, systemRouter } from "./router/me.ts";
import { eventsRouter } from "./router/events.ts";
import { recipientsRouter } from "./router/recipients.ts";
import { sessionsRouter } from "./router/sessions.ts";
import { webhooksRouter } from "./router/webhooks.ts";
import { createCallerFactory, createTRPCRouter, type Meta } from "./trpc.ts";

export const appRouter = createTRPCRouter({
  admin: adminRouter,
  sessions: sessionsRouter,
  apiKeys: apiKeysRouter,
  webhooks: webhooksRouter,
  events: eventsRouter,
  messages: messagesRouter,
  chats: chatsRouter,
  members: membersRouter,
  invitations: invitationsRouter,
  audit: auditRouter,
  me: meProcedure,
  system: systemRouter,
  recipients: recipientsRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);

/** The REST success status a procedure declares in its meta (201, 202, 204), else undefined (200). */
export function successStatusOf(path: string): number | undefined {
  // At runtime `_def.procedures` is flat, keyed by dotted path (its declared type is the nested record).
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { meta?: Meta } } | undefined>;
  return procedures[path]?._def.meta?.successStatus;
}
