// Phone behaviours: signing a companion in (ADV identity), history sync, inbound texts, reading what companions send.
import { createHmac, randomBytes } from "node:crypto";
import { deflateSync } from "node:zlib";
import { verifySignature } from "libsignal/src/curve.js";
import { Curve, getBinaryNodeChild, getBinaryNodeChildren, proto, type BinaryNode } from "@whiskeysockets/baileys";
import type { PeerAddress, SimDevice } from "./device.ts";
import type { Person } from "./scenario.ts";
import type { Account, Companion, World } from "./world.ts";

const ADV_ACCOUNT_SIG_PREFIX = Buffer.from([6, 0]);
const ADV_DEVICE_SIG_PREFIX = Buffer.from([6, 1]);

/** The parts of Baileys' pairing QR: ref, noise key, identity key, adv secret, platform id. */
export interface PairingQr {
  ref: string;
  noiseKey: Buffer;
  identityKey: Buffer;
  advSecret: Buffer;
  platformId: string;
}

export function parsePairingQr(qr: string): PairingQr {
  const hashAt = qr.indexOf("#");
  const body = hashAt >= 0 ? qr.slice(hashAt + 1) : qr;
  const parts = body.split(",");
  const [ref, noise, identity, adv, platformId] = parts;
  if (parts.length < 4 || !ref || !noise || !identity || !adv) throw new SyntaxError("not a WhatsApp pairing QR");
  const noiseKey = Buffer.from(noise, "base64");
  const identityKey = Buffer.from(identity, "base64");
  const advSecret = Buffer.from(adv, "base64");
  if (noiseKey.length !== 32 || identityKey.length !== 32 || advSecret.length !== 32) {
    throw new SyntaxError("pairing QR keys have the wrong length");
  }
  return { ref, noiseKey, identityKey, advSecret, platformId: platformId ?? "1" };
}

/** Builds the pair-success device identity: ADV identity signed by the account key, HMAC'd with the adv secret. */
export function signDeviceIdentity(account: Account, companion: { identityKey: Buffer; keyIndex: number }, advSecret: Buffer): {
  hmacEnvelope: Uint8Array;
  details: Uint8Array;
} {
  const details = proto.ADVDeviceIdentity.encode({
    rawId: randomBytes(4).readUInt32BE(0),
    timestamp: Math.floor(Date.now() / 1000),
    keyIndex: companion.keyIndex,
    accountType: proto.ADVEncryptionType.E2EE,
    deviceType: proto.ADVEncryptionType.E2EE,
  }).finish();
  const accountSignature = Curve.sign(account.accountKey.private, Buffer.concat([ADV_ACCOUNT_SIG_PREFIX, details, companion.identityKey]));
  const signed = proto.ADVSignedDeviceIdentity.encode({
    details,
    accountSignatureKey: account.accountKey.public,
    accountSignature,
  }).finish();
  const hmac = createHmac("sha256", advSecret).update(signed).digest();
  return { hmacEnvelope: proto.ADVSignedDeviceIdentityHMAC.encode({ details: signed, hmac }).finish(), details };
}

/** The server's `pair-success` iq that tells a registering client which device of which account it now is. */
export function pairSuccessStanza(account: Account, companion: { deviceId: number; keyIndex: number }, hmacEnvelope: Uint8Array, iqId: string): BinaryNode {
  const { deviceId } = companion;
  return {
    tag: "iq",
    attrs: { id: iqId, to: "s.whatsapp.net", type: "set", xmlns: "md", t: Math.floor(Date.now() / 1000).toString() },
    content: [
      {
        tag: "pair-success",
        attrs: {},
        content: [
          { tag: "device-identity", attrs: { "key-index": String(companion.keyIndex) }, content: hmacEnvelope },
          { tag: "platform", attrs: { name: "smbi" } },
          { tag: "device", attrs: { jid: `${account.phoneNumber}:${deviceId}@s.whatsapp.net`, lid: `${account.lid}:${deviceId}@lid` } },
        ],
      },
    ],
  };
}

/** Checks the companion's device signature from `pair-device-sign` against the details we issued. */
export function verifyDeviceSignature(account: Account, identityKey: Buffer, issuedDetails: Uint8Array, reply: BinaryNode): boolean {
  const sign = getBinaryNodeChild(reply, "pair-device-sign");
  const idNode = getBinaryNodeChild(sign, "device-identity");
  if (!(idNode?.content instanceof Uint8Array)) return false;
  const signed = proto.ADVSignedDeviceIdentity.decode(idNode.content);
  if (!signed.details || !signed.deviceSignature || !Buffer.from(signed.details).equals(Buffer.from(issuedDetails))) return false;
  const msg = Buffer.concat([ADV_DEVICE_SIG_PREFIX, signed.details, identityKey, account.accountKey.public]);
  // libsignal's verifySignature returns false (rather than throwing) for a bad signature (Finding 1), so check the value.
  try {
    return verifySignature(Buffer.concat([Buffer.from([5]), identityKey]), msg, signed.deviceSignature) === true;
  } catch {
    return false;
  }
}

/** The Signal address simulated devices use for a companion. */
export const companionAddress = (c: Companion): PeerAddress => ({ name: `c${c.account.lid}`, device: c.deviceId });

export const newMessageId = (): string => `3EB0${randomBytes(8).toString("hex").toUpperCase()}`;

/** Encrypts a message from a simulated device to a companion, starting a session from its bundle if needed. */
export async function encryptForCompanion(world: World, from: SimDevice, c: Companion, message: proto.IMessage): Promise<{ type: string; ciphertext: Buffer }> {
  const addr = companionAddress(c);
  if (!from.hasSession(addr)) {
    const bundle = world.companionBundle(c);
    if (!bundle) throw new Error("companion has no prekeys on the server");
    await from.startSession(addr, bundle);
  }
  return from.encryptMessage(addr, message);
}

/** Splits the account's contacts into HistorySync payloads (INITIAL_BOOTSTRAP chunks, then PUSH_NAME). */
export function buildHistoryChunks(account: Account, chunkSize: number): proto.Message.IHistorySyncNotification[] {
  const contacts = account.contacts;
  const size = Math.max(1, chunkSize);
  const chunks: proto.IHistorySync[] = [];
  const total = Math.max(1, Math.ceil(contacts.length / size));
  for (let i = 0; i < total; i++) {
    const slice = contacts.slice(i * size, (i + 1) * size);
    chunks.push({
      syncType: proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
      chunkOrder: i + 1,
      progress: Math.round(((i + 1) / total) * 100),
      conversations: slice.map((p: Person) => ({
        id: `${p.phoneNumber}@s.whatsapp.net`,
        name: p.name,
        displayName: p.name,
        lidJid: `${p.lid}@lid`,
        pnJid: `${p.phoneNumber}@s.whatsapp.net`,
        unreadCount: 0,
        conversationTimestamp: Math.floor(account.createdAt / 1000),
      })),
      phoneNumberToLidMappings: slice.map((p) => ({ pnJid: `${p.phoneNumber}@s.whatsapp.net`, lidJid: `${p.lid}@lid` })),
    });
  }
  chunks.push({
    syncType: proto.HistorySync.HistorySyncType.PUSH_NAME,
    chunkOrder: total + 1,
    progress: 100,
    pushnames: [
      { id: account.jid, pushname: account.pushName },
      ...contacts.map((p) => ({ id: `${p.phoneNumber}@s.whatsapp.net`, pushname: p.name })),
    ],
  });
  return chunks.map((h) => ({
    syncType: h.syncType,
    chunkOrder: h.chunkOrder,
    progress: h.progress,
    originalMessageId: newMessageId(),
    initialHistBootstrapInlinePayload: deflateSync(proto.HistorySync.encode(h).finish()),
  }));
}

/** Text of a message as a person would read it. */
export function messageText(m: proto.IMessage | null | undefined): string | null {
  if (!m) return null;
  return m.conversation ?? m.extendedTextMessage?.text ?? m.imageMessage?.caption ?? null;
}

/** The first kind of content in a message, for the received-messages log. */
export function messageType(m: proto.IMessage): string {
  for (const [k, v] of Object.entries(m)) {
    if (v !== null && v !== undefined && k !== "messageContextInfo" && k !== "senderKeyDistributionMessage") return k;
  }
  return m.senderKeyDistributionMessage ? "senderKeyDistributionMessage" : "unknown";
}

/** `<to jid>` participants of an outgoing message with their `enc` nodes. */
export function participantEncs(stanza: BinaryNode): { jid: string; enc: BinaryNode }[] {
  const out: { jid: string; enc: BinaryNode }[] = [];
  for (const to of getBinaryNodeChildren(getBinaryNodeChild(stanza, "participants"), "to")) {
    const enc = getBinaryNodeChild(to, "enc");
    const jid = to.attrs.jid;
    if (enc && jid) out.push({ jid, enc });
  }
  return out;
}
