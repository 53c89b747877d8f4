// The engine calls one gateway may make on another (the holder of the session): the router's ports, by name.
// Shared by the caller (holder-ports.ts) and the holder's endpoint (http/engine-hop.ts), so both agree on them.
import { DomainError, type BackfillService, type MessagingService, type SendRequest, type SessionControl } from "@wa/api";

/** The holder's own (in-memory) engine: the calls it receives run here and are never forwarded again. */
export interface LocalEngine {
  sessions: SessionControl;
  backfill: BackfillService;
  messaging?: MessagingService | undefined;
}

/** What crosses the hop: which call, about which session, with which arguments (JSON). */
export interface EngineCall {
  op: EngineOp;
  sessionId: string;
  args: unknown[];
}

const text = (value: unknown): string => {
  if (typeof value !== "string") throw new DomainError("validation_error", "engine call: expected a string argument");
  return value;
};

const messagingOf = (engine: LocalEngine): MessagingService => {
  if (!engine.messaging) throw new DomainError("conflict", "session is not working (this gateway holds no WhatsApp connections)");
  return engine.messaging;
};

type Run = (engine: LocalEngine, args: unknown[]) => Promise<unknown>;

export const engineOps = {
  "sessions.start": (e, [id]) => e.sessions.start(text(id)),
  "sessions.stop": (e, [id]) => e.sessions.stop(text(id)),
  "sessions.restart": (e, [id]) => e.sessions.restart(text(id)),
  "sessions.logout": (e, [id]) => e.sessions.logout(text(id)),
  "sessions.remove": (e, [id]) => e.sessions.remove(text(id)),
  "sessions.getQr": (e, [id]) => e.sessions.getQr(text(id)),
  "sessions.requestPairingCode": (e, [id, phone]) => e.sessions.requestPairingCode(text(id), text(phone)),
  "sessions.simulateScan": (e, [id]) => {
    const scan = e.sessions.simulateScan;
    if (!scan) throw new DomainError("not_found", "simulator not configured");
    return scan(text(id));
  },
  "backfill.start": (e, [id]) => e.backfill.start(text(id)),
  "backfill.get": (e, [id]) => e.backfill.get(text(id)),
  // Validated and authorized on the gateway that received it (the router); only gateways can sign this call.
  "messaging.send": (e, [request]) => messagingOf(e).send(request as SendRequest),
  "messaging.markChatRead": (e, [id, chat]) => messagingOf(e).markChatRead(text(id), text(chat)),
  "messaging.setChatPresence": (e, [id, chat, state]) => {
    if (state !== "composing" && state !== "recording" && state !== "paused") {
      throw new DomainError("validation_error", "engine call: unknown presence state");
    }
    return messagingOf(e).setChatPresence(text(id), text(chat), state);
  },
} satisfies Record<string, Run>;

export type EngineOp = keyof typeof engineOps;

export const isEngineOp = (op: unknown): op is EngineOp => typeof op === "string" && Object.hasOwn(engineOps, op);

export function runEngineOp(engine: LocalEngine, call: EngineCall): Promise<unknown> {
  const run: Run = engineOps[call.op];
  return run(engine, call.args);
}
