// The app router: one sub-router per domain, and the caller factory tests use.
import { adminRouter } from "./router/admin.ts";
import { apiKeysRouter } from "./router/api-keys.ts";
import { meProcedure, systemRouter } from "./router/me.ts";
import { sessionsRouter } from "./router/sessions.ts";
import { createCallerFactory, createTRPCRouter } from "./trpc.ts";

export const appRouter = createTRPCRouter({
  admin: adminRouter,
  sessions: sessionsRouter,
  apiKeys: apiKeysRouter,
  me: meProcedure,
  system: systemRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
