// The control API: typed in-process methods and their JSON routes under /sim/.
import type { IncomingMessage, ServerResponse } from "node:http";
import { BufferJSON } from "@whiskeysockets/baileys";
import { WrongPairingCodeError } from "./connection.ts";
import { withFastCurve } from "./fast-curve.ts";
import { mintCompanion, type MintedClient } from "./mint.ts";
import { parsePairingQr } from "./phone.ts";
import type { ScenarioOptions } from "./scenario.ts";
import type { SimServer } from "./server.ts";
import type { Account, Companion, PresenceRecord, ReceiptRecord, ReceivedMessage } from "./world.ts";

export type FaultKind = "drop" | "stall" | "stream-error" | "logout";
export const STREAM_ERROR_CODES = [401, 405, 440, 500, 515] as const;

export class SimError extends Error {
  constructor(
    readonly code: "validation_error" | "not_found" | "conflict" | "internal",
    message: string,
  ) {
    super(message);
  }
  get status(): number {
    return { validation_error: 400, not_found: 404, conflict: 409, internal: 500 }[this.code];
  }
}

export interface ScanResult {
  phoneNumber: string;
  jid: string;
  lid: string;
  deviceId: number;
}

export interface AccountSummary {
  phoneNumber: string;
  jid: string;
  lid: string;
  pushName: string;
  contacts: number;
  groups: number;
  groupMembers: number;
  devices: number;
  connected: number;
  /** Sockets closed with 440 `replaced` because the same device connected again (since the simulator started). */
  replaced: number;
  /** When a socket of one of its devices last closed, as the simulator saw it (ms since the epoch; null: none yet). */
  lastDisconnectedAt: number | null;
}

export interface AccountDetail extends AccountSummary {
  contactRows: { phoneNumber: string; jid: string; lid: string; name: string }[];
  groupRows: { id: string; jid: string; subject: string; description: string; creator: string; creation: number; size: number; admins: string[] }[];
  memberships: { groupJid: string; jid: string; lid: string; role: "superadmin" | "admin" | "member" }[];
  counts: { contacts: number; groups: number; groupMembers: number };
}

export interface DeviceInfo {
  deviceId: number;
  jid: string;
  lid: string;
  connected: boolean;
  stalled: boolean;
  pairedAt: number;
  lastLoginAt: number | null;
  preKeysOnServer: number;
  pendingMessages: number;
}

/** A minted companion: where it is linked, and the Baileys auth state its client holds. */
export interface MintedCompanion extends ScanResult, MintedClient {}

/** Companions one mint request may make (its answer is about 8 KiB each). */
export const MAX_MINT = 1000;

export interface FaultRequest {
  phoneNumber: string;
  /** Limit the fault to one companion; all connected companions of the account otherwise. */
  deviceId?: number;
  kind: FaultKind;
  /** For kind "stream-error": 515, 401, 440, 500 or 405. */
  code?: number;
}

/** In-process equivalent of the REST control API. */
export class SimControl {
  constructor(private readonly server: SimServer) {}

  async scan(input: { qr: string; phoneNumber?: string; scenario?: ScenarioOptions }): Promise<ScanResult> {
    if (typeof input.qr !== "string" || input.qr.length === 0) throw new SimError("validation_error", "qr is required");
    let parsed;
    try {
      parsed = parsePairingQr(input.qr);
    } catch (e) {
      throw new SimError("validation_error", (e as Error).message);
    }
    if (input.phoneNumber !== undefined && !/^[1-9][0-9]{6,14}$/.test(input.phoneNumber)) {
      throw new SimError("validation_error", "phoneNumber must be digits only (E.164 without +)");
    }
    const conn = this.server.pendingRefs.get(parsed.ref);
    if (!conn || !conn.isOpen) throw new SimError("not_found", "no connected client is showing this QR (expired or already used)");
    if (!conn.regNoiseKey?.equals(parsed.noiseKey)) throw new SimError("validation_error", "QR noise key does not match the connection");
    let account = input.phoneNumber ? this.server.world.accounts.get(input.phoneNumber) : undefined;
    const created = !account;
    if (!account) {
      try {
        account = this.server.world.createAccount({ phoneNumber: input.phoneNumber, scenario: input.scenario });
      } catch (e) {
        throw new SimError("validation_error", (e as Error).message);
      }
    }
    let companion: Companion;
    try {
      companion = await conn.pair(account, parsed.identityKey, parsed.advSecret, parsed.platformId);
    } catch (e) {
      if (created) this.server.world.deleteAccountIfUnpaired(account);
      throw new SimError("conflict", (e as Error).message);
    }
    return { phoneNumber: account.phoneNumber, jid: account.jid, lid: account.lidJid, deviceId: companion.deviceId };
  }

  /**
   * The phone user types the pairing code a client shows (Baileys `requestPairingCode(phoneNumber)`): links the client
   * to the account `phoneNumber` (created when new), like a scan.
   */
  async pairCode(input: { code: string; phoneNumber: string; scenario?: ScenarioOptions }): Promise<ScanResult> {
    const code = typeof input.code === "string" ? input.code.replace(/[\s-]/g, "") : "";
    if (!/^[A-Za-z0-9]{8}$/.test(code)) throw new SimError("validation_error", "code must be the 8 characters the client shows");
    if (typeof input.phoneNumber !== "string" || !/^[1-9][0-9]{6,14}$/.test(input.phoneNumber)) {
      throw new SimError("validation_error", "phoneNumber must be digits only (E.164 without +)");
    }
    const conn = this.server.pendingLinkCodes.get(input.phoneNumber);
    if (!conn?.isOpen) throw new SimError("not_found", `no connected client is waiting for a pairing code for ${input.phoneNumber}`);
    let account = this.server.world.accounts.get(input.phoneNumber);
    const created = !account;
    if (!account) {
      try {
        account = this.server.world.createAccount({ phoneNumber: input.phoneNumber, scenario: input.scenario });
      } catch (e) {
        throw new SimError("validation_error", (e as Error).message);
      }
    }
    let companion: Companion;
    try {
      companion = await conn.pairByCode(code, account);
    } catch (e) {
      if (created) this.server.world.deleteAccountIfUnpaired(account);
      throw new SimError(e instanceof WrongPairingCodeError ? "validation_error" : "conflict", (e as Error).message);
    }
    return { phoneNumber: account.phoneNumber, jid: account.jid, lid: account.lidJid, deviceId: companion.deviceId };
  }

  /**
   * Links `count` companions as if each had been paired by QR and had logged in once, without a client: one per
   * account `phoneNumbers[i]`, or `phonePrefix` + (firstIndex + i) padded to 7 digits, or a new number each (an
   * existing account is reused, a new one gets `scenario`). Returns each client's creds and Signal keys.
   */
  mintCompanions(input: { count?: number; phoneNumbers?: string[]; phonePrefix?: string; firstIndex?: number; scenario?: ScenarioOptions }): MintedCompanion[] {
    const { phoneNumbers, phonePrefix } = input;
    if (phoneNumbers !== undefined && (!Array.isArray(phoneNumbers) || phoneNumbers.some((n) => typeof n !== "string"))) {
      throw new SimError("validation_error", "phoneNumbers must be an array of strings");
    }
    const count = phoneNumbers?.length ?? input.count;
    if (typeof count !== "number" || !Number.isInteger(count) || count < 1 || count > MAX_MINT) {
      throw new SimError("validation_error", `count must be an integer from 1 to ${MAX_MINT}`);
    }
    const firstIndex = input.firstIndex ?? 0;
    if (!Number.isInteger(firstIndex) || firstIndex < 0) throw new SimError("validation_error", "firstIndex must be a non-negative integer");
    if (phonePrefix !== undefined && (typeof phonePrefix !== "string" || !/^[1-9][0-9]{0,7}$/.test(phonePrefix))) {
      throw new SimError("validation_error", "phonePrefix must be 1 to 8 digits");
    }
    const numbers = Array.from({ length: count }, (_, i) =>
      phoneNumbers?.[i] ?? (phonePrefix === undefined ? undefined : `${phonePrefix}${String(firstIndex + i).padStart(7, "0")}`),
    );
    for (const n of numbers) {
      if (n !== undefined && !/^[1-9][0-9]{6,14}$/.test(n)) throw new SimError("validation_error", `${n} is not a phone number (E.164 digits without +)`);
    }
    const world = this.server.world;
    return numbers.map((phoneNumber) =>
      // New accounts' keys on the fast curve too (it swaps Baileys' Curve for one companion's synchronous work).
      withFastCurve(() => {
        let account = phoneNumber ? world.accounts.get(phoneNumber) : undefined;
        if (!account) {
          try {
            account = world.createAccount({ phoneNumber, scenario: input.scenario });
          } catch (e) {
            throw new SimError("validation_error", (e as Error).message);
          }
        }
        return { phoneNumber: account.phoneNumber, jid: account.jid, lid: account.lidJid, ...mintCompanion(world, account) };
      }),
    );
  }

  accounts(): AccountSummary[] {
    return [...this.server.world.accounts.values()].map((a) => this.summary(a));
  }

  account(phoneNumber: string): AccountDetail {
    const a = this.mustAccount(phoneNumber);
    const jidOf = (i: number) => `${a.member(i).phoneNumber}@s.whatsapp.net`;
    return {
      ...this.summary(a),
      contactRows: a.contacts.map((p) => ({ phoneNumber: p.phoneNumber, jid: `${p.phoneNumber}@s.whatsapp.net`, lid: `${p.lid}@lid`, name: p.name })),
      groupRows: a.scenario.groups.map((g) => ({
        id: g.id,
        jid: `${g.id}@g.us`,
        subject: g.subject,
        description: g.description,
        creator: jidOf(g.creator),
        creation: g.creation,
        size: g.members.length,
        admins: g.members.filter((m) => m.role !== "member").map((m) => jidOf(m.person)),
      })),
      memberships: a.scenario.groups.flatMap((g) =>
        g.members.map((m) => ({ groupJid: `${g.id}@g.us`, jid: jidOf(m.person), lid: `${a.member(m.person).lid}@lid`, role: m.role })),
      ),
      counts: { contacts: a.scenario.contactCount, groups: a.scenario.groups.length, groupMembers: a.scenario.groupMemberCount },
    };
  }

  devices(phoneNumber: string): DeviceInfo[] {
    const a = this.mustAccount(phoneNumber);
    return [...a.companions.values()].map((c) => {
      const conn = this.server.live.get(c);
      return {
        deviceId: c.deviceId,
        jid: `${a.phoneNumber}:${c.deviceId}@s.whatsapp.net`,
        lid: `${a.lid}:${c.deviceId}@lid`,
        connected: !!conn?.isOpen,
        stalled: !!conn?.stalled,
        pairedAt: c.pairedAt,
        lastLoginAt: c.lastLoginAt,
        preKeysOnServer: this.server.world.preKeyCount(c),
        pendingMessages: c.outbox.size,
      };
    });
  }

  /** Injects a fault; returns how many connected devices it hit (logout also counts offline devices). */
  fault(req: FaultRequest): { affected: number } {
    const a = this.mustAccount(req.phoneNumber);
    const kinds: FaultKind[] = ["drop", "stall", "stream-error", "logout"];
    if (!kinds.includes(req.kind)) throw new SimError("validation_error", `kind must be one of ${kinds.join(", ")}`);
    if (req.kind === "stream-error" && !STREAM_ERROR_CODES.includes(req.code as (typeof STREAM_ERROR_CODES)[number])) {
      throw new SimError("validation_error", `code must be one of ${STREAM_ERROR_CODES.join(", ")}`);
    }
    const targets = [...a.companions.values()].filter((c) => req.deviceId === undefined || c.deviceId === req.deviceId);
    if (req.deviceId !== undefined && targets.length === 0) throw new SimError("not_found", `device ${req.deviceId} not found`);
    let affected = 0;
    for (const c of targets) {
      const conn = this.server.live.get(c);
      if (req.kind === "logout") {
        this.server.forgetCompanion(c);
        conn?.streamError(401, { tag: "conflict", attrs: { type: "device_removed" } });
        affected++;
        continue;
      }
      if (!conn?.isOpen) continue;
      affected++;
      if (req.kind === "drop") conn.drop();
      else if (req.kind === "stall") conn.stalled = true;
      else {
        const code = req.code ?? 500;
        conn.streamError(code, code === 440 ? { tag: "conflict", attrs: { type: "replaced" } } : undefined);
      }
    }
    return { affected };
  }

  /** Slows an account down: every group query and history chunk waits (factor − 1) × slowUnitMs. */
  slowDown(phoneNumber: string, factor: number): { factor: number } {
    const a = this.mustAccount(phoneNumber);
    if (typeof factor !== "number" || !Number.isFinite(factor) || factor < 1 || factor > 10_000) {
      throw new SimError("validation_error", "factor must be a number between 1 and 10000");
    }
    a.slowFactor = factor;
    return { factor };
  }

  /** Refuse the account's outgoing messages from now on (ack with `error`), or accept them again (null). */
  refuseSends(phoneNumber: string, error: unknown): { error: string | null } {
    const a = this.mustAccount(phoneNumber);
    if (error !== null && (typeof error !== "string" || !/^\d{3}$/.test(error))) {
      throw new SimError("validation_error", "error must be a three-digit code such as \"463\", or null");
    }
    a.refuseSendsWith = error;
    return { error };
  }

  messages(phoneNumber: string): ReceivedMessage[] {
    return [...this.mustAccount(phoneNumber).messages];
  }

  /** Receipts the account's companions sent (oldest first, last 2 000). */
  receipts(phoneNumber: string): ReceiptRecord[] {
    return [...this.mustAccount(phoneNumber).receipts];
  }

  /** Chat states (`composing`, `paused`, `recording`) the account's companions sent (oldest first, last 2 000). */
  presences(phoneNumber: string): PresenceRecord[] {
    return [...this.mustAccount(phoneNumber).presences];
  }

  /**
   * The simulated contacts (or group members) that received a message from the account's devices read it: a `read`
   * receipt goes to every connected companion. `by` (digits or jid) limits it to one reader.
   */
  readMessage(input: { phoneNumber: string; messageId: string; by?: string }): { id: string; readBy: string[]; devices: number } {
    const a = this.mustAccount(input.phoneNumber);
    if (![...a.companions.values()].some((c) => this.server.live.get(c)?.isOpen)) throw new SimError("conflict", "no linked device of the account is connected");
    try {
      return this.server.readByRecipients(a, input.messageId, input.by);
    } catch (e) {
      if (e instanceof RangeError) throw new SimError("not_found", e.message);
      throw e;
    }
  }

  /** A contact sends a 1:1 text, or with `groupJid` a group member sends a text to that group. */
  async sendMessage(input: { phoneNumber: string; from?: string; text: string; groupJid?: string }): Promise<{ id: string; from: string; devices: number }> {
    const a = this.mustAccount(input.phoneNumber);
    if (typeof input.text !== "string" || input.text.length === 0) throw new SimError("validation_error", "text is required");
    if (a.companions.size === 0) throw new SimError("conflict", "the account has no linked devices");
    try {
      if (input.groupJid !== undefined) {
        const group = a.scenario.groups.find((g) => `${g.id}@g.us` === input.groupJid);
        if (!group) throw new SimError("not_found", `group ${input.groupJid} not found`);
        const firstOther = group.members.find((m) => m.person >= 0);
        const from = input.from ?? (firstOther ? a.member(firstOther.person).phoneNumber : undefined);
        if (!from) throw new SimError("validation_error", "the group has no other members");
        return await this.server.sendGroupInbound(a, input.groupJid, from, input.text);
      }
      const from = input.from ?? a.contacts[0]?.phoneNumber;
      if (!from) throw new SimError("validation_error", "from is required (the account has no contacts)");
      return await this.server.sendInbound(a, from, input.text);
    } catch (e) {
      if (e instanceof RangeError) throw new SimError("not_found", e.message);
      throw e;
    }
  }

  private summary(a: Account): AccountSummary {
    let connected = 0;
    for (const c of a.companions.values()) if (this.server.live.get(c)?.isOpen) connected++;
    return {
      phoneNumber: a.phoneNumber,
      jid: a.jid,
      lid: a.lidJid,
      pushName: a.pushName,
      contacts: a.scenario.contactCount,
      groups: a.scenario.groups.length,
      groupMembers: a.scenario.groupMemberCount,
      devices: a.companions.size,
      connected,
      replaced: a.replacedConnections,
      lastDisconnectedAt: a.lastDisconnectedAt,
    };
  }

  private mustAccount(phoneNumber: string): Account {
    const a = this.server.world.accounts.get(phoneNumber);
    if (!a) throw new SimError("not_found", `account ${phoneNumber} not found`);
    return a;
  }
}

const MAX_BODY = 1024 * 1024;

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new SimError("validation_error", "body over 1 MiB");
    chunks.push(c as Buffer);
  }
  if (size === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new SimError("validation_error", "body is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new SimError("validation_error", "body must be a JSON object");
  return parsed as Record<string, unknown>;
}

const str = (v: unknown, field: string, optional = false): string | undefined => {
  if (v === undefined && optional) return undefined;
  if (typeof v !== "string") throw new SimError("validation_error", `${field} must be a string`);
  return v;
};

/** Routes /sim/* requests to the control methods. */
export function createControlHandler(control: SimControl, server: SimServer) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const run = async () => {
      const url = new URL(req.url ?? "/", "http://sim");
      const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
      const method = req.method ?? "GET";
      if (parts[0] !== "sim") throw new SimError("not_found", "no such route");
      const [, a, b, c] = parts;
      if (method === "GET" && a === "health" && !b) {
        // ?gc=1 collects garbage first when the process runs with --expose-gc (used by the memory measurements).
        const gc = (globalThis as { gc?: () => void }).gc;
        if (url.searchParams.has("gc") && gc) gc();
        const mem = process.memoryUsage();
        return send(200, { ok: true, connections: server.connections.size, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed });
      }
      if (method === "GET" && a === "root-key" && !b) return send(200, { rootPublicKey: server.identity.root.public.toString("base64") });
      if (method === "POST" && a === "scan" && !b) {
        const body = await readJson(req);
        const scenario = body.scenario;
        if (scenario !== undefined && (typeof scenario !== "object" || scenario === null)) throw new SimError("validation_error", "scenario must be an object");
        return send(200, await control.scan({ qr: str(body.qr, "qr") ?? "", phoneNumber: str(body.phoneNumber, "phoneNumber", true), scenario: scenario as ScenarioOptions | undefined }));
      }
      if (method === "POST" && a === "pair-code" && !b) {
        const body = await readJson(req);
        const scenario = body.scenario;
        if (scenario !== undefined && (typeof scenario !== "object" || scenario === null)) throw new SimError("validation_error", "scenario must be an object");
        return send(200, await control.pairCode({ code: str(body.code, "code") ?? "", phoneNumber: str(body.phoneNumber, "phoneNumber") ?? "", scenario: scenario as ScenarioOptions | undefined }));
      }
      if (method === "POST" && a === "companions:mint" && !b) {
        const body = await readJson(req);
        const scenario = body.scenario;
        if (scenario !== undefined && (typeof scenario !== "object" || scenario === null)) throw new SimError("validation_error", "scenario must be an object");
        const minted = control.mintCompanions({
          count: body.count as number | undefined,
          phoneNumbers: body.phoneNumbers as string[] | undefined,
          phonePrefix: str(body.phonePrefix, "phonePrefix", true),
          firstIndex: body.firstIndex as number | undefined,
          scenario: scenario as ScenarioOptions | undefined,
        });
        // Buffers as Baileys' BufferJSON writes them, so a client revives the auth state with BufferJSON.reviver.
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ data: minted }, BufferJSON.replacer));
        return;
      }
      if (a === "accounts") {
        if (method === "GET" && !b) return send(200, { data: control.accounts() });
        if (b && method === "GET" && !c) return send(200, control.account(b));
        if (b && method === "GET" && c === "devices" && parts.length === 4) return send(200, { data: control.devices(b) });
        if (b && method === "GET" && c === "messages" && parts.length === 4) return send(200, { data: control.messages(b) });
        if (b && method === "GET" && c === "receipts" && parts.length === 4) return send(200, { data: control.receipts(b) });
        if (b && method === "GET" && c === "presences" && parts.length === 4) return send(200, { data: control.presences(b) });
        if (b && method === "POST" && c === "messages" && parts.length === 6 && parts[5] === "read") {
          const body = await readJson(req);
          return send(200, control.readMessage({ phoneNumber: b, messageId: parts[4] ?? "", by: str(body.by, "by", true) }));
        }
        if (b && method === "POST" && c === "messages" && parts.length === 4) {
          const body = await readJson(req);
          return send(
            200,
            await control.sendMessage({ phoneNumber: b, from: str(body.from, "from", true), text: str(body.text, "text") ?? "", groupJid: str(body.groupJid, "groupJid", true) }),
          );
        }
        if (b && method === "POST" && c === "faults" && parts.length === 4) {
          const body = await readJson(req);
          const deviceId = body.deviceId;
          const code = body.code;
          if (deviceId !== undefined && typeof deviceId !== "number") throw new SimError("validation_error", "deviceId must be a number");
          if (code !== undefined && typeof code !== "number") throw new SimError("validation_error", "code must be a number");
          return send(200, control.fault({ phoneNumber: b, kind: str(body.kind, "kind") as FaultKind, deviceId, code }));
        }
        if (b && method === "POST" && c === "slowdown" && parts.length === 4) {
          const body = await readJson(req);
          return send(200, control.slowDown(b, body.factor as number));
        }
        if (b && method === "POST" && c === "refuse-sends" && parts.length === 4) {
          const body = await readJson(req);
          return send(200, control.refuseSends(b, body.error ?? null));
        }
      }
      throw new SimError("not_found", "no such route");
    };
    run().catch((err: unknown) => {
      if (err instanceof SimError) send(err.status, { error: { code: err.code, message: err.message } });
      else {
        server.log.error({ err: err instanceof Error ? err.stack : String(err) }, "control request failed");
        send(500, { error: { code: "internal", message: "internal error" } });
      }
    });
  };
}
