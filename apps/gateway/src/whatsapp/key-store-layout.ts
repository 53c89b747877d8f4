// How Baileys lays out the signal keys that auth-state.ts stores, read back for our own use. Baileys keeps each
// LID↔phone-number mapping twice under type `lid-mapping`: `<phone user>` → JSON `"<lid user>"` and
// `<lid user>_reverse` → JSON `"<phone user>"`.

export interface StoredKey {
  keyId: string;
  /** The stored JSON value as text. */
  value: string;
}

export interface LidMapping {
  phoneJid: string;
  lidJid: string;
}

/** The forward `lid-mapping` keys as JID pairs; reverse entries and values that are not a user id are skipped. */
export function decodeLidMappingKeys(keys: readonly StoredKey[]): LidMapping[] {
  const out: LidMapping[] = [];
  for (const k of keys) {
    if (k.keyId.endsWith("_reverse")) continue;
    let lidUser: unknown;
    try {
      lidUser = JSON.parse(k.value);
    } catch {
      continue;
    }
    if (typeof lidUser !== "string" || !/^\d+$/.test(lidUser) || !/^\d+$/.test(k.keyId)) continue;
    out.push({ phoneJid: `${k.keyId}@s.whatsapp.net`, lidJid: `${lidUser}@lid` });
  }
  return out;
}
