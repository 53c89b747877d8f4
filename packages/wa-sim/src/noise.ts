// Server side of WhatsApp's Noise_XX handshake, the certificate chain it presents, and the framed transport.
import { createCipheriv, createDecipheriv, createHash, hkdfSync } from "node:crypto";
import { Curve, NOISE_MODE, NOISE_WA_HEADER, proto } from "@whiskeysockets/baileys";

export interface KeyPair {
  public: Buffer;
  private: Buffer;
}

/** A Curve25519 key pair with Buffer halves (Baileys' `Curve.generateKeyPair`, typed for Node). */
export function newKeyPair(): KeyPair {
  const k = Curve.generateKeyPair();
  return { public: Buffer.from(k.public), private: Buffer.from(k.private) };
}

/** The simulator's trust anchor and the static key its noise responder uses. */
export interface ServerIdentity {
  root: KeyPair;
  noiseStatic: KeyPair;
  certChain: Uint8Array;
}

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};

const hkdf64 = (ikm: Uint8Array, salt: Uint8Array): [Buffer, Buffer] => {
  const out = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.alloc(0), 64));
  return [out.subarray(0, 32), out.subarray(32)];
};

const ivFor = (counter: number): Buffer => {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(counter >>> 0, 8);
  return iv;
};

const gcmEncrypt = (key: Uint8Array, counter: number, plaintext: Uint8Array, aad: Uint8Array): Buffer => {
  const c = createCipheriv("aes-256-gcm", key, ivFor(counter));
  c.setAAD(aad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
};

const gcmDecrypt = (key: Uint8Array, counter: number, ciphertext: Uint8Array, aad: Uint8Array): Buffer => {
  const d = createDecipheriv("aes-256-gcm", key, ivFor(counter));
  d.setAAD(aad);
  d.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  return Buffer.concat([d.update(ciphertext.subarray(0, ciphertext.length - 16)), d.final()]);
};

/**
 * Builds a root key, an intermediate certificate (issuer serial 0, as Baileys requires) signed by the root,
 * and a leaf certificate for the noise static key signed by the intermediate.
 */
export function createServerIdentity(root: KeyPair = newKeyPair()): ServerIdentity {
  const intermediate = newKeyPair();
  const noiseStatic = newKeyPair();
  const now = Math.floor(Date.now() / 1000);
  const interDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 1,
    issuerSerial: 0,
    key: intermediate.public,
    notBefore: now - 3600,
    notAfter: now + 10 * 365 * 86400,
  }).finish();
  const leafDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 2,
    issuerSerial: 1,
    key: noiseStatic.public,
    notBefore: now - 3600,
    notAfter: now + 365 * 86400,
  }).finish();
  const certChain = proto.CertChain.encode({
    intermediate: { details: interDetails, signature: Curve.sign(root.private, interDetails) },
    leaf: { details: leafDetails, signature: Curve.sign(intermediate.private, leafDetails) },
  }).finish();
  return { root, noiseStatic, certChain };
}

/** Result of a completed handshake: the client's static key, its ClientPayload and the transport. */
export interface HandshakeResult {
  clientStatic: Buffer;
  payload: proto.ClientPayload;
}

/**
 * One connection's noise state: consumes raw websocket bytes, yields decrypted frames, encrypts outgoing frames.
 * Before the transport is ready, frames are handshake messages; afterwards they are binary-node plaintexts.
 */
export class NoiseResponder {
  private hash: Buffer;
  private salt: Buffer;
  private key: Buffer;
  // Baileys uses one counter for both directions during the handshake (pitfall P1).
  private counter = 0;
  private ephemeral: KeyPair | null = null;
  private clientEphemeral: Buffer | null = null;
  private inBytes: Buffer = Buffer.alloc(0);
  private introSeen = false;
  private encKey: Buffer | null = null;
  private decKey: Buffer | null = null;
  private readCounter = 0;
  private writeCounter = 0;

  constructor(private readonly identity: ServerIdentity) {
    const mode = Buffer.from(NOISE_MODE);
    this.hash = mode.length === 32 ? mode : sha256(mode);
    this.salt = this.hash;
    this.key = this.hash;
  }

  get transportReady(): boolean {
    return this.encKey !== null;
  }

  /** Appends received bytes and returns every complete frame (decrypted once the transport is ready). */
  push(data: Buffer): Buffer[] {
    this.inBytes = this.inBytes.length === 0 ? data : Buffer.concat([this.inBytes, data]);
    if (!this.introSeen) {
      if (!this.stripIntro()) return [];
    }
    const frames: Buffer[] = [];
    while (this.inBytes.length >= 3) {
      const size = (this.inBytes[0] ?? 0) * 65536 + (this.inBytes[1] ?? 0) * 256 + (this.inBytes[2] ?? 0);
      if (this.inBytes.length < size + 3) break;
      const frame = this.inBytes.subarray(3, size + 3);
      this.inBytes = this.inBytes.subarray(size + 3);
      frames.push(this.decKey ? gcmDecrypt(this.decKey, this.readCounter++, frame, Buffer.alloc(0)) : Buffer.from(frame));
    }
    return frames;
  }

  /** Wraps a payload (binary node bytes after the handshake) into a length-prefixed, encrypted frame. */
  encodeFrame(data: Uint8Array): Buffer {
    const body = this.encKey ? gcmEncrypt(this.encKey, this.writeCounter++, data, Buffer.alloc(0)) : data;
    const frame = Buffer.alloc(3 + body.length);
    frame.writeUIntBE(body.length, 0, 3);
    frame.set(body, 3);
    return frame;
  }

  /** Handles the client hello; returns the serialized server hello. */
  serverHello(clientHelloFrame: Buffer): Buffer {
    const msg = proto.HandshakeMessage.decode(clientHelloFrame);
    const clientEphemeral = msg.clientHello?.ephemeral;
    if (!clientEphemeral || clientEphemeral.length !== 32) throw new Error("client hello without ephemeral key");
    this.clientEphemeral = Buffer.from(clientEphemeral);
    this.authenticate(clientEphemeral);
    const eph = newKeyPair();
    this.ephemeral = eph;
    this.authenticate(eph.public);
    this.mix(Curve.sharedKey(eph.private, clientEphemeral));
    const staticEnc = this.encrypt(this.identity.noiseStatic.public);
    this.mix(Curve.sharedKey(this.identity.noiseStatic.private, clientEphemeral));
    const payloadEnc = this.encrypt(this.identity.certChain);
    return Buffer.from(
      proto.HandshakeMessage.encode({ serverHello: { ephemeral: eph.public, static: staticEnc, payload: payloadEnc } }).finish(),
    );
  }

  /** Handles the client finish: recovers the client's static key and ClientPayload and switches to transport. */
  clientFinish(frame: Buffer): HandshakeResult {
    if (!this.ephemeral || !this.clientEphemeral) throw new Error("client finish before hello");
    const msg = proto.HandshakeMessage.decode(frame);
    const staticEnc = msg.clientFinish?.static;
    const payloadEnc = msg.clientFinish?.payload;
    if (!staticEnc || !payloadEnc) throw new Error("client finish incomplete");
    const clientStatic = this.decrypt(staticEnc);
    this.mix(Curve.sharedKey(this.ephemeral.private, clientStatic));
    const payloadBytes = this.decrypt(payloadEnc);
    const payload = proto.ClientPayload.decode(payloadBytes);
    const [clientWrite, serverWrite] = hkdf64(Buffer.alloc(0), this.salt);
    this.decKey = clientWrite;
    this.encKey = serverWrite;
    return { clientStatic, payload };
  }

  private stripIntro(): boolean {
    const b = this.inBytes;
    if (b.length < 4) return false;
    if (b[0] === 0x45 && b[1] === 0x44) {
      // 'ED' 0 1 len(3) routingInfo, then the WA header.
      if (b.length < 7) return false;
      const len = b.readUIntBE(4, 3);
      if (b.length < 7 + len + 4) return false;
      const header = b.subarray(7 + len, 11 + len);
      if (!header.equals(NOISE_WA_HEADER)) throw new Error("bad intro header");
      this.authenticate(header);
      this.inBytes = b.subarray(11 + len);
    } else {
      const header = b.subarray(0, 4);
      if (!header.equals(NOISE_WA_HEADER)) throw new Error("bad intro header");
      this.authenticate(header);
      this.inBytes = b.subarray(4);
    }
    this.introSeen = true;
    return true;
  }

  private authenticate(data: Uint8Array): void {
    this.hash = sha256(this.hash, data);
  }

  private mix(dh: Uint8Array): void {
    const [salt, key] = hkdf64(dh, this.salt);
    this.salt = salt;
    this.key = key;
    this.counter = 0;
  }

  private encrypt(plaintext: Uint8Array): Buffer {
    const out = gcmEncrypt(this.key, this.counter++, plaintext, this.hash);
    this.authenticate(out);
    return out;
  }

  private decrypt(ciphertext: Uint8Array): Buffer {
    const out = gcmDecrypt(this.key, this.counter++, ciphertext, this.hash);
    this.authenticate(ciphertext);
    return out;
  }
}
