// Multiplexes many wire-protocol connections onto PGlite's single backend without interleaving their queries.
//
// pglite-socket's own queue hands PGlite one protocol message at a time, so two connections' extended-protocol
// sequences (Parse/Bind/Execute/Sync) interleave and clobber each other's unnamed statement ("bind message
// supplies 3 parameters, but prepared statement requires 1"). This queue keeps each connection's messages until
// the Sync (or simple Query) that ends them and runs the whole group at once; a connection inside a transaction
// keeps the backend until the transaction ends, as a real server's isolation would make it look.
//
// It also asks each connection for the password (cleartext, over loopback) before its startup message reaches
// PGlite, which itself would accept any user and any password.
import { createHash, timingSafeEqual } from "node:crypto";
import type { PGlite } from "@electric-sql/pglite";

const PROTOCOL_V3 = 196_608;
const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const FLUSH = 0x48; // 'H'
const TERMINATE = 0x58; // 'X'
const PASSWORD = 0x70; // 'p'

/** AuthenticationCleartextPassword. */
const ASK_PASSWORD = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]);

function fatal(code: string, text: string): Buffer {
  const fields = Buffer.concat([
    Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${text}\0`, "utf8"),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(5);
  header[0] = 0x45; // 'E'
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

const digest = (value: Buffer | string) => createHash("sha256").update(value).digest();

/** The password of a PasswordMessage ('p', length, NUL-terminated string), compared in constant time. */
function passwordMatches(message: Uint8Array, expected: Buffer): boolean {
  const bytes = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const end = bytes.indexOf(0, 5);
  const given = bytes.subarray(5, end < 0 ? bytes.length : end);
  return timingSafeEqual(digest(given), expected);
}

const isStartup = (message: Uint8Array) =>
  message.length >= 8 && Buffer.from(message.buffer, message.byteOffset, message.byteLength).readInt32BE(4) === PROTOCOL_V3;

export class GroupingQueryQueue {
  private readonly pending = new Map<number, Uint8Array[]>();
  private owner: number | null = null;
  /** Set after a Flush: the connection keeps the backend until its Sync. */
  private ownerNeedsSync = false;
  private readonly waiters: { handlerId: number; grant: () => void }[] = [];
  /** Connections that went away; a group of theirs still in flight must not run after the cleanup. */
  private readonly closed = new Set<number>();
  /** The group PGlite is executing now, so a cleanup can wait for it before rolling back. */
  private running: Promise<void> | null = null;

  /** Startup messages held until the connection's password is checked. */
  private readonly awaitingPassword = new Map<number, Uint8Array>();
  /** Connections that gave a wrong password: everything else they send is dropped. */
  private readonly refused = new Set<number>();
  private readonly passwordDigest: Buffer | null;

  constructor(
    private readonly db: PGlite,
    password?: string,
  ) {
    this.passwordDigest = password === undefined ? null : digest(password);
  }

  /** Called by PGLiteSocketHandler for every complete message of a connection, in order. */
  async enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    if (this.refused.has(handlerId)) return 0;
    if (isStartup(message)) {
      if (this.passwordDigest === null) return this.run(handlerId, message, onData, false);
      this.awaitingPassword.set(handlerId, message);
      onData(ASK_PASSWORD);
      return ASK_PASSWORD.length;
    }
    const type = message[0];
    const startup = this.awaitingPassword.get(handlerId);
    if (startup) {
      this.awaitingPassword.delete(handlerId);
      if (type === PASSWORD && this.passwordDigest && passwordMatches(message, this.passwordDigest)) {
        return this.run(handlerId, startup, onData, false);
      }
      this.refused.add(handlerId);
      const refusal = fatal("28P01", "password authentication failed (the embedded database's password is in its data folder)");
      onData(refusal);
      return refusal.length;
    }
    if (type === TERMINATE) {
      this.pending.delete(handlerId);
      return 0;
    }
    const group = this.pending.get(handlerId) ?? [];
    group.push(message);
    if (type !== SYNC && type !== QUERY && type !== FLUSH) {
      this.pending.set(handlerId, group);
      return 0;
    }
    this.pending.delete(handlerId);
    return this.run(handlerId, Buffer.concat(group), onData, type === FLUSH);
  }

  private async run(handlerId: number, bytes: Uint8Array, onData: (data: Uint8Array) => void, flush: boolean) {
    if (this.owner !== handlerId) await this.acquire(handlerId);
    if (this.closed.has(handlerId)) {
      this.release(handlerId);
      return 0;
    }
    let sent = 0;
    try {
      this.running = this.db.runExclusive(() =>
        this.db.execProtocolRawStream(bytes, {
          onRawData: (data) => {
            sent += data.length;
            onData(data);
          },
        }),
      );
      await this.running;
    } finally {
      this.running = null;
      this.ownerNeedsSync = flush;
      if (!flush && !this.db.isInTransaction()) this.release(handlerId);
    }
    return sent;
  }

  private acquire(handlerId: number): Promise<void> {
    if (this.owner === null) {
      this.owner = handlerId;
      return Promise.resolve();
    }
    return new Promise((grant) => this.waiters.push({ handlerId, grant }));
  }

  private release(handlerId: number): void {
    if (this.owner !== handlerId) return;
    this.ownerNeedsSync = false;
    const next = this.waiters.shift();
    this.owner = next?.handlerId ?? null;
    next?.grant();
  }

  getQueueLength(): number {
    return this.waiters.length;
  }

  /** A connection went away: drop what it had buffered and what it waited for. */
  clearQueueForHandler(handlerId: number): void {
    this.closed.add(handlerId);
    this.pending.delete(handlerId);
    this.awaitingPassword.delete(handlerId);
    this.refused.delete(handlerId);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i]?.handlerId === handlerId) this.waiters.splice(i, 1);
    }
  }

  /** A connection went away while holding the backend: roll its transaction back and hand the backend on. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    await this.running?.catch(() => {});
    if (this.owner !== handlerId) return;
    if (this.db.isInTransaction() || this.ownerNeedsSync) {
      // exec takes PGlite's own locks; wrapping it in runExclusive would wait on itself forever.
      await this.db.exec("ROLLBACK").catch(() => {});
    }
    this.release(handlerId);
  }
}
