// Minting linked companions: the state a QR pairing and its first login leave, on both sides, without the round
// trips — for load tests that need many sessions to restart, not to pair (a real pairing costs the client its 812
// pre-keys). The client half is built by Baileys' own code (initAuthCreds, configureSuccessfulPairing) from the same
// pair-success stanza a scan sends, so it is what Baileys itself would store.
import { configureSuccessfulPairing, initAuthCreds, type AuthenticationCreds } from "@whiskeysockets/baileys";
import { fastKeyPair, withFastCurve } from "./fast-curve.ts";
import { pairSuccessStanza, signDeviceIdentity } from "./phone.ts";
import type { Account, Companion, World } from "./world.ts";

/** One-time pre-keys a minted client holds and the server has on record: above Baileys' MIN_PREKEY_COUNT (5), so its login uploads none. */
export const MINTED_PRE_KEYS = 30;

/** Baileys' platform id for a Chrome browser (its default), as the QR of a real pairing carries it. */
const PLATFORM_ID = "1";

/** The client side of a minted companion, as a Baileys auth state holds it. */
export interface MintedClient {
  creds: AuthenticationCreds;
  /** Signal key store entries as `type:id` → value (the shape of the test client's memoryAuth snapshot). */
  keys: [string, unknown][];
}

/**
 * Links a new companion device to `account` and returns the client's auth state after its first login: pre-keys
 * uploaded, history already sent (accountSyncCounter 1, so a reconnect does not wait for a history sync).
 */
export function mintCompanion(
  world: World,
  account: Account,
  preKeyCount = MINTED_PRE_KEYS,
): MintedClient & { deviceId: number } {
  return withFastCurve(() => mint(world, account, preKeyCount));
}

function mint(world: World, account: Account, preKeyCount: number): MintedClient & { deviceId: number } {
  const creds = initAuthCreds();
  const deviceId = account.allocateDeviceId();
  const preKeys = Array.from({ length: preKeyCount }, (_, i) => ({ id: i + 1, pair: fastKeyPair() }));
  const uploaded = Buffer.alloc(preKeyCount * 35);
  for (const [n, k] of preKeys.entries()) {
    uploaded.writeUIntBE(k.id, n * 35, 3);
    k.pair.public.copy(uploaded, n * 35 + 3);
  }
  const companion: Companion = {
    account,
    deviceId,
    keyIndex: deviceId,
    noiseKey: Buffer.from(creds.noiseKey.public),
    identityKey: Buffer.from(creds.signedIdentityKey.public),
    registrationId: creds.registrationId,
    signedPreKey: {
      id: creds.signedPreKey.keyId,
      public: Buffer.from(creds.signedPreKey.keyPair.public),
      signature: Buffer.from(creds.signedPreKey.signature),
    },
    preKeys: uploaded,
    preKeyCursor: 0,
    platform: PLATFORM_ID,
    pairedAt: Date.now(),
    historySent: true,
    outbox: new Map(),
    lastLoginAt: null,
  };
  const { hmacEnvelope } = signDeviceIdentity(account, companion, Buffer.from(creds.advSecretKey, "base64"));
  const { creds: paired } = configureSuccessfulPairing(
    pairSuccessStanza(account, companion, hmacEnvelope, "mint"),
    creds,
  );
  world.addCompanion(companion);
  Object.assign(creds, paired, {
    // The first login's push-name sync names the account; its pre-key upload moved both counters past the keys.
    me: { ...paired.me, name: account.pushName },
    nextPreKeyId: preKeyCount + 1,
    firstUnuploadedPreKeyId: preKeyCount + 1,
    accountSyncCounter: 1,
  });
  const keys: [string, unknown][] = preKeys.map((k) => [`pre-key:${k.id}`, k.pair]);
  // What the first login learned: its own and the contacts' LID mappings (history sync) and its own device list.
  for (const p of [{ phoneNumber: account.phoneNumber, lid: account.lid }, ...account.contacts]) {
    keys.push([`lid-mapping:${p.phoneNumber}`, p.lid], [`lid-mapping:${p.lid}_reverse`, p.phoneNumber]);
  }
  keys.push([`device-list:${account.phoneNumber}`, [String(deviceId)]]);
  return { deviceId, creds, keys };
}
