import { eq, gateways, newId, sql, waSessions } from "@wa/db";
import { getGateway, registerGateway } from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../context.ts";
import {
  ACME,
  GLOBEX,
  captureState,
  callerFactory,
  createFakePorts,
  createTestApiKey,
  outcome,
  seedFixture,
  type FakePorts,
  type Fixture,
} from "../testing/index.ts";

describe("admin router", () => {
  let t: TestDatabase;
  let ports: FakePorts;
  let f: Fixture;
  let call: ReturnType<typeof callerFactory>;
  let fullKey: Principal;
  const acmeSessions: string[] = [];
  const globexSessions: string[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    f = await seedFixture(t.db);
    ports = createFakePorts({ db: t.db });
    call = callerFactory(t.db, ports);
    fullKey = (await createTestApiKey(t.db, ACME, ["read", "send", "manage", "events"])).principal;
    const base = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 30; i++) {
      const id = newId();
      const org = i % 3 === 0 ? GLOBEX : ACME;
      (org === ACME ? acmeSessions : globexSessions).push(id);
      await t.db.insert(waSessions).values({
        id,
        organizationId: org,
        gatewayId: i % 2 ? "gw-a" : "gw-b",
        label: `line ${i}`,
        phoneNumber: `62811000${String(i).padStart(4, "0")}`,
        status: i % 5 === 0 ? "working" : "stopped",
        createdAt: new Date(base + i * 1000),
      });
    }
  });
  afterAll(() => t.close());

  const someSession = () => acmeSessions[0] ?? "";
  const procedures: Record<string, (c: ReturnType<typeof call>, session: string) => Promise<unknown>> = {
    "admin.sessions.list": (c) => c.admin.sessions.list({}),
    "admin.sessions.get": (c, s) => c.admin.sessions.get({ session: s }),
    "admin.sessions.startBackfill": (c, s) => c.admin.sessions.startBackfill({ session: s }),
    "admin.sessions.backfill": (c, s) => c.admin.sessions.backfill({ session: s }),
    "admin.organizations.list": (c) => c.admin.organizations.list({}),
    "admin.gateways.list": (c) => c.admin.gateways.list({}),
  };

  for (const [name, run] of Object.entries(procedures)) {
    it(`[SUPER_ADMIN][${name}]: 401 without credentials, 403 for every org role and a full api-key (nothing changed), ok for super_admin`, async () => {
      const session = someSession();
      const before = await captureState(t.db, ports);
      const jobBefore = ports.backfill.get(session);
      expect(await outcome(run(call(null), session))).toBe("unauthorized");
      expect(await outcome(run(call(f.acmeOwner), session))).toBe("forbidden");
      expect(await outcome(run(call(f.acmeAdmin), session))).toBe("forbidden");
      expect(await outcome(run(call(f.acmeMember), session))).toBe("forbidden");
      expect(await outcome(run(call(fullKey), session))).toBe("forbidden");
      // No job started, no port called, no row written.
      expect(await captureState(t.db, ports)).toEqual(before);
      expect(ports.backfill.get(session)).toEqual(jobBefore);
      // A super admin's login carries their own organization and role; only the platform role matters here.
      if (name === "admin.sessions.backfill") await call(f.superAdmin).admin.sessions.startBackfill({ session });
      expect(await outcome(run(call(f.superAdmin), session))).toBe("ok");
      ports.finishBackfill(session);
    });

    it(`[SUPER_ADMIN][${name}]: the role check runs before any lookup (unknown session as owner → 403)`, async () => {
      const before = await captureState(t.db, ports);
      expect(await outcome(run(call(f.acmeOwner), "does-not-exist"))).toBe("forbidden");
      expect(await outcome(run(call(f.globexMember), "does-not-exist"))).toBe("forbidden");
      expect(await captureState(t.db, ports)).toEqual(before);
    });
  }

  it("[SUPER_ADMIN][SESSIONS]: lists across organizations, newest first, with filters", async () => {
    const admin = call(f.superAdmin);
    const all = await admin.admin.sessions.list({ limit: 200 });
    expect(all.data).toHaveLength(30);
    expect(new Set(all.data.map((s) => s.organizationId))).toEqual(new Set([ACME, GLOBEX]));
    const created = all.data.map((s) => s.createdAt);
    expect(created).toEqual([...created].sort((a, b) => b - a));

    const globex = await admin.admin.sessions.list({ organizationId: GLOBEX });
    expect(globex.data.map((s) => s.id).sort()).toEqual([...globexSessions].sort());

    const working = await admin.admin.sessions.list({ status: ["working"], gatewayId: "gw-b" });
    expect(working.data.length).toBeGreaterThan(0);
    expect(working.data.every((s) => s.status === "working" && s.gatewayId === "gw-b")).toBe(true);

    const byPhone = await admin.admin.sessions.list({ q: "628110000007" });
    expect(byPhone.data.map((s) => s.label)).toEqual(["line 7"]);
  });

  it("[SUPER_ADMIN][SESSIONS]: pages visit every session once; limit above 200 is clamped, 0 refused", async () => {
    const admin = call(f.superAdmin);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await admin.admin.sessions.list({ limit: 7, ...(cursor ? { cursor } : {}) });
      expect(page.data.length).toBeLessThanOrEqual(7);
      seen.push(...page.data.map((s) => s.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);

    const clamped = await admin.admin.sessions.list({ limit: 100_000 });
    expect(clamped.data).toHaveLength(30);
    expect(await outcome(admin.admin.sessions.list({ limit: 0 }))).toBe("validation_error");
  });

  it("[SUPER_ADMIN][SESSIONS]: paging while sessions are being created visits every earlier session once, in order", async () => {
    const admin = call(f.superAdmin);
    const before = (await admin.admin.sessions.list({ limit: 200 })).data.map((s) => s.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    let created = 0;
    do {
      const page = await admin.admin.sessions.list({ limit: 4, ...(cursor ? { cursor } : {}) });
      seen.push(...page.data.map((s) => s.id));
      cursor = page.nextCursor ?? undefined;
      // New sessions land at the head of the order, behind the cursor: they must not shift later pages.
      await call(f.acmeOwner).sessions.create({ label: `during paging ${created++}` });
    } while (cursor);
    expect(seen).toEqual(before);
  });

  it("[SUPER_ADMIN][SESSIONS]: an invalid cursor or an unknown field is a validation_error", async () => {
    const admin = call(f.superAdmin);
    expect(await outcome(admin.admin.sessions.list({ cursor: "not-a-cursor" }))).toBe("validation_error");
    expect(
      await outcome(admin.admin.sessions.list({ organization: ACME } as unknown as Parameters<typeof admin.admin.sessions.list>[0])),
    ).toBe("validation_error");
  });

  it("[SUPER_ADMIN][BACKFILL]: start answers the running job; a second start conflicts; get 404s for unknown/no job", async () => {
    const admin = call(f.superAdmin);
    const session = globexSessions[1] ?? "";
    expect(await outcome(admin.admin.sessions.backfill({ session }))).toBe("not_found");
    const job = await admin.admin.sessions.startBackfill({ session });
    expect(job).toMatchObject({ sessionId: session, organizationId: GLOBEX, status: "running", finishedAt: null, error: null });
    expect(await outcome(admin.admin.sessions.startBackfill({ session }))).toBe("conflict");
    expect((await admin.admin.sessions.backfill({ session })).id).toBe(job.id);
    expect(await outcome(admin.admin.sessions.startBackfill({ session: "unknown" }))).toBe("not_found");
    expect(await outcome(admin.admin.sessions.backfill({ session: "unknown" }))).toBe("not_found");
    ports.finishBackfill(session, { error: "session not connected" });
    expect(await admin.admin.sessions.backfill({ session })).toMatchObject({ status: "failed", error: "session not connected" });
  });

  it("[SUPER_ADMIN][FILTERS]: organizations and gateways for the console's filters", async () => {
    const admin = call(f.superAdmin);
    const orgs = await admin.admin.organizations.list({});
    expect(orgs.data.map((o) => o.name)).toEqual(expect.arrayContaining(["Acme", "Globex", "Platform"]));
    const gws = await admin.admin.gateways.list({});
    expect(gws.data).toContainEqual({ id: ports.gatewayId, baseUrl: null, status: "online", heartbeatAt: null, sessions: 0 });
  });

  it("[SUPER_ADMIN][GATEWAYS]: drain marks a gateway draining; unknown is 404; org roles and api-keys are refused", async () => {
    await registerGateway(t.db, { id: "gw-drain-me", baseUrl: "http://127.0.0.1:9" });
    expect(await outcome(call(f.acmeOwner).admin.gateways.drain({ gateway: "gw-drain-me" }))).toBe("forbidden");
    expect((await getGateway(t.db, "gw-drain-me"))?.status).toBe("online");
    const admin = call(f.superAdmin);
    expect(await admin.admin.gateways.drain({ gateway: "gw-drain-me" })).toMatchObject({ id: "gw-drain-me", status: "draining", sessions: 0 });
    expect((await getGateway(t.db, "gw-drain-me"))?.status).toBe("draining");
    await expect(admin.admin.gateways.drain({ gateway: "gw-unknown" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("[SUPER_ADMIN][GATEWAYS]: a gateway that stopped heartbeating (killed) is listed offline", async () => {
    await registerGateway(t.db, { id: "gw-killed", baseUrl: "http://127.0.0.1:9" });
    const listed = async () => (await call(f.superAdmin).admin.gateways.list({})).data.find((g) => g.id === "gw-killed")?.status;
    expect(await listed()).toBe("online");
    await t.db.update(gateways).set({ heartbeatAt: sql`now() - interval '1 minute'` }).where(eq(gateways.id, "gw-killed"));
    expect(await listed()).toBe("offline");
  });
});
