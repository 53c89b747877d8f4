// Joining by invitation through the identity provider's handlers: sign up or sign in and join, one use only, plain
// refusals for expired, revoked, used and misaddressed links; the organization last chosen is remembered.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { auditLog, eq, hashPassword, invitations } from "@wa/db";
import {
  addMembership,
  createInvitation,
  createOrganization,
  createUser,
  getMembership,
  hashInvitationToken,
  listMemberships,
  newInvitationToken,
  revokeInvitation,
} from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { describeInvitation } from "../invitations.ts";
import { PEER_ADDRESS_HEADER } from "./client-address.ts";
import { createAuthHandlers, type AuthHandlers } from "./handlers.ts";
import { KeyStore } from "./keys.ts";
import { createSignInLimiter } from "./rate-limit.ts";

const WEB_URL = "http://127.0.0.1:3998";
const SECRET = "test-secret-test-secret-test-secret-0123";
const silent = { info: () => {}, warn: () => {}, error: () => {} };

let tdb: TestDatabase;
let h: AuthHandlers;
let org: { id: string };
let other: { id: string };
let owner: { id: string };

const post = (path: string, body: unknown, cookie?: string) =>
  new Request(`${WEB_URL}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", [PEER_ADDRESS_HEADER]: "192.0.2.10", ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
const get = (path: string, cookie: string) => new Request(`${WEB_URL}${path}`, { headers: { cookie } });
const cookieOf = (res: Response) => (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
const codeOf = async (res: Response) => ((await res.json()) as { error?: { code: string; details?: { reason?: string } } }).error;

async function invite(email: string, options: { expiresAt?: Date; role?: "owner" | "admin" | "member" } = {}) {
  const token = newInvitationToken();
  const invitation = await createInvitation(tdb.db, {
    organizationId: org.id,
    email,
    role: options.role ?? "member",
    tokenHash: hashInvitationToken(token),
    invitedByUserId: owner.id,
    expiresAt: options.expiresAt ?? new Date(Date.now() + 7 * 86_400_000),
  });
  return { token, invitation };
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  const keys = new KeyStore(tdb.db, SECRET, { cacheMs: 0 });
  h = createAuthHandlers({ db: tdb.db, webUrl: WEB_URL, keys, limiter: createSignInLimiter(), secret: SECRET, log: silent });
  org = await createOrganization(tdb.db, { name: "Initech" });
  other = await createOrganization(tdb.db, { name: "Other" });
  owner = await createUser(tdb.db, { email: "boss@initech.test", name: "Boss", passwordHash: await hashPassword("boss password") });
  await addMembership(tdb.db, { userId: owner.id, organizationId: org.id, role: "owner" });
});
afterAll(() => tdb.close());

describe("invitations", () => {
  it("a new person signs up through the link and joins with the invited role (no organization of their own); once", async () => {
    const { token, invitation } = await invite("New.Person@Initech.test", { role: "admin" });
    const res = await h.signUp(post("/api/auth/sign-up", { email: "new.person@initech.test", password: "a long password", name: "Nina", invitation: token }));
    expect(res.status).toBe(201);
    const body = (await res.json()) as { user: { id: string }; organization: { id: string } };
    expect(body.organization.id).toBe(org.id);
    expect((await listMemberships(tdb.db, body.user.id)).map((m) => [m.organizationId, m.role])).toEqual([[org.id, "admin"]]);
    // Their token is for the organization they joined.
    const token1 = (await (await h.token(get("/api/auth/token", cookieOf(res)))).json()) as { token: string };
    expect(decodeJwt(token1.token)).toMatchObject({ org: org.id, orgRole: "admin" });
    // The join is audited, by the joining person, from their address; never the link.
    const [entry] = await tdb.db.select().from(auditLog).where(eq(auditLog.action, "member.joined"));
    expect(entry).toMatchObject({ organizationId: org.id, actorId: body.user.id, actorName: "Nina", targetId: body.user.id, ip: "192.0.2.10" });
    expect(JSON.stringify(entry)).not.toContain(token);
    // Used: a second use is refused with a plain reason, and the page says so.
    const again = await h.signUp(post("/api/auth/sign-up", { email: "someone@initech.test", password: "a long password", name: "S", invitation: token }));
    expect(again.status).toBe(409);
    expect(await codeOf(again)).toMatchObject({ code: "conflict", details: { reason: "accepted" } });
    expect(await describeInvitation(tdb.db, token)).toEqual({ ok: false, problem: "accepted" });
    const [row] = await tdb.db.select().from(invitations).where(eq(invitations.id, invitation.id));
    expect(row?.acceptedByUserId).toBe(body.user.id);
  });

  it("a signed-in person accepts; expired, revoked, misaddressed and unknown links are refused and change nothing", async () => {
    const person = await createUser(tdb.db, { email: "pat@elsewhere.test", name: "Pat", passwordHash: await hashPassword("pat password") });
    await addMembership(tdb.db, { userId: person.id, organizationId: other.id, role: "owner" });
    const signedIn = await h.signIn(post("/api/auth/sign-in", { email: "pat@elsewhere.test", password: "pat password" }));
    const cookie = cookieOf(signedIn);

    const expired = await invite("pat@elsewhere.test", { expiresAt: new Date(Date.now() - 1000) });
    const revoked = await invite("pat@elsewhere.test");
    await revokeInvitation(tdb.db, { organizationId: org.id, id: revoked.invitation.id });
    const misaddressed = await invite("someone.else@elsewhere.test");
    const cases: [string, string, number, string][] = [
      [expired.token, "expired", 409, "conflict"],
      [revoked.token, "revoked", 409, "conflict"],
      [misaddressed.token, "wrong_email", 403, "forbidden"],
      [newInvitationToken(), "unknown", 404, "not_found"],
    ];
    for (const [token, reason, status, code] of cases) {
      const res = await h.acceptInvitation(post("/api/auth/invitations/accept", { token }, cookie));
      expect({ reason, status: res.status }).toEqual({ reason, status });
      expect(await codeOf(res)).toMatchObject({ code, details: { reason } });
    }
    expect(await getMembership(tdb.db, person.id, org.id)).toBeNull();
    expect((await describeInvitation(tdb.db, expired.token)).ok).toBe(false);
    // Not signed in: 401.
    expect((await h.acceptInvitation(post("/api/auth/invitations/accept", { token: misaddressed.token }))).status).toBe(401);

    const good = await invite("PAT@elsewhere.test", { role: "member" });
    expect(await describeInvitation(tdb.db, good.token)).toMatchObject({ ok: true, invitation: { organizationName: "Initech", role: "member" } });
    const res = await h.acceptInvitation(post("/api/auth/invitations/accept", { token: good.token }, cookie));
    expect(res.status).toBe(200);
    expect((await getMembership(tdb.db, person.id, org.id))?.role).toBe("member");
    // The web session now works in the organization joined; the next sign-in starts there too (last choice).
    const minted = (await (await h.token(get("/api/auth/token", cookie))).json()) as { token: string };
    expect(decodeJwt(minted.token)).toMatchObject({ org: org.id, orgRole: "member" });
    const later = await h.signIn(post("/api/auth/sign-in", { email: "pat@elsewhere.test", password: "pat password" }));
    const laterToken = (await (await h.token(get("/api/auth/token", cookieOf(later)))).json()) as { token: string };
    expect(decodeJwt(laterToken.token)).toMatchObject({ org: org.id });
    // Switching back is remembered for the sign-in after that.
    await h.token(get(`/api/auth/token?org=${other.id}`, cookieOf(later)));
    const third = await h.signIn(post("/api/auth/sign-in", { email: "pat@elsewhere.test", password: "pat password" }));
    const thirdToken = (await (await h.token(get("/api/auth/token", cookieOf(third)))).json()) as { token: string };
    expect(decodeJwt(thirdToken.token)).toMatchObject({ org: other.id });
  });

  it("a sign-up with a bad link creates no account; without a link the organization name is required", async () => {
    const { token } = await invite("ghost@initech.test");
    const wrong = await h.signUp(post("/api/auth/sign-up", { email: "not.ghost@initech.test", password: "a long password", name: "G", invitation: token }));
    expect(wrong.status).toBe(403);
    const retry = await h.signUp(post("/api/auth/sign-up", { email: "not.ghost@initech.test", password: "a long password", name: "G", organizationName: "Own" }));
    expect(retry.status).toBe(201);
    const missing = await h.signUp(post("/api/auth/sign-up", { email: "x@initech.test", password: "a long password", name: "X" }));
    expect(missing.status).toBe(400);
  });
});
