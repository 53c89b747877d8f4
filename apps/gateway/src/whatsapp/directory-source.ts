// What a backfill may ask of a live WhatsApp connection, in our own types (Baileys stays inside whatsapp/): the
// joined groups with their members, a contacts resync, and the LID↔phone-number mappings the device stored.
import type { Database } from "@wa/db";
import { readLidMappings } from "@wa/db/queries";
import type { GroupMemberUpsert, GroupUpsert } from "@wa/db/queries";
import type { WASocket } from "@whiskeysockets/baileys";
import { toGroupUpsert, toMemberUpsert, type EventCapture } from "./capture.ts";
import { decodeLidMappingKeys, type LidMapping } from "./key-store-layout.ts";

export interface FetchedGroup {
  group: GroupUpsert;
  members: GroupMemberUpsert[];
}

export interface FetchedGroups {
  /** How many groups the server listed. */
  count: number;
  /** Every listed group's JID (groups not in it were left). */
  jids: string[];
  /** The groups, converted one at a time as they are consumed (memory stays near one batch). */
  groups: Iterable<FetchedGroup>;
}

export interface DirectorySource {
  /** Every group the account participates in, with its members, fetched live from the server. */
  fetchGroups(): Promise<FetchedGroups>;
  /** Asks the server for the contact collections again; their changes arrive through the capture. */
  resyncContacts(): Promise<void>;
  /** The LID↔phone-number mappings the device stored while talking to people. */
  lidMappings(): Promise<LidMapping[]>;
}

/** The session's directory writer (its capture): the backfill's writes queue behind captured events. */
export type DirectoryWriter = Pick<EventCapture, "write" | "idle" | "lostWrites" | "history">;

/** A live connection as a backfill sees it; `signal` aborts when that connection closes. */
export interface DirectoryConnection {
  source: DirectorySource;
  writer: DirectoryWriter;
  signal: AbortSignal;
}

export function socketDirectorySource(sock: WASocket, db: Database, sessionId: string): DirectorySource {
  return {
    async fetchGroups() {
      const all = await sock.groupFetchAllParticipating();
      const jids = Object.keys(all);
      function* groups(): Generator<FetchedGroup> {
        for (const jid of jids) {
          const meta = all[jid];
          // Drop each group from the fetched map as it is handed out.
          delete all[jid];
          const group = meta ? toGroupUpsert(meta) : null;
          if (!meta || !group) continue;
          const members = meta.participants
            .map((p) => toMemberUpsert(group.jid, p))
            .filter((m): m is GroupMemberUpsert => m !== null);
          yield { group, members };
        }
      }
      return { count: jids.length, jids, groups: groups() };
    },
    async resyncContacts() {
      await sock.resyncAppState(["critical_unblock_low", "regular_high"], false);
    },
    async lidMappings() {
      return decodeLidMappingKeys(await readLidMappings(db, sessionId));
    },
  };
}
