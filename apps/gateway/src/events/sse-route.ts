// GET /api/v1/events and GET /api/v1/admin/events: the event stream as plain Server-Sent Events for scripts (curl,
// EventSource). Each route calls the tRPC subscription (`events.stream` / `events.adminStream`) through the caller,
// so authentication, the capability check, input validation and credential re-checks are the procedure's own; this
// file only speaks SSE: `id:` is the event id, `Last-Event-ID` resumes after it, pings keep proxies from closing it.
import { isTrackedEnvelope } from "@trpc/server";
import { createCaller, errorBody, logProcedureError, toContractError, type Context, type Logger, type RequestCredentials } from "@wa/api";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { sendError } from "../http/errors.ts";

const PING_MS = 15_000;

type Input = { since?: string; types?: string[]; sessionId?: string; lastEventId?: string };

/** The query string as the procedure's input: `types` comma separated (or repeated), `Last-Event-ID` from the header. */
export function streamInput(request: FastifyRequest): Input {
  const url = new URL(request.url, "http://localhost");
  const input: Input = {};
  for (const [key, value] of url.searchParams) {
    if (key === "since") input.since = value;
    else if (key === "types") input.types = [...(input.types ?? []), ...value.split(",").map((t) => t.trim()).filter(Boolean)];
    else if (key === "sessionId") input.sessionId = value;
    // Unknown parameters go to the procedure, whose strict input refuses them.
    else (input as Record<string, unknown>)[key] = value;
  }
  const last = request.headers["last-event-id"];
  const lastEventId = Array.isArray(last) ? last[0] : last;
  if (lastEventId) input.lastEventId = lastEventId;
  return input;
}

const sseLine = (field: string, value: string) => `${field}: ${value.replace(/\r?\n/g, " ")}\n`;

export function registerEventStreamRoutes(
  app: FastifyInstance,
  opts: { createContext: (request: RequestCredentials) => Promise<Context>; logger: Logger; restBase: string },
): void {
  const serve = (procedure: "stream" | "adminStream") => async (request: FastifyRequest, reply: FastifyReply) => {
    const abort = new AbortController();
    request.raw.on("close", () => abort.abort());
    let events: AsyncIterable<unknown>;
    try {
      const ctx = await opts.createContext({ headers: request.headers });
      const caller = createCaller(ctx, { signal: abort.signal });
      events = (await caller.events[procedure](streamInput(request) as never)) as AsyncIterable<unknown>;
    } catch (error) {
      abort.abort();
      logProcedureError(opts.logger, { error, path: `events.${procedure}`, type: "subscription", transport: "rest" });
      const contract = toContractError(error);
      return sendError(reply, contract.status, errorBody(contract));
    }

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write(": stream open\n\n");
    const ping = setInterval(() => res.write(": ping\n\n"), PING_MS);
    try {
      for await (const item of events) {
        if (abort.signal.aborted) break;
        if (isTrackedEnvelope(item)) {
          const [id, data] = item;
          res.write(`${sseLine("id", String(id))}${sseLine("data", JSON.stringify(data))}\n`);
        } else {
          // The credential no longer allows the stream: say why, then close.
          res.write(`${sseLine("event", "ended")}${sseLine("data", JSON.stringify(item))}\n`);
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) {
        opts.logger.warn({ err: toContractError(error).message, path: `events.${procedure}` }, "event stream failed");
        const contract = toContractError(error);
        res.write(`${sseLine("event", "error")}${sseLine("data", JSON.stringify(errorBody(contract)))}\n`);
      }
    } finally {
      clearInterval(ping);
      abort.abort();
      res.end();
    }
  };

  app.get(`${opts.restBase}/events`, serve("stream"));
  app.get(`${opts.restBase}/admin/events`, serve("adminStream"));
}
