// Baileys auth state (creds + signal keys) kept in Postgres: transactional key writes, serialized creds saves,
// and a read error that is reported as an error, never as "no credentials".
import {
  BufferJSON,
  initAuthCreds,
  makeCacheableSignalKeyStore,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from "@whiskeysockets/baileys";
import { safeError, type Database } from "@wa/db";
import {
  applyAuthKeyChanges,
  deleteAuthState,
  listCredsToSeal,
  listKeysToSeal,
  readAuthKeys,
  readStoredAuthCreds,
  resealAuthCreds,
  resealAuthKeys,
  writeAuthCreds,
  LeaseLostError,
  type AuthKeyChanges,
  type LeaseFence,
  type Reseal,
  type StoredAuthValue,
} from "@wa/db/queries";
import type pino from "pino";
import { AuthStateSealError, credsAad, keyAad, PLAIN_KEY_TYPES, type AuthCipher } from "./auth-cipher.ts";
import type { BaileysLogger } from "./baileys-logger.ts";
import { SignalKeyCache } from "./key-cache.ts";
import { retryWhileUnreachable } from "./retry-writes.ts";
import { clusterMetrics } from "../metrics.ts";

export class AuthStateReadError extends Error {
  constructor(cause: unknown) {
    // The driver's message only: drizzle's would quote the SQL and its parameters.
    super(
      `auth state could not be read from the database (${safeError(cause).message}); the stored credentials are kept, start the session again once it answers`,
      { cause },
    );
    this.name = "AuthStateReadError";
  }
}

export interface SessionAuthState {
  state: AuthenticationState;
  /** True when the creds were minted now because the database had none for the session. */
  minted: boolean;
  /** Whether the creds belong to a paired device (creds.me set). */
  readonly paired: boolean;
  /** Saves the current creds; calls are serialized so an older snapshot never lands after a newer one. */
  saveCreds(): Promise<void>;
  /**
   * Before a logout wipe: later writes from the old socket's in-flight work are dropped, and writes already under
   * way are awaited, so nothing lands after the wipe.
   */
  revoke(): Promise<void>;
}

/** Write gate shared by the key store and the creds saver of one loaded auth state. */
class WriteGate {
  revoked = false;
  private readonly inflight = new Set<Promise<unknown>>();

  run(work: () => Promise<void>): Promise<void> {
    if (this.revoked) return Promise.resolve();
    const p = work();
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  async revoke(): Promise<void> {
    this.revoked = true;
    await Promise.allSettled([...this.inflight]);
  }
}

/**
 * A write refused by the fencing epoch means another gateway holds the session now: this auth state is closed for
 * good (later writes are dropped) and the refusal is reported to the caller.
 */
async function refusedWhenFenced(write: Promise<void>, gate: WriteGate, kind: "keys" | "creds"): Promise<void> {
  try {
    await write;
  } catch (err) {
    if (err instanceof LeaseLostError) {
      gate.revoked = true;
      clusterMetrics.fencedWrites.inc({ kind });
    }
    throw err;
  }
}

const serialize = (value: unknown) => JSON.stringify(value, BufferJSON.replacer);
const deserialize = <T>(text: string): T => JSON.parse(text, BufferJSON.reviver) as T;

/** Seals a key's JSON unless its type stays plain by design (see PLAIN_KEY_TYPES). */
function sealKey(cipher: AuthCipher, sessionId: string, type: string, keyId: string, json: string): StoredAuthValue {
  return PLAIN_KEY_TYPES.includes(type) ? { value: json, sealKeyId: null } : cipher.seal(json, keyAad(sessionId, type, keyId));
}

/** Ids remembered as absent per store; past this many the memory starts over (it only saves reads). */
const ABSENT_KEYS_MAX = 10_000;

/**
 * The raw store Baileys sees (below its cache): every `set` is one transaction; values sealed at rest. Keys found
 * missing are remembered as missing until this store writes them: Baileys' cache keeps only what exists, and it
 * asks for keys most sessions never have (a `tctoken` per recipient on every send), a read each time otherwise.
 * Only the lease holder writes a session's keys, through this store, so nothing else can make them appear.
 */
export function createSignalKeyStore(
  db: Database,
  sessionId: string,
  cipher: AuthCipher,
  gate = new WriteGate(),
  fence?: LeaseFence,
): SignalKeyStore {
  const absent = new Set<string>();
  /** Counts writes begun and ended: a read that overlapped one does not record its misses (the write may add them). */
  let writes = 0;
  const absentKey = (type: string, id: string) => `${type}\u0000${id}`;
  return {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const wanted = ids.filter((id) => !absent.has(absentKey(type, id)));
      const out: { [id: string]: SignalDataTypeMap[T] } = {};
      if (wanted.length === 0) return out;
      const writesBefore = writes;
      const rows = await readAuthKeys(db, sessionId, type, wanted);
      if (writes === writesBefore) {
        for (const id of wanted) {
          if (rows.has(id)) continue;
          if (absent.size >= ABSENT_KEYS_MAX) absent.clear();
          absent.add(absentKey(type, id));
        }
      }
      for (const [id, stored] of rows) {
        let value: unknown = deserialize(cipher.open(stored, keyAad(sessionId, type, id)));
        if (type === "app-state-sync-key" && value) {
          value = proto.Message.AppStateSyncKeyData.fromObject(value as Record<string, unknown>);
        }
        out[id] = value as SignalDataTypeMap[T];
      }
      return out;
    },
    async set(data: SignalDataSet) {
      const changes: AuthKeyChanges = { upserts: [], deletes: [] };
      writes += 1;
      for (const [type, entries] of Object.entries(data)) {
        if (!entries) continue;
        for (const [keyId, value] of Object.entries(entries)) {
          // Forgotten before the write, whatever its outcome: a failed write must not leave a key marked absent.
          absent.delete(absentKey(type, keyId));
          if (value === null || value === undefined) changes.deletes.push({ type, keyId });
          else changes.upserts.push({ type, keyId, ...sealKey(cipher, sessionId, type, keyId, serialize(value)) });
        }
      }
      try {
        await gate.run(() => refusedWhenFenced(retryWhileUnreachable(() => applyAuthKeyChanges(db, sessionId, changes, fence)), gate, "keys"));
      } finally {
        writes += 1; // at the end too: a read that began while this write was under way must not record its misses
      }
    },
    async clear() {
      await deleteAuthState(db, sessionId);
    },
  };
}

/**
 * Loads the session's auth state. Throws AuthStateReadError when the database cannot be read, and
 * AuthStateSealError when the stored creds cannot be opened (wrong APP_SECRET): the caller must fail the session
 * rather than start over with new creds (which would unpair a working device).
 */
export async function loadAuthState(
  db: Database,
  sessionId: string,
  cipher: AuthCipher,
  logger: BaileysLogger,
  fence?: LeaseFence,
): Promise<SessionAuthState> {
  let stored: StoredAuthValue | null;
  try {
    stored = await readStoredAuthCreds(db, sessionId);
  } catch (err) {
    throw new AuthStateReadError(err);
  }
  const minted = stored === null;
  const creds: AuthenticationCreds =
    stored === null ? initAuthCreds() : deserialize<AuthenticationCreds>(cipher.open(stored, credsAad(sessionId)));
  const gate = new WriteGate();
  const keys = makeCacheableSignalKeyStore(createSignalKeyStore(db, sessionId, cipher, gate, fence), logger, new SignalKeyCache());

  // Freshly minted creds are first written only if no row exists, so they can never replace stored ones.
  let needsFirstInsert = minted;
  let chain: Promise<void> = Promise.resolve();
  const saveCreds = () => {
    const next = chain.then(() => gate.run(() => refusedWhenFenced(retryWhileUnreachable(async () => {
      const sealed = cipher.seal(serialize(creds), credsAad(sessionId));
      if (needsFirstInsert) {
        const inserted = await writeAuthCreds(db, sessionId, sealed, { onlyIfAbsent: true, ...(fence ? { fence } : {}) });
        if (!inserted) throw new Error("credentials appeared in the database while new ones were being minted");
        needsFirstInsert = false;
        return;
      }
      await writeAuthCreds(db, sessionId, sealed, fence ? { fence } : {});
    }), gate, "creds")));
    // The chain survives a failed save; the failure is reported to this caller.
    chain = next.catch(() => {});
    return next;
  };
  return {
    state: { creds, keys },
    minted,
    get paired() {
      return Boolean(creds.me?.id && creds.account);
    },
    saveCreds,
    revoke: () => gate.revoke(),
  };
}

/** Logout / device removed: creds and keys go in one transaction. */
export async function wipeAuthState(db: Database, sessionId: string): Promise<void> {
  await deleteAuthState(db, sessionId);
}

const SEAL_PAGE = 500;

/**
 * At start: seals every row still in plain JSON (written before encryption) or under APP_SECRET_PREVIOUS with the
 * current key, a page per statement. Rows a running session rewrites meanwhile are left to that newer write (each
 * replacement is a compare-and-set); rows sealed under a key this gateway cannot derive are left untouched (their
 * session fails with "wrong APP_SECRET" when it starts).
 */
export async function sealStoredAuthState(
  db: Database,
  cipher: AuthCipher,
  logger: pino.Logger,
): Promise<{ creds: number; keys: number; unreadable: number }> {
  const old = cipher.previousKeyIds;
  const counts = { creds: 0, keys: 0, unreadable: 0 };
  const skipped = new Set<string>();
  /** Each row opened and sealed again under the current key; rows it cannot open are skipped from now on. */
  const resealed = <Row extends StoredAuthValue>(rows: Row[], aadOf: (row: Row) => string, idOf: (row: Row) => string) => {
    const batch: Reseal<Row>[] = [];
    for (const row of rows) {
      const aad = aadOf(row);
      try {
        batch.push({ row, before: row, after: cipher.seal(cipher.open(row, aad), aad) });
      } catch (err) {
        if (!(err instanceof AuthStateSealError)) throw err;
        skipped.add(idOf(row));
        counts.unreadable += 1;
      }
    }
    return batch;
  };
  for (;;) {
    const rows = (await listCredsToSeal(db, old, SEAL_PAGE + skipped.size)).filter((r) => !skipped.has(`c:${r.sessionId}`));
    if (rows.length === 0) break;
    const batch = resealed(rows, (r) => credsAad(r.sessionId), (r) => `c:${r.sessionId}`);
    counts.creds += await resealAuthCreds(db, batch);
  }
  for (;;) {
    const rows = (await listKeysToSeal(db, old, PLAIN_KEY_TYPES, SEAL_PAGE + skipped.size)).filter(
      (r) => !skipped.has(`k:${r.sessionId}:${r.type}:${r.keyId}`),
    );
    if (rows.length === 0) break;
    const batch = resealed(rows, (r) => keyAad(r.sessionId, r.type, r.keyId), (r) => `k:${r.sessionId}:${r.type}:${r.keyId}`);
    counts.keys += await resealAuthKeys(db, batch);
  }
  if (counts.creds + counts.keys > 0) logger.info(counts, "auth state sealed with the current APP_SECRET key");
  if (counts.unreadable > 0) logger.warn({ unreadable: counts.unreadable }, "auth state rows this APP_SECRET cannot open were left untouched");
  return counts;
}
