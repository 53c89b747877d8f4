// Answers for every iq a logged-in Baileys client sends (see the table in wa-protocol-notes.md).
import { getBinaryNodeChild, getBinaryNodeChildren, jidDecode, type BinaryNode } from "@whiskeysockets/baileys";
import type { Connection } from "./connection.ts";
import type { PreKeyBundle } from "./device.ts";
import type { Group } from "./scenario.ts";
import type { SimServer } from "./server.ts";
import type { Account, Companion } from "./world.ts";

const S_WHATSAPP_NET = "s.whatsapp.net";

const result = (iq: BinaryNode, content?: BinaryNode[], extra: Record<string, string> = {}): BinaryNode => ({
  tag: "iq",
  attrs: { id: iq.attrs.id ?? "", type: "result", from: iq.attrs.to ?? S_WHATSAPP_NET, ...extra },
  content,
});

const error = (iq: BinaryNode, code: number, text: string): BinaryNode => ({
  tag: "iq",
  attrs: { id: iq.attrs.id ?? "", type: "error", from: iq.attrs.to ?? S_WHATSAPP_NET },
  content: [{ tag: "error", attrs: { code: String(code), text } }],
});

const bytes = (n: number, len: number): Buffer => {
  const b = Buffer.alloc(len);
  b.writeUIntBE(n, 0, len);
  return b;
};

const childBuffer = (node: BinaryNode | undefined, tag: string): Buffer | undefined => {
  const c = node ? getBinaryNodeChild(node, tag) : undefined;
  return c?.content instanceof Uint8Array ? Buffer.from(c.content) : undefined;
};

/** Computes the answer for an iq; null means "no answer" (the client does not wait for one). */
export async function answerIq(server: SimServer, conn: Connection, iq: BinaryNode): Promise<BinaryNode | null> {
  const companion = conn.companion;
  if (!companion) return null;
  const xmlns = iq.attrs.xmlns ?? "";
  const type = iq.attrs.type ?? "";
  const first = Array.isArray(iq.content) ? iq.content[0] : undefined;
  const child = first?.tag ?? "";
  const account = companion.account;

  switch (`${xmlns}/${type}/${child}`) {
    case "encrypt/get/count":
      return result(iq, [{ tag: "count", attrs: { value: String(server.world.preKeyCount(companion)) } }]);
    case "encrypt/set/registration":
      storePreKeys(companion, iq);
      return result(iq);
    case "encrypt/set/rotate": {
      const skey = getBinaryNodeChild(first, "skey");
      const id = childBuffer(skey, "id");
      const value = childBuffer(skey, "value");
      const signature = childBuffer(skey, "signature");
      if (id && value && signature) companion.signedPreKey = { id: id.readUIntBE(0, id.length), public: value, signature };
      return result(iq);
    }
    case "encrypt/get/digest":
      return result(iq, [{ tag: "digest", attrs: {} }]);
    case "encrypt/get/key":
      return result(iq, [{ tag: "list", attrs: {}, content: keyBundles(server, first) }]);
    case "passive/set/active":
    case "passive/set/passive":
      return result(iq);
    case "abt/get/props":
      return result(iq, [{ tag: "props", attrs: { protocol: "1", hash: "sim" } }]);
    case "blocklist/get/":
      return result(iq, [{ tag: "list", attrs: {} }]);
    case "privacy/get/privacy":
      return result(iq, [
        {
          tag: "privacy",
          attrs: {},
          content: ["last", "online", "profile", "status", "readreceipts", "groupadd"].map((name) => ({
            tag: "category",
            attrs: { name, value: name === "readreceipts" ? "all" : name === "online" ? "all" : "contacts" },
          })),
        },
      ]);
    case "privacy/set/tokens":
    case "privacy/set/privacy":
    case "urn:xmpp:whatsapp:dirty/set/clean":
    case "w:p/get/ping":
    case "w:stats//add":
    case "w:stats/set/add":
    case "presence/set/":
      return result(iq);
    case "w:g2/get/participating":
      await server.slowDelay(account);
      return result(iq, [{ tag: "groups", attrs: {}, content: account.scenario.groups.map((g) => groupNode(account, g)) }]);
    case "w:g2/get/query": {
      await server.slowDelay(account);
      const user = jidDecode(iq.attrs.to)?.user;
      const group = account.scenario.groups.find((g) => g.id === user);
      if (!group) return error(iq, 404, "item-not-found");
      return result(iq, [groupNode(account, group)]);
    }
    case "w:sync:app:state/set/sync":
      // Echo every requested collection; leaving one out makes Baileys loop (pitfall P5).
      return result(iq, [
        {
          tag: "sync",
          attrs: {},
          content: getBinaryNodeChildren(first, "collection").map((c) => ({
            tag: "collection",
            attrs: { name: c.attrs.name ?? "", version: c.attrs.version ?? "0" },
          })),
        },
      ]);
    case "usync/get/usync":
      return result(iq, [usync(server, first)]);
    case "w:profile:picture/get/picture":
      // Simulated people have no profile pictures; the real server answers the same way for those.
      return error(iq, 404, "item-not-found");
    case "md/set/remove-companion-device":
      server.forgetCompanion(companion);
      return result(iq);
    default:
      server.log.info({ xmlns, type, child }, "unhandled iq");
      return type === "result" || type === "error" ? null : error(iq, 501, "feature-not-implemented");
  }
}

function storePreKeys(c: Companion, iq: BinaryNode): void {
  const reg = childBuffer(iq, "registration");
  const identity = childBuffer(iq, "identity");
  if (reg) c.registrationId = reg.readUIntBE(0, reg.length);
  if (identity) c.identityKey = identity;
  const skey = getBinaryNodeChild(iq, "skey");
  const sid = childBuffer(skey, "id");
  const sval = childBuffer(skey, "value");
  const ssig = childBuffer(skey, "signature");
  if (sid && sval && ssig) c.signedPreKey = { id: sid.readUIntBE(0, sid.length), public: sval, signature: ssig };
  const keys = getBinaryNodeChildren(getBinaryNodeChild(iq, "list"), "key");
  const remaining = c.preKeys.subarray(c.preKeyCursor * 35);
  const fresh = Buffer.alloc(keys.length * 35);
  let n = 0;
  for (const k of keys) {
    const id = childBuffer(k, "id");
    const value = childBuffer(k, "value");
    if (!id || !value || value.length !== 32) continue;
    fresh.writeUIntBE(id.readUIntBE(0, id.length), n * 35, 3);
    value.copy(fresh, n * 35 + 3);
    n++;
  }
  c.preKeys = Buffer.concat([remaining, fresh.subarray(0, n * 35)]);
  c.preKeyCursor = 0;
}

function bundleNode(jid: string, b: PreKeyBundle): BinaryNode {
  const content: BinaryNode[] = [
    { tag: "registration", attrs: {}, content: bytes(b.registrationId, 4) },
    { tag: "type", attrs: {}, content: Buffer.from([5]) },
    { tag: "identity", attrs: {}, content: b.identity },
    {
      tag: "skey",
      attrs: {},
      content: [
        { tag: "id", attrs: {}, content: bytes(b.signedPreKey.id, 3) },
        { tag: "value", attrs: {}, content: b.signedPreKey.public },
        { tag: "signature", attrs: {}, content: b.signedPreKey.signature },
      ],
    },
  ];
  if (b.preKey) {
    content.push({
      tag: "key",
      attrs: {},
      content: [
        { tag: "id", attrs: {}, content: bytes(b.preKey.id, 3) },
        { tag: "value", attrs: {}, content: b.preKey.public },
      ],
    });
  }
  return { tag: "user", attrs: { jid }, content };
}

function keyBundles(server: SimServer, keyNode: BinaryNode | undefined): BinaryNode[] {
  const out: BinaryNode[] = [];
  for (const u of getBinaryNodeChildren(keyNode, "user")) {
    const jid = u.attrs.jid ?? "";
    const decoded = jidDecode(jid);
    if (!decoded) continue;
    const device = decoded.device ?? 0;
    const target = server.deviceFor(decoded.user, device);
    let bundle: PreKeyBundle | null = null;
    if (target?.kind === "sim") bundle = target.device.bundle();
    else if (target?.kind === "companion") bundle = server.world.companionBundle(target.companion);
    if (bundle) out.push(bundleNode(jid, bundle));
    else out.push({ tag: "user", attrs: { jid }, content: [{ tag: "error", attrs: { code: "404", text: "item-not-found" } }] });
  }
  return out;
}

function groupNode(account: Account, g: Group): BinaryNode {
  const creator = account.member(g.creator);
  const content: BinaryNode[] = [
    {
      tag: "description",
      attrs: { id: `${g.id}d`, t: String(g.creation), participant: `${creator.phoneNumber}@s.whatsapp.net` },
      content: [{ tag: "body", attrs: {}, content: Buffer.from(g.description) }],
    },
  ];
  for (const m of g.members) {
    const p = account.member(m.person);
    const attrs: Record<string, string> = { jid: `${p.phoneNumber}@s.whatsapp.net`, lid: `${p.lid}@lid` };
    if (m.role !== "member") attrs.type = m.role;
    content.push({ tag: "participant", attrs });
  }
  return {
    tag: "group",
    attrs: {
      id: g.id,
      subject: g.subject,
      s_t: String(g.creation),
      s_o: `${creator.phoneNumber}@s.whatsapp.net`,
      creation: String(g.creation),
      creator: `${creator.phoneNumber}@s.whatsapp.net`,
      size: String(g.members.length),
      addressing_mode: "pn",
    },
    content,
  };
}

function usync(server: SimServer, usyncNode: BinaryNode | undefined): BinaryNode {
  const queryNode = getBinaryNodeChild(usyncNode, "query");
  const protocols = new Set((Array.isArray(queryNode?.content) ? queryNode.content : []).map((c) => c.tag));
  const users: BinaryNode[] = [];
  for (const u of getBinaryNodeChildren(getBinaryNodeChild(usyncNode, "list"), "user")) {
    let user = jidDecode(u.attrs.jid)?.user;
    const contactNode = getBinaryNodeChild(u, "contact");
    if (!user && contactNode?.content) {
      user = Buffer.from(contactNode.content as Uint8Array).toString().replace(/[^0-9]/g, "");
    }
    if (!user) continue;
    const info = server.lookupUser(user);
    const jid = u.attrs.jid ?? `${user}@s.whatsapp.net`;
    const content: BinaryNode[] = [];
    if (protocols.has("devices")) {
      const devices: BinaryNode[] = info ? [{ tag: "device", attrs: { id: "0" } }] : [];
      for (const c of info?.companions ?? []) devices.push({ tag: "device", attrs: { id: String(c.deviceId), "key-index": String(c.keyIndex) } });
      content.push({ tag: "devices", attrs: {}, content: [{ tag: "device-list", attrs: {}, content: devices }] });
    }
    if (protocols.has("lid") && info) content.push({ tag: "lid", attrs: { val: `${info.lid}@lid` } });
    if (protocols.has("contact")) content.push({ tag: "contact", attrs: { type: info ? "in" : "out" } });
    if (protocols.has("status") && info) content.push({ tag: "status", attrs: { t: "0" }, content: Buffer.from("Hey there! I am using WhatsApp.") });
    if (protocols.has("disappearing_mode") && info) content.push({ tag: "disappearing_mode", attrs: { duration: "0", t: "0" } });
    users.push({ tag: "user", attrs: { jid }, content });
  }
  return {
    tag: "usync",
    attrs: { sid: usyncNode?.attrs.sid ?? "", index: "0", last: "true", mode: usyncNode?.attrs.mode ?? "query", context: usyncNode?.attrs.context ?? "interactive" },
    content: [
      { tag: "result", attrs: {}, content: [...protocols].map((p) => ({ tag: p, attrs: {} })) },
      { tag: "list", attrs: {}, content: users },
    ],
  };
}
