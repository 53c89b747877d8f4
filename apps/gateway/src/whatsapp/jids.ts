// JID helpers shared by the session, capture and backfill: Baileys' forms mapped to our columns.
import { isJidGroup, jidDecode, jidNormalizedUser } from "@whiskeysockets/baileys";

export const isLidJid = (jid: string | null | undefined): jid is string => Boolean(jid?.endsWith("@lid"));
export const isPhoneJid = (jid: string | null | undefined): jid is string => Boolean(jid?.endsWith("@s.whatsapp.net"));
export const isGroupJid = (jid: string | null | undefined): boolean => Boolean(jid && isJidGroup(jid));

/** A user JID without device part; a bare number becomes a phone-number JID. */
export function normalizeUserJid(jid: string | null | undefined): string | null {
  if (!jid) return null;
  if (!jid.includes("@")) return /^\d+$/.test(jid) ? `${jid}@s.whatsapp.net` : null;
  const normalized = jidNormalizedUser(jid);
  return normalized || null;
}

/** Digits of a phone-number JID (`6281234@s.whatsapp.net` → `6281234`), else null. */
export function phoneDigits(jid: string | null | undefined): string | null {
  if (!jid || !isPhoneJid(jidNormalizedUser(jid))) return null;
  const user = jidDecode(jid)?.user;
  return user && /^\d+$/.test(user) ? user : null;
}

/** Both forms of a person's id from what Baileys gives (id plus optional lid / phoneNumber). */
export function personIds(input: { id?: string | null; lid?: string | null; phoneNumber?: string | null }): {
  jid: string;
  phoneJid: string | null;
  lidJid: string | null;
} | null {
  const id = normalizeUserJid(input.id);
  const lid = normalizeUserJid(input.lid);
  const pn = normalizeUserJid(input.phoneNumber);
  const phoneJid = isPhoneJid(id) ? id : isPhoneJid(pn) ? pn : null;
  const lidJid = isLidJid(id) ? id : isLidJid(lid) ? lid : null;
  const jid = phoneJid ?? lidJid;
  return jid ? { jid, phoneJid, lidJid } : null;
}
