// tRPC over HTTP at /trpc for the console: batching bounded, SSE subscriptions, errors logged once, and calls
// refused at once (503 `gateway_unavailable`) while the database is away instead of each waiting on a connection.
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from "@trpc/server/adapters/fastify";
import {
  appRouter,
  DATABASE_UNREACHABLE_MESSAGE,
  fail,
  logProcedureError,
  type AppRouter,
  type Context,
  type RequestCredentials,
  type Logger,
} from "@wa/api";
import type { FastifyInstance } from "fastify";

/** Calls per batch request; a larger batch is refused with 400 before anything runs. */
export const MAX_BATCH_SIZE = 20;

export async function registerTrpc(
  app: FastifyInstance,
  opts: {
    createContext: (request: RequestCredentials) => Promise<Context>;
    logger: Logger;
    /** False while the database is known to be away (DatabaseHealth). */
    databaseReachable: () => boolean;
  },
): Promise<void> {
  const trpcOptions: FastifyTRPCPluginOptions<AppRouter>["trpcOptions"] = {
    router: appRouter,
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: async ({ req, info }) => {
      // Before authentication, which may itself query the database: every call of the request gets this error.
      if (!opts.databaseReachable()) throw fail("gateway_unavailable", DATABASE_UNREACHABLE_MESSAGE);
      return opts.createContext({ headers: req.headers, connectionParams: info.connectionParams, ip: req.ip });
    },
    // Same hint as the REST refusal: the health probe retries every 250 ms while the database is away.
    responseMeta: ({ errors }) =>
      errors.some((error) => error.code === "SERVICE_UNAVAILABLE") ? { headers: { "retry-after": "1" } } : {},
    onError: ({ error, path, type }) => logProcedureError(opts.logger, { error, path, type, transport: "trpc" }),
  };
  await app.register(fastifyTRPCPlugin, { prefix: "/trpc", trpcOptions });
}
