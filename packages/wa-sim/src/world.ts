// The simulator's in-memory "server DB": accounts (simulated phones), their paired companions and prekeys, and people.
import { randomBytes, randomInt } from "node:crypto";
import type { BinaryNode, proto } from "@whiskeysockets/baileys";
import { SimDevice, type DeviceState, type PreKeyBundle } from "./device.ts";
import { newKeyPair, type KeyPair } from "./noise.ts";
import { buildScenario, type Person, type Scenario, type ScenarioOptions } from "./scenario.ts";

/** A stanza waiting for the companion's receipt, with what is needed to re-encrypt it on a retry receipt. */
export interface OutboxItem {
  node: BinaryNode;
  resend?: { device: SimDevice; message: proto.IMessage };
  retries: number;
}

/** What the server keeps about one linked companion device (a Baileys client). */
export interface Companion {
  account: Account;
  deviceId: number;
  keyIndex: number;
  noiseKey: Buffer;
  identityKey: Buffer;
  registrationId: number;
  signedPreKey: { id: number; public: Buffer; signature: Buffer } | null;
  /** Uploaded one-time prekeys, 35 bytes each (3-byte id, 32-byte key), handed out front to back. */
  preKeys: Buffer;
  preKeyCursor: number;
  platform: string;
  pairedAt: number;
  historySent: boolean;
  /** Stanzas not yet receipted by the companion, re-sent at its next login (the offline queue). */
  outbox: Map<string, OutboxItem>;
  lastLoginAt: number | null;
}

export interface ReceivedMessage {
  id: string;
  /** Companion that sent it, e.g. 62811…:1@s.whatsapp.net. */
  from: string;
  /** Chat it was addressed to (a person's jid or a group jid). */
  chat: string;
  /** The simulated device that decrypted it (person or the account's own phone). */
  recipient: string;
  text: string | null;
  type: string;
  groupJid: string | null;
  t: number;
}

/** A receipt a companion sent for a message it received (`read`, `read-self`, `played`, …; `delivery` when untyped). */
export interface ReceiptRecord {
  messageId: string;
  /** Chat of the message: the sender's jid for a 1:1 message, the group jid for a group message. */
  chat: string;
  type: string;
  /** Companion that sent the receipt. */
  from: string;
  t: number;
}

/** A chat state a companion sent (`composing`, `paused`, `recording`). */
export interface PresenceRecord {
  chat: string;
  state: string;
  from: string;
  t: number;
}

const MAX_MESSAGE_LOG = 2000;

/** What an account was created from and has learned since, apart from its companions (see state.ts). */
export interface AccountInit {
  phoneNumber: string;
  lid: string;
  pushName: string;
  scenarioOptions: ScenarioOptions;
  accountKey?: KeyPair;
  createdAt?: number;
  nextDeviceId?: number;
  phone?: DeviceState | null;
}

/** One simulated WhatsApp account: the phone (device 0), its contacts and groups, and its companions. */
export class Account {
  readonly phoneNumber: string;
  readonly lid: string;
  readonly pushName: string;
  readonly scenarioOptions: ScenarioOptions;
  readonly scenario: Scenario;
  readonly jid: string;
  readonly lidJid: string;
  readonly accountKey: KeyPair;
  private phoneDevice: SimDevice | null = null;
  readonly companions = new Map<number, Companion>();
  private nextDeviceId: number;
  readonly messages: ReceivedMessage[] = [];
  readonly receipts: ReceiptRecord[] = [];
  readonly presences: PresenceRecord[] = [];
  slowFactor = 1;
  /** When set, the server refuses this account's outgoing messages: their ack carries this error code. */
  refuseSendsWith: string | null = null;
  /**
   * Sockets of this account's devices closed with 440 `replaced` because the same device logged in again while
   * still connected (since this simulator started; injected faults not counted): two clients holding one session.
   */
  replacedConnections = 0;
  /** When a socket of one of the account's devices last closed (ms since the epoch; null: none since start). */
  lastDisconnectedAt: number | null = null;
  readonly createdAt: number;

  constructor(
    init: AccountInit,
    private readonly onChange: () => void = () => {},
  ) {
    this.phoneNumber = init.phoneNumber;
    this.lid = init.lid;
    this.pushName = init.pushName;
    this.scenarioOptions = init.scenarioOptions;
    this.scenario = buildScenario(init.scenarioOptions);
    this.jid = `${this.phoneNumber}@s.whatsapp.net`;
    this.lidJid = `${this.lid}@lid`;
    this.accountKey = init.accountKey ?? newKeyPair();
    this.createdAt = init.createdAt ?? Date.now();
    this.nextDeviceId = init.nextDeviceId ?? 1;
    if (init.phone) this.phoneDevice = this.watch(new SimDevice(this.accountKey, init.phone));
  }

  /** The phone's own Signal device; its identity is the account key, as on a real primary device. */
  get phone(): SimDevice {
    this.phoneDevice ??= this.watch(new SimDevice(this.accountKey));
    return this.phoneDevice;
  }

  /** The phone device's state if it was ever used. */
  phoneState(): DeviceState | null {
    return this.phoneDevice?.toState() ?? null;
  }

  get deviceIdCounter(): number {
    return this.nextDeviceId;
  }

  private watch(d: SimDevice): SimDevice {
    d.onChange = this.onChange;
    return d;
  }

  get contacts(): Person[] {
    return this.scenario.people.slice(0, this.scenario.contactCount);
  }

  allocateDeviceId(): number {
    this.onChange();
    return this.nextDeviceId++;
  }

  /**
   * A recipient keeps a message once: a resend with the same id (a client repeating a send whose outcome it did not
   * know) is recognised, as WhatsApp's devices recognise it, and not shown twice. Returns whether it was new.
   */
  recordMessage(m: ReceivedMessage): boolean {
    if (this.messages.some((seen) => seen.id === m.id && seen.recipient === m.recipient)) return false;
    this.onChange();
    this.messages.push(m);
    if (this.messages.length > MAX_MESSAGE_LOG) this.messages.splice(0, this.messages.length - MAX_MESSAGE_LOG);
    return true;
  }

  recordReceipt(r: ReceiptRecord): void {
    this.onChange();
    this.receipts.push(r);
    if (this.receipts.length > MAX_MESSAGE_LOG) this.receipts.splice(0, this.receipts.length - MAX_MESSAGE_LOG);
  }

  recordPresence(p: PresenceRecord): void {
    this.onChange();
    this.presences.push(p);
    if (this.presences.length > MAX_MESSAGE_LOG) this.presences.splice(0, this.presences.length - MAX_MESSAGE_LOG);
  }

  /** Person for a scenario index, or the account itself for -1. */
  member(index: number): Person {
    if (index < 0) return { phoneNumber: this.phoneNumber, lid: this.lid, name: this.pushName };
    const p = this.scenario.people[index];
    if (!p) throw new RangeError(`no person ${index}`);
    return p;
  }
}

export class World {
  readonly accounts = new Map<string, Account>();
  private readonly accountsByLid = new Map<string, Account>();
  private readonly companionsByNoise = new Map<string, Companion>();
  private readonly people = new Map<string, Person>();
  private readonly peopleByLid = new Map<string, Person>();
  private readonly indexedScenarios = new Set<string>();
  private readonly personDevices = new Map<string, SimDevice>();
  accountCounter = 0;

  /**
   * @param onChange called after every change worth persisting (accounts, companions, prekeys, sessions, outboxes).
   */
  constructor(
    readonly defaultScenario: ScenarioOptions = {},
    readonly onChange: () => void = () => {},
  ) {}

  createAccount(opts: { phoneNumber?: string; scenario?: ScenarioOptions }): Account {
    const scenarioOptions = { ...this.defaultScenario, ...opts.scenario };
    // Validates the options before a number is taken.
    buildScenario(scenarioOptions);
    let phoneNumber = opts.phoneNumber;
    if (!phoneNumber) {
      do {
        phoneNumber = `6281${String(90_000_000 + this.accountCounter++).padStart(9, "0")}${randomInt(0, 10)}`;
      } while (this.accounts.has(phoneNumber));
    }
    if (this.accounts.has(phoneNumber)) throw new Error(`account ${phoneNumber} exists`);
    const lid = `2${randomBytes(8).readBigUInt64BE(0).toString().padStart(20, "0").slice(0, 14)}`;
    const pushName = scenarioOptions.pushName ?? `Sim ${phoneNumber.slice(-4)}`;
    const account = this.addAccount({ phoneNumber, lid, pushName, scenarioOptions });
    this.onChange();
    return account;
  }

  /** Registers an account (new, or restored from the state directory). */
  addAccount(init: AccountInit): Account {
    const account = new Account(init, this.onChange);
    this.accounts.set(account.phoneNumber, account);
    this.accountsByLid.set(account.lid, account);
    this.indexScenario(account.scenario);
    return account;
  }

  /** Forgets an account that never got a device (its pairing failed). */
  deleteAccountIfUnpaired(account: Account): void {
    if (account.companions.size > 0) return;
    this.accounts.delete(account.phoneNumber);
    this.accountsByLid.delete(account.lid);
    this.onChange();
  }

  accountByUser(user: string): Account | undefined {
    return this.accounts.get(user) ?? this.accountsByLid.get(user);
  }

  /** A person (not an account) by phone-number or LID user part. */
  personByUser(user: string): Person | undefined {
    return this.people.get(user) ?? this.peopleByLid.get(user);
  }

  /** The Signal device of a simulated person, created when first needed. */
  personDevice(phoneNumber: string): SimDevice {
    let d = this.personDevices.get(phoneNumber);
    if (!d) {
      d = new SimDevice();
      d.onChange = this.onChange;
      this.personDevices.set(phoneNumber, d);
      this.onChange();
    }
    return d;
  }

  /** Puts back a person's device restored from the state directory. */
  restorePersonDevice(phoneNumber: string, state: DeviceState): void {
    const d = new SimDevice(undefined, state);
    d.onChange = this.onChange;
    this.personDevices.set(phoneNumber, d);
  }

  personDeviceEntries(): IterableIterator<[string, SimDevice]> {
    return this.personDevices.entries();
  }

  personDeviceStates(): [string, DeviceState][] {
    return [...this.personDevices.entries()].map(([pn, d]) => [pn, d.toState()]);
  }

  addCompanion(c: Companion): void {
    c.account.companions.set(c.deviceId, c);
    this.companionsByNoise.set(c.noiseKey.toString("base64"), c);
    this.onChange();
  }

  companionByNoise(noiseKey: Buffer): Companion | undefined {
    return this.companionsByNoise.get(noiseKey.toString("base64"));
  }

  removeCompanion(c: Companion): void {
    c.account.companions.delete(c.deviceId);
    this.companionsByNoise.delete(c.noiseKey.toString("base64"));
    this.onChange();
  }

  /** Takes one of the companion's uploaded prekeys and returns its bundle (no one-time key when exhausted). */
  companionBundle(c: Companion): PreKeyBundle | null {
    if (!c.signedPreKey) return null;
    let preKey: PreKeyBundle["preKey"];
    if ((c.preKeyCursor + 1) * 35 <= c.preKeys.length) {
      const off = c.preKeyCursor * 35;
      preKey = { id: c.preKeys.readUIntBE(off, 3), public: Buffer.from(c.preKeys.subarray(off + 3, off + 35)) };
      c.preKeyCursor++;
      this.onChange();
    }
    return { registrationId: c.registrationId, identity: c.identityKey, signedPreKey: c.signedPreKey, preKey };
  }

  preKeyCount(c: Companion): number {
    return Math.max(0, c.preKeys.length / 35 - c.preKeyCursor);
  }

  private indexScenario(s: Scenario): void {
    if (this.indexedScenarios.has(s.key)) return;
    this.indexedScenarios.add(s.key);
    for (const p of s.people) {
      this.people.set(p.phoneNumber, p);
      this.peopleByLid.set(p.lid, p);
    }
  }
}

