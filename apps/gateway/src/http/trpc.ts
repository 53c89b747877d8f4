// tRPC over HTTP at /trpc for the console: batching bounded, SSE subscriptions, errors logged once.
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from "@trpc/server/adapters/fastify";
import { appRouter, logProcedureError, type AppRouter, type Context, type RequestCredentials, type Logger } from "@wa/api";
import type { FastifyInstance } from "fastify";

/** Calls per batch request; a larger batch is refused with 400 before anything runs. */
export const MAX_BATCH_SIZE = 20;

export async function registerTrpc(
  app: FastifyInstance,
  opts: { createContext: (request: RequestCredentials) => Promise<Context>; logger: Logger },
): Promise<void> {
  const trpcOptions: FastifyTRPCPluginOptions<AppRouter>["trpcOptions"] = {
    router: appRouter,
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: ({ req, info }) => opts.createContext({ headers: req.headers, connectionParams: info.connectionParams }),
    onError: ({ error, path, type }) => logProcedureError(opts.logger, { error, path, type, transport: "trpc" }),
  };
  await app.register(fastifyTRPCPlugin, { prefix: "/trpc", trpcOptions });
}
