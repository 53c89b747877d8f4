// One backfill run: every contact the device knows and every joined group with its members (fetched live),
// upserted in batches; progress is reported after each committed batch, and a dropped connection ends the run.
import type { Database } from "@wa/db";
import { readLidMappings } from "@wa/db/queries";
import {
  applyContactLidMappings,
  listContactsPage,
  pruneGroupMembers,
  pruneGroups,
  upsertContacts,
  upsertGroupMembers,
  upsertGroups,
  type GroupMemberUpsert,
  type GroupUpsert,
} from "@wa/db/queries";
import type pino from "pino";
import { toGroupUpsert, toMemberUpsert } from "../whatsapp/capture.ts";
import type { LiveConnection } from "../whatsapp/session.ts";

export interface BackfillProgress {
  contacts?: number;
  groups?: number;
  groupMembers?: number;
}

export interface BackfillContext {
  db: Database;
  sessionId: string;
  conn: LiveConnection;
  batchSize: number;
  logger: pino.Logger;
  /** Called after each committed batch with the rows it persisted. */
  progress: (delta: BackfillProgress) => void;
  /** Aborted when the gateway shuts down. */
  cancel: AbortSignal;
  /** Bound of the optional app-state resync (it is best effort). */
  resyncTimeoutMs?: number;
}

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

const timeout = (ms: number) =>
  new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref());

export async function runBackfill(ctx: BackfillContext): Promise<void> {
  const t0 = Date.now();
  await backfillContacts(ctx);
  ctx.logger.info({ ms: Date.now() - t0 }, "backfill: contacts done");
  const t1 = Date.now();
  await backfillGroups(ctx);
  ctx.logger.info({ ms: Date.now() - t1 }, "backfill: groups done");
}

async function backfillContacts(ctx: BackfillContext): Promise<void> {
  const { db, sessionId, conn } = ctx;
  // Contacts already delivered (history sync, contact events) are written by the capture; let it catch up.
  const t0 = Date.now();
  await whileConnected(ctx, conn.capture.idle());
  ctx.logger.debug({ ms: Date.now() - t0 }, "backfill: capture caught up");
  // A fresh app-state sync brings contact mutations where the server offers them; best effort, never fatal.
  try {
    await whileConnected(
      ctx,
      Promise.race([conn.sock.resyncAppState(["critical_unblock_low", "regular_high"], false), timeout(ctx.resyncTimeoutMs ?? 15_000)]),
    );
  } catch (err) {
    if (err instanceof BackfillAborted) throw err;
    ctx.logger.warn({ err }, "app-state resync during backfill failed; continuing with what the device knows");
  }
  await whileConnected(ctx, conn.capture.idle());
  ctx.logger.debug({ ms: Date.now() - t0 }, "backfill: app-state resync done");

  // LID↔phone-number mappings the device stored while talking to people.
  const mappings = (await readLidMappings(db, sessionId))
    .filter((m) => !m.keyId.endsWith("_reverse"))
    .map((m) => ({ phoneJid: `${m.keyId}@s.whatsapp.net`, lidJid: `${JSON.parse(m.value) as string}@lid` }));
  for (let i = 0; i < mappings.length; i += ctx.batchSize) {
    check(ctx);
    await applyContactLidMappings(db, sessionId, mappings.slice(i, i + ctx.batchSize));
  }

  ctx.logger.debug({ ms: Date.now() - t0, mappings: mappings.length }, "backfill: LID mappings applied");
  // Stream the session's contacts page by page (never all in memory) and commit each page as one batch.
  let after: string | null = null;
  for (;;) {
    check(ctx);
    const page = await listContactsPage(db, sessionId, after, ctx.batchSize);
    if (page.length === 0) break;
    const written = await upsertContacts(db, sessionId, page);
    ctx.progress({ contacts: written });
    after = page[page.length - 1]?.jid ?? null;
    if (page.length < ctx.batchSize) break;
  }
}

async function backfillGroups(ctx: BackfillContext): Promise<void> {
  const { db, sessionId, conn } = ctx;
  const fetchStarted = Date.now();
  const all = await whileConnected(ctx, conn.sock.groupFetchAllParticipating());
  ctx.logger.info({ ms: Date.now() - fetchStarted, groups: Object.keys(all).length }, "backfill: groups fetched");
  // Baileys also emits the result as groups.update; let the capture write it before we start.
  await whileConnected(ctx, conn.capture.idle());
  const jids = Object.keys(all);
  let groups: GroupUpsert[] = [];
  let members: GroupMemberUpsert[] = [];

  const commit = async () => {
    if (groups.length === 0) return;
    check(ctx);
    const batchGroups = groups;
    const batchMembers = members;
    groups = [];
    members = [];
    await db.transaction(async (tx) => {
      await upsertGroups(tx, sessionId, batchGroups);
      for (let i = 0; i < batchMembers.length; i += ctx.batchSize) {
        await upsertGroupMembers(tx, sessionId, batchMembers.slice(i, i + ctx.batchSize));
      }
      await pruneGroupMembers(
        tx,
        sessionId,
        batchGroups.map((g) => g.jid),
        batchMembers,
      );
    });
    ctx.progress({ groups: batchGroups.length, groupMembers: batchMembers.length });
  };

  for (const jid of jids) {
    const meta = all[jid];
    // Drop each group from the fetched map as it is queued: memory stays near one batch.
    delete all[jid];
    if (!meta) continue;
    const group = toGroupUpsert(meta);
    if (!group) continue;
    groups.push(group);
    for (const p of meta.participants) {
      const m = toMemberUpsert(group.jid, p);
      if (m) members.push(m);
    }
    if (members.length + groups.length >= ctx.batchSize) await commit();
  }
  await commit();
  check(ctx);
  // Groups the account is no longer in.
  await pruneGroups(db, sessionId, jids);
}
