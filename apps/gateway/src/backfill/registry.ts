// BackfillRegistry: in-memory jobs, at most one running per session (claimed synchronously, so concurrent
// starts cannot both win), the last finished job kept for `get`.
import { DomainError, type BackfillJob, type BackfillService } from "@wa/api";
import { newId, type Database } from "@wa/db";
import type pino from "pino";
import { describeDbFailure } from "../db-failure.ts";
import type { DirectoryConnection } from "../whatsapp/directory-source.ts";
import { BackfillAborted, runBackfill, type BackfillProgress } from "./job.ts";
import { recordBackfillFinished } from "../events/backfill-finished.ts";
import { backfillRows } from "../metrics.ts";

export interface BackfillSessions {
  /** Holds the session here (as a control route would); `not_found`, or `gateway_unavailable` when held elsewhere. */
  hold(sessionId: string): Promise<{ id: string; organizationId: string }>;
  /** `not_found`, or `gateway_unavailable` when another gateway holds the session; nothing is taken over. */
  assertHeldHere(sessionId: string): Promise<unknown>;
  connection(sessionId: string): DirectoryConnection | null;
}

export interface BackfillRegistryOptions {
  db: Database;
  logger: pino.Logger;
  /** The SessionManager: who holds a session (the control routes' ownership path) and its open connection. */
  sessions: BackfillSessions;
  batchSize: number;
  resyncTimeoutMs?: number;
}

/** The job's `error`: a short human reason, never a statement, parameters or personal data. */
export function failureReason(err: unknown): string {
  if (err instanceof BackfillAborted) return err.message;
  const db = describeDbFailure(err);
  if (db) return db;
  // Other failures (the WhatsApp connection, a timeout) have short messages; keep their first line, bounded.
  const first = (err instanceof Error ? err.message : String(err)).split("\n")[0]?.trim() ?? "";
  return first ? `backfill failed: ${first.slice(0, 120)}` : "backfill failed (internal error)";
}

export class BackfillRegistry implements BackfillService {
  private readonly running = new Map<string, BackfillJob>();
  private readonly last = new Map<string, BackfillJob>();
  private readonly tasks = new Set<Promise<void>>();
  private readonly cancel = new AbortController();
  private readonly logger: pino.Logger;

  constructor(private readonly opts: BackfillRegistryOptions) {
    this.logger = opts.logger.child({ component: "backfill" });
  }

  async start(sessionId: string): Promise<BackfillJob> {
    if (this.cancel.signal.aborted) throw new DomainError("gateway_unavailable", "gateway is shutting down");
    const session = await this.opts.sessions.hold(sessionId);
    // Check and claim happen in one synchronous step: no await in between, so exactly one caller wins.
    if (this.running.has(session.id)) throw new DomainError("conflict", "a backfill job is already running for this session");
    if (this.cancel.signal.aborted) throw new DomainError("gateway_unavailable", "gateway is shutting down");
    const job: BackfillJob = {
      id: newId(),
      sessionId: session.id,
      organizationId: session.organizationId,
      status: "running",
      contacts: 0,
      groups: 0,
      groupMembers: 0,
      startedAt: Date.now(),
      finishedAt: null,
      error: null,
    };
    this.running.set(session.id, job);
    this.last.set(session.id, job);
    const task = this.run(job).finally(() => this.tasks.delete(task));
    this.tasks.add(task);
    return { ...job };
  }

  async get(sessionId: string): Promise<BackfillJob | null> {
    await this.opts.sessions.assertHeldHere(sessionId);
    return this.peek(sessionId);
  }

  /** The job this gateway has on record for the session, without the ownership check (tests, metrics). */
  peek(sessionId: string): BackfillJob | null {
    const job = this.running.get(sessionId) ?? this.last.get(sessionId);
    return job ? { ...job } : null;
  }

  /** Resolves when every running job has ended (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.tasks]);
  }

  /** Gateway shutdown: running jobs end `failed`. */
  async shutdown(): Promise<void> {
    this.cancel.abort(new Error("gateway shutting down"));
    await this.idle();
  }

  private async run(job: BackfillJob): Promise<void> {
    // Yield first so `start` returns the job as running before anything can finish it.
    await new Promise((r) => setImmediate(r));
    const logger = this.logger.child({ sessionId: job.sessionId, jobId: job.id });
    const conn = this.opts.sessions.connection(job.sessionId);
    try {
      if (!conn) throw new BackfillAborted("session not connected");
      logger.info("backfill started");
      await runBackfill({
        db: this.opts.db,
        sessionId: job.sessionId,
        conn,
        batchSize: this.opts.batchSize,
        logger,
        cancel: this.cancel.signal,
        resyncTimeoutMs: this.opts.resyncTimeoutMs,
        progress: (delta: BackfillProgress) => {
          job.contacts += delta.contacts ?? 0;
          job.groups += delta.groups ?? 0;
          job.groupMembers += delta.groupMembers ?? 0;
          countBackfillRows(delta);
        },
      });
      job.status = "succeeded";
      logger.info({ contacts: job.contacts, groups: job.groups, groupMembers: job.groupMembers }, "backfill succeeded");
    } catch (err) {
      job.status = "failed";
      job.error = failureReason(err);
      if (err instanceof BackfillAborted) logger.warn({ reason: job.error }, "backfill failed");
      // The reason only: a database error's message holds the statement with the contacts' data.
      else logger.error({ reason: job.error, errorName: err instanceof Error ? err.name : typeof err }, "backfill failed");
    } finally {
      job.finishedAt = Date.now();
      this.running.delete(job.sessionId);
    }
    await recordBackfillFinished(this.opts.db, job, logger);
  }
}

function countBackfillRows(delta: BackfillProgress): void {
  if (delta.contacts) backfillRows.inc({ kind: "contacts" }, delta.contacts);
  if (delta.groups) backfillRows.inc({ kind: "groups" }, delta.groups);
  if (delta.groupMembers) backfillRows.inc({ kind: "group_members" }, delta.groupMembers);
}
