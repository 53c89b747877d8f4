// The message log's arithmetic, apart from React: what a typed recipient means, how a chat JID reads, and how the
// pages read so far merge with the messages that arrived live since.
import { formatPhone } from "./format.ts";

/** The fields of a WAMessage the log orders and merges by. */
export interface LogMessage {
  id: string;
  timestamp: number;
  updatedAt: number;
}

/** A chat JID as a person reads it: +digits for a phone-number JID, "group …" for a group, the LID as is. */
export function formatChat(jid: string): string {
  const [user = "", server = ""] = jid.split("@");
  if (server === "s.whatsapp.net") return formatPhone(user.split(":")[0] ?? user);
  if (server === "g.us") return `group ${user}`;
  return jid;
}

/**
 * What the person typed as a recipient, as the API takes it: a JID as typed (the gateway checks it), or a phone
 * number's digits (spaces, dashes, brackets and a leading + dropped). Null when it is neither.
 */
export function typedRecipient(text: string): string | null {
  const t = text.trim();
  if (t.includes("@")) return t;
  if (!/^\+?[\d\s().-]+$/.test(t)) return null;
  const digits = t.replace(/[^\d]/g, "");
  return digits.length >= 6 && digits.length <= 15 ? digits : null;
}

/** Newest first, as the list route orders them: WhatsApp's time, then id. */
export const newestFirst = (a: LogMessage, b: LogMessage): number =>
  b.timestamp - a.timestamp || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * The log: every message of the pages read so far and of those seen live (the feed, our own sends), each once in
 * its latest version (highest `updatedAt`), newest first. While older pages remain unread, a live message older
 * than the oldest one shown waits for "Show older" (showing it would leave a gap above it).
 */
export function mergeLog<M extends LogMessage>(pages: readonly (readonly M[])[], live: Iterable<M>, hasOlder: boolean): M[] {
  const byId = new Map<string, M>();
  for (const page of pages) for (const m of page) byId.set(m.id, m);
  const oldestShown = pages.at(-1)?.at(-1);
  for (const m of live) {
    const known = byId.get(m.id);
    if (!known && hasOlder && oldestShown && newestFirst(m, oldestShown) > 0) continue;
    if (!known || m.updatedAt >= known.updatedAt) byId.set(m.id, m);
  }
  return [...byId.values()].sort(newestFirst);
}
