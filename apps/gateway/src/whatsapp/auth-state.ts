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
import type { Database } from "@wa/db";
import {
  applyAuthKeyChanges,
  deleteAuthState,
  readAuthCreds,
  readAuthKeys,
  writeAuthCreds,
  type AuthKeyChanges,
} from "@wa/db/queries";
import type pino from "pino";

export class AuthStateReadError extends Error {
  constructor(cause: unknown) {
    super(`auth state could not be read: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
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

const serialize = (value: unknown) => JSON.stringify(value, BufferJSON.replacer);
const deserialize = <T>(text: string): T => JSON.parse(text, BufferJSON.reviver) as T;

/** The raw store Baileys sees (below its cache): every `set` is one transaction. */
export function createSignalKeyStore(db: Database, sessionId: string, gate = new WriteGate()): SignalKeyStore {
  return {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const rows = await readAuthKeys(db, sessionId, type, ids);
      const out: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const [id, text] of rows) {
        let value: unknown = deserialize(text);
        if (type === "app-state-sync-key" && value) {
          value = proto.Message.AppStateSyncKeyData.fromObject(value as Record<string, unknown>);
        }
        out[id] = value as SignalDataTypeMap[T];
      }
      return out;
    },
    async set(data: SignalDataSet) {
      const changes: AuthKeyChanges = { upserts: [], deletes: [] };
      for (const [type, entries] of Object.entries(data)) {
        if (!entries) continue;
        for (const [keyId, value] of Object.entries(entries)) {
          if (value === null || value === undefined) changes.deletes.push({ type, keyId });
          else changes.upserts.push({ type, keyId, value: serialize(value) });
        }
      }
      await gate.run(() => applyAuthKeyChanges(db, sessionId, changes));
    },
    async clear() {
      await deleteAuthState(db, sessionId);
    },
  };
}

/**
 * Loads the session's auth state. Throws AuthStateReadError when the database cannot be read: the caller must
 * fail the session rather than start over with new creds (which would unpair a working device).
 */
export async function loadAuthState(db: Database, sessionId: string, logger: pino.Logger): Promise<SessionAuthState> {
  let stored: string | null;
  try {
    stored = await readAuthCreds(db, sessionId);
  } catch (err) {
    throw new AuthStateReadError(err);
  }
  const minted = stored === null;
  const creds: AuthenticationCreds = stored === null ? initAuthCreds() : deserialize<AuthenticationCreds>(stored);
  const gate = new WriteGate();
  const keys = makeCacheableSignalKeyStore(createSignalKeyStore(db, sessionId, gate), logger);

  // Freshly minted creds are first written only if no row exists, so they can never replace stored ones.
  let needsFirstInsert = minted;
  let chain: Promise<void> = Promise.resolve();
  const saveCreds = () => {
    const next = chain.then(() => gate.run(async () => {
      const json = serialize(creds);
      if (needsFirstInsert) {
        const inserted = await writeAuthCreds(db, sessionId, json, { onlyIfAbsent: true });
        if (!inserted) throw new Error("credentials appeared in the database while new ones were being minted");
        needsFirstInsert = false;
        return;
      }
      await writeAuthCreds(db, sessionId, json);
    }));
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
