// Registry of this gateway's live WhatsApp sessions (work in progress: the ports are wired, sockets next).
import { DomainError, type SessionControl } from "@wa/api";
import type { Database } from "@wa/db";
import type pino from "pino";
import type { EngineConfig } from "../engine.ts";
import type { SessionEventBus } from "./events.ts";

export interface SessionManagerOptions {
  db: Database;
  logger: pino.Logger;
  config: EngineConfig;
  events: SessionEventBus;
}

const pending = () => Promise.reject(new DomainError("not_implemented", "session control is not wired yet"));

export class SessionManager {
  constructor(private readonly opts: SessionManagerOptions) {}

  control(): SessionControl {
    return {
      start: pending,
      stop: pending,
      restart: pending,
      logout: pending,
      remove: pending,
      getQr: pending,
      requestPairingCode: pending,
    };
  }

  async restoreAll(): Promise<void> {}
  async shutdown(): Promise<void> {}
}
