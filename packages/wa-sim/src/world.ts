// The simulator's in-memory "server DB": accounts (simulated phones), their paired companions and prekeys, and people.
import { randomBytes, randomInt } from "node:crypto";
import type { BinaryNode, proto } from "@whiskeysockets/baileys";
import { SimDevice, type PreKeyBundle } from "./device.ts";
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

const MAX_MESSAGE_LOG = 2000;

/** One simulated WhatsApp account: the phone (device 0), its contacts and groups, and its companions. */
export class Account {
  readonly jid: string;
  readonly lidJid: string;
  readonly accountKey: KeyPair;
  private phoneDevice: SimDevice | null = null;
  readonly companions = new Map<number, Companion>();
  private nextDeviceId = 1;
  readonly messages: ReceivedMessage[] = [];
  slowFactor = 1;
  readonly createdAt = Date.now();

  constructor(
    readonly phoneNumber: string,
    readonly lid: string,
    readonly pushName: string,
    readonly scenario: Scenario,
  ) {
    this.jid = `${phoneNumber}@s.whatsapp.net`;
    this.lidJid = `${lid}@lid`;
    this.accountKey = newKeyPair();
  }

  /** The phone's own Signal device; its identity is the account key, as on a real primary device. */
  get phone(): SimDevice {
    this.phoneDevice ??= new SimDevice(this.accountKey);
    return this.phoneDevice;
  }

  get contacts(): Person[] {
    return this.scenario.people.slice(0, this.scenario.contactCount);
  }

  allocateDeviceId(): number {
    return this.nextDeviceId++;
  }

  recordMessage(m: ReceivedMessage): void {
    this.messages.push(m);
    if (this.messages.length > MAX_MESSAGE_LOG) this.messages.splice(0, this.messages.length - MAX_MESSAGE_LOG);
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
  private accountCounter = 0;

  constructor(readonly defaultScenario: ScenarioOptions = {}) {}

  createAccount(opts: { phoneNumber?: string; scenario?: ScenarioOptions }): Account {
    const scenarioOptions = { ...this.defaultScenario, ...opts.scenario };
    const scenario = buildScenario(scenarioOptions);
    let phoneNumber = opts.phoneNumber;
    if (!phoneNumber) {
      do {
        phoneNumber = `6281${String(90_000_000 + this.accountCounter++).padStart(9, "0")}${randomInt(0, 10)}`;
      } while (this.accounts.has(phoneNumber));
    }
    if (this.accounts.has(phoneNumber)) throw new Error(`account ${phoneNumber} exists`);
    const lid = `2${randomBytes(8).readBigUInt64BE(0).toString().padStart(20, "0").slice(0, 14)}`;
    const pushName = scenarioOptions.pushName ?? `Sim ${phoneNumber.slice(-4)}`;
    const account = new Account(phoneNumber, lid, pushName, scenario);
    this.accounts.set(phoneNumber, account);
    this.accountsByLid.set(lid, account);
    this.indexScenario(scenario);
    return account;
  }

  /** Forgets an account that never got a device (its pairing failed). */
  deleteAccountIfUnpaired(account: Account): void {
    if (account.companions.size > 0) return;
    this.accounts.delete(account.phoneNumber);
    this.accountsByLid.delete(account.lid);
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
      this.personDevices.set(phoneNumber, d);
    }
    return d;
  }

  addCompanion(c: Companion): void {
    c.account.companions.set(c.deviceId, c);
    this.companionsByNoise.set(c.noiseKey.toString("base64"), c);
  }

  companionByNoise(noiseKey: Buffer): Companion | undefined {
    return this.companionsByNoise.get(noiseKey.toString("base64"));
  }

  removeCompanion(c: Companion): void {
    c.account.companions.delete(c.deviceId);
    this.companionsByNoise.delete(c.noiseKey.toString("base64"));
  }

  /** Takes one of the companion's uploaded prekeys and returns its bundle (no one-time key when exhausted). */
  companionBundle(c: Companion): PreKeyBundle | null {
    if (!c.signedPreKey) return null;
    let preKey: PreKeyBundle["preKey"];
    if ((c.preKeyCursor + 1) * 35 <= c.preKeys.length) {
      const off = c.preKeyCursor * 35;
      preKey = { id: c.preKeys.readUIntBE(off, 3), public: Buffer.from(c.preKeys.subarray(off + 3, off + 35)) };
      c.preKeyCursor++;
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

