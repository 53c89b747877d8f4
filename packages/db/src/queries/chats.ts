// A session's chats: the contract's Chat, keyset pages (most recent first) and lookups.
import { and, desc, eq, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import type { ChatType } from "../contract.ts";
import { chats, type ChatRow } from "../schema/index.ts";
import { encodeKeyCursor, type KeyCursor } from "./messages.ts";

export interface Chat {
  jid: string;
  sessionId: string;
  type: ChatType;
  name: string | null;
  unreadCount: number;
  archived: boolean;
  pinned: boolean;
  mutedUntil: number | null;
  lastMessageAt: number | null;
}

const chatColumns = {
  jid: chats.jid,
  sessionId: chats.sessionId,
  type: chats.type,
  name: chats.name,
  unreadCount: chats.unreadCount,
  archived: chats.archived,
  pinned: chats.pinned,
  mutedUntil: chats.mutedUntil,
  lastMessageAt: chats.lastMessageAt,
};

function toChat(row: Pick<ChatRow, keyof typeof chatColumns>): Chat {
  return { ...row, mutedUntil: row.mutedUntil?.getTime() ?? null, lastMessageAt: row.lastMessageAt?.getTime() ?? null };
}

/** Most recent first, keyset on (coalesce(last_message_at, epoch), jid). */
export async function listChats(
  db: Executor,
  params: { sessionId: string; limit: number; cursor?: KeyCursor | null },
): Promise<{ data: Chat[]; nextCursor: string | null }> {
  const last = sql`coalesce(${chats.lastMessageAt}, 'epoch'::timestamptz)`;
  const rows = await db
    .select(chatColumns)
    .from(chats)
    .where(
      and(
        eq(chats.sessionId, params.sessionId),
        params.cursor ? sql`(${last}, ${chats.jid}) < (${new Date(params.cursor.at).toISOString()}::timestamptz, ${params.cursor.key})` : undefined,
      ),
    )
    .orderBy(desc(last), desc(chats.jid))
    .limit(params.limit + 1);
  const page = rows.slice(0, params.limit);
  const tail = page.at(-1);
  return {
    data: page.map(toChat),
    nextCursor: rows.length > params.limit && tail ? encodeKeyCursor({ at: tail.lastMessageAt?.getTime() ?? 0, key: tail.jid }) : null,
  };
}

export async function getChat(db: Executor, sessionId: string, jid: string): Promise<Chat | null> {
  const [row] = await db.select(chatColumns).from(chats).where(and(eq(chats.sessionId, sessionId), eq(chats.jid, jid))).limit(1);
  return row ? toChat(row) : null;
}
