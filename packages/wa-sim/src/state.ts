// The state directory: the simulator's "server DB" on disk, so linked companions keep working across restarts.
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { chmod, open, rename } from "node:fs/promises";
import { join, resolve } from "node:path";
import { proto, type BinaryNode } from "@whiskeysockets/baileys";
import type { DeviceState, SimDevice } from "./device.ts";
import type { KeyPair } from "./noise.ts";
import type { ScenarioOptions } from "./scenario.ts";
import type { Companion, OutboxItem, PresenceRecord, ReceiptRecord, ReceivedMessage, World } from "./world.ts";

const STATE_FILE = "state.json";
const LOCK_FILE = "lock";
/** Directories held by simulators of this process (a pid check cannot tell those apart). */
const heldHere = new Set<string>();

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
};
const STATE_VERSION = 1;

interface OutboxState {
  node: BinaryNode;
  /** Which simulated device re-encrypts on a retry receipt ("phone:<pn>" or "person:<pn>"), and the message. */
  resend?: { device: string; message: Buffer };
  retries: number;
}

interface CompanionState {
  deviceId: number;
  keyIndex: number;
  noiseKey: Buffer;
  identityKey: Buffer;
  registrationId: number;
  signedPreKey: Companion["signedPreKey"];
  preKeys: Buffer;
  preKeyCursor: number;
  platform: string;
  pairedAt: number;
  historySent: boolean;
  lastLoginAt: number | null;
  outbox: OutboxState[];
}

interface AccountState {
  phoneNumber: string;
  lid: string;
  pushName: string;
  scenarioOptions: ScenarioOptions;
  accountKey: KeyPair;
  createdAt: number;
  nextDeviceId: number;
  slowFactor: number;
  phone: DeviceState | null;
  companions: CompanionState[];
  messages: ReceivedMessage[];
  receipts: ReceiptRecord[];
  presences: PresenceRecord[];
}

export interface SimState {
  version: number;
  rootKeyPair: KeyPair;
  accountCounter: number;
  accounts: AccountState[];
  people: [string, DeviceState][];
}

/**
 * Writes Buffers and Uint8Arrays as `{type:"Buffer", data:<base64>}`. It reads the raw value from the holder: by the
 * time a replacer sees a Buffer, its toJSON has already turned it into an array of numbers (slow for 28 KiB prekeys).
 */
function replaceBuffers(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Uint8Array) return { type: "Buffer", data: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64") };
  return value;
}

/** Only `{type:"Buffer"}` objects are revived (BufferJSON's own reviver also turns numeric-keyed objects into Buffers). */
const reviveBuffers = (_key: string, value: unknown): unknown => {
  if (typeof value === "object" && value !== null && (value as { type?: unknown }).type === "Buffer") {
    const data = (value as { data?: unknown }).data;
    if (typeof data === "string") return Buffer.from(data, "base64");
  }
  return value;
};

/**
 * Reads and writes `state.json` in a private directory (0700), atomically (temp file + fsync + rename, 0600). One
 * simulator per directory: a `lock` file holds the owner's pid; a lock whose process is gone is taken over.
 */
export class StateStore {
  private readonly file: string;
  private readonly lockFile: string;
  private locked = false;

  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    this.file = join(dir, STATE_FILE);
    this.lockFile = join(dir, LOCK_FILE);
    this.lock();
  }

  private lock(): void {
    if (heldHere.has(this.dir)) throw new Error(`simulator state directory ${this.dir} is already in use by this process`);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.lockFile, "wx", 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        this.locked = true;
        heldHere.add(this.dir);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(this.lockFile, "utf8").trim());
      } catch {
        // Removed meanwhile: try again.
      }
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new Error(`simulator state directory ${this.dir} is in use by another simulator (pid ${owner})`);
      }
      // A stale lock (its process is gone): take it over.
      try {
        unlinkSync(this.lockFile);
      } catch {
        // Someone else took it over first; the next attempt tells.
      }
    }
    throw new Error(`could not lock simulator state directory ${this.dir}`);
  }

  /** Lets another simulator open the directory. */
  release(): void {
    if (!this.locked) return;
    this.locked = false;
    heldHere.delete(this.dir);
    try {
      unlinkSync(this.lockFile);
    } catch {
      // Already gone.
    }
  }

  /** The saved state, or null on a first start. A corrupt or foreign file is an error, never silently replaced. */
  load(): SimState | null {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
    let parsed: SimState;
    try {
      parsed = JSON.parse(text, reviveBuffers) as SimState;
    } catch {
      throw new Error(`simulator state file ${this.file} is not valid JSON; move it away to start afresh`);
    }
    if (parsed.version !== STATE_VERSION) throw new Error(`simulator state file ${this.file} has version ${String(parsed.version)}, expected ${STATE_VERSION}`);
    return parsed;
  }

  /** Writes the state atomically (temp file, fsync, rename) without blocking the event loop on the disk. */
  async save(state: SimState): Promise<void> {
    const text = JSON.stringify(state, replaceBuffers);
    const tmp = `${this.file}.${process.pid}.tmp`;
    const handle = await open(tmp, "w", 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(tmp, 0o600);
    await rename(tmp, this.file);
  }
}

/** Captures the world as plain data. */
export function captureState(world: World, rootKeyPair: KeyPair): SimState {
  const refs = new Map<SimDevice, string>();
  for (const a of world.accounts.values()) refs.set(a.phone, `phone:${a.phoneNumber}`);
  for (const [pn, d] of world.personDeviceEntries()) refs.set(d, `person:${pn}`);
  const outboxItem = (item: OutboxItem): OutboxState => {
    const ref = item.resend ? refs.get(item.resend.device) : undefined;
    return {
      node: item.node,
      retries: item.retries,
      ...(item.resend && ref ? { resend: { device: ref, message: Buffer.from(proto.Message.encode(item.resend.message).finish()) } } : {}),
    };
  };
  return {
    version: STATE_VERSION,
    rootKeyPair,
    accountCounter: world.accountCounter,
    accounts: [...world.accounts.values()].map((a) => ({
      phoneNumber: a.phoneNumber,
      lid: a.lid,
      pushName: a.pushName,
      scenarioOptions: a.scenarioOptions,
      accountKey: a.accountKey,
      createdAt: a.createdAt,
      nextDeviceId: a.deviceIdCounter,
      slowFactor: a.slowFactor,
      phone: a.phoneState(),
      companions: [...a.companions.values()].map((c) => ({
        deviceId: c.deviceId,
        keyIndex: c.keyIndex,
        noiseKey: c.noiseKey,
        identityKey: c.identityKey,
        registrationId: c.registrationId,
        signedPreKey: c.signedPreKey,
        preKeys: c.preKeys,
        preKeyCursor: c.preKeyCursor,
        platform: c.platform,
        pairedAt: c.pairedAt,
        historySent: c.historySent,
        lastLoginAt: c.lastLoginAt,
        outbox: [...c.outbox.values()].map(outboxItem),
      })),
      messages: a.messages,
      receipts: a.receipts,
      presences: a.presences,
    })),
    people: world.personDeviceStates(),
  };
}

/** Rebuilds the world from saved state. */
export function restoreState(world: World, state: SimState): void {
  world.accountCounter = state.accountCounter;
  for (const [pn, d] of state.people) world.restorePersonDevice(pn, d);
  for (const s of state.accounts) {
    world.addAccount({
        phoneNumber: s.phoneNumber,
        lid: s.lid,
        pushName: s.pushName,
        scenarioOptions: s.scenarioOptions,
        accountKey: s.accountKey,
        createdAt: s.createdAt,
        nextDeviceId: s.nextDeviceId,
      phone: s.phone,
    });
  }
  // Companions second: an outbox item may name another account's phone as the device that re-encrypts.
  const deviceByRef = (ref: string): SimDevice | undefined => {
    const [kind, pn = ""] = ref.split(":");
    if (kind === "phone") return world.accounts.get(pn)?.phone;
    return kind === "person" ? world.personDevice(pn) : undefined;
  };
  for (const s of state.accounts) {
    const account = world.accounts.get(s.phoneNumber);
    if (!account) continue;
    account.slowFactor = s.slowFactor;
    account.messages.push(...s.messages);
    account.receipts.push(...(s.receipts ?? []));
    account.presences.push(...(s.presences ?? []));
    for (const c of s.companions) {
      const outbox = new Map<string, OutboxItem>();
      for (const item of c.outbox) {
        const id = item.node.attrs.id;
        if (!id) continue;
        const device = item.resend ? deviceByRef(item.resend.device) : undefined;
        outbox.set(id, {
          node: item.node,
          retries: item.retries,
          ...(item.resend && device ? { resend: { device, message: proto.Message.decode(item.resend.message) } } : {}),
        });
      }
      world.addCompanion({ ...c, account, outbox });
    }
  }
}
