// Integration tests of the identity provider's handlers against a real database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { hashPassword } from "@wa/db";
import { addMembership, createOrganization, createUser, listMembers, setPlatformRole } from "@wa/db/queries";
import { signingKeys, webSessions } from "@wa/db/schema";
import { isWebSessionActive } from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { PEER_ADDRESS_HEADER, parseTrustedProxies } from "./client-address.ts";
import { createAuthHandlers, JWT_AUDIENCE, type AuthHandlers } from "./handlers.ts";
import { KeyStore } from "./keys.ts";
import { createSignInLimiter } from "./rate-limit.ts";

const WEB_URL = "http://127.0.0.1:3999";
const SECRET = "test-secret-test-secret-test-secret-0123";
const silent = { info: () => {}, warn: () => {}, error: () => {} };

let tdb: TestDatabase;
let clock = Date.now();
let keys: KeyStore;
let h: AuthHandlers;

const makeHandlers = (trustedProxies?: string) =>
  createAuthHandlers({
    db: tdb.db,
    webUrl: WEB_URL,
    keys,
    limiter: createSignInLimiter(),
    secret: SECRET,
    trustedProxies: parseTrustedProxies(trustedProxies),
    log: silent,
    now: () => clock,
  });

/** `ip` is the TCP peer (stamped by the server process); `forwardedFor` is whatever the client or a proxy sent. */
const post = (path: string, body: unknown, init: { cookie?: string; ip?: string; forwardedFor?: string } = {}) =>
  new Request(`${WEB_URL}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      [PEER_ADDRESS_HEADER]: init.ip ?? "10.0.0.1",
      ...(init.forwardedFor ? { "x-forwarded-for": init.forwardedFor } : {}),
      ...(init.cookie ? { cookie: init.cookie } : {}),
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
const get = (path: string, cookie?: string) => new Request(`${WEB_URL}${path}`, { headers: cookie ? { cookie } : {} });
const cookieOf = (res: Response) => (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; message: string; details?: unknown } };
  expect(body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  expect(Object.keys(body)).toEqual(["error"]);
  return body;
}

let alice: { id: string };
let orgA: { id: string };
let orgB: { id: string };
let orgC: { id: string };

beforeAll(async () => {
  tdb = await createTestDatabase();
  keys = new KeyStore(tdb.db, SECRET, { now: () => clock, cacheMs: 0 });
  h = makeHandlers();
  const passwordHash = await hashPassword("correct horse");
  alice = await createUser(tdb.db, { email: "alice@example.com", name: "Alice", passwordHash });
  orgA = await createOrganization(tdb.db, { name: "A" });
  orgB = await createOrganization(tdb.db, { name: "B" });
  orgC = await createOrganization(tdb.db, { name: "C" });
  await addMembership(tdb.db, { userId: alice.id, organizationId: orgA.id, role: "owner" });
  await addMembership(tdb.db, { userId: alice.id, organizationId: orgB.id, role: "member" });
});
afterAll(async () => {
  await tdb.close();
});

async function signIn(email = "alice@example.com", password = "correct horse") {
  const res = await h.signIn(post("/api/auth/sign-in", { email, password }));
  expect(res.status).toBe(200);
  return cookieOf(res);
}

describe("sign-up", () => {
  it("is rate limited per address (each attempt costs a hash and could probe for emails)", async () => {
    const fresh = makeHandlers();
    const attempt = () =>
      fresh.signUp(
        post("/api/auth/sign-up", { email: "alice@example.com", password: "long enough", name: "A", organizationName: "O" }, { ip: "10.9.9.9" }),
      );
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await attempt()).status);
    expect(statuses.slice(0, 30).every((s) => s === 409)).toBe(true);
    await expectError(await attempt(), 429, "rate_limited");
    // another address is not affected
    const other = await fresh.signUp(
      post("/api/auth/sign-up", { email: "alice@example.com", password: "long enough", name: "A", organizationName: "O" }, { ip: "10.9.9.10" }),
    );
    expect(other.status).toBe(409);
  });
});

describe("sign-in", () => {
  it("answers an unknown email and a wrong password with the same 401 body", async () => {
    const unknown = await h.signIn(post("/api/auth/sign-in", { email: "nobody@example.com", password: "whatever1" }, { ip: "10.1.0.1" }));
    const wrong = await h.signIn(post("/api/auth/sign-in", { email: "alice@example.com", password: "whatever1" }, { ip: "10.1.0.2" }));
    const a = await expectError(unknown, 401, "unauthorized");
    const b = await expectError(wrong, 401, "unauthorized");
    expect(a).toEqual(b);
    expect(unknown.headers.get("set-cookie")).toBeNull();
  });

  it("sets an httpOnly SameSite=Lax cookie whose token is stored only as a hash", async () => {
    const res = await h.signIn(post("/api/auth/sign-in", { email: "ALICE@example.com", password: "correct horse" }));
    expect(res.status).toBe(200);
    const header = res.headers.get("set-cookie") ?? "";
    expect(header).toMatch(/^wa_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+/);
    const token = header.split(";")[0]?.split("=")[1] ?? "";
    const rows = await tdb.db.select().from(webSessions);
    expect(rows.some((r) => r.tokenHash === token)).toBe(false);
    expect(rows.length).toBeGreaterThan(0);
    const body = JSON.stringify(await res.json());
    expect(body).not.toContain("scrypt");
  });

  it("rate limits repeated failures per account with 429, alike for unknown and known emails", async () => {
    const limited = makeHandlers();
    for (const email of ["alice@example.com", "ghost@example.com"]) {
      for (let i = 0; i < 5; i++) {
        const res = await limited.signIn(post("/api/auth/sign-in", { email, password: "nope-nope" }, { ip: `10.2.${i}.1` }));
        await expectError(res, 401, "unauthorized");
      }
      const res = await limited.signIn(post("/api/auth/sign-in", { email, password: "nope-nope" }, { ip: "10.2.9.9" }));
      await expectError(res, 429, "rate_limited");
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    // Even the right password waits out the window, so guessing cannot continue.
    const right = await limited.signIn(post("/api/auth/sign-in", { email: "alice@example.com", password: "correct horse" }, { ip: "10.2.9.8" }));
    await expectError(right, 429, "rate_limited");
  });

  it("rate limits repeated failures per address across many emails", async () => {
    const limited = makeHandlers();
    let last: Response | undefined;
    for (let i = 0; i < 31; i++) {
      last = await limited.signIn(post("/api/auth/sign-in", { email: `x${i}@example.com`, password: "nope-nope" }, { ip: "10.3.0.1" }));
    }
    if (!last) throw new Error("no response");
    await expectError(last, 429, "rate_limited");
    const other = await limited.signIn(post("/api/auth/sign-in", { email: "alice@example.com", password: "correct horse" }, { ip: "10.3.0.2" }));
    expect(other.status).toBe(200);
  });

  it("[RATE-LIMIT]: rotating X-Forwarded-For without trusted proxies changes nothing: the TCP peer is limited (429)", async () => {
    const limited = makeHandlers();
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) {
      const forwardedFor = `203.0.113.${i}, 198.51.100.${i}`;
      const res = await limited.signIn(post("/api/auth/sign-in", { email: `r${i}@example.com`, password: "nope-nope" }, { ip: "10.4.0.1", forwardedFor }));
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses[30]).toBe(429);
  });

  it("[RATE-LIMIT]: with TRUSTED_PROXIES the vouched-for X-Forwarded-For entry is the client; spoofed entries left of it are ignored", async () => {
    for (const trusted of ["1", "10.4.1.0/24", "10.4.1.7, ::1"]) {
      const limited = makeHandlers(trusted);
      let n = 0;
      const attempt = (client: string, spoofed: string) =>
        limited.signIn(
          post("/api/auth/sign-in", { email: `p${n++}@example.com`, password: "nope-nope" }, { ip: "10.4.1.7", forwardedFor: `${spoofed}, ${client}` }),
        );
      for (let i = 0; i < 30; i++) expect((await attempt("192.0.2.1", `198.51.100.${i}`)).status).toBe(401);
      expect((await attempt("192.0.2.1", "198.51.100.99")).status, trusted).toBe(429);
      // Another client behind the same proxy has its own allowance.
      expect((await attempt("192.0.2.2", "198.51.100.1")).status, trusted).toBe(401);
    }
  });

  it("[RATE-LIMIT]: an attack locks the account for strangers, while its owner still signs in (known address or device cookie)", async () => {
    const limited = makeHandlers();
    const owner = await limited.signIn(post("/api/auth/sign-in", { email: "alice@example.com", password: "correct horse" }, { ip: "10.5.0.1" }));
    expect(owner.status).toBe(200);
    const deviceCookie = owner.headers.getSetCookie().find((c) => c.startsWith("wa_device="))?.split(";")[0] ?? "";
    expect(deviceCookie).toMatch(/^wa_device=[A-Za-z0-9_-]{43}$/);

    // The attack: wrong passwords from many addresses, until the account is locked.
    for (let i = 0; i < 5; i++) {
      await expectError(await limited.signIn(post("/api/auth/sign-in", { email: "alice@example.com", password: `guess-${i}` }, { ip: `10.6.0.${i}` })), 401, "unauthorized");
    }
    const attacker = await limited.signIn(post("/api/auth/sign-in", { email: "alice@example.com", password: "correct horse" }, { ip: "10.6.1.1" }));
    await expectError(attacker, 429, "rate_limited");

    // The owner, from the address they signed in from before, with the right password: in.
    const fromKnown = await limited.signIn(post("/api/auth/sign-in", { email: "alice@example.com", password: "correct horse" }, { ip: "10.5.0.1" }));
    expect(fromKnown.status).toBe(200);
    // From a new address with the browser's device cookie: in.
    const withCookie = await limited.signIn(
      post("/api/auth/sign-in", { email: "alice@example.com", password: "correct horse" }, { ip: "10.5.9.9", cookie: deviceCookie }),
    );
    expect(withCookie.status).toBe(200);
    // The lockout still holds for everyone else, and a recognized context still needs the right password.
    await expectError(await limited.signIn(post("/api/auth/sign-in", { email: "alice@example.com", password: "correct horse" }, { ip: "10.6.2.2" })), 429, "rate_limited");
    await expectError(await limited.signIn(post("/api/auth/sign-in", { email: "alice@example.com", password: "guess-x" }, { ip: "10.5.0.1" })), 401, "unauthorized");
    // Another account's device cookie opens nothing.
    const forged = await limited.signIn(
      post("/api/auth/sign-in", { email: "alice@example.com", password: "correct horse" }, { ip: "10.6.3.3", cookie: "wa_device=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }),
    );
    await expectError(forged, 429, "rate_limited");
  });

  it("[SIZE]: an oversized sign-in or sign-up body is 413 payload_too_large, by its declared size before reading", async () => {
    const big = JSON.stringify({ email: "alice@example.com", password: "x".repeat(20_000) });
    await expectError(await h.signIn(post("/api/auth/sign-in", big)), 413, "payload_too_large");
    await expectError(await h.signUp(post("/api/auth/sign-up", big)), 413, "payload_too_large");
    const declared = new Request(`${WEB_URL}/api/auth/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(100 * 1024 * 1024), [PEER_ADDRESS_HEADER]: "10.0.0.1" },
      body: new ReadableStream({ pull: () => { throw new Error("the body was read"); } }),
      duplex: "half",
    } as RequestInit);
    await expectError(await h.signIn(declared), 413, "payload_too_large");
  });

  it("refuses unknown fields and bad input with 400 validation_error and field messages", async () => {
    const extra = await h.signIn(post("/api/auth/sign-in", { email: "alice@example.com", password: "x", role: "super_admin" }));
    const body = await expectError(extra, 400, "validation_error");
    expect(body.error.details).toEqual({ errors: expect.arrayContaining([expect.objectContaining({ message: expect.any(String) })]) });
    await expectError(await h.signIn(post("/api/auth/sign-in", "{not json")), 400, "validation_error");
    // A cross-site form (text/plain) cannot sign anyone in, even with a body that parses as JSON.
    const form = new Request(`${WEB_URL}/api/auth/sign-in`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ email: "alice@example.com", password: "correct horse" }),
    });
    await expectError(await h.signIn(form), 400, "validation_error");
    await expectError(await h.signIn(post("/api/auth/sign-in", { email: "not-an-email", password: "x" })), 400, "validation_error");
  });
});

describe("sign-up", () => {
  it("creates the person and an organization they own, signed in", async () => {
    const res = await h.signUp(post("/api/auth/sign-up", { email: "bob@example.com", password: "longenough", name: "Bob", organizationName: "Bob Co" }));
    expect(res.status).toBe(201);
    const cookie = cookieOf(res);
    const tokenRes = await h.token(get("/api/auth/token", cookie));
    const { token } = (await tokenRes.json()) as { token: string };
    const { payload } = await jwtVerify(token, createLocalJWKSet(await keys.jwks()), { issuer: WEB_URL, audience: JWT_AUDIENCE });
    expect(payload.orgRole).toBe("owner");
    expect(payload.email).toBe("bob@example.com");
  });

  it("[STRICT]: NUL bytes or lone surrogates in any field are 400 validation_error naming the field, never a 500", async () => {
    const base = { email: "nul@example.com", password: "longenough", name: "Nul", organizationName: "Nul Co" };
    for (const [field, value] of [
      ["name", "a\u0000b"],
      ["organizationName", "x\u0000"],
      ["email", "nul\u0000@example.com"],
      ["name", "\ud800"],
    ] as const) {
      const body = await expectError(await h.signUp(post("/api/auth/sign-up", { ...base, [field]: value })), 400, "validation_error");
      expect(JSON.stringify(body.error.details)).toContain(field);
    }
    expect(await h.signUp(post("/api/auth/sign-up", base))).toHaveProperty("status", 201);
  });

  it("answers a duplicate email with 409 conflict and a short password with 400", async () => {
    await expectError(
      await h.signUp(post("/api/auth/sign-up", { email: "Bob@example.com", password: "longenough", name: "B", organizationName: "X" })),
      409,
      "conflict",
    );
    const short = await expectError(
      await h.signUp(post("/api/auth/sign-up", { email: "carl@example.com", password: "short", name: "C", organizationName: "X" })),
      400,
      "validation_error",
    );
    expect(JSON.stringify(short.error.details)).toContain("password");
  });
});

describe("token", () => {
  it("401 without a session, with the contract's error body", async () => {
    await expectError(await h.token(get("/api/auth/token")), 401, "unauthorized");
    await expectError(await h.token(get("/api/auth/token", "wa_session=garbage")), 401, "unauthorized");
  });

  it("mints a 5-minute EdDSA JWT with the contract's claims, verifiable with the JWKS", async () => {
    const cookie = await signIn();
    const res = await h.token(get("/api/auth/token", cookie));
    expect(res.status).toBe(200);
    const { token, expiresAt } = (await res.json()) as { token: string; expiresAt: number };
    const header = decodeProtectedHeader(token);
    expect(header.alg).toBe("EdDSA");
    expect(typeof header.kid).toBe("string");
    const { payload } = await jwtVerify(token, createLocalJWKSet(await keys.jwks()), {
      issuer: WEB_URL,
      audience: "wa-gateway",
      algorithms: ["EdDSA"],
      currentDate: new Date(clock),
    });
    expect(payload).toMatchObject({ sub: alice.id, org: orgA.id, orgRole: "owner", email: "alice@example.com", name: "Alice" });
    expect(payload.role).toBeUndefined();
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(300);
    expect(expiresAt).toBe((payload.exp ?? 0) * 1000);
  });

  it("adds role super_admin only for a platform super admin", async () => {
    await setPlatformRole(tdb.db, "alice@example.com", "super_admin");
    const cookie = await signIn();
    const { token } = (await (await h.token(get("/api/auth/token", cookie))).json()) as { token: string };
    const { payload } = await jwtVerify(token, createLocalJWKSet(await keys.jwks()), { currentDate: new Date(clock) });
    expect(payload.role).toBe("super_admin");
    await setPlatformRole(tdb.db, "alice@example.com", null);
  });

  it("?org= switches among memberships and persists; a non-member org is 403", async () => {
    const cookie = await signIn();
    const jwks = async () => createLocalJWKSet(await keys.jwks());
    const switched = await h.token(get(`/api/auth/token?org=${orgB.id}`, cookie));
    expect(switched.status).toBe(200);
    const { token } = (await switched.json()) as { token: string };
    const { payload } = await jwtVerify(token, await jwks(), { currentDate: new Date(clock) });
    expect(payload).toMatchObject({ org: orgB.id, orgRole: "member" });
    // The next token without ?org= stays in the switched organization.
    const again = (await (await h.token(get("/api/auth/token", cookie))).json()) as { token: string };
    expect((await jwtVerify(again.token, await jwks(), { currentDate: new Date(clock) })).payload.org).toBe(orgB.id);
    await expectError(await h.token(get(`/api/auth/token?org=${orgC.id}`, cookie)), 403, "forbidden");
    await expectError(await h.token(get(`/api/auth/token?org=bad-id!`, cookie)), 400, "validation_error");
    await expectError(await h.token(get(`/api/auth/token?organization=${orgA.id}`, cookie)), 400, "validation_error");
  });

  it("records the person active in the organization the token is for, and only there (members' lastActiveAt)", async () => {
    const dora = await createUser(tdb.db, { email: "dora@example.com", name: "Dora", passwordHash: await hashPassword("correct horse") });
    await addMembership(tdb.db, { userId: dora.id, organizationId: orgA.id, role: "member" });
    await addMembership(tdb.db, { userId: dora.id, organizationId: orgB.id, role: "member" });
    const lastActive = async (organizationId: string) =>
      (await listMembers(tdb.db, { organizationId, limit: 200 })).data.find((m) => m.userId === dora.id)?.lastActiveAt ?? null;
    const cookie = await signIn("dora@example.com");
    expect((await h.token(get(`/api/auth/token?org=${orgB.id}`, cookie))).status).toBe(200);
    expect((await lastActive(orgB.id))?.getTime()).toBe(clock);
    // busy in B, never in A: A's list does not show her active
    expect(await lastActive(orgA.id)).toBeNull();
    expect((await h.token(get(`/api/auth/token?org=${orgA.id}`, cookie))).status).toBe(200);
    expect((await lastActive(orgA.id))?.getTime()).toBe(clock);
  });
});

describe("sign-out", () => {
  it("revokes the web session at once: the token endpoint answers 401 afterwards; other sessions stay", async () => {
    const cookie = await signIn();
    const elsewhere = await signIn();
    expect((await h.token(get("/api/auth/token", cookie))).status).toBe(200);
    const out = await h.signOut(post("/api/auth/sign-out", {}, { cookie }));
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/wa_session=; .*Max-Age=0/);
    await expectError(await h.token(get("/api/auth/token", cookie)), 401, "unauthorized");
    expect((await h.token(get("/api/auth/token", elsewhere))).status).toBe(200);
  });

  it("names the web session in every minted token (sid), so the gateway can end that session's streams", async () => {
    const cookie = await signIn();
    const res = await h.token(get("/api/auth/token", cookie));
    const { token } = (await res.json()) as { token: string };
    const jwks = createLocalJWKSet((await (await h.jwks(get("/api/auth/jwks"))).json()) as Parameters<typeof createLocalJWKSet>[0]);
    const { payload } = await jwtVerify(token, jwks, { issuer: WEB_URL, audience: JWT_AUDIENCE });
    const rows = await tdb.db.select().from(webSessions);
    const row = rows.find((r) => r.id === payload.sid);
    expect(row?.userId).toBe(alice.id);
    expect(row?.revokedAt).toBeNull();
    await h.signOut(post("/api/auth/sign-out", {}, { cookie }));
    expect(await isWebSessionActive(tdb.db, String(payload.sid))).toBe(false);
  });
});

describe("signing keys", () => {
  it("stores the private key encrypted: no raw private JWK in the table", async () => {
    await keys.current();
    const rows = await tdb.db.select().from(signingKeys);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.privateJwkEncrypted).toMatch(/^v1\./);
      expect(row.privateJwkEncrypted).not.toContain('"d"');
      expect(JSON.stringify(row.publicJwk)).not.toContain('"d"');
      const d = row.privateJwkEncrypted.split(".")[2] ?? "";
      expect(() => JSON.parse(Buffer.from(d, "base64url").toString())).toThrow();
    }
  });

  it("after an APP_SECRET change the unreadable key is rotated out, and still published for its tokens", async () => {
    const fresh = await createTestDatabase();
    try {
      const before = await new KeyStore(fresh.db, SECRET, { cacheMs: 0 }).current();
      const warnings: unknown[] = [];
      const changed = new KeyStore(fresh.db, "another-secret-another-secret-0123456", { cacheMs: 0 }, { warn: (o: unknown) => void warnings.push(o) });
      const after = await changed.current();
      expect(after.kid).not.toBe(before.kid);
      expect(warnings).toHaveLength(1);
      expect((await changed.jwks()).keys.map((k) => k.kid)).toEqual([after.kid, before.kid]);
    } finally {
      await fresh.close();
    }
  });

  it("concurrent first use creates exactly one current key", async () => {
    const fresh = await createTestDatabase();
    try {
      // Separate stores race through the database lock on PostgreSQL; in-process PGlite serves one connection and
      // cannot interleave transactions, so there the race is between callers of one store (its in-flight dedup).
      const shared = new KeyStore(fresh.db, SECRET, { cacheMs: 0 });
      const stores = Array.from({ length: 6 }, () => (fresh.kind === "postgres" ? new KeyStore(fresh.db, SECRET, { cacheMs: 0 }) : shared));
      const got = await Promise.all(stores.map((s) => s.current()));
      expect(new Set(got.map((k) => k.kid)).size).toBe(1);
      expect(await fresh.db.select().from(signingKeys)).toHaveLength(1);
    } finally {
      await fresh.close();
    }
  });

  it("rotates an old key and publishes current and previous keys until the old tokens expired", async () => {
    const cookie = await signIn();
    const oldToken = ((await (await h.token(get("/api/auth/token", cookie))).json()) as { token: string }).token;
    const oldKid = decodeProtectedHeader(oldToken).kid;
    clock += 31 * 24 * 60 * 60 * 1000; // past the rotation age
    // The web session lives 7 days, so sign in again at the new time.
    const cookie2 = await signIn();
    const newToken = ((await (await h.token(get("/api/auth/token", cookie2))).json()) as { token: string }).token;
    const newKid = decodeProtectedHeader(newToken).kid;
    expect(newKid).not.toBe(oldKid);
    const published = (await keys.jwks()).keys;
    expect(published.map((k) => k.kid)).toEqual([newKid, oldKid]);
    for (const k of published) expect(k).toEqual({ kty: "OKP", crv: "Ed25519", x: expect.any(String), kid: k.kid, alg: "EdDSA", use: "sig" });
    // JWKS route answer has the same keys.
    const res = await h.jwks(get("/api/auth/jwks"));
    expect(((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
    // After the previous key's tokens have expired, it leaves the JWKS.
    clock += 60 * 60 * 1000;
    expect((await keys.jwks()).keys.map((k) => k.kid)).toEqual([newKid]);
  });
});
