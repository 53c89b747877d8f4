// WhatsAppSession: one Baileys socket at a time for one session, and the single writer of the session's status.
import { DomainError, type SessionEventBus, type SessionQr } from "@wa/api";
import { safeError, type Database } from "@wa/db";
import { updateSessionFenced, updateSessionState, type LeaseFence, type SessionStatePatch, type WaSession } from "@wa/db/queries";
import makeWASocket, { BufferJSON, type ConnectionState, type WAMessage, type WASocket } from "@whiskeysockets/baileys";
import type pino from "pino";
import QRCode from "qrcode";
import type { EngineConfig } from "../engine-config.ts";
import { authCipherFor } from "./auth-cipher.ts";
import { boundedBaileysLogger, type BaileysLogger } from "./baileys-logger.ts";
import { loadAuthState, wipeAuthState, type SessionAuthState } from "./auth-state.ts";
import { EventCapture } from "./capture.ts";
import type { MessageSink } from "../messaging/types.ts";
import { attachMessageEvents, storeBeforeReceipt } from "./inbound.ts";
import { storedAheadBySocket } from "./message-source.ts";
import { normalizeUserJid, phoneDigits } from "./jids.ts";
import { SerialLock } from "./lock.ts";
import { retryWhileUnreachable } from "./retry-writes.ts";
import {
  decideReconnect,
  freshHistory,
  historyAfterOpen,
  type ReconnectHistory,
  type ReconnectPolicyOptions,
} from "./reconnect-policy.ts";

export interface SessionDeps {
  db: Database;
  logger: pino.Logger;
  config: EngineConfig;
  events: SessionEventBus;
  policy: ReconnectPolicyOptions;
  /** Where the connection's messages and receipts go (messaging); absent: not listened to. */
  messages?: MessageSink;
  /** The lease this session runs under (several gateways): status and auth-state writes are fenced by it. */
  fence?: LeaseFence;
  /** Told when a fenced status write was refused (the lease is gone: close here, write nothing more). */
  onFenced?: (sessionId: string) => void;
}

/** The live connection handed to a backfill job: its socket, and a signal aborted when that connection closes. */
export interface LiveConnection {
  sock: WASocket;
  signal: AbortSignal;
  capture: EventCapture;
}

type Waiter = { test: () => boolean; resolve: () => void };

const FIRST_QR_TTL_MS = 60_000;
const NEXT_QR_TTL_MS = 20_000;

function errorStatusCode(error: unknown): number | undefined {
  const output = (error as { output?: { statusCode?: unknown } } | undefined)?.output;
  return typeof output?.statusCode === "number" ? output.statusCode : undefined;
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string) =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });

export class WhatsAppSession {
  readonly id: string;
  readonly organizationId: string;
  readonly capture: EventCapture;
  private row: WaSession;
  private reason: string | null = null;
  private readonly lock = new SerialLock();
  private readonly logger: pino.Logger;
  private readonly baileysLogger: BaileysLogger;
  private running = false;
  private sock: WASocket | null = null;
  private generation = 0;
  private detachSocket: (() => void) | null = null;
  private connAbort: AbortController | null = null;
  private auth: SessionAuthState | null = null;
  /**
   * The creds as last stored (BufferJSON text), null when unknown (fresh creds, or a save that failed): Baileys
   * announces creds at every login (`me` with its LID, the props hash, ...) mostly unchanged, and a save that would
   * store the same creds again is skipped (no seal, no write).
   */
  private storedCreds: string | null = null;
  private history: ReconnectHistory = freshHistory();
  private reconnectTimer: NodeJS.Timeout | null = null;
  private qr: SessionQr | null = null;
  private qrCount = 0;
  private statusChain: Promise<void> = Promise.resolve();
  private writeSeq = 0;
  private waiters: Waiter[] = [];

  constructor(
    row: WaSession,
    private readonly deps: SessionDeps,
  ) {
    this.id = row.id;
    this.organizationId = row.organizationId;
    this.row = row;
    this.logger = deps.logger.child({ sessionId: row.id, organizationId: row.organizationId });
    // Baileys is chatty at info; its warnings and errors are what an operator needs (all of it at debug/trace).
    const level = this.logger.levelVal <= 20 || this.logger.levelVal >= 40 ? this.logger.level : "warn";
    this.baileysLogger = boundedBaileysLogger(this.logger.child({ component: "baileys" }, { level }));
    this.capture = new EventCapture(deps.db, row.id, this.logger.child({ component: "capture" }));
  }

  get status(): WaSession["status"] {
    return this.row.status;
  }

  get statusReason(): string | null {
    return this.reason;
  }

  get isRunning(): boolean {
    return this.running;
  }

  snapshot(): WaSession {
    return { ...this.row };
  }

  currentQr(): SessionQr | null {
    return this.row.status === "scan_qr_code" ? this.qr : null;
  }

  /** The open connection, or null unless the session is `working`. */
  connection(): LiveConnection | null {
    if (this.row.status !== "working" || !this.sock || !this.connAbort) return null;
    return { sock: this.sock, signal: this.connAbort.signal, capture: this.capture };
  }

  // ── status writer ────────────────────────────────────────────────────────────────────────────────────────

  /**
   * The one place a status changes: memory at once (decisions read it), then the row (in call order), then the
   * event stream with the persisted row.
   */
  private setState(patch: SessionStatePatch): Promise<void> {
    const { statusReason, lastConnectedAt, ...rest } = patch;
    this.row = {
      ...this.row,
      ...rest,
      ...(lastConnectedAt === undefined ? {} : { lastConnectedAt: lastConnectedAt?.getTime() ?? null }),
    } as WaSession;
    if (statusReason !== undefined) this.reason = statusReason;
    const qr = this.currentQr();
    this.notifyWaiters();
    const seq = ++this.writeSeq;
    let markQueued = () => {};
    const queued = new Promise<void>((resolve) => (markQueued = resolve));
    const write = this.statusChain.then(async () => {
      // In order, and never dropped while the database is away: the status is what operators and the API see.
      const fence = this.deps.fence;
      const saved = await retryWhileUnreachable(
        () => (fence ? updateSessionFenced(this.deps.db, fence, patch) : updateSessionState(this.deps.db, this.id, patch)), {
        onRetry: (err, attempt, delayMs) => {
          if (attempt > 1) return;
          this.logger.warn({ err: safeError(err), status: patch.status, delayMs }, "database unreachable; status write queued");
          markQueued();
        },
      });
      if (!saved) {
        // the row was deleted, or (fenced) another gateway holds the session now: nothing to publish
        if (fence) this.deps.onFenced?.(this.id);
        return;
      }
      // The row may also carry changes made elsewhere (label, settings); memory takes it unless newer writes wait.
      if (seq === this.writeSeq) this.row = saved;
      this.deps.events.publish({
        sessionId: this.id,
        organizationId: this.organizationId,
        status: saved.status,
        qr: saved.status === "scan_qr_code" ? qr : null,
        session: saved,
        at: Date.now(),
      });
      this.logger.info({ status: saved.status, reason: patch.statusReason ?? undefined }, "session status");
    });
    this.statusChain = write.catch((err: unknown) => {
      this.logger.error({ err: safeError(err) }, "persisting session status failed");
    });
    // Callers go on once the row is written, or once the write waits for the database (it lands when it returns,
    // in order; shutdown flushes the queue): the session keeps deciding from memory meanwhile.
    return Promise.race([this.statusChain, queued]);
  }

  /** Status writes still queued (e.g. while the database is away) are written; for shutdown. */
  flushStatus(): Promise<void> {
    return this.statusChain;
  }

  private notifyWaiters(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.test()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves when `test` holds (checked on every state change), rejects after `timeoutMs`. */
  waitFor(test: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (test()) return Promise.resolve();
    return withTimeout(
      new Promise<void>((resolve) => {
        this.waiters.push({ test, resolve });
      }),
      timeoutMs,
      what,
    );
  }

  // ── lifecycle (each under the session lock) ─────────────────────────────────────────────────────────────

  start(): Promise<void> {
    return this.lock.run(async () => {
      if (this.running) throw new DomainError("conflict", `session is already running (${this.row.status})`);
      this.running = true;
      this.history = freshHistory();
      await this.setState({ status: "starting", statusReason: null });
      await this.connect();
    });
  }

  /** Boot restore: like start, but a session that is somehow already running is left alone. */
  resume(): Promise<void> {
    return this.lock.run(async () => {
      if (this.running) return;
      this.running = true;
      this.history = freshHistory();
      await this.setState({ status: "starting", statusReason: null });
      await this.connect();
    });
  }

  stop(): Promise<void> {
    return this.lock.run(async () => {
      this.running = false;
      await this.closeSocket("session stopped");
      await this.flushCreds();
      this.auth = null;
      await this.setState({ status: "stopped", statusReason: null });
    });
  }

  restart(): Promise<void> {
    return this.lock.run(async () => {
      this.running = false;
      await this.closeSocket("session restarting");
      await this.flushCreds();
      this.auth = null;
      this.running = true;
      this.history = freshHistory();
      await this.setState({ status: "starting", statusReason: null });
      await this.connect();
    });
  }

  /** Unlinks the device when connected, then wipes creds and keys in one transaction. */
  logout(reason = "logged out by an operator"): Promise<void> {
    return this.lock.run(async () => {
      this.running = false;
      const sock = this.sock;
      if (sock && this.row.status === "working") {
        try {
          await withTimeout(sock.logout(), 10_000, "logout");
        } catch (err) {
          this.logger.warn({ err }, "telling WhatsApp about the logout failed; wiping local auth state anyway");
        }
      }
      await this.closeSocket("session logged out");
      await this.auth?.revoke();
      this.auth = null;
      await wipeAuthState(this.deps.db, this.id);
      await this.setState({ status: "logged_out", statusReason: reason });
    });
  }

  /** Gateway shutdown: socket closed without logging out, creds flushed, status left for boot restore. */
  shutdown(): Promise<void> {
    return this.lock.run(async () => {
      this.running = false;
      await this.closeSocket("gateway shutting down");
      await this.flushCreds().catch((err: unknown) => this.logger.error({ err }, "flushing creds at shutdown failed"));
      this.auth = null;
      await this.statusChain;
      await this.capture.idle();
    });
  }

  /**
   * The lease is lost: the socket is closed and nothing more is written (another gateway may hold the session now;
   * its status and auth state are that gateway's to write). Not under the lock: it must not wait behind work.
   */
  async abandon(): Promise<void> {
    this.running = false;
    // Revoked at once (writes stuck waiting for the database are dropped, not awaited): the socket closes now.
    void this.auth?.revoke();
    this.auth = null;
    await this.closeSocket("lease lost");
  }

  async requestPairingCode(phoneNumber: string): Promise<string> {
    if (!this.running) throw new DomainError("conflict", "start the session before requesting a pairing code");
    if (this.auth?.paired || this.row.status === "working") throw new DomainError("conflict", "session is already paired");
    await this.waitFor(() => this.row.status === "scan_qr_code" || !this.running, 20_000, "waiting for pairing").catch(
      () => undefined,
    );
    const sock = this.sock;
    if (!sock || this.row.status !== "scan_qr_code") {
      throw new DomainError("conflict", "session is not waiting to be paired");
    }
    return sock.requestPairingCode(phoneNumber);
  }

  /** The QR once the session shows one (waits while it is starting). */
  async awaitQr(timeoutMs: number): Promise<SessionQr> {
    await this.waitFor(() => this.currentQr() !== null || !this.running, timeoutMs, "waiting for a QR").catch(
      () => undefined,
    );
    const qr = this.currentQr();
    if (!qr) throw new DomainError("conflict", `session is not waiting for a QR scan (${this.row.status})`);
    return qr;
  }

  // ── socket ───────────────────────────────────────────────────────────────────────────────────────────────

  private async flushCreds(): Promise<void> {
    if (this.auth) await this.saveCredsIfChanged(this.auth);
  }

  /** Saves the creds unless they are what the database already has (see storedCreds). */
  private async saveCredsIfChanged(auth: SessionAuthState): Promise<void> {
    const json = JSON.stringify(auth.state.creds, BufferJSON.replacer);
    if (json === this.storedCreds) return;
    this.storedCreds = json;
    try {
      await auth.saveCreds();
    } catch (err) {
      // Not known to be stored: the next announcement or flush saves them again.
      if (this.storedCreds === json) this.storedCreds = null;
      throw err;
    }
  }

  /** Removes our listeners and ends the socket; afterwards nothing from it reaches this session. */
  private async closeSocket(reason: string): Promise<void> {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.qr = null;
    const sock = this.sock;
    this.sock = null;
    this.generation += 1;
    this.detachSocket?.();
    this.detachSocket = null;
    this.connAbort?.abort(new Error(reason));
    this.connAbort = null;
    if (!sock) return;
    try {
      await withTimeout(sock.end(undefined) ?? Promise.resolve(), 5_000, "closing the socket");
    } catch (err) {
      this.logger.warn({ err }, "closing the socket failed");
    }
  }

  private async connect(): Promise<void> {
    await this.closeSocket("reconnecting");
    if (!this.running) return;
    if (!this.auth) {
      try {
        const cipher = authCipherFor({ current: this.deps.config.appSecret, previous: this.deps.config.appSecretPrevious });
        this.auth = await loadAuthState(this.deps.db, this.id, cipher, this.baileysLogger, this.deps.fence);
        this.storedCreds = this.auth.minted ? null : JSON.stringify(this.auth.state.creds, BufferJSON.replacer);
      } catch (err) {
        // Never fall back to fresh creds: that would unpair a device whose creds we merely failed to read.
        this.running = false;
        const message = err instanceof Error ? err.message : String(err);
        this.logger.error({ err }, "loading auth state failed");
        await this.setState({
          status: "failed",
          statusReason: `auth state unreadable: ${message}`,
        });
        return;
      }
    }
    try {
      this.open(this.auth);
    } catch (err) {
      // Never left `starting` with no socket and nothing to retry it (start would then say it is running): the
      // status says why, and start tries again.
      await this.closeSocket("opening the connection failed");
      this.running = false;
      const message = err instanceof Error ? err.message : String(err);
      this.logger.error({ err: safeError(err) }, "opening the connection failed");
      await this.setState({ status: "failed", statusReason: `opening the connection to WhatsApp failed: ${message}` });
    }
  }

  /** A new socket for the loaded auth state, with this session's listeners on it. */
  private open(auth: SessionAuthState): void {
    this.capture.setSelf([auth.state.creds.me?.id, auth.state.creds.me?.lid]);
    const gen = ++this.generation;
    const { config } = this.deps;
    this.qrCount = 0;
    const messages = this.deps.messages;
    // Ids stored before their upsert on this socket (before their receipt, or sent from here), not yet upserted.
    const storedAhead = new Set<string>();
    const socketConfig: Parameters<typeof makeWASocket>[0] & { beforeMessageReceipt?: (message: WAMessage) => Promise<void> } = {
      ...(messages ? { beforeMessageReceipt: storeBeforeReceipt(this.id, messages, () => auth.state.creds.me, storedAhead) } : {}),
      auth: auth.state,
      logger: this.baileysLogger,
      ...(config.waWsUrl ? { waWebSocketUrl: config.waWsUrl } : {}),
      ...(config.qrTimeoutMs ? { qrTimeout: config.qrTimeoutMs } : {}),
      keepAliveIntervalMs: config.keepAliveIntervalMs ?? 30_000,
      markOnlineOnConnect: false,
      syncFullHistory: false,
      generateHighQualityLinkPreview: false,
    };
    const sock = makeWASocket(socketConfig);
    storedAheadBySocket.set(sock, storedAhead);
    this.sock = sock;
    const abort = new AbortController();
    this.connAbort = abort;

    const onConnection = (update: Partial<ConnectionState>) => {
      if (gen !== this.generation) return;
      if (update.qr) void this.onQr(update.qr, gen);
      if (update.connection === "open") this.onOpen(auth);
      if (update.connection === "close") {
        const error = update.lastDisconnect?.error;
        void this.lock.run(() => this.onClose(error, gen, auth));
      }
    };
    const onCreds = () => {
      if (gen !== this.generation) return;
      this.capture.setSelf([auth.state.creds.me?.id, auth.state.creds.me?.lid]);
      this.saveCredsIfChanged(auth).catch((err: unknown) => this.logger.error({ err }, "saving creds failed"));
    };
    sock.ev.on("connection.update", onConnection);
    sock.ev.on("creds.update", onCreds);
    this.capture.attach(sock.ev, { historyExpected: !auth.state.creds.accountSyncCounter });
    const detachMessages = messages ? attachMessageEvents(sock.ev, this.id, messages, storedAhead) : () => {};
    this.detachSocket = () => {
      sock.ev.off("connection.update", onConnection);
      sock.ev.off("creds.update", onCreds);
      this.capture.detach();
      detachMessages();
    };
  }

  private async onQr(qr: string, gen: number): Promise<void> {
    const ttl = this.deps.config.qrTimeoutMs ?? (this.qrCount === 0 ? FIRST_QR_TTL_MS : NEXT_QR_TTL_MS);
    this.qrCount += 1;
    const image = await QRCode.toDataURL(qr);
    if (gen !== this.generation) return;
    this.qr = { qr, image, expiresAt: Date.now() + ttl };
    await this.setState({ status: "scan_qr_code", statusReason: null });
  }

  private onOpen(auth: SessionAuthState): void {
    this.history = historyAfterOpen(this.history);
    this.qr = null;
    const me = auth.state.creds.me;
    const phoneNumber = phoneDigits(me?.id);
    const admin = this.deps.config.adminPhoneNumber?.replace(/\D/g, "");
    void this.setState({
      status: "working",
      statusReason: null,
      phoneNumber,
      waJid: normalizeUserJid(me?.id),
      waLid: normalizeUserJid(me?.lid),
      lastConnectedAt: new Date(),
      isAdminSession: Boolean(admin && phoneNumber === admin),
    });
    this.deps.messages?.opened(this.id);
  }

  private async onClose(error: Error | undefined, gen: number, auth: SessionAuthState): Promise<void> {
    if (gen !== this.generation) return; // a socket we already replaced or ended on purpose
    const statusCode = errorStatusCode(error);
    const message = error?.message ?? "connection closed";
    await this.closeSocket(`${message}${statusCode ? ` (${statusCode})` : ""}`);
    if (!this.running) return;
    const { decision, history } = decideReconnect(
      { statusCode, message, paired: auth.paired, qrShown: this.qrCount > 0 },
      this.history,
      Date.now(),
      this.deps.policy,
    );
    this.history = history;
    this.logger.info({ statusCode, message, decision }, "connection closed");
    if (decision.action === "reconnect") {
      await this.setState({ status: "starting", statusReason: decision.reason });
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        void this.lock.run(async () => {
          if (this.running && !this.sock) await this.connect();
        });
      }, decision.delayMs);
      return;
    }
    this.running = false;
    if (decision.wipeAuth) {
      await auth.revoke();
      this.auth = null;
      try {
        // Retried while the database is away: creds left behind would be offered to WhatsApp again.
        await retryWhileUnreachable(() => wipeAuthState(this.deps.db, this.id));
      } catch (err) {
        this.logger.error({ err: safeError(err) }, "wiping auth state after logout failed");
      }
      await this.setState({ status: decision.status, statusReason: decision.reason });
      return;
    }
    // The status first: it must not wait behind a creds flush that is queued while the database is away.
    const status = this.setState({ status: decision.status, statusReason: decision.reason });
    await this.flushCreds().catch((err: unknown) => this.logger.error({ err: safeError(err) }, "saving creds failed"));
    this.auth = null;
    await status;
  }
}
