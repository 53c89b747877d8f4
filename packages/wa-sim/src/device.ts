// SimDevice: one simulated phone-side Signal device (libsignal store, prekey bundles, 1:1 and sender-key crypto).
import { randomInt } from "node:crypto";
import * as libsignal from "libsignal";
import { Curve, encodeWAMessage, proto, unpadRandomMax16 } from "@whiskeysockets/baileys";
import {
  GroupCipher,
  GroupSessionBuilder,
  SenderKeyDistributionMessage,
  SenderKeyName,
  SenderKeyRecord,
} from "@whiskeysockets/baileys/lib/Signal/Group/index.js";
import { newKeyPair, type KeyPair } from "./noise.ts";

type SessionRecord = InstanceType<typeof libsignal.SessionRecord>;

/** A prekey bundle as the server hands it out (public parts only). */
export interface PreKeyBundle {
  registrationId: number;
  identity: Buffer; // 32 bytes
  signedPreKey: { id: number; public: Buffer; signature: Buffer };
  preKey?: { id: number; public: Buffer };
}

/** Where the other side of a session lives: a companion or another simulated device. */
export interface PeerAddress {
  name: string;
  device: number;
}

/** Everything a simulated device needs to carry on after a restart: keys, handed-out prekeys, sessions, sender keys. */
export interface DeviceState {
  registrationId: number;
  identity: KeyPair;
  signedPreKey: { id: number; pair: KeyPair; signature: Buffer };
  preKeys: [number, KeyPair][];
  nextPreKeyId: number;
  /** libsignal SessionRecord.serialize() output by address. */
  sessions: [string, unknown][];
  /** SenderKeyRecord.serialize() output by sender key name. */
  senderKeys: [string, unknown][];
  senderKeySentTo: string[];
}

const withPrefix = (pub: Uint8Array): Buffer => (pub.length === 33 ? Buffer.from(pub) : Buffer.concat([Buffer.from([5]), pub]));

export class SimDevice {
  readonly registrationId: number;
  readonly identity: KeyPair;
  private readonly signedPreKey: { id: number; pair: KeyPair; signature: Buffer };
  private readonly preKeys = new Map<number, KeyPair>();
  private nextPreKeyId = 1;
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly senderKeys = new Map<string, SenderKeyRecord>();
  /** Remembers which peers already got this device's sender key for a group. */
  readonly senderKeySentTo = new Set<string>();
  private readonly store: ConstructorParameters<typeof libsignal.SessionCipher>[0];
  private readonly senderKeyStore: {
    loadSenderKey(name: SenderKeyName): Promise<SenderKeyRecord>;
    storeSenderKey(name: SenderKeyName, record: SenderKeyRecord): Promise<void>;
  };

  /** Called after every change of the device's state (persistence hooks in here). */
  onChange: () => void = () => {};

  constructor(identity?: KeyPair, state?: DeviceState) {
    this.registrationId = state?.registrationId ?? randomInt(1, 16380);
    this.identity = state?.identity ?? identity ?? newKeyPair();
    if (state) {
      this.signedPreKey = state.signedPreKey;
      for (const [id, pair] of state.preKeys) this.preKeys.set(id, pair);
      this.nextPreKeyId = state.nextPreKeyId;
      for (const [id, record] of state.sessions) this.sessions.set(id, libsignal.SessionRecord.deserialize(record as Uint8Array));
      for (const [name, record] of state.senderKeys) this.senderKeys.set(name, new SenderKeyRecord(record as ConstructorParameters<typeof SenderKeyRecord>[0]));
      for (const k of state.senderKeySentTo) this.senderKeySentTo.add(k);
    } else {
      const spk = newKeyPair();
      this.signedPreKey = { id: 1, pair: spk, signature: Buffer.from(Curve.sign(this.identity.private, withPrefix(spk.public))) };
    }
    const lsPair = (k: KeyPair) => ({ privKey: k.private, pubKey: withPrefix(k.public) });
    this.store = {
      loadSession: async (id: string) => this.sessions.get(id),
      storeSession: async (id: string, record: SessionRecord) => {
        this.sessions.set(id, record);
        this.onChange();
      },
      // The simulation trusts every identity, as Baileys' own store does.
      isTrustedIdentity: () => true,
      loadPreKey: async (id: number | string) => {
        const k = this.preKeys.get(Number(id));
        return k ? lsPair(k) : undefined;
      },
      removePreKey: (id: number) => {
        this.preKeys.delete(id);
        this.onChange();
      },
      loadSignedPreKey: () => lsPair(this.signedPreKey.pair),
      getOurRegistrationId: () => this.registrationId,
      getOurIdentity: () => lsPair(this.identity),
    };
    this.senderKeyStore = {
      loadSenderKey: async (name) => this.senderKeys.get(name.toString()) ?? new SenderKeyRecord(),
      storeSenderKey: async (name, record) => {
        this.senderKeys.set(name.toString(), record);
        this.onChange();
      },
    };
  }

  /** Hands out this device's bundle, minting a fresh one-time prekey each time (pitfall P4). */
  bundle(): PreKeyBundle {
    const id = this.nextPreKeyId++;
    const pair = newKeyPair();
    this.preKeys.set(id, pair);
    this.onChange();
    return {
      registrationId: this.registrationId,
      identity: this.identity.public,
      signedPreKey: { id: this.signedPreKey.id, public: this.signedPreKey.pair.public, signature: this.signedPreKey.signature },
      preKey: { id, public: pair.public },
    };
  }

  /** A plain-data copy of the device's state (key material included: only for the 0600 state file). */
  toState(): DeviceState {
    return {
      registrationId: this.registrationId,
      identity: this.identity,
      signedPreKey: this.signedPreKey,
      preKeys: [...this.preKeys.entries()],
      nextPreKeyId: this.nextPreKeyId,
      sessions: [...this.sessions.entries()].map(([id, r]) => [id, r.serialize() as unknown]),
      senderKeys: [...this.senderKeys.entries()].map(([name, r]) => [name, r.serialize() as unknown]),
      senderKeySentTo: [...this.senderKeySentTo],
    };
  }

  hasSession(peer: PeerAddress): boolean {
    return this.sessions.get(this.addr(peer).toString())?.haveOpenSession() ?? false;
  }

  /** Starts an outgoing session to a peer from its bundle. */
  async startSession(peer: PeerAddress, b: PreKeyBundle): Promise<void> {
    const builder = new libsignal.SessionBuilder(this.store, this.addr(peer));
    const session = {
      registrationId: b.registrationId,
      identityKey: withPrefix(b.identity),
      signedPreKey: { keyId: b.signedPreKey.id, publicKey: withPrefix(b.signedPreKey.public), signature: b.signedPreKey.signature },
      ...(b.preKey ? { preKey: { keyId: b.preKey.id, publicKey: withPrefix(b.preKey.public) } } : {}),
    };
    // libsignal accepts a bundle without a one-time prekey (server ran out); its typings say otherwise.
    await builder.initOutgoing(session as Parameters<typeof builder.initOutgoing>[0]);
  }

  /** Encrypts a WhatsApp message (with WA's random padding, pitfall P7) for a peer. */
  async encryptMessage(peer: PeerAddress, message: proto.IMessage): Promise<{ type: "pkmsg" | "msg"; ciphertext: Buffer }> {
    const cipher = new libsignal.SessionCipher(this.store, this.addr(peer));
    const { type, body } = await cipher.encrypt(encodeWAMessage(message));
    return { type: type === 3 ? "pkmsg" : "msg", ciphertext: Buffer.from(body, "binary") };
  }

  /** Decrypts a pkmsg/msg from a peer and returns the decoded message (DSM unwrapped). */
  async decryptMessage(peer: PeerAddress, type: string, ciphertext: Uint8Array): Promise<proto.Message> {
    const cipher = new libsignal.SessionCipher(this.store, this.addr(peer));
    const plain = type === "pkmsg" ? await cipher.decryptPreKeyWhisperMessage(ciphertext) : await cipher.decryptWhisperMessage(ciphertext);
    return proto.Message.decode(unpadRandomMax16(plain));
  }

  /** Stores a sender key distributed by a peer for a group. */
  async processSenderKeyDistribution(groupJid: string, peer: PeerAddress, skdm: Uint8Array): Promise<void> {
    const msg = new SenderKeyDistributionMessage(null, null, null, null, skdm);
    await new GroupSessionBuilder(this.senderKeyStore).process(this.senderKeyName(groupJid, peer), msg);
  }

  /** Decrypts a group skmsg sent by a peer. */
  async decryptGroupMessage(groupJid: string, peer: PeerAddress, ciphertext: Uint8Array): Promise<proto.Message> {
    const plain = await new GroupCipher(this.senderKeyStore, this.senderKeyName(groupJid, peer)).decrypt(ciphertext);
    return proto.Message.decode(unpadRandomMax16(plain));
  }

  /** This device's sender key for a group, as a distribution message (created on first use). */
  async groupSenderKey(groupJid: string, self: PeerAddress): Promise<Uint8Array> {
    const skdm = await new GroupSessionBuilder(this.senderKeyStore).create(this.senderKeyName(groupJid, self));
    return skdm.serialize();
  }

  /** Encrypts a group message with this device's sender key (with WA's padding). */
  async encryptGroupMessage(groupJid: string, self: PeerAddress, message: proto.IMessage): Promise<Buffer> {
    const name = this.senderKeyName(groupJid, self);
    await new GroupSessionBuilder(this.senderKeyStore).create(name);
    return Buffer.from(await new GroupCipher(this.senderKeyStore, name).encrypt(encodeWAMessage(message)));
  }

  private senderKeyName(groupJid: string, peer: PeerAddress): SenderKeyName {
    return new SenderKeyName(groupJid, { id: peer.name, deviceId: peer.device, toString: () => `${peer.name}.${peer.device}` });
  }

  private addr(peer: PeerAddress) {
    return new libsignal.ProtocolAddress(peer.name, peer.device);
  }
}
