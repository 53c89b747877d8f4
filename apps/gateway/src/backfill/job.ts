// One backfill run: every contact the device knows and every joined group with its members (fetched live),
// upserted in batches; progress is reported after each committed batch, and a dropped connection ends the run.
// A run started while the initial history sync is still arriving waits for it first, and every write goes through
// the session's capture (the directory's one writer), so the run neither misses history nor deadlocks with it.
import type { Database } from "@wa/db";
import {
  applyContactLidMappings,
  countContacts,
  countContactsPage,
  pruneGroups,
  syncGroups,
  type GroupMemberUpsert,
  type GroupUpsert,
} from "@wa/db/queries";
import type pino from "pino";
import type { DirectoryConnection, FetchedGroups } from "../whatsapp/directory-source.ts";

export interface BackfillProgress {
  contacts?: number;
  groups?: number;
  groupMembers?: number;
}

export interface BackfillContext {
  db: Database;
  sessionId: string;
  conn: DirectoryConnection;
  batchSize: number;
  logger: pino.Logger;
  /** Called after each committed batch with the rows it persisted. */
  progress: (delta: BackfillProgress) => void;
  /** Aborted when the gateway shuts down. */
  cancel: AbortSignal;
  /** Bound of the optional app-state resync (it is best effort). */
  resyncTimeoutMs?: number;
  /** How long to wait for a still-running initial history sync before giving up (default 5 min). */
  historyWaitMs?: number;
}

/** Ends a run with a reason fit for the job's `error` (short, no data). */
export class BackfillAborted extends Error {}

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : String(reason ?? "aborted");
}

/** Throws when the connection is gone (or the gateway stops): the job must not claim rows it could not see. */
function check(ctx: BackfillContext): void {
  if (ctx.conn.signal.aborted) throw new BackfillAborted(`connection lost: ${abortReason(ctx.conn.signal)}`);
  if (ctx.cancel.aborted) throw new BackfillAborted(abortReason(ctx.cancel));
}

/** Awaits `p` unless the connection closes (or the job is cancelled) first. */
function whileConnected<T>(ctx: BackfillContext, p: Promise<T>): Promise<T> {
  check(ctx);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      try {
        check(ctx);
      } catch (err) {
        reject(err as Error);
      }
    };
    ctx.conn.signal.addEventListener("abort", onAbort, { once: true });
    ctx.cancel.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => {
      ctx.conn.signal.removeEventListener("abort", onAbort);
      ctx.cancel.removeEventListener("abort", onAbort);
    });
  });
}

const timeout = (ms: number, error: () => Error = () => new Error(`timed out after ${ms} ms`)) =>
  new Promise<never>((_, reject) => setTimeout(() => reject(error()), ms).unref());

export async function runBackfill(ctx: BackfillContext): Promise<void> {
  const lostBefore = ctx.conn.writer.lostWrites;
  const t0 = Date.now();
  await awaitHistorySync(ctx);
  // Contacts and groups run side by side: the contacts' app-state resync is mostly waiting on the server and
  // decoding its answer, while the groups' writes are database work, so each fills the other's waits. Their writes
  // still go one at a time through the session's writer, in the order they were queued.
  const contacts = backfillContacts(ctx).then(() => ctx.logger.info({ ms: Date.now() - t0 }, "backfill: contacts done"));
  const groups = (async () => {
    const fetched = await whileConnected(ctx, ctx.conn.source.fetchGroups());
    ctx.logger.info({ ms: Date.now() - t0, groups: fetched.count }, "backfill: groups fetched");
    await backfillGroups(ctx, fetched);
    ctx.logger.info({ ms: Date.now() - t0 }, "backfill: groups done");
  })();
  // Both settle before the job ends (no write of a failed run outlives it); the first failure is the job's.
  const [c, g] = await Promise.allSettled([contacts, groups]);
  if (c.status === "rejected") throw c.reason;
  if (g.status === "rejected") throw g.reason;
  await whileConnected(ctx, ctx.conn.writer.idle());
  // Rows the live capture failed to write while we ran are rows this job would claim without having: not a success.
  if (ctx.conn.writer.lostWrites !== lostBefore) {
    throw new BackfillAborted("writing live updates failed during the backfill; the directory may be incomplete");
  }
}

/** A freshly paired device is still receiving its history: count nothing before the last chunk is captured. */
async function awaitHistorySync(ctx: BackfillContext): Promise<void> {
  const history = ctx.conn.writer.history;
  if (!history.inProgress) return;
  const waitMs = ctx.historyWaitMs ?? 300_000;
  const t0 = Date.now();
  ctx.logger.info("backfill: waiting for the initial history sync");
  await whileConnected(
    ctx,
    Promise.race([
      history.settled(),
      timeout(waitMs, () => new BackfillAborted("the initial history sync has not finished; retry later")),
    ]),
  );
  ctx.logger.info({ ms: Date.now() - t0 }, "backfill: initial history sync complete");
}

async function backfillContacts(ctx: BackfillContext): Promise<void> {
  const { db, sessionId, conn } = ctx;
  // Contacts already delivered (history sync, contact events) are written by the capture; let it catch up.
  const t0 = Date.now();
  await whileConnected(ctx, conn.writer.idle());
  ctx.logger.debug({ ms: Date.now() - t0 }, "backfill: capture caught up");
  // What the device already delivered counts at once, so the job's counters advance while the resync runs.
  const counted = await countStoredContacts(ctx, (n) => ctx.progress({ contacts: n }));
  // A fresh app-state sync brings contact mutations where the server offers them; best effort, never fatal.
  try {
    await whileConnected(
      ctx,
      Promise.race([conn.source.resyncContacts(), timeout(ctx.resyncTimeoutMs ?? 15_000)]),
    );
  } catch (err) {
    if (err instanceof BackfillAborted) throw err;
    ctx.logger.warn({ err }, "app-state resync during backfill failed; continuing with what the device knows");
  }
  await whileConnected(ctx, conn.writer.idle());
  ctx.logger.info({ ms: Date.now() - t0 }, "backfill: app-state resync done");

  // LID↔phone-number mappings the device stored while talking to people.
  const mappings = await whileConnected(ctx, conn.source.lidMappings());
  for (let i = 0; i < mappings.length; i += ctx.batchSize) {
    check(ctx);
    const batch = mappings.slice(i, i + ctx.batchSize);
    await conn.writer.write(() => applyContactLidMappings(db, sessionId, batch));
  }

  ctx.logger.info({ ms: Date.now() - t0, mappings: mappings.length }, "backfill: LID mappings applied");
  // Every contact the device delivered is now written (the capture is idle; contacts are never deleted here):
  // those the resync added are the difference. Writing them back would change nothing.
  check(ctx);
  const total = await countContacts(db, sessionId);
  if (total > counted) ctx.progress({ contacts: total - counted });
}

/** Counts the session's stored contacts a page at a time (counted in the database), telling `onPage` each page's size. */
async function countStoredContacts(ctx: BackfillContext, onPage: (n: number) => void): Promise<number> {
  let after: string | null = null;
  let total = 0;
  for (;;) {
    check(ctx);
    const page = await countContactsPage(ctx.db, ctx.sessionId, after, ctx.batchSize);
    if (page.count === 0) break;
    total += page.count;
    onPage(page.count);
    after = page.lastJid;
    if (page.count < ctx.batchSize) break;
  }
  return total;
}

async function backfillGroups(ctx: BackfillContext, fetched: FetchedGroups): Promise<void> {
  const { db, sessionId, conn } = ctx;
  // Baileys also emits the result as groups.update; let the capture write it before we start.
  await whileConnected(ctx, conn.writer.idle());
  let groups: GroupUpsert[] = [];
  let members: GroupMemberUpsert[] = [];

  const commit = async () => {
    if (groups.length === 0) return;
    check(ctx);
    const batchGroups = groups;
    const batchMembers = members;
    groups = [];
    members = [];
    // One statement per batch: groups, changed memberships and departed members together, atomically.
    await conn.writer.write(() => syncGroups(db, sessionId, batchGroups, batchMembers));
    ctx.progress({ groups: batchGroups.length, groupMembers: batchMembers.length });
  };

  for (const { group, members: groupMembers } of fetched.groups) {
    groups.push(group);
    members.push(...groupMembers);
    if (members.length + groups.length >= ctx.batchSize) await commit();
  }
  await commit();
  check(ctx);
  // Groups the account is no longer in.
  await conn.writer.write(() => pruneGroups(db, sessionId, fetched.jids));
}
