// One companion WebSocket: noise handshake, registration (QR pairing) or login, and the stanza loop.
import { randomBytes } from "node:crypto";
import { decodeBinaryNode, encodeBinaryNode, type BinaryNode, type proto } from "@whiskeysockets/baileys";
import type { Logger } from "pino";
import type { WebSocket } from "ws";
import { openKeyBundle, parseCompanionFinish, parseCompanionHello, primaryHello, type CompanionHello } from "./link-code.ts";
import { NoiseResponder } from "./noise.ts";
import { pairSuccessStanza, signDeviceIdentity, verifyDeviceSignature } from "./phone.ts";
import type { SimServer } from "./server.ts";
import type { Account, Companion } from "./world.ts";

type State = "hello" | "finish" | "registration" | "login" | "closed";

/** The code typed on the simulated phone does not open the client's key bundle. */
export class WrongPairingCodeError extends Error {}

export interface PendingPairing {
  account: Account;
  companion: Companion;
  details: Uint8Array;
  iqId: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

const nowSec = (): string => Math.floor(Date.now() / 1000).toString();

export class Connection {
  private state: State = "hello";
  private readonly noise: NoiseResponder;
  companion: Companion | null = null;
  /** Noise static key of a registering client (the QR's noise key). */
  regNoiseKey: Buffer | null = null;
  regPairingData: proto.ClientPayload.IDevicePairingRegistrationData | null = null;
  refs: string[] = [];
  pairing: PendingPairing | null = null;
  /** The client asked for a pairing code (requestPairingCode) and waits for it to be typed on the phone. */
  linkHello: CompanionHello | null = null;
  private linkFinish: { resolve: (f: { wrappedBundle: Buffer; identityKey: Buffer }) => void; reject: (e: Error) => void } | null = null;
  stalled = false;
  private regTimer: NodeJS.Timeout | null = null;
  private iqCounter = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly server: SimServer,
    private readonly ws: WebSocket,
    private readonly log: Logger,
  ) {
    this.noise = new NoiseResponder(server.identity);
    ws.on("message", (data: Buffer) => this.onData(data));
    ws.on("close", () => this.onClose());
    ws.on("error", (err) => this.log.debug({ err: err.message }, "socket error"));
  }

  get isOpen(): boolean {
    return this.state !== "closed" && this.ws.readyState === this.ws.OPEN;
  }

  nextIqId(): string {
    return `sim.${(this.iqCounter++).toString(36)}`;
  }

  /** Sends a node unless the connection is stalled or closed. */
  send(node: BinaryNode): void {
    if (!this.isOpen || this.stalled) return;
    this.ws.send(this.noise.encodeFrame(encodeBinaryNode(node)));
  }

  /** Sends `<stream:error>` and closes shortly after, as the real server does. */
  streamError(code: number, child?: BinaryNode): void {
    if (!this.isOpen) return;
    this.stalled = false;
    this.send({ tag: "stream:error", attrs: { code: String(code) }, content: child ? [child] : undefined });
    this.closeSoon();
  }

  failure(reason: number): void {
    if (!this.isOpen) return;
    this.send({ tag: "failure", attrs: { reason: String(reason), location: "sim" } });
    this.closeSoon();
  }

  /** Drops the TCP connection without a goodbye. */
  drop(): void {
    this.state = "closed";
    this.ws.terminate();
  }

  private closeSoon(): void {
    const ws = this.ws;
    setTimeout(() => ws.close(), 50).unref();
  }

  private onData(data: Buffer): void {
    if (this.state === "closed") return;
    let frames: Buffer[];
    try {
      frames = this.noise.push(data);
    } catch (err) {
      this.log.info({ err: (err as Error).message }, "bad frame, closing");
      this.drop();
      return;
    }
    for (const frame of frames) {
      this.chain = this.chain.then(() => this.onFrame(frame)).catch((err: unknown) => {
        this.log.error({ err: err instanceof Error ? err.stack : String(err) }, "frame handling failed");
      });
    }
  }

  private async onFrame(frame: Buffer): Promise<void> {
    if (this.state === "hello" || this.state === "finish") {
      try {
        if (this.state === "hello") {
          this.ws.send(this.noise.encodeFrame(this.noise.serverHello(frame)));
          this.state = "finish";
          return;
        }
        const { clientStatic, payload } = this.noise.clientFinish(frame);
        if (payload.devicePairingData) this.startRegistration(clientStatic, payload.devicePairingData);
        else this.login(clientStatic, payload);
      } catch (err) {
        this.log.info({ err: (err as Error).message }, "handshake failed, dropping");
        this.drop();
      }
      return;
    }
    if (this.state === "closed" || this.stalled) return;
    const node = await decodeBinaryNode(frame);
    if (this.state === "registration") {
      this.onRegistrationNode(node);
      return;
    }
    await this.server.handleNode(this, node);
  }

  private startRegistration(noiseKey: Buffer, pairingData: proto.ClientPayload.IDevicePairingRegistrationData): void {
    this.state = "registration";
    this.regNoiseKey = noiseKey;
    this.regPairingData = pairingData;
    const opts = this.server.options;
    this.refs = Array.from({ length: opts.qrRefs }, () => `2@${randomBytes(24).toString("base64")}`);
    for (const ref of this.refs) this.server.pendingRefs.set(ref, this);
    this.send({
      tag: "iq",
      attrs: { id: this.nextIqId(), to: "s.whatsapp.net", type: "set", xmlns: "md", t: nowSec() },
      content: [{ tag: "pair-device", attrs: {}, content: this.refs.map((r) => ({ tag: "ref", attrs: {}, content: Buffer.from(r) })) }],
    });
    // Once every ref's time is up the pairing window closes, like Baileys' own "QR refs attempts ended".
    this.regTimer = setTimeout(() => {
      if (this.state === "registration" && !this.pairing) {
        this.log.info("pairing window ended without a scan");
        this.streamError(408);
      }
    }, opts.qrRefs * opts.qrRefreshMs + opts.qrGraceMs);
    this.regTimer.unref();
    this.log.info({ refs: this.refs.length }, "registration: sent pair-device");
  }

  /** Pairs this registering client with an account (the phone "scanned" the QR). */
  pair(account: Account, identityKey: Buffer, advSecret: Buffer, platformId: string): Promise<Companion> {
    if (this.state !== "registration" || !this.regNoiseKey) return Promise.reject(new Error("connection is not waiting for a scan"));
    if (this.pairing) return Promise.reject(new Error("this QR is already being scanned"));
    const pd = this.regPairingData;
    const deviceId = account.allocateDeviceId();
    const companion: Companion = {
      account,
      deviceId,
      keyIndex: deviceId,
      noiseKey: this.regNoiseKey,
      identityKey,
      registrationId: pd?.eRegid ? Buffer.from(pd.eRegid).readUIntBE(0, pd.eRegid.length) : 0,
      signedPreKey:
        pd?.eSkeyId && pd.eSkeyVal && pd.eSkeySig
          ? { id: Buffer.from(pd.eSkeyId).readUIntBE(0, pd.eSkeyId.length), public: Buffer.from(pd.eSkeyVal), signature: Buffer.from(pd.eSkeySig) }
          : null,
      preKeys: Buffer.alloc(0),
      preKeyCursor: 0,
      platform: platformId,
      pairedAt: Date.now(),
      historySent: false,
      outbox: new Map(),
      lastLoginAt: null,
    };
    const { hmacEnvelope, details } = signDeviceIdentity(account, companion, advSecret);
    const iqId = this.nextIqId();
    return new Promise<Companion>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error("companion did not confirm the pairing")), 15_000);
      timer.unref();
      const fail = (e: Error) => {
        clearTimeout(timer);
        this.pairing = null;
        reject(e);
      };
      this.pairing = {
        account,
        companion,
        details,
        iqId,
        resolve: () => {
          clearTimeout(timer);
          resolve(companion);
        },
        reject: fail,
      };
      this.send(pairSuccessStanza(account, companion, hmacEnvelope, iqId));
    });
  }

  /**
   * The phone user typed `code`: the phone answers the client's companion_hello, waits for its key bundle, derives the
   * shared ADV secret from it and then pairs exactly as after a QR scan.
   */
  async pairByCode(code: string, account: Account): Promise<Companion> {
    const hello = this.linkHello;
    if (this.state !== "registration" || !hello) throw new Error("connection is not waiting for a pairing code");
    if (this.linkFinish || this.pairing) throw new Error("a pairing code is already being entered for this client");
    const { primaryEphemeral, companionEphemeral, notification } = await primaryHello(hello, code, account.accountKey);
    const finish = await new Promise<{ wrappedBundle: Buffer; identityKey: Buffer }>((resolve, reject) => {
      const timer = setTimeout(() => done(() => reject(new Error("the client did not answer the pairing code"))), 15_000);
      timer.unref();
      const done = (f: () => void) => {
        clearTimeout(timer);
        this.linkFinish = null;
        f();
      };
      this.linkFinish = { resolve: (v) => done(() => resolve(v)), reject: (e) => done(() => reject(e)) };
      this.send(notification);
    });
    let keys: { identityKey: Buffer; advSecret: Buffer };
    try {
      keys = openKeyBundle(finish, primaryEphemeral, companionEphemeral, account.accountKey);
    } catch {
      throw new WrongPairingCodeError("the code does not match the one the client shows");
    }
    return this.pair(account, keys.identityKey, keys.advSecret, hello.platformId);
  }

  /** `link_code_companion_reg` iqs of a registering client (pairing-code login). */
  private onLinkCodeIq(node: BinaryNode): boolean {
    const hello = parseCompanionHello(node);
    if (hello) {
      if (!this.regNoiseKey?.equals(hello.noiseKey)) return false;
      this.linkHello = hello;
      this.server.pendingLinkCodes.set(hello.phoneNumber, this);
      this.send({
        tag: "iq",
        attrs: { id: node.attrs.id ?? "", type: "result", from: "s.whatsapp.net" },
        content: [{ tag: "link_code_companion_reg", attrs: {}, content: [{ tag: "link_code_pairing_ref", attrs: {}, content: Buffer.from(hello.ref) }] }],
      });
      this.log.info({ phoneNumber: hello.phoneNumber }, "registration: pairing code requested");
      return true;
    }
    const finish = parseCompanionFinish(node);
    if (finish) {
      this.send({ tag: "iq", attrs: { id: node.attrs.id ?? "", type: "result", from: "s.whatsapp.net" } });
      this.linkFinish?.resolve(finish);
      return true;
    }
    return false;
  }

  private onRegistrationNode(node: BinaryNode): void {
    if (node.tag === "iq" && node.attrs.xmlns === "md" && node.attrs.type === "set" && this.onLinkCodeIq(node)) return;
    const p = this.pairing;
    if (node.tag === "iq" && p && node.attrs.id === p.iqId) {
      if (node.attrs.type !== "result" || !verifyDeviceSignature(p.account, p.companion.identityKey, p.details, node)) {
        this.log.warn("pairing rejected: bad device signature");
        p.reject(new Error("companion's device signature is invalid"));
        this.failure(401);
        return;
      }
      this.server.world.addCompanion(p.companion);
      this.log.info({ account: p.account.phoneNumber, device: p.companion.deviceId }, "paired");
      p.resolve();
      this.pairing = null;
      this.clearRefs();
      // The real server asks for a restart after pairing; Baileys reconnects and logs in.
      setTimeout(() => this.streamError(515), 100).unref();
    }
  }

  private login(noiseKey: Buffer, payload: proto.ClientPayload): void {
    const companion = this.server.world.companionByNoise(noiseKey);
    const user = payload.username?.toString();
    if (!companion || companion.account.phoneNumber !== user || companion.deviceId !== (payload.device ?? 0)) {
      this.log.info({ user, device: payload.device }, "login refused: unknown companion");
      this.state = "login";
      this.failure(401);
      return;
    }
    this.state = "login";
    this.companion = companion;
    this.server.attach(this, companion);
    companion.lastLoginAt = Date.now();
    this.server.changed();
    const { account } = companion;
    this.send({
      tag: "success",
      attrs: {
        t: nowSec(),
        lid: `${account.lid}:${companion.deviceId}@lid`,
        props: "1",
        abprops: "1",
        location: "sim",
        creation: Math.floor(companion.pairedAt / 1000).toString(),
      },
    });
    this.log.info({ account: account.phoneNumber, device: companion.deviceId }, "logged in");
  }

  private clearRefs(): void {
    for (const r of this.refs) this.server.pendingRefs.delete(r);
    const phone = this.linkHello?.phoneNumber;
    if (phone && this.server.pendingLinkCodes.get(phone) === this) this.server.pendingLinkCodes.delete(phone);
    if (this.regTimer) clearTimeout(this.regTimer);
    this.regTimer = null;
  }

  private onClose(): void {
    this.state = "closed";
    this.clearRefs();
    this.pairing?.reject(new Error("connection closed during pairing"));
    this.linkFinish?.reject(new Error("connection closed during pairing"));
    this.server.detach(this);
  }
}
