// EventCapture: contacts (names, push names, LID↔phone-number) and group changes from Baileys events, written to
// `contacts`, `groups`, `group_members` as they arrive, in order, in batches. It is the one writer of the session's
// directory: a backfill hands its writes to `write` so they queue behind the captured events instead of racing
// them (two writers upserting overlapping rows in different orders deadlock).
import type { BaileysEventMap, Contact, GroupMetadata, GroupParticipant } from "@whiskeysockets/baileys";
import type { Database } from "@wa/db";
import {
  applyContactLidMappings,
  ensureGroups,
  removeGroupMembers,
  setGroupMemberRoles,
  upsertContacts,
  upsertGroupMembers,
  upsertGroups,
  type ContactUpsert,
  type GroupMemberRole,
  type GroupMemberUpsert,
  type GroupUpsert,
} from "@wa/db/queries";
import type pino from "pino";
import { describeDbFailure, isTransientDbFailure } from "../db-failure.ts";
import { HistorySyncWatch } from "./history-sync.ts";
import { isGroupJid, normalizeUserJid, personIds } from "./jids.ts";

export const CAPTURE_BATCH = 1000;

/** Delays before the retries of a write that failed transiently (deadlock, dropped connection). */
const RETRY_DELAYS_MS = [200, 1_000, 3_000];

type Ev = {
  on<K extends keyof BaileysEventMap>(event: K, listener: (arg: BaileysEventMap[K]) => void): void;
  off<K extends keyof BaileysEventMap>(event: K, listener: (arg: BaileysEventMap[K]) => void): void;
};

export function toContactUpsert(c: Partial<Contact>): ContactUpsert | null {
  if (!c.id || isGroupJid(c.id) || c.id.endsWith("@broadcast") || c.id.endsWith("@newsletter")) return null;
  const ids = personIds({ id: c.id, lid: c.lid, phoneNumber: c.phoneNumber });
  if (!ids) return null;
  return { ...ids, name: c.name ?? null, notify: c.notify ?? null, verifiedName: c.verifiedName ?? null };
}

export function participantRole(p: Pick<GroupParticipant, "admin" | "isAdmin" | "isSuperAdmin">): GroupMemberRole {
  if (p.admin === "superadmin" || p.isSuperAdmin) return "superadmin";
  if (p.admin === "admin" || p.isAdmin) return "admin";
  return "member";
}

export function toMemberUpsert(groupJid: string, p: GroupParticipant): GroupMemberUpsert | null {
  const ids = personIds({ id: p.id, lid: p.lid, phoneNumber: p.phoneNumber });
  if (!ids) return null;
  return { groupJid, memberJid: ids.jid, phoneJid: ids.phoneJid, lidJid: ids.lidJid, role: participantRole(p) };
}

export function toGroupUpsert(g: Partial<GroupMetadata>): GroupUpsert | null {
  if (!g.id || !isGroupJid(g.id)) return null;
  return {
    jid: g.id,
    subject: g.subject ?? null,
    description: g.desc ?? null,
    ownerJid: normalizeUserJid(g.ownerPn ?? g.owner),
    creation: typeof g.creation === "number" ? g.creation * 1000 : null,
    size: g.size ?? g.participants?.length ?? null,
    announce: g.announce ?? null,
    restrict: g.restrict ?? null,
  };
}

function chunks<T>(rows: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

export interface AttachOptions {
  /** The connection's creds have not finished an account sync: the initial history sync is on its way. */
  historyExpected?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `work`, trying again after transient database failures. */
async function withRetries<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const delay = RETRY_DELAYS_MS[attempt];
      if (delay === undefined || !isTransientDbFailure(err)) throw err;
      await sleep(delay);
    }
  }
}

export class EventCapture {
  private chain: Promise<void> = Promise.resolve();
  private detachers: (() => void)[] = [];
  /** Captured writes that failed for good: rows the directory misses. */
  private lost = 0;
  readonly history = new HistorySyncWatch();
  /** The account's own JIDs: the phone lists itself among push names, but it is not a contact. */
  private self = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly sessionId: string,
    private readonly logger: pino.Logger,
  ) {}

  /**
   * Serializes writes so a later event never lands before an earlier one; a write that keeps failing is logged
   * (reason only: the statement carries personal data) and counted in `lostWrites`, not fatal.
   */
  private enqueue(what: string, work: () => Promise<void>): void {
    this.chain = this.chain
      .then(() => withRetries(work))
      .catch((err: unknown) => {
        this.lost += 1;
        const reason = describeDbFailure(err) ?? (err instanceof Error ? err.message.slice(0, 200) : "unknown error");
        this.logger.error({ reason, what }, "capturing WhatsApp directory event failed");
      });
  }

  /** Runs `work` as the directory's writer: after every captured event queued so far, before any later one. */
  write<T>(work: () => Promise<T>): Promise<T> {
    const result = this.chain.then(work);
    this.chain = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Resolves when everything received so far is written. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** How many captured writes failed for good since this session was created. */
  get lostWrites(): number {
    return this.lost;
  }

  attach(ev: Ev, opts: AttachOptions = {}): void {
    // Reset on every socket: a sync the previous connection left unfinished must not keep a backfill waiting.
    this.history.restart(opts.historyExpected ?? false);
    const on = <K extends keyof BaileysEventMap>(event: K, listener: (arg: BaileysEventMap[K]) => void) => {
      ev.on(event, listener);
      this.detachers.push(() => ev.off(event, listener));
    };
    on("contacts.upsert", (list) => this.contacts(list));
    on("contacts.update", (list) => this.contacts(list));
    on("messaging-history.set", ({ contacts, lidPnMappings, syncType, progress }) => {
      this.contacts(contacts);
      if (lidPnMappings?.length) this.lidMappings(lidPnMappings);
      this.history.chunk({ syncType, progress });
    });
    on("messaging-history.status", ({ status }) => {
      if (status === "paused") this.history.paused();
    });
    on("lid-mapping.update", (mapping) => this.lidMappings([mapping]));
    on("groups.upsert", (list) => this.groups(list, true));
    on("groups.update", (list) => this.groups(list, false));
    on("group-participants.update", (update) => this.participants(update));
  }

  detach(): void {
    for (const d of this.detachers.splice(0)) d();
  }

  setSelf(jids: readonly (string | null | undefined)[]): void {
    this.self = new Set(jids.map(normalizeUserJid).filter((j): j is string => j !== null));
  }

  private isSelf(row: ContactUpsert): boolean {
    return this.self.has(row.jid) || (row.lidJid !== null && row.lidJid !== undefined && this.self.has(row.lidJid));
  }

  contacts(list: readonly Partial<Contact>[]): void {
    const rows = list.map(toContactUpsert).filter((r): r is ContactUpsert => r !== null && !this.isSelf(r));
    if (rows.length === 0) return;
    this.enqueue("contacts", async () => {
      for (const batch of chunks(rows, CAPTURE_BATCH)) await upsertContacts(this.db, this.sessionId, batch);
    });
  }

  lidMappings(list: readonly { pn: string; lid: string }[]): void {
    const rows = list
      .map((m) => ({ phoneJid: normalizeUserJid(m.pn), lidJid: normalizeUserJid(m.lid) }))
      .filter((m): m is { phoneJid: string; lidJid: string } => Boolean(m.phoneJid && m.lidJid));
    if (rows.length === 0) return;
    this.enqueue("lid-mapping", async () => {
      for (const batch of chunks(rows, CAPTURE_BATCH)) await applyContactLidMappings(this.db, this.sessionId, batch);
    });
  }

  /** `withMembers`: the metadata is complete (groups.upsert), so its participants are written too. */
  groups(list: readonly Partial<GroupMetadata>[], withMembers: boolean): void {
    const rows = list.map(toGroupUpsert).filter((r): r is GroupUpsert => r !== null);
    if (rows.length === 0) return;
    this.enqueue("groups", async () => {
      for (const batch of chunks(rows, CAPTURE_BATCH)) await upsertGroups(this.db, this.sessionId, batch);
      if (!withMembers) return;
      const members = list.flatMap((g) =>
        g.id && g.participants ? g.participants.map((p) => toMemberUpsert(g.id ?? "", p)) : [],
      );
      const valid = members.filter((m): m is GroupMemberUpsert => m !== null);
      for (const batch of chunks(valid, CAPTURE_BATCH)) await upsertGroupMembers(this.db, this.sessionId, batch);
    });
  }

  participants(update: BaileysEventMap["group-participants.update"]): void {
    const groupJid = update.id;
    if (!isGroupJid(groupJid)) return;
    const members = update.participants
      .map((p) => toMemberUpsert(groupJid, p))
      .filter((m): m is GroupMemberUpsert => m !== null);
    if (members.length === 0) return;
    this.enqueue("group-participants", async () => {
      await ensureGroups(this.db, this.sessionId, [groupJid]);
      const jids = members.map((m) => m.memberJid);
      switch (update.action) {
        case "add":
        case "modify":
          await upsertGroupMembers(this.db, this.sessionId, members);
          break;
        case "remove":
          await removeGroupMembers(this.db, this.sessionId, groupJid, jids);
          break;
        case "promote":
          await setGroupMemberRoles(this.db, this.sessionId, groupJid, jids, "admin");
          break;
        case "demote":
          await setGroupMemberRoles(this.db, this.sessionId, groupJid, jids, "member");
          break;
      }
    });
  }
}
