// `backfill.finished`: the job lives in memory (on the session's holder), so its end is no database change of its
// own; the event is written in a transaction of its own once the job has ended, retried while the database is away.
import type { BackfillJob } from "@wa/api";
import { safeError, type Database } from "@wa/db";
import { appendEvent } from "@wa/db/queries";
import type pino from "pino";
import { retryWhileUnreachable } from "../whatsapp/retry-writes.ts";

/** Bound on the retries, so a long outage cannot hold the gateway's shutdown (which waits for jobs). */
const GIVE_UP_AFTER_MS = 30_000;

export async function recordBackfillFinished(db: Database, job: BackfillJob, logger: pino.Logger): Promise<void> {
  const started = Date.now();
  try {
    await retryWhileUnreachable(
      () =>
        db.transaction((tx) =>
          appendEvent(tx, { organizationId: job.organizationId, sessionId: job.sessionId, type: "backfill.finished", data: { ...job } }),
        ),
      {
        onRetry: (error) => {
          if (Date.now() - started > GIVE_UP_AFTER_MS) throw error;
        },
      },
    );
  } catch (error) {
    logger.error({ err: safeError(error), jobId: job.id }, "writing the backfill.finished event failed");
  }
}
