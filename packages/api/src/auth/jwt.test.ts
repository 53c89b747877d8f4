import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { base64url, exportJWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContextFactory, type Context } from "../context.ts";
import { silentLogger } from "../logger.ts";
import { createCaller } from "../root.ts";
import {
  createFakePorts,
  createTestIdentity,
  createTestKey,
  outcome,
  seedFixture,
  type Fixture,
  type TestIdentity,
} from "../testing/index.ts";
import { createJwtVerifier, type JwtVerifierOptions } from "./jwt.ts";

const now = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("login JWT authentication", () => {
  let t: TestDatabase;
  let idp: TestIdentity;
  let f: Fixture;
  let claims: { sub: string; org: string; orgRole: "owner"; email: string; name: string };

  beforeAll(async () => {
    t = await createTestDatabase();
    f = await seedFixture(t.db);
    idp = await createTestIdentity();
    claims = { sub: f.acmeOwner.userId, org: f.acmeOwner.organizationId ?? "", orgRole: "owner", email: "owner@acme.test", name: "Ada" };
  });
  afterAll(async () => {
    await idp.close();
    await t.close();
  });

  const factory = (jwt: Partial<JwtVerifierOptions> = {}) =>
    createContextFactory({
      db: t.db,
      ports: createFakePorts({ db: t.db }),
      logger: silentLogger,
      jwt: { jwksUrl: idp.jwksUrl, issuer: idp.issuer, ...jwt },
    });
  const meWith = async (ctx: Context) => createCaller(ctx).me({});
  const asHeader = (make: ReturnType<typeof factory>, authorization: string) =>
    outcome(make({ headers: { authorization } }).then(meWith));

  it("[AUTH][JWT]: a verified token is remembered, but stops working when it expires", async () => {
    const make = factory({ clockToleranceSeconds: 0 });
    const token = await idp.mint(claims, { exp: now() + 2 });
    const before = idp.requests;
    expect(await asHeader(make, `Bearer ${token}`)).toBe("ok");
    expect(await asHeader(make, `Bearer ${token}`)).toBe("ok");
    expect(idp.requests - before).toBeLessThanOrEqual(1);
    await sleep(2_100);
    expect(await asHeader(make, `Bearer ${token}`)).toBe("unauthorized");
  });

  it("[AUTH][JWT]: a valid EdDSA token is accepted; identity comes from its claims", async () => {
    const make = factory();
    const me = await meWith(await make({ headers: { authorization: `Bearer ${await idp.mint(claims)}` } }));
    expect(me).toEqual({
      kind: "user",
      userId: f.acmeOwner.userId,
      apiKeyId: null,
      organizationId: f.acmeOwner.organizationId,
      role: "owner",
      permissions: ["read", "send", "manage", "events"],
      platformRole: null,
      email: "owner@acme.test",
      name: "Ada",
    });
    // The platform role comes from the claims too, while the database still grants it; a claimed role the person
    // does not have (or no longer has) is dropped.
    const adminClaims = { sub: f.superAdmin.userId, org: f.superAdmin.organizationId ?? "", orgRole: "owner" as const, email: "admin@example.com", name: "Admin" };
    const admin = await meWith(await make({ headers: { authorization: `Bearer ${await idp.mint({ ...adminClaims, role: "super_admin" })}` } }));
    expect(admin.platformRole).toBe("super_admin");
    const claimed = await meWith(await make({ headers: { authorization: `Bearer ${await idp.mint({ ...claims, role: "super_admin" })}` } }));
    expect(claimed.platformRole).toBeNull();
  });

  it("[AUTH][JWT]: every malformed, forged or out-of-policy token is 401", async () => {
    const make = factory();
    const valid = await idp.mint(claims);
    const [h, p, s] = valid.split(".");
    const enc = (o: unknown) => base64url.encode(JSON.stringify(o));
    const payload = JSON.parse(new TextDecoder().decode(base64url.decode(p ?? ""))) as Record<string, unknown>;
    const foreignKey = await createTestKey("key-1");
    const hmac = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: "HS256", kid: "key-1" })
      .setIssuer(idp.issuer)
      .setAudience("wa-gateway")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode("a-shared-secret-of-enough-length!!"));

    const cases: Record<string, string> = {
      "alg none": `Bearer ${enc({ alg: "none", kid: "key-1" })}.${p}.`,
      "HMAC-signed": `Bearer ${hmac}`,
      "tampered payload (role → super_admin)": `Bearer ${h}.${enc({ ...payload, role: "super_admin" })}.${s}`,
      "unknown key with a copied kid": `Bearer ${await idp.mint(claims, { key: foreignKey })}`,
      "wrong iss": `Bearer ${await idp.mint(claims, { issuer: "http://evil.test" })}`,
      "wrong aud": `Bearer ${await idp.mint(claims, { audience: "someone-else" })}`,
      "no exp": `Bearer ${await idp.mint(claims, { exp: null })}`,
      "no iat": `Bearer ${await idp.mint(claims, { iat: null })}`,
      "expired beyond tolerance": `Bearer ${await idp.mint(claims, { iat: now() - 400, exp: now() - 60 })}`,
      "nbf in the future": `Bearer ${await idp.mint(claims, { nbf: now() + 120 })}`,
      "older than the max token age": `Bearer ${await idp.mint(claims, { iat: now() - 3600, exp: now() + 300 })}`,
      "missing sub": `Bearer ${await idp.mint({ ...claims, sub: undefined })}`,
      "empty sub": `Bearer ${await idp.mint({ ...claims, sub: "" })}`,
      "Bearer with nothing": "Bearer",
      "Bearer with spaces": "Bearer    ",
      "non-Bearer scheme": `Basic ${valid}`,
      "garbage": "Bearer not.a.jwt",
    };
    const results = Object.fromEntries(
      await Promise.all(Object.entries(cases).map(async ([name, header]) => [name, await asHeader(make, header)])),
    );
    expect(results).toEqual(Object.fromEntries(Object.keys(cases).map((name) => [name, "unauthorized"])));
    // Control: the same verifier accepts a token expired within the clock tolerance.
    expect(await asHeader(make, `Bearer ${await idp.mint(claims, { iat: now() - 300, exp: now() - 10 })}`)).toBe("ok");
  });

  it("[AUTH][JWT]: jku, x5u and jwk headers are never followed", async () => {
    let outbound = 0;
    const trap = createServer((_req, res) => {
      outbound += 1;
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    await new Promise<void>((r) => trap.listen(0, "127.0.0.1", () => r()));
    const trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}/keys`;
    try {
      const make = factory();
      const attacker = await createTestKey("attacker");
      const header = { jku: trapUrl, x5u: trapUrl, jwk: await exportJWK(attacker.privateKey).then(({ d: _d, ...pub }) => pub) };
      const token = await idp.mint({ ...claims, role: "super_admin" }, { key: attacker, header });
      expect(await asHeader(make, `Bearer ${token}`)).toBe("unauthorized");
      const withKid = await idp.mint(claims, { key: attacker, kid: "key-1", header });
      expect(await asHeader(make, `Bearer ${withKid}`)).toBe("unauthorized");
      expect(outbound).toBe(0);
    } finally {
      await new Promise<void>((r) => trap.close(() => r()));
    }
  });

  it("[AUTH][JWT]: a new kid verifies after one JWKS refetch; an unknown-kid flood refetches at most once per cooldown", async () => {
    const verifier = createJwtVerifier({ jwksUrl: idp.jwksUrl, issuer: idp.issuer, cooldownMs: 400 });
    await verifier.verify(await idp.mint(claims));
    const before = idp.requests;
    const next = await createTestKey("key-2");
    const original = idp.published;
    idp.published = [...original, next];
    try {
      await sleep(450);
      await expect(verifier.verify(await idp.mint(claims, { key: next }))).resolves.toMatchObject({ userId: claims.sub });
      expect(idp.requests - before).toBe(1);

      await sleep(450);
      const flood = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const stranger = await createTestKey(`unknown-${i}`);
          return verifier.verify(await idp.mint(claims, { key: stranger })).then(() => "ok", () => "refused");
        }),
      );
      expect(flood.every((r) => r === "refused")).toBe(true);
      expect(idp.requests - before).toBeLessThanOrEqual(2);
      const afterFlood = idp.requests;
      for (let i = 0; i < 10; i++) {
        await verifier.verify(await idp.mint(claims, { kid: `again-${i}` })).catch(() => undefined);
      }
      expect(idp.requests).toBe(afterFlood);
    } finally {
      idp.published = original;
    }
  });

  it("[AUTH][JWT]: JWKS outage: a warm cache still verifies; a cold one answers 503 gateway_unavailable", async () => {
    const warm = factory({ cacheMaxAgeMs: 50, cooldownMs: 50 });
    const token = await idp.mint(claims);
    expect(await asHeader(warm, `Bearer ${token}`)).toBe("ok");
    idp.down = true;
    try {
      await sleep(80);
      const attempts = idp.requests;
      // a token this verifier has not seen yet (a seen one would be answered from the verified-token cache)
      expect(await asHeader(warm, `Bearer ${await idp.mint(claims, { iat: now() - 1 })}`)).toBe("ok");
      expect(idp.requests).toBeGreaterThan(attempts);
      // A forged token is still a 401 during the outage, not a 503.
      expect(await asHeader(warm, `Bearer ${await idp.mint(claims, { key: await createTestKey("key-1") })}`)).toBe("unauthorized");

      const cold = factory({ cooldownMs: 100 });
      expect(await asHeader(cold, `Bearer ${token}`)).toBe("gateway_unavailable");
      const tries = idp.requests;
      expect(await asHeader(cold, `Bearer ${token}`)).toBe("gateway_unavailable");
      expect(idp.requests).toBe(tries); // answered at once, without waiting on the dead JWKS again

      // Once the JWKS is back, the cold verifier recovers on its own.
      idp.down = false;
      await sleep(150);
      expect(await asHeader(cold, `Bearer ${token}`)).toBe("ok");
    } finally {
      idp.down = false;
    }
  });

  it("[AUTH][JWT]: a subscription may carry the token in connectionParams", async () => {
    const make = factory();
    const ctx = await make({ headers: {}, connectionParams: { token: await idp.mint(claims) } });
    expect((await meWith(ctx)).userId).toBe(f.acmeOwner.userId);
    const none = await make({ headers: {} });
    expect(await outcome(meWith(none))).toBe("unauthorized");
  });
});
