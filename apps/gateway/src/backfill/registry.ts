// In-memory backfill jobs, one running per session (work in progress).
import { DomainError, type BackfillJob, type BackfillService } from "@wa/api";
import type { Database } from "@wa/db";
import type pino from "pino";
import type { SessionManager } from "../whatsapp/manager.ts";

export interface BackfillRegistryOptions {
  db: Database;
  logger: pino.Logger;
  sessions: SessionManager;
  batchSize: number;
}

export class BackfillRegistry implements BackfillService {
  private readonly jobs = new Map<string, BackfillJob>();
  constructor(private readonly opts: BackfillRegistryOptions) {}
  start(): BackfillJob {
    throw new DomainError("not_implemented", "backfill is not wired yet");
  }
  get(sessionId: string): BackfillJob | null {
    return this.jobs.get(sessionId) ?? null;
  }
  shutdown(): void {}
}
