// The simulator's HTTP + WebSocket server: accepts companions on /ws/chat, routes stanzas, drives the phones.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getBinaryNodeChild, getBinaryNodeChildren, jidDecode, type BinaryNode, type proto } from "@whiskeysockets/baileys";
import type { Logger } from "pino";
import { WebSocketServer } from "ws";
import { Connection } from "./connection.ts";
import type { SimDevice } from "./device.ts";
import { simLogLevel } from "./env.ts";
import { answerIq } from "./iq.ts";
import { createSimLogger } from "./log.ts";
import { createServerIdentity, type KeyPair, type ServerIdentity } from "./noise.ts";
import {
  buildHistoryChunks,
  companionAddress,
  encryptForCompanion,
  messageText,
  messageType,
  newMessageId,
  participantEncs,
} from "./phone.ts";
import type { ScenarioOptions } from "./scenario.ts";
import { captureState, restoreState, StateStore } from "./state.ts";
import { World, type Account, type Companion, type OutboxItem } from "./world.ts";

export interface SimServerOptions {
  /** TCP port; 0 picks a free one (default 0). */
  port?: number;
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** Default scenario for accounts created by a scan. */
  scenario?: ScenarioOptions;
  /** Refs sent in the one `pair-device` stanza, i.e. how many QR codes the client can show (default 6). */
  qrRefs?: number;
  /** How long each QR is meant to live; set Baileys' `qrTimeout` to the same value (default 20 000 ms). */
  qrRefreshMs?: number;
  /** Extra time after the last ref before the server ends an unscanned registration (default 5 000 ms). */
  qrGraceMs?: number;
  /** Delay before a delivery receipt for a companion's message (default 100 ms, pitfall P3). */
  receiptDelayMs?: number;
  /** Contacts per history-sync chunk (default 2 000). */
  historyChunkSize?: number;
  /** Delay unit for slowed-down accounts: each slowed answer waits (factor − 1) × unit (default 100 ms). */
  slowUnitMs?: number;
  /** Root key pair of the certificate chain (generated when absent; a state directory's saved root wins). */
  rootKeyPair?: KeyPair;
  /**
   * Directory where accounts, linked companions, their prekeys and the simulated devices' Signal sessions are kept
   * (created 0700; `state.json` 0600, written atomically). Without it everything lives in memory only.
   */
  stateDir?: string;
  logger?: Logger;
}

export type ResolvedOptions = Required<Omit<SimServerOptions, "scenario" | "rootKeyPair" | "logger" | "stateDir">>;

/** Relayed message ids remembered for passing receipts back to their sender. */
const MAX_RELAYED = 10_000;

/** Changes are written at most this often (and at stop). */
const SAVE_DEBOUNCE_MS = 100;

export type DeviceTarget =
  | { kind: "sim"; device: SimDevice; label: string; account: Account | null }
  | { kind: "companion"; companion: Companion };

export type ControlHandler = (req: IncomingMessage, res: ServerResponse) => void;

const nowSec = (): string => Math.floor(Date.now() / 1000).toString();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class SimServer {
  readonly options: ResolvedOptions;
  readonly world: World;
  readonly identity: ServerIdentity;
  readonly log: Logger;
  readonly pendingRefs = new Map<string, Connection>();
  /** Registering clients that asked for a pairing code, by the phone number they named. */
  readonly pendingLinkCodes = new Map<string, Connection>();
  /** Live connection of each logged-in companion. */
  readonly live = new Map<Companion, Connection>();
  readonly connections = new Set<Connection>();
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private controlHandler: ControlHandler | null = null;
  private connSeq = 0;
  private readonly store: StateStore | null = null;
  /** Sender companion of each message relayed to another account's companion (for passing its receipts back). */
  private readonly relayedFrom = new Map<string, Companion>();
  private saveTimer: NodeJS.Timeout | null = null;
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;
  private closing = false;
  private released = false;
  private restoring = false;

  constructor(opts: SimServerOptions = {}) {
    this.options = {
      port: opts.port ?? 0,
      host: opts.host ?? "127.0.0.1",
      qrRefs: opts.qrRefs ?? 6,
      qrRefreshMs: opts.qrRefreshMs ?? 20_000,
      qrGraceMs: opts.qrGraceMs ?? 5_000,
      receiptDelayMs: opts.receiptDelayMs ?? 100,
      historyChunkSize: opts.historyChunkSize ?? 2_000,
      slowUnitMs: opts.slowUnitMs ?? 100,
    };
    this.log = opts.logger ?? createSimLogger({ level: simLogLevel() });
    this.world = new World(opts.scenario, () => this.changed());
    let rootKeyPair = opts.rootKeyPair;
    if (opts.stateDir) {
      const store = new StateStore(opts.stateDir);
      try {
        const saved = store.load();
        if (saved) {
          this.restoring = true;
          restoreState(this.world, saved);
          this.restoring = false;
          rootKeyPair = saved.rootKeyPair;
          this.log.info({ stateDir: opts.stateDir, accounts: this.world.accounts.size }, "state restored");
        }
      } catch (err) {
        store.release();
        throw err;
      }
      this.store = store;
    }
    this.identity = createServerIdentity(rootKeyPair);
    // A first start writes the root key at once, so the trust root stays the same across restarts.
    this.changed();
    this.http = createServer((req, res) => {
      if (this.controlHandler) this.controlHandler(req, res);
      else {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "not_found", message: "no such route" } }));
      }
    });
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 32 * 1024 * 1024 });
    this.http.on("upgrade", (req, socket, head) => {
      const path = (req.url ?? "").split("?")[0];
      if (path !== "/ws/chat") {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const conn = new Connection(this, ws, this.log.child({ conn: (this.connSeq++).toString(36) }));
        this.connections.add(conn);
      });
    });
  }


  setControlHandler(h: ControlHandler): void {
    this.controlHandler = h;
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(this.options.port, this.options.host, () => resolve());
    });
    return (this.http.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const c of this.connections) c.drop();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((r) => this.http.close(() => r()));
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    await this.saving;
    await this.writeState();
    this.store?.release();
    this.released = true;
  }

  /** Something worth persisting changed: write the state directory soon (debounced, one write at a time). */
  changed(): void {
    if (!this.store || this.restoring) return;
    this.dirty = true;
    // After stop() the directory may belong to the next simulator already; the final write happened in stop().
    if (this.closing) return;
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.saving = this.saving.then(() => this.writeState());
    }, SAVE_DEBOUNCE_MS);
    this.saveTimer.unref();
  }

  /** Writes the state directory if anything changed since the last write. */
  private async writeState(): Promise<void> {
    if (!this.store || !this.dirty || this.released) return;
    this.dirty = false;
    try {
      await this.store.save(captureState(this.world, this.identity.root));
    } catch (err) {
      this.dirty = true;
      // The message names the file and the errno; state content never reaches the log.
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, "could not write the simulator state");
    }
  }

  attach(conn: Connection, companion: Companion): void {
    const old = this.live.get(companion);
    if (old && old !== conn) {
      // One socket per device: the older one is told it was replaced (Baileys reports 440).
      old.streamError(440, { tag: "conflict", attrs: { type: "replaced" } });
      companion.account.replacedConnections += 1;
    }
    this.live.set(companion, conn);
  }

  detach(conn: Connection): void {
    this.connections.delete(conn);
    if (conn.companion && this.live.get(conn.companion) === conn) {
      this.live.delete(conn.companion);
      conn.companion.account.lastDisconnectedAt = Date.now();
    }
  }

  /** Removes a companion from its account; its stored creds will be refused (401) from now on. */
  forgetCompanion(c: Companion): void {
    this.world.removeCompanion(c);
  }

  async slowDelay(account: Account): Promise<void> {
    if (account.slowFactor > 1) await sleep((account.slowFactor - 1) * this.options.slowUnitMs);
  }

  /** Everything known about a user (account or scenario person) for usync. */
  lookupUser(user: string): { lid: string; companions: Companion[] } | null {
    const acc = this.world.accountByUser(user);
    if (acc) return { lid: acc.lid, companions: [...acc.companions.values()] };
    const p = this.world.personByUser(user);
    return p ? { lid: p.lid, companions: [] } : null;
  }

  /** The device behind a user/device pair: a simulated phone or a companion. */
  deviceFor(user: string, device: number): DeviceTarget | null {
    const acc = this.world.accountByUser(user);
    if (acc) {
      if (device === 0) return { kind: "sim", device: acc.phone, label: acc.jid, account: acc };
      const c = acc.companions.get(device);
      return c ? { kind: "companion", companion: c } : null;
    }
    const p = this.world.personByUser(user);
    if (p && device === 0) return { kind: "sim", device: this.world.personDevice(p.phoneNumber), label: `${p.phoneNumber}@s.whatsapp.net`, account: null };
    return null;
  }

  async handleNode(conn: Connection, node: BinaryNode): Promise<void> {
    const companion = conn.companion;
    if (!companion) return;
    // Receipts empty outboxes, iqs upload or consume prekeys, messages advance sessions: save after any of them.
    this.changed();
    switch (node.tag) {
      case "iq": {
        const type = node.attrs.type;
        if (type === "result" || type === "error") return;
        const answer = await answerIq(this, conn, node);
        if (answer) conn.send(answer);
        if (node.attrs.xmlns === "passive" && answer) this.afterActive(conn, companion);
        return;
      }
      case "receipt": {
        const id = node.attrs.id ?? "";
        if (node.attrs.type === "retry") await this.retry(conn, companion, node);
        else companion.outbox.delete(id);
        this.onCompanionReceipt(companion, node);
        const attrs: Record<string, string> = { class: "receipt", id, from: node.attrs.to ?? "s.whatsapp.net" };
        if (node.attrs.type) attrs.type = node.attrs.type;
        conn.send({ tag: "ack", attrs });
        return;
      }
      case "message":
        await this.onCompanionMessage(conn, companion, node);
        return;
      case "chatstate":
        this.onChatState(companion, node);
        return;
      case "ack":
        // A client ack for one of our messages is a nack (pitfall P2); keep it out of the outbox anyway.
        if (node.attrs.class === "message" && node.attrs.id) companion.outbox.delete(node.attrs.id);
        return;
      default:
        return;
    }
  }

  /** A jid as the control API reports chats: a person's or account's LID becomes their phone-number jid. */
  chatJid(jid: string): string {
    const d = jidDecode(jid);
    if (!d?.user) return jid;
    if (d.server === "g.us") return `${d.user}@g.us`;
    const pn = this.world.accountByUser(d.user)?.phoneNumber ?? this.world.personByUser(d.user)?.phoneNumber;
    return pn ? `${pn}@s.whatsapp.net` : jid;
  }

  /**
   * Records a receipt a companion sent (one per message id, `delivery` when untyped) and, for a message relayed from
   * another account's companion, passes it on to that sender the way WhatsApp does.
   */
  private onCompanionReceipt(companion: Companion, node: BinaryNode): void {
    const first = node.attrs.id;
    if (!first) return;
    const ids = [first, ...getBinaryNodeChildren(getBinaryNodeChild(node, "list"), "item").map((i) => i.attrs.id ?? "").filter(Boolean)];
    const type = node.attrs.type ?? "delivery";
    const chat = this.chatJid(node.attrs.to ?? "");
    const from = `${companion.account.phoneNumber}:${companion.deviceId}@s.whatsapp.net`;
    const t = Date.now();
    for (const messageId of ids) {
      companion.account.recordReceipt({ messageId, chat, type, from, t });
      const origin = this.relayedFrom.get(messageId);
      if (!origin || origin.account === companion.account || !["delivery", "inactive", "read", "played"].includes(type)) continue;
      const attrs: Record<string, string> = { from: companion.account.jid, id: messageId, t: nowSec() };
      if (type === "read" || type === "played") attrs.type = type;
      // Delayed like our own delivery receipts, so it does not merge into the sender's event buffer (pitfall P3).
      setTimeout(() => this.live.get(origin)?.send({ tag: "receipt", attrs }), this.options.receiptDelayMs).unref();
    }
  }

  /** Records a chat state (`<chatstate to><composing/></chatstate>`) a companion sent. */
  private onChatState(companion: Companion, node: BinaryNode): void {
    const child = Array.isArray(node.content) ? node.content[0] : undefined;
    if (!child) return;
    const state = child.tag === "composing" && child.attrs.media === "audio" ? "recording" : child.tag;
    companion.account.recordPresence({
      chat: this.chatJid(node.attrs.to ?? ""),
      state,
      from: `${companion.account.phoneNumber}:${companion.deviceId}@s.whatsapp.net`,
      t: Date.now(),
    });
  }

  /**
   * Simulated recipients read a message the account's devices sent: each sends a `read` receipt to every connected
   * companion of the account (1:1: from the chat the device addressed; group: from the group with the reader as participant).
   */
  readByRecipients(account: Account, messageId: string, by?: string): { id: string; readBy: string[]; devices: number } {
    const copies = account.messages.filter((m) => m.id === messageId && m.recipient !== account.jid);
    if (copies.length === 0) throw new RangeError(`no message ${messageId} was received by a simulated contact of ${account.phoneNumber}`);
    const byJid = by === undefined ? undefined : by.includes("@") ? this.chatJid(by) : `${by}@s.whatsapp.net`;
    const readers = copies.filter((m) => byJid === undefined || m.recipient === byJid);
    if (readers.length === 0) throw new RangeError(`${by ?? ""} did not receive message ${messageId}`);
    let devices = 0;
    for (const c of account.companions.values()) {
      const conn = this.live.get(c);
      if (!conn?.isOpen) continue;
      devices++;
      for (const m of readers) {
        const attrs: Record<string, string> = m.groupJid
          ? { from: m.groupJid, participant: m.recipient, id: messageId, type: "read", t: nowSec() }
          : { from: m.chat, id: messageId, type: "read", t: nowSec() };
        conn.send({ tag: "receipt", attrs });
      }
    }
    return { id: messageId, readBy: [...new Set(readers.map((m) => m.recipient))], devices };
  }

  /** After `passive active`: offline queue, then `<ib><offline/>`, then the first history sync. */
  private afterActive(conn: Connection, companion: Companion): void {
    const pending = [...companion.outbox.values()].map((item) => item.node);
    for (const n of pending) conn.send(n);
    conn.send({ tag: "ib", attrs: {}, content: [{ tag: "offline", attrs: { count: String(pending.length) } }] });
    if (!companion.historySent) {
      companion.historySent = true;
      void this.sendHistory(companion).catch((err: unknown) => {
        companion.historySent = false;
        this.log.error({ err: err instanceof Error ? err.message : String(err) }, "history sync failed");
      });
    }
  }

  /** Queues a stanza for a companion and sends it now if the companion is online. */
  deliver(companion: Companion, node: BinaryNode, resend?: OutboxItem["resend"]): void {
    const id = node.attrs.id;
    if (id) companion.outbox.set(id, { node, resend, retries: 0 });
    this.changed();
    this.live.get(companion)?.send(node);
  }

  /**
   * The companion could not decrypt one of our messages: like the sending phone would, start a fresh Signal session
   * (from the keys in the retry receipt, else from the server's prekeys) and send the message again, up to 3 times.
   */
  private async retry(conn: Connection, companion: Companion, receipt: BinaryNode): Promise<void> {
    const id = receipt.attrs.id ?? "";
    const item = companion.outbox.get(id);
    if (!item?.resend || item.retries >= 3) {
      companion.outbox.delete(id);
      return;
    }
    item.retries++;
    const keys = getBinaryNodeChild(receipt, "keys");
    const buf = (n: BinaryNode | undefined, tag: string) => {
      const c = n ? getBinaryNodeChild(n, tag) : undefined;
      return c?.content instanceof Uint8Array ? Buffer.from(c.content) : undefined;
    };
    const identity = buf(keys, "identity");
    const key = keys ? getBinaryNodeChild(keys, "key") : undefined;
    const skey = keys ? getBinaryNodeChild(keys, "skey") : undefined;
    const [kid, kval, sid, sval, ssig] = [buf(key, "id"), buf(key, "value"), buf(skey, "id"), buf(skey, "value"), buf(skey, "signature")];
    const reg = buf(receipt, "registration");
    const bundle =
      identity && kid && kval && sid && sval && ssig
        ? {
            registrationId: reg ? reg.readUIntBE(0, reg.length) : companion.registrationId,
            identity,
            signedPreKey: { id: sid.readUIntBE(0, sid.length), public: sval, signature: ssig },
            preKey: { id: kid.readUIntBE(0, kid.length), public: kval },
          }
        : this.world.companionBundle(companion);
    if (!bundle) return;
    await item.resend.device.startSession(companionAddress(companion), bundle);
    const enc = await item.resend.device.encryptMessage(companionAddress(companion), item.resend.message);
    item.node = {
      ...item.node,
      content: [{ tag: "enc", attrs: { v: "2", type: enc.type, count: String(item.retries) }, content: enc.ciphertext }],
    };
    this.log.info({ id, retries: item.retries }, "re-sent message after a retry receipt");
    conn.send(item.node);
  }

  /** The phone sends the history sync (contacts, LID mappings, push names) to a new companion. */
  async sendHistory(companion: Companion): Promise<void> {
    const account = companion.account;
    const chunks = buildHistoryChunks(account, this.options.historyChunkSize);
    for (const hist of chunks) {
      await this.slowDelay(account);
      if (!this.world.accountByUser(account.phoneNumber)?.companions.has(companion.deviceId)) return;
      const message: proto.IMessage = {
        protocolMessage: { type: 5 /* HISTORY_SYNC_NOTIFICATION */, historySyncNotification: hist },
      };
      const enc = await encryptForCompanion(this.world, account.phone, companion, message);
      // Self-only protocol messages must come from our own PN with no recipient (pitfall P6).
      this.deliver(
        companion,
        {
          tag: "message",
          attrs: { from: account.jid, id: newMessageId(), type: "text", t: nowSec(), category: "peer", notify: account.pushName },
          content: [{ tag: "enc", attrs: { v: "2", type: enc.type }, content: enc.ciphertext }],
        },
        { device: account.phone, message },
      );
    }
    this.log.info({ account: account.phoneNumber, device: companion.deviceId, chunks: chunks.length }, "history sync sent");
  }

  /** A person (or another account) sends a text to every companion of an account. */
  async sendInbound(account: Account, fromUser: string, text: string): Promise<{ id: string; from: string; devices: number }> {
    const other = this.world.accountByUser(fromUser);
    const person = other ? null : this.world.personByUser(fromUser);
    if (!other && !person) throw new RangeError(`unknown sender ${fromUser}`);
    const pn = other ? other.phoneNumber : (person?.phoneNumber ?? fromUser);
    const lid = other ? other.lid : (person?.lid ?? "");
    const name = other ? other.pushName : (person?.name ?? pn);
    const device = other ? other.phone : this.world.personDevice(pn);
    const id = newMessageId();
    let devices = 0;
    for (const companion of account.companions.values()) {
      const message: proto.IMessage = { conversation: text };
      const enc = await encryptForCompanion(this.world, device, companion, message);
      this.deliver(
        companion,
        {
          tag: "message",
          attrs: { from: `${pn}@s.whatsapp.net`, sender_lid: `${lid}@lid`, id, type: "text", t: nowSec(), notify: name },
          content: [{ tag: "enc", attrs: { v: "2", type: enc.type }, content: enc.ciphertext }],
        },
        { device, message },
      );
      devices++;
    }
    return { id, from: `${pn}@s.whatsapp.net`, devices };
  }

  /**
   * Forwards a companion's 1:1 copy to another companion: one of the same account (a sent-message copy with
   * `recipient`) or of another simulated account (an inbound message from the sender's device).
   */
  private relay(from: Companion, to: Companion, stanza: BinaryNode, enc: BinaryNode): void {
    const sender = from.account;
    const attrs: Record<string, string> = {
      from: `${sender.phoneNumber}:${from.deviceId}@s.whatsapp.net`,
      id: stanza.attrs.id ?? newMessageId(),
      type: stanza.attrs.type ?? "text",
      t: nowSec(),
      notify: sender.pushName,
    };
    if (to.account === sender) attrs.recipient = stanza.attrs.to ?? "";
    else {
      attrs.sender_lid = `${sender.lid}@lid`;
      this.relayedFrom.set(attrs.id ?? "", from);
      if (this.relayedFrom.size > MAX_RELAYED) {
        const oldest = this.relayedFrom.keys().next().value;
        if (oldest !== undefined) this.relayedFrom.delete(oldest);
      }
    }
    this.deliver(to, { tag: "message", attrs, content: [{ tag: "enc", attrs: { v: "2", type: enc.attrs.type ?? "msg" }, content: enc.content }] });
  }

  /** A group member sends a text to the group; every companion of the account gets it (SKDM first time, then skmsg). */
  async sendGroupInbound(account: Account, groupJid: string, fromUser: string, text: string): Promise<{ id: string; from: string; devices: number }> {
    const group = account.scenario.groups.find((g) => `${g.id}@g.us` === groupJid);
    if (!group) throw new RangeError(`unknown group ${groupJid}`);
    const member = group.members.map((m) => account.member(m.person)).find((p) => p.phoneNumber === fromUser && p.phoneNumber !== account.phoneNumber);
    if (!member) throw new RangeError(`${fromUser} is not another member of ${groupJid}`);
    const device = this.world.accountByUser(member.phoneNumber)?.phone ?? this.world.personDevice(member.phoneNumber);
    const self = { name: `p${member.phoneNumber}`, device: 0 };
    // The distribution message must be taken before encrypting: it carries the chain's current iteration.
    const skdm = await device.groupSenderKey(groupJid, self);
    const skmsg = await device.encryptGroupMessage(groupJid, self, { conversation: text });
    const id = newMessageId();
    let devices = 0;
    for (const companion of account.companions.values()) {
      const content: BinaryNode[] = [];
      const sentKey = `${groupJid}|${companion.account.lid}.${companion.deviceId}`;
      if (!device.senderKeySentTo.has(sentKey)) {
        const enc = await encryptForCompanion(this.world, device, companion, {
          senderKeyDistributionMessage: { groupId: groupJid, axolotlSenderKeyDistributionMessage: skdm },
        });
        content.push({ tag: "enc", attrs: { v: "2", type: enc.type }, content: enc.ciphertext });
        device.senderKeySentTo.add(sentKey);
      }
      content.push({ tag: "enc", attrs: { v: "2", type: "skmsg" }, content: skmsg });
      this.deliver(companion, {
        tag: "message",
        attrs: {
          from: groupJid,
          participant: `${member.phoneNumber}@s.whatsapp.net`,
          participant_lid: `${member.lid}@lid`,
          addressing_mode: "pn",
          id,
          type: "text",
          t: nowSec(),
          notify: member.name,
        },
        content,
      });
      devices++;
    }
    return { id, from: `${member.phoneNumber}@s.whatsapp.net`, devices };
  }

  /** A companion sends a message: simulated devices decrypt their copies, then the server acks and receipts it. */
  private async onCompanionMessage(conn: Connection, companion: Companion, node: BinaryNode): Promise<void> {
    const to = node.attrs.to ?? "";
    const id = node.attrs.id ?? "";
    const account = companion.account;
    if (account.refuseSendsWith) {
      // As WhatsApp does for a message it will not deliver: an ack with an error code, and nothing else.
      conn.send({ tag: "ack", attrs: { class: "message", id, from: to, error: account.refuseSendsWith } });
      return;
    }
    conn.send({ tag: "ack", attrs: { class: "message", id, from: to, t: nowSec() } });
    const peer = companionAddress(companion);
    const senderJid = `${account.phoneNumber}:${companion.deviceId}@s.whatsapp.net`;
    const isGroup = to.endsWith("@g.us");
    const delivered = new Set<string>();
    for (const { jid, enc } of participantEncs(node)) {
      const decoded = jidDecode(jid);
      if (!decoded || !(enc.content instanceof Uint8Array)) continue;
      const target = this.deviceFor(decoded.user, decoded.device ?? 0);
      if (target?.kind === "companion") {
        if (!isGroup && target.companion !== companion) this.relay(companion, target.companion, node, enc);
        continue;
      }
      if (!target) continue;
      try {
        let msg = await target.device.decryptMessage(peer, enc.attrs.type ?? "msg", enc.content);
        msg = (msg.deviceSentMessage?.message as proto.Message | undefined) ?? msg;
        const skdm = msg.senderKeyDistributionMessage;
        if (skdm?.groupId && skdm.axolotlSenderKeyDistributionMessage) {
          await target.device.processSenderKeyDistribution(skdm.groupId, peer, skdm.axolotlSenderKeyDistributionMessage);
        }
        if (!isGroup && (messageText(msg) !== null || !skdm)) {
          account.recordMessage({ id, from: senderJid, chat: to, recipient: target.label, text: messageText(msg), type: messageType(msg), groupJid: null, t: Date.now() });
          if (!target.account) delivered.add(target.label);
        }
      } catch (err) {
        this.log.warn({ jid, err: err instanceof Error ? err.message : String(err) }, "simulated device could not decrypt");
      }
    }
    const skmsg = Array.isArray(node.content) ? node.content.find((c) => c.tag === "enc" && c.attrs.type === "skmsg") : undefined;
    if (isGroup && skmsg?.content instanceof Uint8Array) {
      const group = account.scenario.groups.find((g) => `${g.id}@g.us` === to);
      for (const m of group?.members ?? []) {
        if (m.person < 0) continue;
        const p = account.member(m.person);
        const dev = this.world.personDevice(p.phoneNumber);
        try {
          const msg = await dev.decryptGroupMessage(to, peer, skmsg.content);
          const label = `${p.phoneNumber}@s.whatsapp.net`;
          account.recordMessage({ id, from: senderJid, chat: to, recipient: label, text: messageText(msg), type: messageType(msg), groupJid: to, t: Date.now() });
          delivered.add(label);
        } catch (err) {
          this.log.warn({ member: p.phoneNumber, err: err instanceof Error ? err.message : String(err) }, "member could not decrypt group message");
        }
      }
    }
    if (delivered.size === 0) return;
    const delay = this.options.receiptDelayMs;
    setTimeout(() => {
      if (isGroup) {
        for (const participant of delivered) conn.send({ tag: "receipt", attrs: { from: to, participant, id, t: nowSec() } });
      } else {
        conn.send({ tag: "receipt", attrs: { from: to, id, t: nowSec() } });
      }
    }, delay).unref();
  }
}
