// Who a session can send to, from what its device knows (the backfilled contacts and groups): the console's
// recipient picker searches here by name, group subject or phone number.
import { and, asc, eq, ilike, or, sql, type SQL } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { contacts, groups } from "../schema/index.ts";

export interface Recipient {
  kind: "contact" | "group";
  /** The JID to send to: the phone-number form of a contact when known, else its LID; a group's `…@g.us`. */
  jid: string;
  /** Contact: saved name, else push name, else verified business name; group: subject. */
  name: string | null;
  /** Contact: digits of its phone-number JID; null for groups and LID-only contacts. */
  phoneNumber: string | null;
  /** Group: member count when known. */
  size: number | null;
}

/** `%`, `_` and `\` are literal in a search term. */
const escapeLike = (term: string) => term.replace(/[\\%_]/g, (c) => `\\${c}`);

const phoneDigits = (jid: string | null) => (jid && jid.endsWith("@s.whatsapp.net") ? (jid.split("@")[0] ?? null) : null);

/**
 * Groups, then contacts, of one session whose name (or subject) contains `q`, or whose phone number starts with
 * `q`'s digits; ordered by name, at most `limit` of each kind. An empty `q` lists the first ones by name.
 */
export async function searchRecipients(
  db: Executor,
  params: { sessionId: string; q?: string; limit: number },
): Promise<Recipient[]> {
  const term = params.q?.trim() ?? "";
  const pattern = `%${escapeLike(term)}%`;
  const digits = term.replace(/[^\d]/g, "");
  // Only a term that is a phone number (digits with optional +, spaces, dashes) is matched against numbers.
  const numberLike = digits.length >= 3 && /^[+\d\s()-]+$/.test(term);
  const numberPrefix = `${escapeLike(digits)}%`;

  const groupMatch: SQL | undefined = term
    ? or(ilike(groups.subject, pattern), numberLike ? sql`${groups.jid} like ${numberPrefix}` : undefined)
    : undefined;
  const groupRows = await db
    .select({ jid: groups.jid, subject: groups.subject, size: groups.size })
    .from(groups)
    .where(and(eq(groups.sessionId, params.sessionId), groupMatch))
    .orderBy(sql`${groups.subject} asc nulls last`, asc(groups.jid))
    .limit(params.limit);

  const contactName = sql<string | null>`coalesce(${contacts.name}, ${contacts.notify}, ${contacts.verifiedName})`;
  const contactMatch: SQL | undefined = term
    ? or(
        sql`${contactName} ilike ${pattern}`,
        numberLike ? sql`coalesce(${contacts.phoneJid}, ${contacts.jid}) like ${numberPrefix}` : undefined,
      )
    : undefined;
  const contactRows = await db
    .select({ jid: contacts.jid, phoneJid: contacts.phoneJid, name: contactName })
    .from(contacts)
    .where(and(eq(contacts.sessionId, params.sessionId), contactMatch))
    .orderBy(sql`${contactName} asc nulls last`, asc(contacts.jid))
    .limit(params.limit);

  return [
    ...groupRows.map((g): Recipient => ({ kind: "group", jid: g.jid, name: g.subject, phoneNumber: null, size: g.size })),
    ...contactRows.map((c): Recipient => {
      const jid = c.phoneJid ?? c.jid;
      return { kind: "contact", jid, name: c.name, phoneNumber: phoneDigits(jid), size: null };
    }),
  ];
}
