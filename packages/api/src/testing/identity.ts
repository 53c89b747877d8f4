// Test identity provider: Ed25519 keys, a JWKS served on 127.0.0.1 (with an outage switch), and token minting.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from "jose";
import type { OrgRole } from "@wa/db/contract";
import { JWT_AUDIENCE } from "../auth/jwt.ts";
import type { UserPrincipal } from "../context.ts";

export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function createTestKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" };
  return { kid, privateKey, publicJwk };
}

export interface TokenClaims {
  sub?: string;
  org?: string;
  orgRole?: OrgRole;
  role?: string;
  email?: string;
  name?: string;
  [claim: string]: unknown;
}

/** The login JWT claims a person principal is read from (the inverse of the gateway's claim parsing). */
export function claimsOf(p: UserPrincipal): TokenClaims {
  return {
    sub: p.userId,
    org: p.organizationId ?? undefined,
    orgRole: p.orgRole ?? undefined,
    ...(p.platformRole ? { role: p.platformRole } : {}),
    email: p.email ?? undefined,
    name: p.name ?? undefined,
  };
}

export interface MintOptions {
  key?: TestKey;
  /** Header kid; defaults to the key's. */
  kid?: string;
  issuer?: string;
  audience?: string;
  /** Seconds since the epoch. */
  iat?: number | null;
  exp?: number | null;
  nbf?: number;
  /** Extra protected-header fields (e.g. jku). */
  header?: Record<string, unknown>;
}

export interface TestIdentity {
  issuer: string;
  jwksUrl: string;
  keys: TestKey[];
  /** Keys the JWKS publishes; replace to rotate. */
  published: TestKey[];
  /** While true the JWKS answers 503. */
  down: boolean;
  /** JWKS requests served (or refused) so far. */
  requests: number;
  mint(claims: TokenClaims, options?: MintOptions): Promise<string>;
  close(): Promise<void>;
}

const listen = (server: Server) =>
  new Promise<string>((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });

export async function createTestIdentity(options: { issuer?: string } = {}): Promise<TestIdentity> {
  const key = await createTestKey("key-1");
  const issuer = options.issuer ?? "http://localhost:3000";
  const state = { published: [key], down: false, requests: 0 };
  const server = createServer((req, res) => {
    state.requests += 1;
    if (state.down) {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: state.published.map((k) => k.publicJwk) }));
  });
  const base = await listen(server);
  const identity: TestIdentity = {
    issuer,
    jwksUrl: `${base}/api/auth/jwks`,
    keys: [key],
    get published() {
      return state.published;
    },
    set published(keys) {
      state.published = keys;
    },
    get down() {
      return state.down;
    },
    set down(value) {
      state.down = value;
    },
    get requests() {
      return state.requests;
    },
    set requests(value) {
      state.requests = value;
    },
    async mint(claims, mintOptions = {}) {
      const signingKey = mintOptions.key ?? key;
      const now = Math.floor(Date.now() / 1000);
      const iat = mintOptions.iat === undefined ? now : mintOptions.iat;
      const exp = mintOptions.exp === undefined ? now + 300 : mintOptions.exp;
      const payload: Record<string, unknown> = { ...claims };
      if (iat !== null) payload.iat = iat;
      if (exp !== null) payload.exp = exp;
      if (mintOptions.nbf !== undefined) payload.nbf = mintOptions.nbf;
      const jwt = new SignJWT(payload)
        .setProtectedHeader({ alg: "EdDSA", kid: mintOptions.kid ?? signingKey.kid, ...mintOptions.header })
        .setIssuer(mintOptions.issuer ?? issuer)
        .setAudience(mintOptions.audience ?? JWT_AUDIENCE);
      return jwt.sign(signingKey.privateKey);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return identity;
}
