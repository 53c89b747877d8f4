// SessionManager: this gateway's registry of WhatsApp sessions (one WhatsAppSession each), the SessionControl
// port, boot restore with bounded concurrency and jitter, and graceful shutdown.
import { DomainError, parseField, phoneNumberSchema, type SessionControl, type SessionEventBus, type SessionQr } from "@wa/api";
import type { Database } from "@wa/db";
import { getSession, listSessionsToRestore, updateSession, type WaSession, getGateway } from "@wa/db/queries";
import type pino from "pino";
import type { EngineConfig } from "../engine-config.ts";
import type { MessageSink, MessageSource } from "../messaging/types.ts";
import type { LeaseKeeper } from "../cluster/leases.ts";
import type { LeaseFence } from "@wa/db/queries";
import { socketDirectorySource, type DirectoryConnection } from "./directory-source.ts";
import { socketMessageSource } from "./message-source.ts";
import { quietLibsignal } from "./quiet.ts";
import { defaultReconnectPolicy, type ReconnectPolicyOptions } from "./reconnect-policy.ts";
import { WhatsAppSession } from "./session.ts";
import { rememberVerifiedSignatures } from "./verified-signatures.ts";
import { SimulatedScanRefused, simulateScan } from "./simulator.ts";

export interface SessionManagerOptions {
  db: Database;
  logger: pino.Logger;
  config: EngineConfig;
  events: SessionEventBus;
  /** Where every connection's messages and receipts go (messaging). */
  messages?: MessageSink;
  /** Several gateways: every session held here runs under a lease (cluster/leases.ts). */
  leases?: LeaseKeeper;
}

/** A gateway whose heartbeat is older than this is gone; its sessions may be taken over. */
const GATEWAY_STALE_MS = 30_000;

/** Runs `work` over `items` with at most `limit` in flight. */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      if (item !== undefined) await work(item);
    }
  });
  await Promise.all(runners);
}

/**
 * forEachLimited whose first `limit` items start after a random delay under `jitterMs`, spreading the first wave;
 * the rest follow as slots free up. A delay before every item would hold its slot idle and cap the pace at
 * limit ÷ mean delay (8 ÷ 0.5 s: a boot of 1 000 sessions could never be back within a minute).
 */
export async function forEachLimitedSpread<T>(items: readonly T[], limit: number, jitterMs: number, work: (item: T) => Promise<void>) {
  let begun = 0;
  await forEachLimited(items, limit, async (item) => {
    if (begun++ < limit && jitterMs > 0) await new Promise((r) => setTimeout(r, Math.floor(Math.random() * jitterMs)));
    await work(item);
  });
}

export class SessionManager {
  private readonly sessions = new Map<string, WhatsAppSession>();
  private readonly loading = new Map<string, Promise<WhatsAppSession>>();
  private readonly policy: ReconnectPolicyOptions;
  private readonly logger: pino.Logger;
  private closing = false;
  /** False while draining: sessions held here stay until handed over, none is opened here. */
  private accepting = true;

  constructor(private readonly opts: SessionManagerOptions) {
    this.policy = { ...defaultReconnectPolicy, ...opts.config.reconnect };
    this.logger = opts.logger.child({ component: "sessions" });
    quietLibsignal();
    rememberVerifiedSignatures();
    opts.leases?.setLostHandler((sessionId, reason) => void this.evict(sessionId, reason));
  }

  /** Draining: from now on no session is opened here (calls about others answer `gateway_unavailable`). */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Sessions held here by status (metrics). */
  statusCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const s of this.sessions.values()) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
    return counts;
  }

  /** Sessions held here (ids), for hand-over and metrics. */
  heldIds(): string[] {
    return [...this.sessions.keys()];
  }

  private create(row: WaSession, fence: LeaseFence | null): WhatsAppSession {
    return new WhatsAppSession(row, {
      ...this.opts,
      policy: this.policy,
      ...(fence ? { fence, onFenced: (id: string) => void this.evict(id, "status write refused by the fencing epoch") } : {}),
    });
  }

  /**
   * The lease of a session about to be opened here (null without a lease keeper: one gateway). `gateway_unavailable`
   * when another gateway holds it.
   */
  private async lease(row: WaSession): Promise<{ row: WaSession; fence: LeaseFence | null }> {
    const leases = this.opts.leases;
    if (!leases) {
      if (row.gatewayId !== this.opts.config.gatewayId) row = await this.takeOver(row);
      return { row, fence: null };
    }
    // A live gateway's sessions are its own until it hands them over: never taken back by force.
    if (row.gatewayId !== this.opts.config.gatewayId) await this.refuseIfHeldElsewhere(row);
    const fence = await leases.acquire(row.id);
    if (!fence) {
      throw new DomainError("gateway_unavailable", "session is held by another gateway", { gatewayId: row.gatewayId });
    }
    if (row.gatewayId !== this.opts.config.gatewayId) {
      this.logger.info({ sessionId: row.id, from: row.gatewayId, epoch: fence.epoch }, "session taken over");
    }
    return { row: { ...row, gatewayId: this.opts.config.gatewayId }, fence };
  }

  /** The lease is gone: close the socket at once and forget the session (another gateway may open it now). */
  async evict(sessionId: string, reason: string): Promise<void> {
    const session = this.sessions.get(sessionId);
    this.opts.leases?.forget(sessionId);
    if (!session) return;
    this.sessions.delete(sessionId);
    this.logger.warn({ sessionId, reason }, "session closed here: lease lost");
    await session.abandon().catch((err: unknown) => this.logger.error({ err, sessionId }, "closing a session after its lease was lost failed"));
  }

  /**
   * Takeover: leases a session nobody holds and reconnects it from its stored auth state (no QR). False when another
   * gateway was faster.
   */
  async adopt(sessionId: string, jitterMs: number): Promise<boolean> {
    if (this.closing || !this.accepting || this.sessions.has(sessionId) || this.loading.has(sessionId)) return false;
    const row = await getSession(this.opts.db, sessionId);
    if (!row || !["starting", "scan_qr_code", "working"].includes(row.status)) return false;
    const fence = await this.opts.leases?.acquire(sessionId);
    if (!fence) return false;
    // A control call opened it meanwhile (it shares this lease): one session object, one socket.
    if (this.sessions.has(sessionId) || this.loading.has(sessionId) || this.closing) return false;
    const session = this.create({ ...row, gatewayId: this.opts.config.gatewayId }, fence);
    this.sessions.set(sessionId, session);
    this.logger.info({ sessionId, from: row.gatewayId, epoch: fence.epoch }, "session taken over");
    // The lease is ours now; the connection follows after a random delay so takeovers spread over the window.
    setTimeout(() => {
      if (this.sessions.get(sessionId) !== session || this.closing) return;
      session.resume().catch((err: unknown) => this.logger.error({ err, sessionId }, "reconnecting a taken-over session failed"));
    }, Math.floor(Math.random() * jitterMs)).unref();
    return true;
  }

  /**
   * Graceful hand-over of one session: its socket is closed and its creds flushed here, then the lease ends and the
   * row names `target`, which opens it next: never two sockets.
   */
  async handOver(sessionId: string, target: string | undefined): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    await session.shutdown();
    this.sessions.delete(sessionId);
    await this.opts.leases?.release(sessionId, target);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The in-memory session, if this gateway holds it. */
  peek(sessionId: string): WhatsAppSession | undefined {
    return this.sessions.get(sessionId);
  }

  /** The session's open connection as a backfill sees it, or null unless it is `working` here. */
  connection(sessionId: string): DirectoryConnection | null {
    const live = this.sessions.get(sessionId)?.connection();
    if (!live) return null;
    return {
      source: socketDirectorySource(live.sock, this.opts.db, sessionId),
      writer: live.capture,
      signal: live.signal,
    };
  }

  /** The session's open connection as messaging sends through it, or null unless it is `working` here. */
  messageSource(sessionId: string): MessageSource | null {
    const live = this.sessions.get(sessionId)?.connection();
    return live ? socketMessageSource(live.sock, live.signal) : null;
  }

  /** Ids of the sessions this gateway holds in memory. */
  heldSessionIds(): string[] {
    return [...this.sessions.keys()];
  }

  private async loadRow(sessionId: string): Promise<WaSession> {
    const row = await getSession(this.opts.db, sessionId);
    if (!row) throw new DomainError("not_found", "session not found");
    return row;
  }

  /** The live session object, created from its row on first use. Refuses sessions held by another live gateway. */
  private async obtain(sessionId: string): Promise<WhatsAppSession> {
    const existing = this.sessions.get(sessionId);
    if (existing) return existing;
    const pending = this.loading.get(sessionId);
    if (pending) return pending;
    if (!this.accepting) throw new DomainError("gateway_unavailable", "gateway is draining");
    const load = (async () => {
      const { row, fence } = await this.lease(await this.loadRow(sessionId));
      const created = this.sessions.get(sessionId) ?? this.create(row, fence);
      this.sessions.set(sessionId, created);
      return created;
    })();
    this.loading.set(sessionId, load);
    try {
      return await load;
    } finally {
      this.loading.delete(sessionId);
    }
  }

  /** `gateway_unavailable` when another live gateway holds the session (its calls belong there). */
  private async refuseIfHeldElsewhere(row: WaSession): Promise<void> {
    if (row.gatewayId === this.opts.config.gatewayId) return;
    const holder = await getGateway(this.opts.db, row.gatewayId);
    const alive =
      holder && holder.status === "online" && Date.now() - holder.heartbeatAt.getTime() < GATEWAY_STALE_MS;
    if (alive) {
      throw new DomainError("gateway_unavailable", `session is held by gateway ${row.gatewayId}`, {
        gatewayId: row.gatewayId,
      });
    }
  }

  /**
   * "Is this session held here?" without taking it: `not_found` for an unknown session, `gateway_unavailable` when
   * another live gateway holds it. Read-only routes (a backfill job's state) go through here.
   */
  async assertHeldHere(sessionId: string): Promise<WaSession> {
    const held = this.sessions.get(sessionId);
    if (held) return held.snapshot();
    const row = await this.loadRow(sessionId);
    await this.refuseIfHeldElsewhere(row);
    return row;
  }

  /** The control routes' path (taking over a session whose gateway is gone), for callers outside this class. */
  async hold(sessionId: string): Promise<{ id: string; organizationId: string }> {
    this.assertOpen();
    const session = await this.obtain(sessionId);
    return { id: session.id, organizationId: session.organizationId };
  }

  private async takeOver(row: WaSession): Promise<WaSession> {
    await this.refuseIfHeldElsewhere(row);
    const moved = await updateSession(this.opts.db, row.id, { gatewayId: this.opts.config.gatewayId });
    if (!moved) throw new DomainError("not_found", "session not found");
    this.logger.info({ sessionId: row.id, from: row.gatewayId }, "session taken over from a gateway that is gone");
    return moved;
  }

  private assertOpen(): void {
    if (this.closing) throw new DomainError("gateway_unavailable", "gateway is shutting down");
  }

  async start(sessionId: string): Promise<void> {
    this.assertOpen();
    await (await this.obtain(sessionId)).start();
  }

  async stop(sessionId: string): Promise<void> {
    this.assertOpen();
    await (await this.obtain(sessionId)).stop();
  }

  async restart(sessionId: string): Promise<void> {
    this.assertOpen();
    await (await this.obtain(sessionId)).restart();
  }

  async logout(sessionId: string): Promise<void> {
    this.assertOpen();
    await (await this.obtain(sessionId)).logout();
  }

  /** Stops the socket and logs out (wiping auth state); the caller deletes the row afterwards. */
  async remove(sessionId: string): Promise<void> {
    this.assertOpen();
    const session = await this.obtain(sessionId);
    await session.logout("session removed");
    this.sessions.delete(sessionId);
    this.opts.leases?.forget(sessionId);
  }

  async getQr(sessionId: string): Promise<SessionQr> {
    const session = this.sessions.get(sessionId);
    if (!session) {
      await this.assertHeldHere(sessionId);
      throw new DomainError("conflict", "session is not waiting for a QR scan");
    }
    const qr = session.currentQr();
    if (!qr) throw new DomainError("conflict", `session is not waiting for a QR scan (${session.status})`);
    return qr;
  }

  async requestPairingCode(sessionId: string, phoneNumber: string): Promise<{ code: string }> {
    const digits = parseField(phoneNumberSchema, "phoneNumber", phoneNumber.replace(/^\+/, ""));
    const session = this.sessions.get(sessionId);
    if (!session) {
      await this.assertHeldHere(sessionId);
      throw new DomainError("conflict", "start the session before requesting a pairing code");
    }
    return { code: await session.requestPairingCode(digits) };
  }

  /** Simulator only: hands the session's current QR to a simulated phone, as a person scanning it would. */
  async simulateScan(sessionId: string): Promise<{ phoneNumber: string }> {
    const base = this.opts.config.simulatorHttpUrl;
    if (!base) throw new DomainError("not_implemented", "the gateway is not wired to the simulator");
    const session = this.sessions.get(sessionId);
    if (!session) {
      await this.assertHeldHere(sessionId);
      throw new DomainError("conflict", "session is not waiting for a QR scan");
    }
    const qr = await session.awaitQr(20_000);
    try {
      return await simulateScan(base, qr.qr);
    } catch (err) {
      if (err instanceof SimulatedScanRefused) throw new DomainError("conflict", err.message);
      throw err;
    }
  }

  control(): SessionControl {
    const control: SessionControl = {
      start: (id) => this.start(id),
      stop: (id) => this.stop(id),
      restart: (id) => this.restart(id),
      logout: (id) => this.logout(id),
      remove: (id) => this.remove(id),
      getQr: (id) => this.getQr(id),
      requestPairingCode: (id, phone) => this.requestPairingCode(id, phone),
    };
    if (this.opts.config.simulatorHttpUrl) control.simulateScan = (id) => this.simulateScan(id);
    return control;
  }

  /** Boot: resumes this gateway's sessions that were running, a few at a time, the first few spread by jitter. */
  async restoreAll(): Promise<void> {
    const rows = await listSessionsToRestore(this.opts.db, this.opts.config.gatewayId);
    const concurrency = this.opts.config.restoreConcurrency ?? 8;
    const jitter = this.opts.config.restoreJitterMs ?? 1_000;
    this.logger.info({ sessions: rows.length, concurrency }, "restoring sessions");
    await forEachLimitedSpread(rows, concurrency, jitter, async (row) => {
      if (this.closing) return;
      try {
        let session = this.sessions.get(row.id);
        if (!session) {
          const fence = this.opts.leases ? await this.opts.leases.acquire(row.id) : null;
          if (this.opts.leases && !fence) return; // taken over by another gateway meanwhile: it is theirs now
          session = this.create(row, fence);
          this.sessions.set(row.id, session);
        }
        await session.resume();
      } catch (err) {
        this.logger.error({ err, sessionId: row.id }, "restoring a session failed");
      }
    });
  }

  /** Closes every socket without logging out and flushes creds; statuses stay so the next boot resumes them. */
  async shutdown(): Promise<void> {
    this.closing = true;
    await Promise.all(
      [...this.sessions.values()].map(async (s) => {
        try {
          await s.shutdown();
          // Closed here: another gateway may take it at once instead of waiting for the lease to expire.
          await this.opts.leases?.release(s.id);
        } catch (err) {
          this.logger.error({ err, sessionId: s.id }, "session shutdown failed");
        }
      }),
    );
    this.sessions.clear();
  }
}
