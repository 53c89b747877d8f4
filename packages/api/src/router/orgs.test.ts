// Organizations: members, invitations and the audit log through the router (real database, fake gateway ports).
import { auditLog, eq, memberships, sql } from "@wa/db";
import { getMembership } from "@wa/db/queries";
import { createTestDatabase, type TestDatabase } from "@wa/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMembershipCheck } from "../auth/membership.ts";
import { audit } from "../audit.ts";
import { createInnerContext, type Principal } from "../context.ts";
import { silentLogger } from "../logger.ts";
import { createCaller } from "../root.ts";
import {
  ACME,
  GLOBEX,
  callerFactory,
  createFakePorts,
  createTestApiKey,
  outcome,
  seedFixture,
  type FakePorts,
  type Fixture,
} from "../testing/index.ts";
import type { DomainError } from "../errors.ts";

describe("organizations: members, invitations, audit log", () => {
  let t: TestDatabase;
  let ports: FakePorts;
  let f: Fixture;
  let call: ReturnType<typeof callerFactory>;
  let fullKey: Principal;

  beforeAll(async () => {
    t = await createTestDatabase();
    f = await seedFixture(t.db);
    ports = createFakePorts({ db: t.db, simulator: true });
    call = callerFactory(t.db, ports);
    fullKey = (await createTestApiKey(t.db, ACME, ["read", "send", "manage", "events"], { name: "ci deploy key" })).principal;
  });
  afterAll(() => t.close());

  const auditCount = async () => {
    const [row] = await t.db.select({ n: sql<number>`count(*)::int` }).from(auditLog);
    return Number(row?.n ?? 0);
  };
  /** Runs a call and returns the audit rows it wrote. */
  const rowsWrittenBy = async (run: () => Promise<unknown>) => {
    const before = await auditCount();
    const result = await outcome(run());
    const rows = await t.db.select().from(auditLog).orderBy(sql`${auditLog.id} desc`).limit((await auditCount()) - before);
    return { result, rows };
  };
  const withIp = (p: Principal, ip = "203.0.113.7") => createCaller(createInnerContext({ db: t.db, ports, logger: silentLogger }, { principal: p, ip }));

  it("[AUDIT]: every mutating route writes exactly one entry in its transaction, with actor, target and address", async () => {
    const owner = withIp(f.acmeOwner);
    const created = await rowsWrittenBy(() => owner.sessions.create({ label: "audited" }));
    expect(created.rows).toHaveLength(1);
    const session = (await call(f.acmeOwner).sessions.list({ q: "audited" })).data[0];
    if (!session) throw new Error("session not created");
    expect(created.rows[0]).toMatchObject({
      organizationId: ACME,
      actorKind: "user",
      actorId: f.acmeOwner.userId,
      actorName: f.acmeOwner.name,
      action: "session.created",
      targetType: "session",
      targetId: session.id,
      ip: "203.0.113.7",
    });

    const steps: [string, () => Promise<unknown>][] = [
      ["session.settings_changed", () => owner.sessions.update({ session: session.id, label: "renamed", ratePerMin: 30 })],
      ["session.started", () => owner.sessions.start({ session: session.id })],
      ["session.stopped", () => owner.sessions.stop({ session: session.id })],
      ["session.restarted", () => owner.sessions.restart({ session: session.id })],
      ["session.logged_out", () => owner.sessions.logout({ session: session.id })],
      ["backfill.started", () => withIp(f.superAdmin).admin.sessions.startBackfill({ session: session.id })],
      ["session.deleted", () => owner.sessions.delete({ session: session.id })],
    ];
    for (const [action, run] of steps) {
      const { result, rows } = await rowsWrittenBy(run);
      expect({ action, result, count: rows.length }).toEqual({ action, result: "ok", count: 1 });
      expect(rows[0]?.action).toBe(action);
      // backfill.started is recorded in the session's organization, whoever the super admin is.
      expect(rows[0]?.organizationId).toBe(ACME);
    }
    const settings = (await t.db.select().from(auditLog).where(eq(auditLog.action, "session.settings_changed")))[0];
    expect(settings?.details).toEqual({ changed: { label: { from: "audited", to: "renamed" }, ratePerMin: { from: 20, to: 30 } } });

    // An api-key is named by its name; the key's secret never appears in an entry.
    const byKey = createCaller(createInnerContext({ db: t.db, ports, logger: silentLogger }, { principal: fullKey, ip: "198.51.100.1" }));
    const keyed = await rowsWrittenBy(() => byKey.sessions.create({ label: "by key" }));
    expect(keyed.rows[0]).toMatchObject({ actorKind: "api_key", actorName: "ci deploy key", action: "session.created", ip: "198.51.100.1" });

    const key = await rowsWrittenBy(() => owner.apiKeys.create({ name: "audited key", permissions: ["read"] }));
    expect(key.rows.map((r) => r.action)).toEqual(["api_key.created"]);
    const keyId = key.rows[0]?.targetId ?? "";
    const revoked = await rowsWrittenBy(() => owner.apiKeys.revoke({ id: keyId }));
    expect(revoked.rows.map((r) => r.action)).toEqual(["api_key.revoked"]);
    const allEntries = JSON.stringify(await t.db.select().from(auditLog));
    expect(allEntries).not.toMatch(/wa_[A-Za-z0-9_-]{20,}/);
  });

  it("[AUDIT]: a refused or failed change writes no entry", async () => {
    const foreign = await call(f.globexOwner).sessions.create({ label: "globex only" });
    await call(f.globexOwner).members.updateRole({ user: f.globexMember.userId, role: "owner" });
    const before = await auditCount();
    expect(await outcome(call(f.acmeOwner).sessions.update({ session: foreign.id, label: "x" }))).toBe("not_found");
    expect(await outcome(call(f.acmeOwner).sessions.delete({ session: foreign.id }))).toBe("not_found");
    expect(await outcome(call(f.acmeMember).sessions.create({ label: "member" }))).toBe("forbidden");
    expect(await outcome(call(f.acmeOwner).apiKeys.revoke({ id: "01NOSUCHKEY0000000000000000" }))).toBe("not_found");
    // The port refuses (conflict): the status did not change, so nothing is recorded.
    expect(await outcome(call(f.globexOwner).sessions.qr({ session: foreign.id }))).toBe("conflict");
    expect(await outcome(call(f.globexOwner).sessions.pairingCode({ session: foreign.id, phoneNumber: "628123456789" }))).toBe("conflict");
    // Refused after the row changed, inside its transaction (an admin, by their token, may not demote one of two
    // owners): the change and its entry roll back together.
    const globexAdmin = { ...f.globexMember, orgRole: "admin" as const };
    const beforeRefusal = await auditCount();
    expect(await outcome(call(globexAdmin).members.updateRole({ user: f.globexOwner.userId, role: "member" }))).toBe("forbidden");
    expect((await getMembership(t.db, f.globexOwner.userId, GLOBEX))?.role).toBe("owner");
    expect(await auditCount()).toBe(beforeRefusal);
    // An entry recorded in a transaction that fails afterwards is gone with it.
    await expect(
      t.db.transaction(async (tx) => {
        await audit(tx, { principal: f.acmeOwner, ip: null }, { organizationId: ACME, action: "session.created", targetType: "session", targetId: "x" });
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(await outcome(call(f.acmeOwner).members.updateRole({ user: f.acmeOwner.userId, role: "member" }))).toBe("conflict");
    expect(await auditCount()).toBe(before);
  });

  it("[AUDIT]: owners/admins read their organization's log only; members and api-keys 403; super admin sees all", async () => {
    await call(f.globexOwner).sessions.create({ label: "globex audited" });
    const acme = await call(f.acmeAdmin).audit.list({ limit: 200 });
    expect(acme.data.length).toBeGreaterThan(0);
    expect(acme.data.every((e) => e.organizationId === ACME)).toBe(true);
    const globex = await call(f.globexOwner).audit.list({ limit: 200 });
    expect(globex.data.every((e) => e.organizationId === GLOBEX)).toBe(true);
    expect(await outcome(call(f.acmeMember).audit.list({}))).toBe("forbidden");
    expect(await outcome(call(fullKey).audit.list({}))).toBe("forbidden");
    expect(await outcome(call(f.acmeOwner).admin.audit.list({}))).toBe("forbidden");
    expect(await outcome(call(null).audit.list({}))).toBe("unauthorized");

    const all = await call(f.superAdmin).admin.audit.list({ limit: 200 });
    expect(new Set(all.data.map((e) => e.organizationId))).toEqual(new Set([ACME, GLOBEX]));
    const onlyGlobex = await call(f.superAdmin).admin.audit.list({ organizationId: GLOBEX, limit: 200 });
    expect(onlyGlobex.data.map((e) => e.id)).toEqual(globex.data.map((e) => e.id));

    // Filters and keyset pages: newest first, no repeats, no gaps.
    const created = await call(f.acmeAdmin).audit.list({ action: "session.created", limit: 200 });
    expect(created.data.every((e) => e.action === "session.created")).toBe(true);
    const byActor = await call(f.acmeAdmin).audit.list({ actor: f.acmeOwner.userId, limit: 200 });
    expect(byActor.data.every((e) => e.actor.id === f.acmeOwner.userId)).toBe(true);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call(f.acmeAdmin).audit.list({ limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.data.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(acme.data.map((e) => e.id));
    expect([...seen].sort().reverse()).toEqual(seen);
    expect(await outcome(call(f.acmeAdmin).audit.list({ cursor: "garbage" }))).toBe("validation_error");
  });

  it("[MEMBERS]: a member can't invite or manage members (403); the last owner can't be demoted or removed (409)", async () => {
    const member = call(f.acmeMember);
    expect(await outcome(member.invitations.create({ email: "x@acme.test", role: "member" }))).toBe("forbidden");
    expect(await outcome(member.members.list({}))).toBe("forbidden");
    expect(await outcome(member.members.updateRole({ user: f.acmeMember.userId, role: "admin" }))).toBe("forbidden");
    expect(await outcome(call(fullKey).invitations.create({ email: "x@acme.test", role: "member" }))).toBe("forbidden");
    // An admin cannot make owners.
    expect(await outcome(call(f.acmeAdmin).invitations.create({ email: "x@acme.test", role: "owner" }))).toBe("forbidden");
    expect(await outcome(call(f.acmeAdmin).members.updateRole({ user: f.acmeMember.userId, role: "owner" }))).toBe("forbidden");
    expect((await getMembership(t.db, f.acmeMember.userId, ACME))?.role).toBe("member");

    const before = await auditCount();
    expect(await outcome(call(f.acmeOwner).members.updateRole({ user: f.acmeOwner.userId, role: "admin" }))).toBe("conflict");
    expect(await outcome(call(f.acmeOwner).members.remove({ user: f.acmeOwner.userId }))).toBe("conflict");
    expect(await outcome(call(f.acmeOwner).members.leave({}))).toBe("conflict");
    expect(await auditCount()).toBe(before);
    expect((await getMembership(t.db, f.acmeOwner.userId, ACME))?.role).toBe("owner");
    // Another organization's person is not a member here.
    expect(await outcome(call(f.acmeOwner).members.remove({ user: f.globexOwner.userId }))).toBe("not_found");
  });

  it("[MEMBERS]: owners list, change roles and remove members, each audited; a removed person's token stops counting", async () => {
    const owner = call(f.acmeOwner);
    const list = await owner.members.list({});
    expect(list.data.map((m) => m.email)).toEqual(expect.arrayContaining(["owner@acme.test", "member@acme.test", "admin@acme.test"]));
    expect(list.data.some((m) => m.email.endsWith("globex.test"))).toBe(false);

    const changed = await rowsWrittenBy(() => owner.members.updateRole({ user: f.acmeMember.userId, role: "admin" }));
    expect(changed.rows[0]).toMatchObject({ action: "member.role_changed", details: { email: "member@acme.test", from: "member", to: "admin" } });

    // The gateway reads the membership as it is now: the token's stale role gives way to the current one.
    const check = createMembershipCheck(t.db, { maxAgeMs: 0 });
    expect((await check.current(f.acmeMember)).orgRole).toBe("admin");

    const removed = await rowsWrittenBy(() => owner.members.remove({ user: f.acmeMember.userId }));
    expect(removed.rows.map((r) => r.action)).toEqual(["member.removed"]);
    expect(await getMembership(t.db, f.acmeMember.userId, ACME)).toBeNull();
    await expect(check.current(f.acmeMember)).rejects.toMatchObject({ code: "unauthorized" } satisfies Partial<DomainError>);

    // Invited back, a second owner can then demote the first.
    const invite = await owner.invitations.create({ email: "member@acme.test", role: "owner" });
    expect(invite.path).toBe(`/invite/${invite.token}`);
    const pending = await owner.invitations.list({});
    expect(pending.data.map((i) => i.email)).toContain("member@acme.test");
    const revokedRows = await rowsWrittenBy(() => owner.invitations.revoke({ id: invite.invitation.id }));
    expect(revokedRows.rows.map((r) => r.action)).toEqual(["invitation.revoked"]);
    expect((await owner.invitations.list({})).data.map((i) => i.id)).not.toContain(invite.invitation.id);
    expect(await outcome(owner.invitations.revoke({ id: invite.invitation.id }))).toBe("not_found");
    const invited = (await t.db.select().from(auditLog).where(eq(auditLog.action, "member.invited")))[0];
    expect(invited?.details).toMatchObject({ email: "member@acme.test", role: "owner" });
    expect(JSON.stringify(invited)).not.toContain(invite.token);
  });

  it("[MEMBERS]: a member leaves: the membership goes, audited as member.removed with left: true; api-keys cannot leave", async () => {
    // Globex's owner is also a member of Acme, then leaves Acme (Globex keeps them).
    await t.db.insert(memberships).values({ userId: f.globexOwner.userId, organizationId: ACME, role: "member" });
    const inAcme: Principal = { ...f.globexOwner, organizationId: ACME, orgRole: "member" };
    const left = await rowsWrittenBy(() => call(inAcme).members.leave({}));
    expect(left.rows.map((r) => r.action)).toEqual(["member.removed"]);
    expect(left.rows[0]).toMatchObject({ organizationId: ACME, actorId: f.globexOwner.userId, targetId: f.globexOwner.userId });
    expect(left.rows[0]?.details).toMatchObject({ role: "member", left: true });
    expect(await getMembership(t.db, f.globexOwner.userId, ACME)).toBeNull();
    expect((await getMembership(t.db, f.globexOwner.userId, GLOBEX))?.role).toBe("owner");
    expect(await outcome(call(fullKey).members.leave({}))).toBe("forbidden");
  });

  it("[SUPER_ADMIN][ORGANIZATIONS]: every organization with member and session counts, by name, searchable and paged", async () => {
    const page = await call(f.superAdmin).admin.organizations.summaries({ limit: 200 });
    const acme = page.data.find((o) => o.id === ACME);
    expect(acme?.members).toBeGreaterThanOrEqual(2);
    expect(acme?.sessions).toBeGreaterThanOrEqual(1);
    expect(page.data.map((o) => o.name)).toEqual([...page.data.map((o) => o.name)].sort());
    const found = await call(f.superAdmin).admin.organizations.summaries({ q: "glob" });
    expect(found.data.map((o) => o.id)).toEqual([GLOBEX]);
    const first = await call(f.superAdmin).admin.organizations.summaries({ limit: 1 });
    const second = await call(f.superAdmin).admin.organizations.summaries({ limit: 1, cursor: first.nextCursor ?? "" });
    expect(second.data[0]?.id).not.toBe(first.data[0]?.id);
    expect(await outcome(call(f.acmeOwner).admin.organizations.summaries({}))).toBe("forbidden");
  });

  it("[INVITATIONS]: a person's pending invitations are withdrawn when they are demoted below inviting or removed", async () => {
    const owner = call(f.acmeOwner);
    const pendingEmails = async () => (await owner.invitations.list({ limit: 200 })).data.map((i) => i.email);
    await owner.invitations.create({ email: "kept-by-owner@acme.test", role: "member" });
    await call(f.acmeAdmin).invitations.create({ email: "sent-by-admin@acme.test", role: "member" });
    expect(await pendingEmails()).toContain("sent-by-admin@acme.test");

    await owner.members.updateRole({ user: f.acmeAdmin.userId, role: "member" });
    expect(await pendingEmails()).not.toContain("sent-by-admin@acme.test");

    await owner.members.updateRole({ user: f.acmeAdmin.userId, role: "admin" });
    await call(f.acmeAdmin).invitations.create({ email: "second-by-admin@acme.test", role: "admin" });
    await owner.members.remove({ user: f.acmeAdmin.userId });
    const left = await pendingEmails();
    expect(left).not.toContain("second-by-admin@acme.test");
    expect(left).toContain("kept-by-owner@acme.test");
  });
});
